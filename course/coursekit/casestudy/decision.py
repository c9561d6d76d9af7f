"""Fine-tune or classifier? The case study's comparisons, learning curve and cost of mistakes.

* :func:`paired_comparisons` compares pairs of screeners scored on the same lines: the paired
  difference with Newcombe's 95% interval, the exact McNemar p-value, and that p-value adjusted
  by Holm's method for the whole family of comparisons printed, which is what decides the word
  ("beats", "falls behind", "about the same as");
* :func:`comparison_table` prints them;
* :func:`seed_mean_comparison` is the one comparison decided before the rest: the fine-tuned
  seeds' mean accuracy against another screener's, paired line by line;
* :func:`threshold_curve` measures the fine-tuned screener with its threshold (and direction)
  chosen on fewer rated drafts: the fine-tune learns the voice from the approved archive, but
  needs ratings to know where to cut;
* :func:`plot_learning_curve` draws a classifier's accuracy against the number of rated drafts
  it learnt from, beside the fine-tuned screener's with its threshold set on as many;
* :func:`mistakes_widget` prices the two kinds of mistake, and re-chooses every threshold on
  the screening set for that price.
"""

from __future__ import annotations

import numpy as np

from ..alt_text import describe, number
from ..style import COLORS, ROLE_COLORS, label_axes
from .evaluation import (Z95, accuracy, choose_threshold, compare, cost_per_line, fit_screener, holm, mcnemar_p,
                         paired_difference)

__all__ = ["paired_comparisons", "comparison_table", "seed_mean_comparison", "threshold_curve",
           "plot_learning_curve", "crossing_size", "mistakes_widget", "cost_table"]


def paired_comparisons(pairs, correct: dict) -> list[dict]:
    """Each ``(a, b)`` of ``pairs`` compared on the same lines (``correct``: name -> per-line
    right/wrong): dicts with ``a``, ``b``, ``diff``, ``low``, ``high`` (Newcombe's 95% interval),
    ``p`` (exact McNemar), ``p_holm`` (Holm-adjusted over all ``pairs``) and ``verdict``, decided
    by ``p_holm`` below 0.05."""
    out = []
    for a, b in pairs:
        diff, low, high = paired_difference(correct[a], correct[b])
        out.append(dict(a=a, b=b, diff=diff, low=low, high=high, p=mcnemar_p(correct[a], correct[b])))
    for item, adjusted in zip(out, holm([c["p"] for c in out])):
        item["p_holm"] = adjusted
        item["verdict"] = compare(correct[item["a"]], correct[item["b"]], p_value=adjusted)
    return out


def seed_mean_comparison(correct_seeds, correct_b) -> dict:
    """The seeds' mean accuracy minus B's, paired line by line: ``diff``, a 95% interval and a
    two-sided p-value from the per-line differences (each line: the share of seeds right minus
    whether B is right; 2,000 lines make their mean close to normal). One test for "the recipe"
    instead of one per seed."""
    seeds = np.asarray(correct_seeds, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if seeds.ndim != 2 or seeds.shape[1] != b.shape[0]:
        raise ValueError(f"need one row of per-line correctness per seed, as long as B's, "
                         f"got {seeds.shape} and {b.shape}")
    d = seeds.mean(axis=0) - b
    diff, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))
    from scipy.stats import norm

    p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return dict(diff=diff, low=diff - Z95 * se, high=diff + Z95 * se, p=p, lines=int(d.size), seeds=len(seeds))


def threshold_curve(val_scores, val_labels, test_scores, test_labels, sizes=(50, 100, 200, 400, 840), draws: int = 5,
                    seed: int = 0) -> dict:
    """A model's screener with its threshold and direction chosen on ``draws`` random stratified
    subsets of the rated drafts at each size (:func:`~coursekit.casestudy.classifier.rating_subsets`,
    the same subsets the classifier's learning curve draws with this ``seed``): size -> test
    accuracies."""
    from .classifier import rating_subsets

    val_scores, test_scores = np.asarray(val_scores, dtype=float), np.asarray(test_scores, dtype=float)
    y = np.asarray(val_labels).astype(int)
    out = {}
    for size, subsets in rating_subsets(y, sizes, draws, seed):
        out[size] = [accuracy(fit_screener("model", val_scores[i], y[i], either_direction=True).predict(test_scores),
                              test_labels) for i in subsets]
    return out


def _p(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def comparison_table(comparisons):
    """The comparisons as a Markdown table: the sentence, the difference, its interval, both p-values."""
    from .report import markdown_table

    rows = [[f"{c['a']} {c['verdict']} {c['b']}", f"{100 * c['diff']:+.1f}",
             f"{100 * c['low']:+.1f} to {100 * c['high']:+.1f}", _p(c["p"]), _p(c["p_holm"])] for c in comparisons]
    return markdown_table(["comparison (words from the Holm-adjusted p)", "difference (points)",
                           "95% interval (Newcombe)", "p (exact McNemar)",
                           f"p, Holm-adjusted for {len(rows)} comparisons"], rows)


def crossing_size(curve: dict, target: float) -> int | None:
    """The smallest number of rated drafts at which the curve's mean accuracy reaches ``target``
    (None if it never does). ``curve``: size -> list of accuracies."""
    for size in sorted(curve, key=int):
        if float(np.mean(curve[size])) >= target:
            return int(size)
    return None


def plot_learning_curve(curve: dict, fine_tuned: dict, total: int, ax=None, thresholds: dict | None = None):
    """``curve``: rated drafts -> test accuracies of the classifier (one per random draw);
    ``fine_tuned``: name -> test accuracy of each fine-tuned screener (threshold from all the
    rated drafts), drawn as a band; ``thresholds``: rated drafts -> test accuracies of a
    fine-tuned screener whose threshold was chosen on that many (:func:`threshold_curve`)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    sizes = np.array(sorted(int(s) for s in curve))
    means = np.array([np.mean(curve[s] if s in curve else curve[str(s)]) for s in sizes])
    for s in sizes:
        values = curve[s] if s in curve else curve[str(s)]
        ax.plot([s] * len(values), values, "o", color=COLORS["orange"], alpha=0.35, ms=4)
    ax.plot(sizes, means, "o-", color=COLORS["orange"], lw=2, label="classifier on rated drafts (mean of the draws)")
    if thresholds:
        t_sizes = np.array(sorted(int(s) for s in thresholds))
        t_means = np.array([np.mean(thresholds[s] if s in thresholds else thresholds[str(s)]) for s in t_sizes])
        ax.plot(t_sizes, t_means, "s--", color=ROLE_COLORS["good"], lw=2,
                label="fine-tuned seed 0, threshold set on that many rated drafts (mean)")
    ft = np.array(list(fine_tuned.values()))
    ax.axhspan(ft.min(), ft.max(), color=ROLE_COLORS["good"], alpha=0.25,
               label=f"fine-tuned screeners, {len(ft)} seeds, threshold set on all the rated drafts")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.1f}%")
    label_axes(ax, f"How many rated drafts a classifier needs (accuracy on the {total:,} fresh test lines)",
               "rated drafts the classifier learnt from (log scale)", "accuracy", legend=True,
               legend_loc="lower right")
    cross = crossing_size(curve, float(ft.min()))
    parts = "; ".join(f"{s:,} drafts {number(100 * m, 3)}%" for s, m in zip(sizes, means))
    describe(ax, f"Accuracy of a classifier trained on rated drafts, mean over random draws: {parts}. The fine-tuned "
                 f"screeners, their thresholds set on all the rated drafts, score {number(100 * ft.min(), 3)}% to "
                 f"{number(100 * ft.max(), 3)}%. "
                 + (f"The classifier's mean first reaches the weakest fine-tuned seed at {cross:,} drafts."
                    if cross else "The classifier's mean stays below the weakest fine-tuned seed.")
                 + ("" if not thresholds else " Fine-tuned seed 0 with its threshold set on as many rated drafts: "
                    + "; ".join(f"{s:,} drafts {number(100 * m, 3)}%" for s, m in zip(t_sizes, t_means)) + "."))
    return ax


def _fitted_predictions(screeners: dict, false_accept_cost: float, false_reject_cost: float) -> dict:
    """name -> test predictions, each threshold chosen on the screening set at these prices.
    ``screeners``: name -> (screening scores, screening labels, test scores); a screener with
    fixed yes/no answers (the rules) gives them as scores of 0 and 1 and keeps its threshold 0.5."""
    out = {}
    for name, (val_scores, val_labels, test_scores) in screeners.items():
        values = np.unique(val_scores)
        if set(values.tolist()) <= {0.0, 1.0}:
            out[name] = np.asarray(test_scores) > 0.5
        else:
            t = choose_threshold(val_scores, val_labels, false_accept_cost, false_reject_cost)
            out[name] = np.asarray(test_scores) > t
    return out


def cost_table(screeners: dict, test_labels, ratios=(0.25, 1.0, 4.0)) -> list[list[str]]:
    """For each price of a false accept (a false reject costs 1): every screener's cost per 100
    test lines, thresholds re-chosen on the screening set at that price. Rows per screener."""
    columns = [_fitted_predictions(screeners, r, 1.0) for r in ratios]
    return [[name] + [f"{100 * cost_per_line(col[name], test_labels, r, 1.0):.1f}" for col, r in zip(columns, ratios)]
            for name in screeners]


def mistakes_widget(screeners: dict, test_labels, ratio: float = 1.0):
    """A slider for what a false accept (an off-brand line reaching the client) costs against a
    false reject (a good line sent back to its writer); bars: each screener's cost per 100 test
    lines, every threshold re-chosen on the screening set at that price."""
    from ..controls import number_slider
    from ..display import make_widget, new_figure

    names = list(screeners)
    labels = np.asarray(test_labels).astype(bool)
    fig, ax = new_figure(figsize=(8.8, 3.2))  # four or five screeners
    bars = ax.barh(names, np.zeros(len(names)), color=[COLORS["grey"]] * len(names))
    texts = [ax.text(0, i, "", va="center", ha="left", fontsize=9) for i in range(len(names))]
    ax.invert_yaxis()
    ax.set_xlabel("cost of mistakes per 100 test lines (a false reject costs 1)")
    title = ax.set_title(" ", loc="left", fontsize=10)
    controls = {"ratio": number_slider("false accept costs (x a false reject)", ratio, 0.25, 8.0, 0.25)}

    def update(widget):
        r = controls["ratio"].value
        predictions = _fitted_predictions(screeners, r, 1.0)
        costs = {n: 100 * cost_per_line(predictions[n], labels, r, 1.0) for n in names}
        best = min(costs, key=costs.get)
        for bar, text, n in zip(bars, texts, names):
            p = predictions[n]
            accepts, rejects = int(np.sum(p & ~labels)), int(np.sum(~p & labels))
            bar.set_width(costs[n])
            bar.set_color(ROLE_COLORS["good"] if n == best else COLORS["grey"])
            text.set_x(costs[n])
            text.set_text(f" {costs[n]:.1f}: {accepts} let through, {rejects} sent back")
        ax.set_xlim(0, max(costs.values()) * 1.9 + 1e-9)
        title.set_text(f"A false accept costs {r:g} x a false reject: cheapest {best} ({costs[best]:.1f})")
        widget.state.update(ratio=r, costs=costs, best=best)
        widget.redraw()

    def summary(widget):
        st = widget.state
        order = sorted(st["costs"], key=st["costs"].get)
        return (f"A false accept costs {st['ratio']:g} times a false reject; cost of mistakes per 100 test lines, "
                f"cheapest first: " + ", ".join(f"{n} {st['costs'][n]:.1f}" for n in order) + ".")

    return make_widget(fig, controls, update, title="What do the two kinds of mistake cost?", columns=1,
                       summary=summary)
