"""A small GPT-style language model, built from minigrad layers (after nanoGPT and GPT-2).

::

    idx (B, T) token ids
      -> token embedding + position embedding            (B, T, C)
      -> n_layer x Block:  x = x + attn(ln_1(x))          pre-norm, causal self-attention
                           x = x + mlp(ln_2(x))           Linear(C, 4C), GELU, Linear(4C, C)
      -> ln_f -> lm_head                                  (B, T, vocab_size) logits

The LM head shares its weight with the token embedding when ``tie_weights`` is set (GPT-2
does): fewer parameters, and a token's input and output vectors stay the same.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .. import backend, random
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import functional as F
from . import init
from .layers import GELU, Dropout, Embedding, LayerNorm, Linear, ModuleList
from .module import Module

__all__ = ["GPTConfig", "GPT", "CausalSelfAttention", "MLP", "Block"]


@dataclass
class GPTConfig:
    """Sizes of a :class:`GPT`. ``n_embd`` must be a multiple of ``n_head``."""

    vocab_size: int
    block_size: int
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    tie_weights: bool = True

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GPTConfig: {name} must be a positive integer, got {value!r}")
            setattr(self, name, int(value))
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd ({self.n_embd}) must be divisible by n_head "
                             f"({self.n_head}), so every head gets n_embd / n_head dimensions")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout}")
        self.tie_weights = bool(self.tie_weights)

    def to_dict(self) -> dict:
        return asdict(self)


class CausalSelfAttention(Module):
    """Multi-head self-attention where position t only sees positions <= t."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head, self.n_embd = config.n_head, config.n_embd
        self.c_attn = Linear(config.n_embd, 3 * config.n_embd)  # queries, keys, values at once
        self.c_proj = Linear(config.n_embd, config.n_embd)
        self.attn_dropout = Dropout(config.dropout)
        self.resid_dropout = Dropout(config.dropout)
        # True above the diagonal: the future a position must not see. A plain array, not a
        # parameter; moved with the model by ``_mask_for``.
        self._future = np.triu(np.ones((config.block_size, config.block_size), dtype=bool), k=1)

    def _mask_for(self, x: Tensor, T: int):
        mask = self._future[:T, :T]
        return mask if x.device == "cpu" else backend.to_device(mask, x.device)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        H = self.n_head
        hs = C // H
        # One projection on (B*T, C) rows (a single matrix product, which NumPy does much
        # faster than a batch of small ones), then (3, B, H, T, hs): q, k, v per head.
        qkv = self.c_attn(x.reshape(B * T, C)).reshape(B, T, 3, H, hs).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, H, T, T)
        att = att.masked_fill(self._mask_for(x, T), float("-inf"))
        att = self.attn_dropout(att.softmax(dim=-1))
        y = (att @ v).transpose(1, 2).reshape(B * T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y)).reshape(B, T, C)


class MLP(Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = GELU(approximate="tanh")  # GPT-2's form (the committed model was trained with it)
        self.c_proj = Linear(4 * config.n_embd, config.n_embd)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        rows = x.reshape(-1, x.shape[-1])  # (B*T, C): one matrix product per layer
        return self.dropout(self.c_proj(self.gelu(self.c_fc(rows)))).reshape(x.shape)


class Block(Module):
    """Pre-norm transformer block: normalise, attend, add; normalise, MLP, add."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(Module):
    """A decoder-only transformer language model.

    ``model(idx)`` returns logits of shape (B, T, vocab_size); ``model(idx, targets)``
    returns ``(logits, loss)`` with the mean cross-entropy over targets that are not -100
    (padding). ``generate`` samples continuations.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT takes a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.wte = Embedding(config.vocab_size, config.n_embd)
        self.wpe = Embedding(config.block_size, config.n_embd)
        self.drop = Dropout(config.dropout)
        self.h = ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        self._init_weights()
        if config.tie_weights:
            self.lm_head.weight = self.wte.weight

    def _init_weights(self):
        # GPT-2's scheme: N(0, 0.02) weights, zero biases, and the projections that write
        # into the residual stream scaled down by sqrt(2 n_layer) so its variance stays put.
        for name, param in self.named_parameters():
            if name.endswith(".bias"):
                init.zeros_(param)
            elif name.endswith("c_proj.weight"):
                init.normal_(param, 0.0, 0.02 / math.sqrt(2 * self.config.n_layer))
            elif param.ndim == 2:
                init.normal_(param, 0.0, 0.02)

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Parameters (a tied weight counted once); ``non_embedding`` leaves out positions."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def _check_idx(self, idx):
        data = idx.data if isinstance(idx, Tensor) else idx
        if getattr(data, "ndim", None) != 2:
            raise ValueError(f"GPT expects token ids of shape (batch, time), got shape "
                             f"{getattr(data, 'shape', None)}")
        if data.dtype.kind not in "iu":
            raise TypeError(f"GPT expects integer token ids, got dtype {data.dtype}")
        T = data.shape[1]
        if T > self.config.block_size:
            raise ValueError(f"GPT: sequence of length {T} is longer than block_size "
                             f"{self.config.block_size}; crop it to the last {self.config.block_size}")
        return data

    def forward(self, idx, targets=None):
        data = self._check_idx(idx)
        device = self.wte.weight.device
        if backend.device_of(data) != device:
            data = backend.to_device(data, device)
        B, T = data.shape
        positions = self.wte.weight.xp.arange(T)
        x = self.drop(self.wte(Tensor(data)) + self.wpe(Tensor(positions)))
        for block in self.h:
            x = block(x)
        logits2d = self.lm_head(self.ln_f(x).reshape(B * T, -1))
        logits = logits2d.reshape(B, T, -1)
        if targets is None:
            return logits
        t = targets.data if isinstance(targets, Tensor) else targets
        if t.shape != (B, T):
            raise ValueError(f"GPT: targets of shape {t.shape} do not match the input's {(B, T)}")
        t = backend.to_device(t, device)
        loss = F.cross_entropy(logits2d, t.reshape(-1), ignore_index=-100)
        return logits, loss

    @no_grad()
    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0, top_k=None):
        """Extend ``idx`` (B, T) by ``max_new_tokens`` sampled tokens; returns a (B, T + new) Tensor.

        ``temperature`` divides the logits (below 1: safer, above 1: wilder); ``top_k`` keeps
        only the k most likely tokens at each step. Sampling uses minigrad's seeded generator.
        """
        if not (isinstance(max_new_tokens, (int, np.integer)) and max_new_tokens >= 0):
            raise ValueError(f"generate: max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
        if not temperature > 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature}")
        if top_k is not None and not (isinstance(top_k, (int, np.integer)) and top_k >= 1):
            raise ValueError(f"generate: top_k must be None or an integer >= 1, got {top_k!r}")
        data = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if data.ndim != 2:
            raise ValueError(f"generate: idx must have shape (batch, time), got {data.shape}")
        out = backend.to_numpy(data).astype(np.int64)
        was_training = self.training
        self.eval()
        try:
            for _ in range(int(max_new_tokens)):
                window = out[:, -self.config.block_size:]
                logits = self.forward(window)
                last = backend.to_numpy(logits.data[:, -1, :]).astype(np.float64) / temperature
                if top_k is not None and top_k < last.shape[-1]:
                    kth = np.sort(last, axis=-1)[:, -top_k][:, None]
                    last = np.where(last < kth, -np.inf, last)
                probs = np.exp(last - last.max(axis=-1, keepdims=True))
                probs /= probs.sum(axis=-1, keepdims=True)
                # Inverse-CDF sampling, one uniform per row, from the seeded generator.
                u = random.generator().random((probs.shape[0], 1))
                nxt = np.minimum((probs.cumsum(axis=-1) < u).sum(axis=-1), probs.shape[-1] - 1)
                out = np.concatenate([out, nxt[:, None].astype(np.int64)], axis=1)
        finally:
            self.train(was_training)
        return Tensor(backend.to_device(out, self.wte.weight.device))
