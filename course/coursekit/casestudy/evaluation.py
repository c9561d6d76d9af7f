"""The brand-voice pre-screener and its measurement.

A language model becomes a pre-screener by scoring each line of copy and passing those above
a threshold. Scores:

* the **fine-tuned model**: how much more likely it finds a line than the base model does
  (mean log-probability per token under the fine-tuned model minus under the base model), so
  lines that are merely fluent marketing copy do not pass for the client's voice;
* the **base model** (before fine-tuning): its own mean log-probability per token; it only
  knows generic marketing copy, which is the best it can do.

Each threshold is chosen on the screening set (840 rated drafts), never on the test set;
accuracy is then measured once on the 100 test lines.

Two model-free screeners set the bar a model must clear: :class:`NgramScreener` (the share of
a line's n-grams found anywhere in the client's archive: memory without a model) and
:func:`constant_screener` (everything gets the screening set's majority label).

100 test lines give each accuracy a margin of error of about nine points either way:
:func:`wilson_interval` is the 95% interval of one accuracy, and :func:`paired_difference`
the 95% interval of the difference between two screeners scored on the same lines, which is
what decides whether "A beats B" (:func:`compare`).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .tokenizer import WordTokenizer

__all__ = ["choose_threshold", "accuracy", "per_kind_accuracy", "Screener", "fit_screener",
           "best_on_validation", "wilson_interval", "paired_difference", "compare", "NgramScreener",
           "constant_screener", "Z95"]

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: two-sided 95%


def choose_threshold(scores, labels) -> float:
    """The threshold (predict on-brand when score > threshold) with the best accuracy on
    (``scores``, ``labels``); among equally good thresholds, the middle one."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    if scores.shape != labels.shape or scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores and labels must be 1-D and the same length, got {scores.shape} and {labels.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]])
    acc = np.array([np.mean((scores > t) == labels) for t in candidates])
    best = np.flatnonzero(acc == acc.max())
    return float(candidates[best[len(best) // 2]])


def accuracy(predictions, labels) -> float:
    predictions, labels = np.asarray(predictions).astype(bool), np.asarray(labels).astype(bool)
    if predictions.shape != labels.shape:
        raise ValueError(f"predictions {predictions.shape} and labels {labels.shape} differ in shape")
    return float(np.mean(predictions == labels))


def per_kind_accuracy(predictions, labels, kinds,
                      order=("house", "freelance", "recycled")) -> "OrderedDict[str, tuple[int, int]]":
    """For each kind of line (by default, who wrote it): (correct, total)."""
    out: OrderedDict = OrderedDict()
    for kind in order:
        mask = np.asarray(kinds) == kind
        if mask.any():
            correct = np.asarray(predictions).astype(bool)[mask] == np.asarray(labels).astype(bool)[mask]
            out[kind] = (int(correct.sum()), int(mask.sum()))
    return out


class Screener:
    """A score with a threshold: ``predict(scores) = scores > threshold``."""

    def __init__(self, name: str, threshold: float, val_accuracy: float):
        self.name, self.threshold, self.val_accuracy = name, threshold, val_accuracy

    def predict(self, scores) -> np.ndarray:
        return (np.asarray(scores, dtype=float) > self.threshold).astype(int)

    def __repr__(self):
        return (f"Screener({self.name!r}, threshold {self.threshold:.3f}, "
                f"validation accuracy {self.val_accuracy:.0%})")


def fit_screener(name: str, val_scores, val_labels) -> Screener:
    """Choose the threshold on validation scores; report the validation accuracy it reaches."""
    threshold = choose_threshold(val_scores, val_labels)
    val_acc = accuracy(np.asarray(val_scores) > threshold, val_labels)
    return Screener(name, threshold, val_acc)


def best_on_validation(candidates: dict, val_labels):
    """Fit a screener for every candidate score and pick one by validation accuracy alone.

    ``candidates``: name -> (validation scores, test scores). Returns ``(fitted, chosen)``:
    ``fitted`` maps name -> (screener, test scores) for all candidates; ``chosen`` is the name
    with the best validation accuracy (the first one listed on a tie). The test set plays no
    part in the choice.
    """
    if not candidates:
        raise ValueError("best_on_validation needs at least one candidate score")
    fitted = {name: (fit_screener(name, val, val_labels), test) for name, (val, test) in candidates.items()}
    chosen = max(fitted, key=lambda name: (fitted[name][0].val_accuracy, -list(fitted).index(name)))
    return fitted, chosen


# ----------------------------------------------------------------------------------------
# Uncertainty: 100 test lines are a small sample.
# ----------------------------------------------------------------------------------------


def wilson_interval(correct: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion ``correct / total``.

    Unlike the textbook "p +- 1.96 sqrt(p(1-p)/n)" it stays inside [0, 1] and behaves at 0%
    and 100%. At n = 100 and 85% it is about 77-91%.
    """
    if total < 1 or not 0 <= correct <= total:
        raise ValueError(f"need 0 <= correct <= total and total >= 1, got {correct} of {total}")
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == total else min(1.0, centre + half)
    return low, high


def paired_difference(correct_a, correct_b, z: float = Z95) -> tuple[float, float, float]:
    """Accuracy of A minus accuracy of B on the same lines, with a 95% interval: (diff, low, high).

    Only the lines where exactly one of the two is right carry information (McNemar's idea):
    if A alone is right on ``b`` of them and B alone on ``c``, the difference is (b - c) / n,
    and its interval comes from the Wilson interval of A's share b / (b + c) of those lines.
    Comparing two screeners on the same lines this way is much sharper than asking whether
    their separate intervals overlap.
    """
    a, b_ = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b_.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need two equal-length 1-D arrays, got {a.shape} and {b_.shape}")
    n = a.size
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    discordant = only_a + only_b
    diff = (only_a - only_b) / n
    if discordant == 0:
        return diff, 0.0, 0.0
    low, high = wilson_interval(only_a, discordant, z)
    return diff, (2 * low - 1) * discordant / n, (2 * high - 1) * discordant / n


def compare(correct_a, correct_b) -> str:
    """'beats' when the 95% interval of A - B lies above zero, 'falls behind' when below,
    else 'about the same as': the only three things the prose may say about two screeners."""
    _, low, high = paired_difference(correct_a, correct_b)
    if low > 0:
        return "beats"
    if high < 0:
        return "falls behind"
    return "about the same as"


# ----------------------------------------------------------------------------------------
# Model-free screeners: the bar a model has to clear.
# ----------------------------------------------------------------------------------------


def _ngrams(text: str, n: int) -> list[tuple]:
    tokens = ["<s>"] + WordTokenizer.split(text) + ["</s>"]  # line boundaries count, as for a model
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


class NgramScreener:
    """Memory without a model: a line's score is the share of its n-grams (n words and marks in
    a row, line start and end included) that occur anywhere in the client's archive.

    ``fit`` tries n = 1, 2 and 3 and keeps the n and the threshold with the best accuracy on
    the screening set (never the test set).
    """

    def __init__(self, archive, ns=(1, 2, 3)):
        self.ns = tuple(ns)
        self.known = {n: {g for line in archive for g in _ngrams(line, n)} for n in self.ns}
        self.n = None
        self.screener = None
        self.val_accuracies = {}

    def scores(self, texts, n: int | None = None) -> np.ndarray:
        n = self.n if n is None else n
        known = self.known[n]
        return np.array([np.mean([g in known for g in _ngrams(t, n)]) for t in texts])

    def fit(self, texts, labels) -> "NgramScreener":
        fitted = {n: fit_screener(f"{n}-gram overlap", self.scores(texts, n), labels) for n in self.ns}
        self.val_accuracies = {n: s.val_accuracy for n, s in fitted.items()}
        self.n = max(self.ns, key=lambda n: (fitted[n].val_accuracy, -n))  # a tie goes to the smaller n
        self.screener = fitted[self.n]
        return self

    def predict(self, texts) -> np.ndarray:
        if self.screener is None:
            raise RuntimeError("call fit(texts, labels) on the screening set first")
        return self.screener.predict(self.scores(texts))


def constant_screener(val_labels):
    """The dumbest baseline: every line gets the screening set's majority label."""
    label = int(np.mean(val_labels) > 0.5)
    return lambda texts: np.full(len(texts), label, dtype=int)
