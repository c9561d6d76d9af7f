"""The brand-voice pre-screener and its measurement.

A language model becomes a pre-screener by scoring each line of copy and calling the lines on
one side of a threshold on-brand. Its candidate scores (``experiment.model_screener``): its own
mean log-probability per token, and how much more likely it finds a line than the base model
does; the score, the threshold and the side are chosen on the screening set (840 rated drafts)
alone, and accuracy is measured once on the test sets (2,000 fresh lines; the brief's 100).

Model-free screeners set the bar a model must clear: :class:`NgramScreener` (the share of a
line's n-grams found anywhere in the client's archive: memory without a model) and
:func:`constant_screener` (everything gets the screening set's majority label); the classifier
trained on the ratings is in :mod:`~coursekit.casestudy.classifier`.

:func:`wilson_interval` is the 95% interval of one accuracy (about nine points either way on
100 lines, two on 2,000). Two screeners scored on the same lines are compared on the lines where
exactly one of them is right: :func:`mcnemar_p` (the exact McNemar test) says whether the
difference is beyond chance, :func:`paired_difference` (Newcombe's method 10) gives its 95%
interval, and :func:`holm` adjusts a family of p-values for the number of comparisons made.
:func:`compare` turns them into the words the prose may use. Threshold-free and cost-aware
measures: :func:`auc`, :func:`cost_per_line`.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .tokenizer import WordTokenizer

__all__ = ["choose_threshold", "accuracy", "per_kind_accuracy", "Screener", "fit_screener",
           "best_on_validation", "wilson_interval", "paired_difference", "mcnemar_p", "holm", "compare",
           "auc", "cost_per_line", "NgramScreener", "constant_screener", "Z95"]

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: two-sided 95%


def _scores_and_labels(scores, labels):
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    if scores.shape != labels.shape or scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores and labels must be 1-D and the same length, got {scores.shape} and {labels.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    return scores, labels


def choose_threshold(scores, labels, false_accept_cost: float = 1.0, false_reject_cost: float = 1.0) -> float:
    """The threshold (predict on-brand when score > threshold) with the lowest cost on
    (``scores``, ``labels``), by default the best accuracy (both errors cost 1); among equally
    good thresholds, the middle one."""
    scores, labels = _scores_and_labels(scores, labels)
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]])
    cost = np.array([cost_per_line(scores > t, labels, false_accept_cost, false_reject_cost) for t in candidates])
    best = np.flatnonzero(cost == cost.min())
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
    """A score with a threshold: ``predict(scores) = scores > threshold``, or, for a screener
    whose low scores mean on-brand (``below=True``), ``scores < threshold``."""

    def __init__(self, name: str, threshold: float, val_accuracy: float, below: bool = False):
        self.name, self.threshold, self.val_accuracy, self.below = name, threshold, val_accuracy, below

    def predict(self, scores) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        return ((scores < self.threshold) if self.below else (scores > self.threshold)).astype(int)

    @property
    def rule(self) -> str:
        """How it decides, in words: '> 0.123' or '< 0.123'."""
        return f"{'<' if self.below else '>'} {self.threshold:.3f}"

    def __repr__(self):
        return (f"Screener({self.name!r}, on-brand when score {self.rule}, "
                f"validation accuracy {self.val_accuracy:.0%})")


def fit_screener(name: str, val_scores, val_labels, either_direction: bool = False) -> Screener:
    """Choose the threshold on validation scores; report the validation accuracy it reaches.

    With ``either_direction`` the screener may also call the *low* scores on-brand, whichever
    is more accurate on the validation scores (a tie keeps high = on-brand)."""
    scores = np.asarray(val_scores, dtype=float)
    threshold = choose_threshold(scores, val_labels)
    screener = Screener(name, threshold, accuracy(scores > threshold, val_labels))
    if either_direction:
        flipped = -choose_threshold(-scores, val_labels)
        below = Screener(name, flipped, accuracy(scores < flipped, val_labels), below=True)
        if below.val_accuracy > screener.val_accuracy:
            return below
    return screener


def best_on_validation(candidates: dict, val_labels, either_direction: bool = False):
    """Fit a screener for every candidate score and pick one by validation accuracy alone.

    ``candidates``: name -> (validation scores, test scores). Returns ``(fitted, chosen)``:
    ``fitted`` maps name -> (screener, test scores) for all candidates; ``chosen`` is the name
    with the best validation accuracy (the first one listed on a tie). The test set plays no
    part in the choice.
    """
    if not candidates:
        raise ValueError("best_on_validation needs at least one candidate score")
    fitted = {name: (fit_screener(name, val, val_labels, either_direction), test)
              for name, (val, test) in candidates.items()}
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


def _paired_counts(correct_a, correct_b):
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need two equal-length 1-D arrays, got {a.shape} and {b.shape}")
    return int(np.sum(a & b)), int(np.sum(a & ~b)), int(np.sum(~a & b)), int(np.sum(~a & ~b))


def mcnemar_p(correct_a, correct_b) -> float:
    """The exact McNemar test: two-sided p-value that A and B are equally accurate, from the
    lines where exactly one of them is right (under "equally accurate", each such line is a fair
    coin toss). 1.0 when they never disagree."""
    _, only_a, only_b, _ = _paired_counts(correct_a, correct_b)
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1))  # exact integers: no underflow at n = 2,000
    return min(1.0, 2 * tail / 2 ** n)


def paired_difference(correct_a, correct_b, z: float = Z95) -> tuple[float, float, float]:
    """Accuracy of A minus accuracy of B on the same lines, with a 95% interval: (diff, low, high).

    Newcombe's method 10 (Newcombe 1998, "Improved confidence intervals for the difference
    between binomial proportions based on paired data"): each accuracy's Wilson interval,
    combined with the correlation between the two screeners' right and wrong answers. Pairing
    matters: two screeners that are right on mostly the same lines are compared far more
    sharply than their separate intervals suggest.
    """
    both, only_a, only_b, neither = _paired_counts(correct_a, correct_b)
    n = both + only_a + only_b + neither
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    diff = p1 - p2
    if only_a + only_b == 0:
        return diff, 0.0, 0.0
    l1, u1 = wilson_interval(both + only_a, n, z)
    l2, u2 = wilson_interval(both + only_b, n, z)
    margins = (both + only_a) * (neither + only_b) * (both + only_b) * (neither + only_a)
    phi = (both * neither - only_a * only_b) / math.sqrt(margins) if margins > 0 else 0.0
    below = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    above = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return diff, max(-1.0, diff - below), min(1.0, diff + above)


def holm(p_values) -> list[float]:
    """Holm's step-down adjustment of a family of p-values: compare each adjusted value with
    0.05 and the chance of calling *any* true tie a difference stays at most 5%, however many
    comparisons the family holds."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return [float(x) for x in adjusted]


def compare(correct_a, correct_b, p_value: float | None = None, alpha: float = 0.05) -> str:
    """'beats' when A is more accurate and the exact McNemar test's p-value (or the given,
    e.g. Holm-adjusted, ``p_value``) is below ``alpha``, 'falls behind' when less accurate,
    else 'about the same as': the only three things the prose may say about two screeners."""
    p = mcnemar_p(correct_a, correct_b) if p_value is None else p_value
    diff, _, _ = paired_difference(correct_a, correct_b)
    if p < alpha and diff > 0:
        return "beats"
    if p < alpha and diff < 0:
        return "falls behind"
    return "about the same as"


def auc(scores, labels) -> float:
    """Area under the ROC curve: the chance that a random approved line scores above a random
    rejected one (ties count half). Threshold-free: how well a score sorts, before anyone picks
    where to cut."""
    scores, labels = _scores_and_labels(scores, labels)
    if labels.all() or not labels.any():
        raise ValueError("auc needs both approved and rejected lines")
    from scipy.stats import rankdata  # scikit-learn's own dependency

    ranks = rankdata(scores)  # ties share their average rank
    pos, neg = int(labels.sum()), int((~labels).sum())
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def cost_per_line(predictions, labels, false_accept_cost: float = 1.0, false_reject_cost: float = 1.0) -> float:
    """Mean cost of a screener's mistakes per line: an off-brand line let through (false accept:
    it reaches the client) costs ``false_accept_cost``, an on-brand line sent back (false
    reject: a writer redoes good work) ``false_reject_cost``. With both at 1 it is the error rate."""
    predictions, labels = np.asarray(predictions).astype(bool), np.asarray(labels).astype(bool)
    if predictions.shape != labels.shape:
        raise ValueError(f"predictions {predictions.shape} and labels {labels.shape} differ in shape")
    for name, value in (("false_accept_cost", false_accept_cost), ("false_reject_cost", false_reject_cost)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    accepts, rejects = np.sum(predictions & ~labels), np.sum(~predictions & labels)
    return float((false_accept_cost * accepts + false_reject_cost * rejects) / labels.size)


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
