"""Language-model plumbing for the case study: batches, loss, scores, samples, saved weights.

* :func:`encode_texts` turns lines of copy into a padded array of token ids;
  :class:`LMBatches` serves shuffled (inputs, targets) mini-batches of it to ``minigrad.training.fit``
  (targets are the inputs shifted by one token; padding is marked -100 and ignored by the loss).
* :func:`lm_loss` is the loss ``fit`` calls: mean cross-entropy per predicted token.
* :func:`log_likelihood` scores lines: the mean log-probability per token a model gives them.
* :func:`sample_copy` generates lines of copy.
* :func:`save_model` / :func:`load_model` keep weights, config and vocabulary in one ``.npz``
  (written atomically with fixed zip timestamps, so the same weights give the same bytes;
  read with ``allow_pickle=False``).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn.gpt import GPT, GPTConfig
from minigrad.utils.files import ZIP_ARCHIVE, atomic_write, describe_file

from ..threads import limit_blas_threads  # noqa: F401  (re-exported: the notebook and tools call lm.limit_blas_threads)
from .tokenizer import WordTokenizer

__all__ = [
    "MODELS_DIR",
    "BASE_MODEL_PATH",
    "encode_texts",
    "LMBatches",
    "lm_loss",
    "log_likelihood",
    "sample_copy",
    "save_model",
    "load_model",
    "sha256_of",
    "copy_model",
    "limit_blas_threads",
]

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
BASE_MODEL_PATH = MODELS_DIR / "base_gpt.npz"
IGNORE = -100


def encode_texts(texts, tokenizer: WordTokenizer, max_len: int | None = None) -> np.ndarray:
    """Token ids of ``<bos> line <eos>``, right-padded with ``<pad>`` into an (N, L) int64 array."""
    encoded = [tokenizer.encode(t) for t in texts]
    longest = max(len(e) for e in encoded)
    if max_len is not None and longest > max_len:
        raise ValueError(f"a line encodes to {longest} tokens, more than max_len={max_len}; "
                         f"shorten it or use a model with a larger block_size")
    out = np.full((len(encoded), max_len or longest), tokenizer.pad_id, dtype=np.int64)
    for row, ids in zip(out, encoded):
        row[: len(ids)] = ids
    return out


def _inputs_targets(ids: np.ndarray, pad_id: int):
    """Inputs are every token but the last, targets every token but the first (pads -> -100)."""
    lengths = (ids != pad_id).sum(axis=1)
    width = int(lengths.max())  # trim the columns that are padding in every row
    inputs = ids[:, : width - 1]
    targets = ids[:, 1:width].copy()
    targets[targets == pad_id] = IGNORE
    return inputs, targets


class LMBatches:
    """Mini-batches ``(inputs, targets)`` of an (N, L) id array, reshuffled every epoch.

    Each batch is trimmed to its longest line, so short copy costs less. ``seed`` fixes the
    sequence of epoch orders; ``len()`` is the number of batches (optimizer steps) per epoch.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, *, pad_id: int = 0, shuffle: bool = True,
                 seed: int | None = 0, device: str | None = None):
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"LMBatches needs an (N, L) integer array, got {ids.dtype} {ids.shape}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.ids, self.batch_size, self.pad_id = ids, int(batch_size), pad_id
        self.shuffle, self.device = shuffle, device or mg.get_default_device()  # the one device switch
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return -(-len(self.ids) // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(len(self.ids)) if self.shuffle else np.arange(len(self.ids))
        for start in range(0, len(order), self.batch_size):
            inputs, targets = _inputs_targets(self.ids[order[start:start + self.batch_size]], self.pad_id)
            yield mg.tensor(inputs, device=self.device), mg.tensor(targets, device=self.device)


def lm_loss(logits, targets):
    """Mean cross-entropy over the real (non-padding) next-token predictions."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


def log_likelihood(model: GPT, ids: np.ndarray, pad_id: int = 0, batch_size: int = 256,
                   reduce: str = "mean") -> np.ndarray:
    """Log-probability that ``model`` gives each line (``<eos>`` included): per token
    (``reduce="mean"``) or for the whole line (``"sum"``).

    Higher means the line looks more like what the model was trained on. Returns (N,) floats.
    """
    if reduce not in ("mean", "sum"):
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    device = model.wte.weight.device
    out = []
    was_training = model.training
    model.eval()
    try:
        with mg.no_grad():
            for start in range(0, len(ids), batch_size):
                inputs, targets = _inputs_targets(ids[start:start + batch_size], pad_id)
                logits = model(mg.tensor(inputs, device=device)).log_softmax(dim=-1)
                logp = mg.backend.to_numpy(logits.data).astype(np.float64)
                mask = targets != IGNORE
                picked = np.take_along_axis(logp, np.where(mask, targets, 0)[..., None], axis=-1)[..., 0]
                total = (picked * mask).sum(axis=1)
                out.append(total / mask.sum(axis=1) if reduce == "mean" else total)
    finally:
        model.train(was_training)
    return np.concatenate(out)


def sample_copy(model: GPT, tokenizer: WordTokenizer, n: int, *, temperature: float = 0.8,
                top_k: int | None = 20, seed: int = 0) -> list[str]:
    """``n`` lines of copy sampled from ``model``, each started from ``<bos>`` (seeded)."""
    mg.manual_seed(seed)
    start = np.full((n, 1), tokenizer.bos_id, dtype=np.int64)
    with mg.no_grad():  # sampling needs no graph
        out = model.generate(start, model.config.block_size - 1, temperature=temperature, top_k=top_k)
    return [tokenizer.decode(row) for row in mg.backend.to_numpy(out.data)]


def copy_model(model: GPT) -> GPT:
    """A new model with the same config and a copy of the weights (on the same device)."""
    twin = GPT(model.config)
    twin.to(model.wte.weight.device)
    twin.load_state_dict(model.state_dict())
    return twin


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def save_model(path, model: GPT, tokenizer: WordTokenizer, **meta_ints) -> Path:
    """Save weights, config and vocabulary to ``path`` (.npz), atomically and reproducibly."""
    path = Path(path)
    arrays = {f"param.{k}": v.astype(np.float32) for k, v in model.state_dict().items()}
    config = model.config.to_dict()
    arrays["config.names"] = np.array(list(config), dtype=np.str_)
    arrays["config.values"] = np.array([float(v) for v in config.values()], dtype=np.float64)
    arrays["vocab"] = tokenizer.to_array()
    for key, value in meta_ints.items():
        arrays[f"meta.{key}"] = np.asarray(value)
    with atomic_write(path) as file, zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):  # sorted, with a fixed date: the same model gives the same bytes
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arrays[name]), allow_pickle=False)
    return path


def load_model(path=BASE_MODEL_PATH, device: str | None = None) -> tuple[GPT, WordTokenizer]:
    """Load a model saved by :func:`save_model`; returns ``(model, tokenizer)``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python tools/casestudy/pretrain.py` to make it")
    what = describe_file(path)
    if what != ZIP_ARCHIVE:  # np.load's own errors would talk about pickles or context managers
        raise ValueError(f"{path} is not a model saved by save_model: it is {what}")
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in ("config.names", "config.values", "vocab") if key not in data.files]
        if missing:
            raise ValueError(f"{path} is not a model saved by save_model: it is an .npz without {missing} "
                             f"(it holds {sorted(data.files)[:6]})")
        names = [str(n) for n in data["config.names"]]
        values = data["config.values"]
        kwargs = {}
        for name, value in zip(names, values):
            kwargs[name] = bool(value) if name == "tie_weights" else (
                float(value) if name == "dropout" else int(value))
        model = GPT(GPTConfig(**kwargs))
        state = {k[len("param."):]: data[k] for k in data.files if k.startswith("param.")}
        model.load_state_dict(state)
        tokenizer = WordTokenizer([str(t) for t in data["vocab"]])
    if len(tokenizer) != model.config.vocab_size:
        raise ValueError(f"{path}: vocabulary of {len(tokenizer)} tokens but the model expects "
                         f"{model.config.vocab_size}")
    return model.to(device or mg.get_default_device()), tokenizer


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
