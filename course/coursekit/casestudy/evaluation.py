"""The brand-voice pre-screener and its measurement.

A language model becomes a pre-screener by scoring each line of copy and passing those above
a threshold. Scores:

* the **fine-tuned model**: how much more likely it finds a line than the base model does
  (mean log-probability per token under the fine-tuned model minus under the base model), so
  lines that are merely fluent marketing copy do not pass for the client's voice;
* the **base model** (before fine-tuning): its own mean log-probability per token; it only
  knows generic marketing copy, which is the best it can do.

Each threshold is chosen on the validation lines (420 approved, 420 off-brand), never on the
test set; accuracy is then measured once on the 100 test lines.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["choose_threshold", "accuracy", "per_kind_accuracy", "Screener", "fit_screener",
           "best_on_validation"]


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


def per_kind_accuracy(predictions, labels, kinds) -> "OrderedDict[str, tuple[int, int]]":
    """For each kind of line: (correct, total)."""
    out: OrderedDict = OrderedDict()
    for kind in ("approved", "generic_calm", "slip", "other_voice"):
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
