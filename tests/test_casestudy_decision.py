"""Fine-tune or classifier: the paired comparisons with Holm's adjustment, the learning curve's
crossing point, the cost of the two kinds of mistake, novelty of generated copy, and the record's
treatment of run A's chaotic numbers."""
import numpy as np
import pytest

from coursekit.alt_text import description
from coursekit.casestudy import decision, experiment
from coursekit.casestudy.evaluation import cost_per_line, holm, mcnemar_p


def right_on(indices, total=200):
    out = np.zeros(total, dtype=bool)
    out[list(indices)] = True
    return out


def test_paired_comparisons_take_their_words_from_the_holm_adjusted_p():
    correct = {"a": right_on(range(150)), "b": right_on(range(136)), "c": right_on(range(150))}
    # a vs b: 14 lines only a gets right, none only b: exact p = 2 / 2**14, tiny
    one = decision.paired_comparisons([("a", "b")], correct)[0]
    assert one["verdict"] == "beats" and one["p"] == pytest.approx(2 / 2 ** 14)
    assert one["p_holm"] == one["p"] and one["low"] > 0
    # a family of 20 comparisons: the same evidence, adjusted for 20, and the ties stay ties
    family = decision.paired_comparisons([("a", "b")] + [("a", "c")] * 19, correct)
    assert family[0]["p_holm"] == pytest.approx(20 * one["p"])
    assert [c["verdict"] for c in family[1:]] == ["about the same as"] * 19
    # a difference that clears 0.05 alone but not once 20 comparisons are counted
    correct["d"] = right_on(list(range(142)) + [190, 191])  # 8 lines only a, 2 only d: p = 0.11; with 10 vs 1:
    correct["e"] = right_on(list(range(140)) + [190])  # 10 only a, 1 only e: p = 0.0117
    alone = decision.paired_comparisons([("a", "e")], correct)[0]
    assert alone["verdict"] == "beats" and alone["p"] == pytest.approx(mcnemar_p(correct["a"], correct["e"]))
    crowd = decision.paired_comparisons([("a", "e")] + [("a", "c")] * 19, correct)
    assert crowd[0]["verdict"] == "about the same as" and crowd[0]["p_holm"] == pytest.approx(
        holm([alone["p"]] + [1.0] * 19)[0])
    assert "Holm-adjusted for 20 comparisons" in decision.comparison_table(crowd).data


def test_the_crossing_point_of_the_learning_curve():
    curve = {50: [0.60, 0.62], 100: [0.70, 0.72], 200: [0.80, 0.81]}
    assert decision.crossing_size(curve, 0.71) == 100
    assert decision.crossing_size(curve, 0.805) == 200
    assert decision.crossing_size(curve, 0.9) is None
    assert decision.crossing_size({"50": [0.7]}, 0.6) == 50  # sizes read back from JSON are strings


def test_the_learning_curve_figure_says_where_it_crosses():
    ax = decision.plot_learning_curve({50: [0.6, 0.64], 400: [0.8, 0.82]}, {"fine-tuned 0": 0.79, "fine-tuned 1": 0.8},
                                      2000)
    text = description(ax)
    assert "50 drafts 62%" in text and "400 drafts 81%" in text
    assert "first reaches the weakest fine-tuned seed at 400 drafts" in text
    assert ax.figure.get_size_inches()[0] <= 8.8


def _screeners():
    rng = np.random.default_rng(0)
    labels = rng.random(400) < 0.5
    noisy = labels + rng.normal(0, 0.6, 400)  # a score that sorts well
    rules = (labels ^ (rng.random(400) < 0.3)).astype(float)  # fixed yes/no answers, 70% right
    half = slice(0, 200), slice(200, 400)
    screeners = {"score": (noisy[half[0]], labels[half[0]], noisy[half[1]]),
                 "rules": (rules[half[0]], labels[half[0]], rules[half[1]])}
    return screeners, labels[half[1]]


def test_pricing_a_false_accept_moves_the_thresholds_and_the_costs():
    screeners, labels = _screeners()
    rows = {row[0]: [float(x) for x in row[1:]] for row in decision.cost_table(screeners, labels, (0.25, 1.0, 4.0))}
    fixed = screeners["rules"][2] > 0.5
    assert rows["rules"] == pytest.approx([100 * cost_per_line(fixed, labels, r, 1.0) for r in (0.25, 1.0, 4.0)],
                                          abs=0.051)  # the table rounds to 0.1
    predictions = {r: decision._fitted_predictions(screeners, r, 1.0)["score"] for r in (0.25, 4.0)}
    assert predictions[4.0].sum() < predictions[0.25].sum()  # a dear false accept: fewer lines let through


def test_the_mistakes_widget_redraws_and_says_the_cheapest():
    screeners, labels = _screeners()
    w = decision.mistakes_widget(screeners, labels)
    said = w.summary
    assert said.startswith("A false accept costs 1 times a false reject; cost of mistakes per 100 test lines")
    costs = w.state["costs"]
    assert min(costs, key=costs.get) == w.state["best"] and f"{w.state['best']} {costs[w.state['best']]:.1f}" in said
    w.set(ratio=8.0)
    assert w.state["ratio"] == 8.0 and w.summary != said and w.summary.startswith("A false accept costs 8 times")


def test_novelty_counts_repeats_and_long_copied_runs():
    archive = ["Salt on the cuffs. The rain shell keeps out drizzle. Alder & Tide."]
    lines = [archive[0], "Salt on the cuffs. The rain shell keeps out drizzle. Made for the long way round.",
             "Worn for years."]
    short = experiment.novelty(lines, archive, n=6)
    assert short["repeats"] == pytest.approx(1 / 3) and short["copied_ngram"] == pytest.approx(2 / 3)
    assert experiment.novelty(lines, archive, n=14)["copied_ngram"] == pytest.approx(1 / 3)  # only the repeat
    assert experiment.novelty([], archive)["lines"] == 0


def test_the_record_tells_run_a_chaos_from_a_real_difference(tmp_path):
    path = tmp_path / "record.json"
    summary = {"rows": {"fine-tuned 0": "1010", "misconfigured 0": "1100"}, "spike_a": [6.0], "kept": [5]}
    experiment.write_record(summary, path)
    assert experiment.record_status(summary, path).startswith("this run matches the record")
    chaotic = dict(summary, rows={"fine-tuned 0": "1010", "misconfigured 0": "0110"}, spike_a=[6.5])
    said = experiment.record_status(chaotic, path)
    assert "except run A's own numbers" in said and "differs" not in said
    real = dict(summary, rows={"fine-tuned 0": "1011", "misconfigured 0": "1100"})
    said = experiment.record_status(real, path)
    assert said.startswith("this run differs") and "rows/fine-tuned 0" in said


def test_the_seeds_mean_against_one_screener():
    rng = np.random.default_rng(1)
    b = rng.random(2000) < 0.76
    seeds = [b | (rng.random(2000) < 0.12) for _ in range(3)]  # each seed right wherever b is, and on more lines
    out = decision.seed_mean_comparison(seeds, b)
    assert out["diff"] == pytest.approx(np.mean([s.mean() for s in seeds]) - b.mean())
    assert out["low"] < out["diff"] < out["high"] and out["p"] < 1e-6 and out["seeds"] == 3
    same = decision.seed_mean_comparison([b, b, b], b)
    assert same["diff"] == 0 and same["p"] == 1.0
    with pytest.raises(ValueError, match="one row of per-line correctness per seed"):
        decision.seed_mean_comparison([b[:10]], b)


def test_the_threshold_curve_draws_the_classifiers_subsets():
    """At the full size the threshold is the one chosen on every rated draft; at smaller sizes the
    subsets are those learning_curve draws with the same seed (same sampler, same order)."""
    from coursekit.casestudy.classifier import _stratified_subset
    from coursekit.casestudy.evaluation import fit_screener

    rng = np.random.default_rng(2)
    labels = (rng.random(300) < 0.5).astype(int)
    val = labels + rng.normal(0, 0.7, 300)
    test_labels = rng.random(500) < 0.5
    test = test_labels + rng.normal(0, 0.7, 500)
    curve = decision.threshold_curve(val, labels, test, test_labels, sizes=(40, 300), draws=3, seed=0)
    full = fit_screener("x", val, labels, either_direction=True)
    assert curve[300] == [np.mean(full.predict(test) == test_labels)]
    draw = np.random.default_rng(0)
    first = _stratified_subset(labels, 40, draw)
    expected = fit_screener("x", val[first], labels[first], either_direction=True)
    assert curve[40][0] == np.mean(expected.predict(test) == test_labels) and len(curve[40]) == 3
