"""The data scientist's first try: logistic regression on bag-of-n-grams, trained on rated drafts.

The fine-tuned model learns the client's voice from 4,200 *approved* lines and needs a
threshold picked on the 840 rated drafts of the screening set. A plain classifier can skip the
language model altogether and learn approve / reject straight from those 840 rated drafts:
count each draft's n-grams (word 1- to 3-grams by default, or character 3- to 5-grams inside
words), and fit a logistic regression. That is the baseline the lesson must face.

* :class:`RatingsClassifier`: the classifier. Its regularisation strength C is chosen by
  stratified k-fold cross-validation on the training drafts alone, scored by log-loss.
* :func:`learning_curve`: how its test accuracy grows with the number of rated drafts.

Processor independence: every fit is solved to a tight tolerance (see :data:`TOL`), so the
fitted model is the optimum to many digits and does not depend on where a solver happened
to stop, which would otherwise shift with the rounding of each processor's kernels.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from .tokenizer import WordTokenizer

__all__ = ["RatingsClassifier", "learning_curve", "rating_subsets", "LearningCurve", "DEFAULT_CS", "TOL"]

# Eight Cs, half a decade apart, 0.001 to 3.16. Trained on the 840 screening drafts the word
# classifier picks C = 0.1 and the character one 0.0316; random subsets of 50 to 400 drafts
# pick 0.001 to 1 (mostly 0.01 to 0.3; 0.001 is "the counts tell me nothing": a near-constant
# model), so the grid brackets every choice seen. Past C = 1 the cross-validated log-loss
# climbs steeply (the model fits the raters' noise) and the solver needs the most steps, so the
# grid stops at 3.16. Eight values keep the learning curve plus both classifiers under 10 s.
DEFAULT_CS = tuple(float(10.0 ** (k / 2)) for k in range(-6, 2))

# liblinear's trust-region Newton solver (primal, L2 penalty) stops when the gradient's norm
# has fallen to TOL times its size at the start (or when a step changes the objective by under
# 1e-12 of itself). At the Cs the classifiers choose, decision values then move by 1e-11 or less
# when the same drafts are fitted with the rows or the columns in another order or with every
# count perturbed by 1e-12 (tests/test_casestudy_classifier.py), which is what other BLAS
# kernels or instruction sets amount to; no draft's log-odds lies that close to zero. (At the
# grid's largest C, 3.16, they move by up to 1e-5: the objective is flat there. That moves a
# cross-validated log-loss by 1e-5 at most, below the gap between the best C and the next best,
# 9e-5 or more in every fit of the learning curve and 4e-4 on the full 840.) Fits take 5 to
# 11 Newton steps; MAX_ITER is there only so a failure shows (a ConvergenceWarning is raised as
# an error below). liblinear was chosen over newton-cg and lbfgs (same tolerance) because on
# these drafts it is 2 to 3 times faster than newton-cg and about ten times faster than lbfgs,
# which struggles with the badly conditioned n-gram counts. Its one quirk: the intercept is
# penalised like a weight; the drafts are close to half approved, so the intercept stays near
# zero and the penalty barely touches it.
TOL = 1e-10
MAX_ITER = 10_000


def _check_texts(texts, name: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise ValueError(f"{name} must be a sequence of strings, not one string")
    texts = list(texts)
    if not texts:
        raise ValueError(f"{name} is empty")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{name} must all be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    return texts


def _check_labelled(texts, labels, name: str = "texts") -> tuple[list[str], np.ndarray]:
    texts = _check_texts(texts, name)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != len(texts):
        raise ValueError(f"{name} and labels differ in length: {len(texts)} texts, {labels.size} labels")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (off-brand) or 1 (on-brand)")
    labels = labels.astype(int)
    if labels.min() == labels.max():
        raise ValueError(f"labels hold one class only (all {labels[0]}): a classifier needs both")
    return texts, labels


class RatingsClassifier:
    """Bag of n-grams + logistic regression, with C chosen by cross-validation on the training drafts.

    ``analyzer="word"`` counts word n-grams (``ngram_range=(1, 3)``) tokenised the course's way
    (:meth:`WordTokenizer.split`); ``analyzer="char_wb", ngram_range=(3, 5)`` counts character
    n-grams inside words (padded with a space at each end). Case is kept in both.

    ``fit`` tries each C in ``Cs`` by stratified ``folds``-fold cross-validation (shuffled with
    ``seed``) on the drafts it is given, keeps the C with the lowest mean log-loss of the held-out
    drafts (a tie, which a continuous score all but rules out, goes to the smaller C: the
    simpler model), then refits on all of them. After ``fit``: ``C_``, ``cv_log_loss_`` (C ->
    log-loss), ``folds_`` (the folds used: fewer than ``folds`` when a class has fewer drafts
    than that), ``pipeline_`` (the fitted scikit-learn pipeline) and ``held_out_scores_`` (each
    draft's log-odds from the fold model that did not see it: where to choose a threshold, for a
    price of mistakes other than one to one, without the final model's flattering scores).

    ``predict`` says on-brand when the probability is above one half (log-odds above zero). No
    threshold is tuned: the classifier is trained on the screening set itself, so there is no
    separate set left to tune one on, and a probability model already has its natural cut.
    """

    def __init__(self, analyzer: str = "word", ngram_range=(1, 3), Cs=DEFAULT_CS, folds: int = 5,
                 seed: int = 0):
        if analyzer not in ("word", "char_wb", "char"):
            raise ValueError(f"analyzer must be 'word', 'char_wb' or 'char', got {analyzer!r}")
        lo, hi = ngram_range
        if not (int(lo) == lo and int(hi) == hi and 1 <= lo <= hi):
            raise ValueError(f"ngram_range must be (low, high) with 1 <= low <= high, got {ngram_range!r}")
        Cs = tuple(float(c) for c in Cs)
        if not Cs or not all(math.isfinite(c) and c > 0 for c in Cs):
            raise ValueError(f"Cs must be one or more positive numbers, got {Cs!r}")
        if int(folds) != folds or folds < 2:
            raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
        self.analyzer, self.ngram_range = analyzer, (int(lo), int(hi))
        self.Cs, self.folds, self.seed = tuple(sorted(Cs)), int(folds), int(seed)
        self.pipeline_ = None

    # -- the two parts of the pipeline ---------------------------------------------------

    def make_vectorizer(self):
        from sklearn.feature_extraction.text import CountVectorizer

        if self.analyzer == "word":
            # The course's tokeniser, not scikit-learn's default pattern (r"(?u)\b\w\w+\b"),
            # which drops one-character tokens and every punctuation mark. Here "." (the
            # voice's short declarative sentences), "!" and "?" (slips the guide forbids), "&"
            # (the sign-off "Alder & Tide") and "%" are tokens, and n-grams such as ". Alder &"
            # (a sign-off after a sentence) carry the client's habits. Same tokens as the
            # language model and the n-gram screener, so the comparison is like for like.
            return CountVectorizer(tokenizer=WordTokenizer.split, token_pattern=None, lowercase=False,
                                   ngram_range=self.ngram_range)
        return CountVectorizer(analyzer=self.analyzer, lowercase=False, ngram_range=self.ngram_range)

    @staticmethod
    def make_logistic(C: float):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=float(C), solver="liblinear", tol=TOL, max_iter=MAX_ITER)

    # -- fitting -------------------------------------------------------------------------

    def fit(self, texts, labels) -> "RatingsClassifier":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import Pipeline

        texts, y = _check_labelled(texts, labels)
        smallest = int(min(np.sum(y == 0), np.sum(y == 1)))
        self.folds_ = min(self.folds, smallest)
        if self.folds_ < 2:
            raise ValueError(f"cross-validation needs at least 2 drafts of each class, got {smallest} of one")

        # The counts are computed once on all training drafts and sliced per fold. For plain
        # counts this gives the same held-out predictions as refitting the vectoriser inside
        # each fold: an n-gram seen only in the held-out fold is an all-zero column in the
        # fold's training rows, and an L2-penalised weight on an all-zero column is exactly 0.
        vectorizer = self.make_vectorizer()
        X = vectorizer.fit_transform(texts)
        splits = list(StratifiedKFold(self.folds_, shuffle=True, random_state=self.seed).split(X, y))
        held_out_loss = np.zeros(len(self.Cs))
        held_out_scores = np.zeros((len(self.Cs), len(y)))
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # never keep a half-solved fit
            for train, held in splits:
                for i, C in enumerate(self.Cs):
                    model = self.make_logistic(C).fit(X[train], y[train])
                    held_out_scores[i, held] = model.decision_function(X[held])
                    held_out_loss[i] += _log_loss_sum(held_out_scores[i, held], y[held])
            losses = held_out_loss / len(y)  # the mean log-loss of every draft when held out
            best = int(np.argmin(losses))  # first minimum: a tie goes to the smaller C
            self.C_ = self.Cs[best]
            self.cv_log_loss_ = {C: float(loss) for C, loss in zip(self.Cs, losses)}
            # each training draft's log-odds from the fold that did not see it, at the chosen C: what
            # to set a threshold on, since the final model's scores on its own drafts flatter it
            self.held_out_scores_ = held_out_scores[best].copy()
            self.pipeline_ = Pipeline([("ngrams", vectorizer), ("logistic", self.make_logistic(self.C_).fit(X, y))])
        return self

    # -- using it ------------------------------------------------------------------------

    def _fitted(self):
        if self.pipeline_ is None:
            raise RuntimeError("call fit first")
        return self.pipeline_

    def scores(self, texts) -> np.ndarray:
        """Log-odds that each line is on-brand."""
        return self._fitted().decision_function(_check_texts(texts)).astype(float)

    def probabilities(self, texts) -> np.ndarray:
        """Probability that each line is on-brand."""
        return 1.0 / (1.0 + np.exp(-self.scores(texts)))

    def predict(self, texts) -> np.ndarray:
        """1 (on-brand) where the probability is above one half, else 0."""
        return (self.scores(texts) > 0).astype(int)

    def accuracy(self, texts, labels) -> float:
        texts, y = _check_texts(texts), np.asarray(labels).astype(int)
        if y.shape != (len(texts),):
            raise ValueError(f"texts and labels differ in length: {len(texts)} texts, {y.size} labels")
        return float(np.mean(self.predict(texts) == y))

    def __repr__(self):
        fitted = f", C_={self.C_:.3g}" if self.pipeline_ is not None else ""
        return f"RatingsClassifier(analyzer={self.analyzer!r}, ngram_range={self.ngram_range}{fitted})"


def _log_loss_sum(log_odds, y) -> float:
    """Sum of -log p(label) from log-odds, computed stably (no probability rounded to 0 or 1)."""
    signed = np.where(np.asarray(y) == 1, log_odds, -np.asarray(log_odds))
    return float(np.sum(np.logaddexp(0.0, -signed)))


# ----------------------------------------------------------------------------------------
# Learning curve: accuracy against the number of rated drafts.
# ----------------------------------------------------------------------------------------


@dataclass
class LearningCurve:
    """Test accuracy against training size; plain ints, floats and lists (``asdict`` -> JSON).

    ``accuracies[k]`` and ``chosen_C[k]`` hold one entry per draw at ``sizes[k]`` (one alone
    at the full size, where only one subset exists); ``mean``, ``low`` and ``high`` summarise
    them."""

    sizes: list
    accuracies: list
    chosen_C: list
    folds: list
    seed: int
    mean: list = field(default_factory=list)
    low: list = field(default_factory=list)
    high: list = field(default_factory=list)

    def __post_init__(self):
        self.mean = [float(np.mean(a)) for a in self.accuracies]
        self.low = [float(min(a)) for a in self.accuracies]
        self.high = [float(max(a)) for a in self.accuracies]

    def to_dict(self) -> dict:
        return asdict(self)


def _stratified_subset(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` indices drawn without replacement, each class in proportion to its share
    (largest remainders), returned in their original order."""
    classes = (0, 1)
    counts = np.array([np.sum(labels == c) for c in classes])
    exact = size * counts / counts.sum()
    take = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - take), kind="stable")[: size - take.sum()]:
        take[i] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def rating_subsets(labels, sizes, draws: int, seed: int = 0):
    """``(size, [index arrays])`` for each size: ``draws`` random stratified subsets of the rated
    drafts (only one, all of them, at the full size), from one generator seeded with ``seed``.
    The learning curve and the fine-tuned screener's threshold curve draw the same subsets here."""
    y = np.asarray(labels).astype(int)
    rng = np.random.default_rng(seed)
    for size in (int(s) for s in sizes):
        yield size, ([np.arange(len(y))] if size == len(y) else
                     [_stratified_subset(y, size, rng) for _ in range(int(draws))])


def learning_curve(texts, labels, test_texts, test_labels, sizes=(50, 100, 200, 400, 840), draws: int = 5,
                   seed: int = 0, **classifier_kwargs) -> LearningCurve:
    """For each size, ``draws`` random stratified subsets of the training drafts (without
    replacement; only one at the full size), a :class:`RatingsClassifier` fitted on each (C by
    cross-validation inside that subset) and its accuracy on the test drafts.

    The test labels are used only to score the fitted classifiers, never to fit or choose
    anything. ``classifier_kwargs`` go to :class:`RatingsClassifier` (e.g. ``analyzer``, ``Cs``).
    """
    texts, y = _check_labelled(texts, labels)
    test_texts, test_y = _check_labelled(test_texts, test_labels, "test_texts")
    sizes = [int(s) for s in sizes]
    if not sizes or any(s < 4 or s > len(texts) for s in sizes):
        raise ValueError(f"sizes must be between 4 and the number of training drafts ({len(texts)}), got {sizes}")
    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    accuracies, chosen, folds = [], [], []
    for size, subsets in rating_subsets(y, sizes, draws, seed):
        accs, Cs, ks = [], [], []
        for idx in subsets:
            clf = RatingsClassifier(seed=seed, **classifier_kwargs).fit([texts[i] for i in idx], y[idx])
            accs.append(clf.accuracy(test_texts, test_y))
            Cs.append(float(clf.C_))
            ks.append(int(clf.folds_))
        accuracies.append(accs)
        chosen.append(Cs)
        folds.append(ks)
    return LearningCurve(sizes=sizes, accuracies=accuracies, chosen_C=chosen, folds=folds, seed=int(seed))
