"""A small word-level tokenizer: words, numbers and punctuation marks are tokens.

Real language models use sub-word tokenizers (BPE); a word-level one keeps the case study's
sequences short (about 20 tokens a line) so a tiny model trains in seconds on a CPU, and
every token is a readable word. Case is kept: "HURRY" and "hurry" are different tokens,
which is part of what separates a shouting voice from a calm one.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

__all__ = ["WordTokenizer", "SPECIAL_TOKENS", "PAD", "BOS", "EOS", "UNK"]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)

# A word (letters/digits, with inner ' or -, as in "won't" and "3-layer") or one other mark.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_NO_SPACE_BEFORE = set(".,!?:;%)")


class WordTokenizer:
    """Maps text to token ids and back. ``vocab`` is a list of token strings (index = id)."""

    def __init__(self, vocab):
        vocab = [str(t) for t in vocab]
        if list(vocab[: len(SPECIAL_TOKENS)]) != list(SPECIAL_TOKENS):
            raise ValueError(f"vocab must start with the special tokens {SPECIAL_TOKENS}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocab has duplicate tokens")
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = range(4)

    @classmethod
    def build(cls, texts, min_count: int = 1) -> "WordTokenizer":
        """A vocabulary of every token seen at least ``min_count`` times, most frequent first."""
        counts = Counter(tok for text in texts for tok in cls.split(text))
        words = sorted((w for w, c in counts.items() if c >= min_count),
                       key=lambda w: (-counts[w], w))
        return cls(list(SPECIAL_TOKENS) + words)

    @staticmethod
    def split(text: str) -> list[str]:
        return _TOKEN.findall(text)

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, bos: bool = True, eos: bool = True) -> list[int]:
        ids = [self.index.get(tok, self.unk_id) for tok in self.split(text)]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids) -> str:
        """Token ids back to text; stops at the first <eos>, drops <bos> and <pad>."""
        out = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            tok = self.vocab[i] if 0 <= i < len(self.vocab) else UNK
            if out and tok not in _NO_SPACE_BEFORE:
                out.append(" ")
            out.append(tok)
        return "".join(out)

    def unknown_rate(self, texts) -> float:
        """Share of tokens in ``texts`` that are not in the vocabulary."""
        toks = [t for text in texts for t in self.split(text)]
        return sum(t not in self.index for t in toks) / max(len(toks), 1)

    def to_array(self) -> np.ndarray:
        """The vocabulary as a NumPy string array (saved inside the model's .npz, no pickle)."""
        return np.array(self.vocab, dtype=np.str_)
