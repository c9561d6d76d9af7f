"""The bag-of-n-grams logistic-regression baseline (coursekit.casestudy.classifier)."""
import json

import numpy as np
import pytest

from coursekit.casestudy import classifier as cl
from coursekit.casestudy.classifier import RatingsClassifier, learning_curve
from coursekit.casestudy.data import load_labelled

CHAR = dict(analyzer="char_wb", ngram_range=(3, 5))

# Two fits of the same drafts agree to this much in log-odds. Measured: 1e-11 or closer (rows or
# columns permuted, counts perturbed by 1e-12), which is the size of the differences another
# processor's rounding makes; 1e-6 leaves five orders of headroom and is still far below the
# smallest |log-odds| of any fresh-test draft (about 1e-4), so no prediction can flip.
AGREE = 1e-6


@pytest.fixture(scope="module")
def sets():
    return {name: load_labelled(name) for name in ("screening_val", "test", "fresh_test")}


@pytest.fixture(scope="module")
def word(sets):
    s = sets["screening_val"]
    return RatingsClassifier().fit(s.texts, s.labels)


@pytest.fixture(scope="module")
def char(sets):
    s = sets["screening_val"]
    return RatingsClassifier(**CHAR).fit(s.texts, s.labels)


def constant_accuracy(train_labels, test_labels):
    """The constant answer: every line gets the training drafts' majority label."""
    majority = int(np.mean(train_labels) > 0.5)
    return float(np.mean(np.asarray(test_labels) == majority))


def test_word_and_char_classifiers_beat_the_constant_answer_on_fresh_test(sets, word, char):
    s, fresh = sets["screening_val"], sets["fresh_test"]
    constant = constant_accuracy(s.labels, fresh.labels)  # 55.4%: "reject everything"
    assert constant == pytest.approx(0.5535)
    # Measured: word 76.4% (C = 0.1), characters 71.65% (C = 0.0316) on the 2,000 fresh drafts.
    # 2,000 lines give a standard error of about one point, so 70% / 66% sit five or more
    # errors below the measurement yet 15 / 10 points above the constant answer: the bounds
    # hold through small changes to the solver, and fail if the classifier learns nothing.
    assert word.accuracy(fresh.texts, fresh.labels) >= 0.70
    assert char.accuracy(fresh.texts, fresh.labels) >= 0.66
    assert word.accuracy(fresh.texts, fresh.labels) >= constant + 0.10
    # Its predictions are its log-odds cut at zero (probability one half), not a tuned threshold.
    np.testing.assert_array_equal(word.predict(fresh.texts), (word.probabilities(fresh.texts) > 0.5).astype(int))


def test_C_is_chosen_by_cross_validation_on_the_training_drafts(sets, word):
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    s = sets["screening_val"]
    assert word.C_ in word.Cs and word.folds_ == 5
    assert word.C_ == min(word.cv_log_loss_, key=word.cv_log_loss_.get)
    # The lowest log-loss is an interior minimum of the grid, not an edge of it.
    assert word.Cs[0] < word.C_ < word.Cs[-1]
    # An independent recomputation with the whole pipeline refitted inside each fold (the
    # vectoriser too) gives the same held-out log-loss: counting n-grams once on all the
    # training drafts leaks nothing from the held-out fold.
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    y = np.asarray(s.labels)
    for C in (word.C_, word.Cs[0]):
        pipeline = make_pipeline(word.make_vectorizer(), word.make_logistic(C))
        p = cross_val_predict(pipeline, s.texts, y, cv=folds, method="predict_proba")[:, 1]
        assert -np.mean(np.log(np.where(y == 1, p, 1 - p))) == pytest.approx(word.cv_log_loss_[C], abs=1e-9)


def test_the_test_labels_play_no_part_in_choosing_C(sets):
    s, fresh = sets["screening_val"], sets["fresh_test"]
    shuffled = np.random.default_rng(0).permutation(fresh.labels)
    kw = dict(sizes=(50, 100), draws=2, seed=3)
    honest = learning_curve(s.texts, s.labels, fresh.texts, fresh.labels, **kw)
    scrambled = learning_curve(s.texts, s.labels, fresh.texts, shuffled, **kw)
    assert honest.chosen_C == scrambled.chosen_C  # the same fits...
    assert honest.accuracies != scrambled.accuracies  # ...scored against different answers


def test_learning_curve_rises_from_50_to_840_drafts(sets):
    s, fresh = sets["screening_val"], sets["fresh_test"]
    curve = learning_curve(s.texts, s.labels, fresh.texts, fresh.labels, sizes=(50, 200, 840), draws=3)
    assert curve.sizes == [50, 200, 840]
    assert [len(a) for a in curve.accuracies] == [3, 3, 1]  # one subset only at the full size
    assert curve.folds == [[5] * 3, [5] * 3, [5]]  # 50 drafts still hold 24 of each class
    # Measured (draws = 3): 63.3% -> 71.0% -> 76.4%; the full set's one fit is the word classifier.
    assert curve.mean[0] < curve.mean[1] < curve.mean[2]
    assert curve.mean[2] - curve.mean[0] >= 0.05
    assert curve.high[0] < curve.low[2]  # every 50-draft fit falls below the 840-draft one
    record = json.loads(json.dumps(curve.to_dict()))  # plain ints, floats and lists
    assert record["mean"] == curve.mean and record["chosen_C"] == curve.chosen_C


def test_stratified_subsets_keep_the_label_share_and_never_repeat_a_draft():
    labels = np.array([1] * 406 + [0] * 434)  # the screening set's 48.3% approved
    idx = cl._stratified_subset(labels, 50, np.random.default_rng(0))
    assert len(idx) == len(set(idx.tolist())) == 50
    assert int(labels[idx].sum()) == 24  # 50 x 48.3% = 24.2


@pytest.mark.parametrize("kind", ["word", "char"])
def test_the_fit_is_the_optimum_whatever_the_rounding(sets, kind, word, char):
    """Processor independence: refitting the same drafts with the rows in another order, the
    columns in another order, or every count perturbed by 1e-12 (what other BLAS kernels and
    instruction sets amount to) gives the same log-odds to AGREE and the same predictions."""
    fitted = word if kind == "word" else char
    s, fresh = sets["screening_val"], sets["fresh_test"]
    rng = np.random.default_rng(1)
    y = np.asarray(s.labels)
    vectorizer = fitted.make_vectorizer()
    X = vectorizer.fit_transform(s.texts).astype(float)
    X_fresh = vectorizer.transform(fresh.texts).astype(float)

    def log_odds(X_train, y_train, X_test):
        return fitted.make_logistic(fitted.C_).fit(X_train, y_train).decision_function(X_test)

    base = log_odds(X, y, X_fresh)
    rows = rng.permutation(X.shape[0])
    cols = rng.permutation(X.shape[1])
    perturbed = X.copy()
    perturbed.data *= 1 + 1e-12 * rng.standard_normal(perturbed.data.size)
    others = [log_odds(X[rows], y[rows], X_fresh), log_odds(X[:, cols], y, X_fresh[:, cols]),
              log_odds(perturbed, y, X_fresh)]
    # The same through the public API: one C (the chosen one), the drafts in another order.
    again = RatingsClassifier(**(CHAR if kind == "char" else {}), Cs=[fitted.C_])
    again.fit([s.texts[i] for i in rows], y[rows])
    others.append(again.scores(fresh.texts))
    np.testing.assert_allclose(base, fitted.scores(fresh.texts), rtol=0, atol=AGREE)
    for other in others:
        np.testing.assert_allclose(other, base, rtol=0, atol=AGREE)
        np.testing.assert_array_equal(other > 0, base > 0)
    # No draft sits within AGREE of the cut, so any fit that agrees to AGREE predicts the same.
    assert np.abs(base).min() > AGREE


def test_bad_input_raises_value_errors_that_name_the_problem(sets):
    s = sets["screening_val"]
    with pytest.raises(ValueError, match="differ in length"):
        RatingsClassifier().fit(s.texts[:10], s.labels[:9])
    with pytest.raises(ValueError, match="one class only"):
        RatingsClassifier().fit(["a line.", "another line."], [1, 1])
    with pytest.raises(ValueError, match="empty"):
        RatingsClassifier().fit([], [])
    with pytest.raises(ValueError, match="not one string"):
        RatingsClassifier().fit("a line.", [1])
    with pytest.raises(ValueError, match="0 .* or 1"):
        RatingsClassifier().fit(["a.", "b."], [0, 2])
    with pytest.raises(ValueError, match="at least 2 drafts of each class"):
        RatingsClassifier().fit(["a.", "b.", "c."], [0, 1, 1])
    with pytest.raises(ValueError, match="analyzer"):
        RatingsClassifier(analyzer="sentence")
    with pytest.raises(ValueError, match="Cs"):
        RatingsClassifier(Cs=[0.1, -1.0])
    with pytest.raises(ValueError, match="sizes"):
        learning_curve(s.texts, s.labels, s.texts[:20], s.labels[:20], sizes=(50, 900))
    with pytest.raises(ValueError, match="test_texts and labels differ in length"):
        learning_curve(s.texts, s.labels, s.texts[:20], s.labels[:19], sizes=(50,))
    with pytest.raises(RuntimeError, match="fit first"):
        RatingsClassifier().predict(["a line."])


def test_held_out_scores_come_from_folds_that_did_not_see_the_draft():
    from coursekit.casestudy import data
    from coursekit.casestudy.classifier import RatingsClassifier

    screening = data.load_labelled("screening_val")
    texts, labels = screening.texts[:300], screening.labels[:300]
    clf = RatingsClassifier().fit(texts, labels)
    held, own = clf.held_out_scores_, clf.scores(texts)
    assert held.shape == (300,)
    # the final model has seen every draft: its own scores sort them better than the held-out ones
    right_own, right_held = np.mean((own > 0) == np.array(labels, bool)), np.mean((held > 0) == np.array(labels, bool))
    assert right_own > right_held
    assert np.corrcoef(held, own)[0, 1] > 0.8
