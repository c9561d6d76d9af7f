"""Lesson 1's figures: the plotting that would otherwise sit between the lesson's question and its result.

Each function draws one figure from numbers the lesson has already computed and returns its axes;
the lesson calls ``plt.show()``. Nothing here computes a result. Each figure says in words what it
shows (:func:`coursekit.alt_text.describe`), from the numbers it draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .alt_text import describe, gap_words, number
from .gradient_descent import CONVERGED, path_words, steps_to_reach
from .least_squares import contour_grid
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, label_axes

__all__ = ["plot_candidates", "plot_difference_errors", "plot_descent_1d", "contour_grid", "plot_descent_2d",
           "plot_full_batch_fit", "plot_scaling"]

W_GRID = np.linspace(-1.2, 2.2, 200)  # the one-weight model's range of weights in every figure
CANDIDATE_COLORS = [COLORS["sky_blue"], COLORS["orange"], COLORS["reddish_purple"], COLORS["black"]]


def plot_candidates(data, problem, candidates):
    """Left: the patients and the line of each candidate weight. Right: each candidate's loss on the bowl."""
    fig, (ax_data, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_data.scatter(data.X[:, 0], data.y, s=10, color=COLORS["grey"], alpha=0.6, label="patients")
    line_x = np.linspace(-2.5, 4, 2)
    ax_loss.plot(W_GRID, problem.grid_values(W_GRID[:, None]), color=COLORS["grey"], label="loss(w)")
    for w, color in zip(candidates, CANDIDATE_COLORS):
        ax_data.plot(line_x, w * line_x, color=color, label=f"w = {w:.2f}")
        ax_loss.plot([w], [problem.value([w])], "o", color=color, markersize=8, label=f"w = {w:.2f}")
    label_axes(ax_data, f"{len(candidates)} candidate models", "bmi (standard deviations from the mean)",
               "disease progression (standardised)", legend=True)
    label_axes(ax_loss, "Their losses: a bowl", "weight w", "loss (mean squared error)", legend=True)
    losses = [problem.value([w]) for w in candidates]
    best, worst = int(np.argmin(losses)), int(np.argmax(losses))
    describe(ax_data, f"{len(data.y)} patients' disease progression against their bmi, with the line each of "
                      f"{len(candidates)} candidate weights draws through them: w = "
                      + ", ".join(number(w) for w in candidates) + ".")
    describe(ax_loss, f"The loss against the weight is a bowl with its bottom at w = {number(problem.minimum[0])}. "
                      f"Of the candidates, w = {number(candidates[best])} has the lowest loss, {number(losses[best])}, "
                      f"and w = {number(candidates[worst])} the highest, {number(losses[worst])}.")
    return ax_data, ax_loss


def plot_difference_errors(hs, forward_error, central_error, marked_h: float = 1e-6):
    """The error of forward and central differences against the nudge size h (log-log)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.loglog(hs, forward_error, color=COLORS["orange"], label="forward difference (f(w+h) − f(w)) / h")
    ax.loglog(hs, np.maximum(central_error, 1e-17), color=COLORS["blue"],  # an exact 0 cannot sit on a log axis
              label="central difference (f(w+h) − f(w−h)) / 2h")
    ax.axvline(marked_h, color=COLORS["grey"], linestyle="--", linewidth=1, label=f"gradcheck's h = {marked_h:g}")
    label_axes(ax, "Error of a finite-difference slope", "nudge size h (weight units)",
               "absolute error of the slope", legend=True)
    hs, forward_error, central_error = (np.asarray(a, dtype=float) for a in (hs, forward_error, central_error))
    large, small = int(np.argmax(hs)), int(np.argmin(hs))
    marked = int(np.argmin(np.abs(np.log(hs / marked_h))))
    tiny = [_about(forward_error[small]), _about(central_error[small])]
    tiny_words = f"both off by {tiny[0]}" if tiny[0] == tiny[1] else f"the forward off by {tiny[0]}, the central by {tiny[1]}"
    describe(ax, f"Error of the slope against the nudge size h, from {number(hs[small])} to {number(hs[large])}, "
                 f"both on log scales. At h = {number(hs[large])} the forward difference is off by "
                 f"{number(forward_error[large])}, the central difference by {_about(central_error[large])}. "
                 f"At h = {number(hs[small])} rounding leaves {tiny_words}. At gradcheck's h = {marked_h:g} "
                 f"(dashed line) the central difference is off by {_about(central_error[marked])}.")
    return ax


def _about(error) -> str:
    """An error at rounding level as its power of ten only ("about 1e-10"): its digits are rounding noise,
    and below 1e-12 (on losses near 1) only rounding is left."""
    if not error >= 1e-12:
        return "less than 1e-12"
    return f"about 1e{int(np.round(np.log10(error)))}"


def plot_descent_1d(problem, path):
    """Left: the steps on the one-weight bowl. Right: the loss above its minimum, per step (log scale)."""
    fig, (ax_path, ax_curve) = plt.subplots(1, 2, figsize=(11, 4))
    ax_path.plot(W_GRID, problem.grid_values(W_GRID[:, None]), color=COLORS["grey"], label="loss(w)")
    ax_path.plot(path.points[:, 0], path.losses, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=4,
                 linewidth=1, label="gradient-descent steps")
    ax_path.plot(problem.minimum, [problem.min_loss], "*", markersize=14, color=ROLE_COLORS["minimum"],
                 label="minimum")
    label_axes(ax_path, f"{path.steps} steps at learning rate {path.lr:g}", "weight w", "loss (mean squared error)",
               legend=True)
    ax_curve.semilogy(path.losses - problem.min_loss, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=3)
    label_axes(ax_curve, "A straight line on a log scale: steady progress", "step", "loss − minimum loss (log scale)")
    describe(ax_path, f"{path.steps} gradient-descent steps at learning rate {number(path.lr)} on the one-weight bowl, "
                      f"from w = {number(path.points[0, 0])} to w = {number(path.points[-1, 0])}; the minimum is at "
                      f"w = {number(problem.minimum[0])}.")
    describe(ax_curve, _gap_curve_words(path, problem.min_loss))
    return ax_path, ax_curve


def _gap_curve_words(path, min_loss: float) -> str:
    """The loss gap of a path per step, in words: its ends and the factor each step shrinks it by, or how it failed."""
    gaps = path.losses - min_loss
    if path.diverged or not gaps[-1] > 0 or gaps[-1] > gaps[0]:
        return f"The loss above its minimum, per step on a log scale: the run {path_words(path, min_loss)}."
    factor = (gaps[-1] / gaps[0]) ** (1.0 / path.steps)
    reached = steps_to_reach(path.losses, min_loss + CONVERGED * gaps[0])
    return (f"The loss above its minimum, per step on a log scale, falls from {number(gaps[0])} to "
            f"{gap_words(gaps[-1])} in {path.steps} steps, by a factor of about {number(factor, 2)} per step: "
            + (f"down to 1/1000 of its start at step {reached}." if reached is not None
               else "not yet down to 1/1000 of its start."))


def plot_descent_2d(problem, path, start):
    """The path of gradient descent over the contour map of the two-weight loss."""
    W1, W2, Z = contour_grid(problem)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    contours = ax.contour(W1, W2, Z, levels=problem.min_loss + np.geomspace(0.01, 8, 12),
                          colors=COLORS["grey"], linewidths=0.7)
    ax.clabel(contours, fmt="%.2f", fontsize=8)
    ax.plot(*path.points.T, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=3, linewidth=1.2,
            label=f"{path.steps} steps, lr {path.lr:g}")
    ax.plot(*problem.minimum, "*", markersize=14, color=ROLE_COLORS["minimum"], label="minimum")
    ax.plot(*start, "o", markersize=8, markerfacecolor="white", markeredgecolor=ROLE_COLORS["start"], label="start")
    ax.set_aspect("equal")
    label_axes(ax, "Gradient descent on the two-weight loss", "weight on bmi", "weight on s5", legend=True)
    describe(ax, f"Contour map of the two-weight loss (weight on bmi across, weight on s5 up) with {path.steps} "
                 f"gradient-descent steps at learning rate {number(path.lr)}, from ({_pair(start)}) to "
                 f"({_pair(path.points[-1])}); the minimum is at ({_pair(problem.minimum)}). "
                 f"The run {path_words(path, problem.min_loss)}.")
    return ax


def _pair(point) -> str:
    return ", ".join(number(v) for v in point)


def plot_full_batch_fit(losses, best_loss: float, actual, predicted, lr: float):
    """Left: the training loss against the best possible. Right: predicted against actual scores."""
    fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(losses, color=ROLE_COLORS["train"], label="training loss (full batch)")
    ax_loss.axhline(best_loss, color=ROLE_COLORS["minimum"], linestyle="--", linewidth=1, label="best possible")
    label_axes(ax_loss, f"Full-batch gradient descent, lr {lr:g}", "step", "loss (MSE, standardised units²)",
               legend=True)
    ax_fit.scatter(actual, predicted, s=10, color=ROLE_COLORS["train"], alpha=0.6, label="patients")
    span = [float(np.min(actual)), float(np.max(actual))]
    ax_fit.plot(span, span, color=COLORS["grey"], linestyle="--", linewidth=1, label="perfect prediction")
    label_axes(ax_fit, "Predicted against actual", "actual progression score", "predicted progression score",
               legend=True)
    losses = np.asarray(losses, dtype=float)
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    rmse = float(np.sqrt(np.mean((predicted - actual) ** 2)))
    describe(ax_loss, f"Full-batch gradient descent at learning rate {lr:g}: the training loss falls from "
                      f"{number(losses[0])} to {number(losses[-1])} in {len(losses)} steps, against a best possible "
                      f"loss of {number(best_loss)} (dashed line).")
    describe(ax_fit, f"Predicted against actual progression scores of {len(actual)} patients, scattered around the "
                     f"diagonal of perfect prediction: a typical error (root mean square) of {number(rmse)} score points, "
                     f"on scores from {number(actual.min())} to {number(actual.max())}.")
    return ax_loss, ax_fit


def plot_scaling(standard_losses, standard_best: float, raw_losses, raw_best: float):
    """The loss above the best possible, per step, for standardised and raw inputs (log scale)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.semilogy(np.asarray(standard_losses) - standard_best, color=COLORS["blue"], label="standardised inputs")
    ax.semilogy(np.asarray(raw_losses) - raw_best, color=COLORS["vermillion"], label="raw inputs")
    label_axes(ax, "Same model, same steps: scaling decides", "step", "loss − best possible loss (log scale)",
               legend=True)
    standard = np.asarray(standard_losses, dtype=float) - standard_best
    raw = np.asarray(raw_losses, dtype=float) - raw_best
    describe(ax, f"The loss above the best possible, per step on a log scale: with standardised inputs it falls from "
                 f"{number(standard[0])} to {gap_words(standard[-1])} in {len(standard)} steps, with raw inputs from "
                 f"{number(raw[0])} to {gap_words(raw[-1])} in {len(raw)} steps: the "
                 f"{'standardised' if standard[-1] < raw[-1] else 'raw'} inputs end closer to the best.")
    return ax
