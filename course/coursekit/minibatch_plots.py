"""Lesson 3's figures, drawn from measurements the lesson has already made (see :mod:`coursekit.minibatches`).

Each function returns its axes; the lesson calls ``plt.show()``. Nothing here computes a result; each
figure says in words what it shows (:func:`coursekit.alt_text.describe`), from the numbers it draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .alt_text import describe, gap_words, number
from .least_squares import contour_grid
from .log_ticks import plain_log_ticks
from .minibatches import batch_size_colors, stationary_gap
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, label_axes

__all__ = ["show_digits", "plot_gradient_noise", "plot_steps_and_epochs", "plot_step_cost", "plot_noisy_paths"]


def show_digits(images, labels, count: int = 16):
    """The first ``count`` images with their labels, in two rows."""
    fig, axes = plt.subplots(2, count // 2, figsize=(10, 3))
    for ax, image, label in zip(axes.ravel(), images, labels):
        ax.imshow(image, cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"label {label}", fontsize=10)
        ax.axis("off")
    fig.suptitle(f"{count} training images (8 × 8 pixels)")
    shown = list(labels[:count])
    describe(fig, f"The first {len(shown)} training images, handwritten digits of 8 × 8 pixels in two rows, "
                  f"labelled {', '.join(str(label) for label in shown)}.")
    return axes


def plot_gradient_noise(noise):
    """Measured batch-gradient variance against σ²/B and its finite-population correction (log-log)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.loglog(noise.batch_sizes, noise.one_over_b, color=COLORS["grey"], linestyle="--", label="σ² / B")
    ax.loglog(noise.batch_sizes, noise.predicted, color=COLORS["blue"], label="σ² / B × (N − B) / (N − 1)")
    ax.loglog(noise.batch_sizes, noise.variance, "o", color=COLORS["vermillion"],
              label=f"measured ({noise.draws} batches each)")
    plain_log_ticks(ax, "x")
    label_axes(ax, "Gradient noise falls as 1 / batch size", "batch size B (examples, log scale)",
               "mean ‖batch gradient − full gradient‖² (log scale)", legend=True)
    sizes, measured, predicted = noise.batch_sizes, noise.variance, noise.predicted
    off = float(np.max(np.abs(measured / predicted - 1)))
    describe(ax, f"Gradient noise against the batch size B, both on log scales: the measured mean squared distance of "
                 f"a batch gradient from the full gradient falls from {number(measured[0])} at B = {sizes[0]} to "
                 f"{number(measured[-1])} at B = {sizes[-1]}, within {number(100 * off, 2)}% of the prediction "
                 f"σ²/B × (N − B)/(N − 1) at every batch size. The plain σ²/B line (dashed) is "
                 f"{number(noise.one_over_b[-1] / predicted[-1], 2)} times higher at B = {sizes[-1]}.")
    return ax


def plot_steps_and_epochs(runs, num_examples: int, target: float | None = None):
    """The full training loss of each run per optimizer step (left) and per epoch (right); the words
    say when each run first reached the loss ``target`` (default: the lowest loss every run reached)."""
    fig, (ax_steps, ax_epochs) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for run, color in zip(runs, batch_size_colors([run.batch_size for run in runs])):
        label = "full batch" if run.batch_size == num_examples else f"B = {run.batch_size}"
        ax_steps.plot(run.eval_steps[1:], run.eval_losses[1:], color=color, label=label)  # step 0 has no log
        ax_epochs.plot(run.eval_epochs[1:], run.eval_losses[1:], color=color, label=label)
    for ax in (ax_steps, ax_epochs):
        ax.set_xscale("log")
        plain_log_ticks(ax, "x")
    label_axes(ax_steps, "Per step: big batches win, up to a point", "optimizer steps (log scale)",
               "training loss, all images (cross-entropy)", legend=True)
    label_axes(ax_epochs, "Per example processed: small batches win", "epochs (log scale)")
    labels = ["the full batch" if run.batch_size == num_examples else f"batch {run.batch_size}" for run in runs]
    same = len({run.steps for run in runs}) == 1
    describe(ax_steps, "The full training loss per optimizer step (log scale), one line per batch size. "
                       + (f"After {runs[0].steps} steps: " if same else "After the last step: ")
                       + ", ".join(f"{label} at {number(run.eval_losses[-1])}" + ("" if same else f" ({run.steps} steps)")
                                   for label, run in zip(labels, runs)) + ".")
    lowest_reached = max(float(np.min(run.eval_losses)) for run in runs)  # the lowest loss every run reached
    if target is None or target < lowest_reached:
        target, which = lowest_reached, " (the lowest every run reached)"
    else:
        which = ""
    epochs = [float(run.eval_epochs[np.flatnonzero(run.eval_losses <= target)[0]]) for run in runs]
    fewest = int(np.argmin(epochs))
    describe(ax_epochs, f"The same runs per epoch (log scale). To first reach loss {number(target)}{which}: "
                        + ", ".join(f"{label} {_epochs_words(e)}" for label, e in zip(labels, epochs))
                        + f"; {labels[fewest]} needs the fewest examples.")
    return ax_steps, ax_epochs


def _epochs_words(epochs: float) -> str:
    text = number(epochs, 2)
    return f"{text} epoch" if text == "1" else f"{text} epochs"


def plot_step_cost(batch_sizes, seconds_per_step, seconds_to_target, target: float):
    """Left: measured milliseconds per step against what they would be if time grew with the examples.
    Right: milliseconds to reach the loss ``target``."""
    batch_sizes = np.asarray(batch_sizes)
    fig, (ax_step, ax_target) = plt.subplots(1, 2, figsize=(12, 4))
    ax_step.loglog(batch_sizes, seconds_per_step * 1e3, "o-", color=COLORS["blue"], label="one step")
    ax_step.loglog(batch_sizes, batch_sizes * seconds_per_step[0] / batch_sizes[0] * 1e3, color=COLORS["grey"],
                   linestyle="--", label="if time grew with the examples")
    label_axes(ax_step, "Cost of one step", "batch size (log scale)", "milliseconds per step (log scale)",
               legend=True)
    ax_target.loglog(batch_sizes, seconds_to_target * 1e3, "o-", color=COLORS["vermillion"])
    for ax in (ax_step, ax_target):
        plain_log_ticks(ax, "both")
    label_axes(ax_target, f"Time to reach loss {target}", "batch size (log scale)", "milliseconds (log scale)")
    ms, to_target = np.asarray(seconds_per_step) * 1e3, np.asarray(seconds_to_target) * 1e3
    describe(ax_step, f"Milliseconds per step against the batch size, both on log scales (measured when this notebook last ran): "
                      f"{number(ms[0])} at batch {batch_sizes[0]}, {number(ms[-1])} at batch {batch_sizes[-1]}, "
                      f"{number(ms[-1] / ms[0], 2)} times as long for {_times(batch_sizes[-1] / batch_sizes[0])} times "
                      "the examples; the dashed line is what time growing with the examples would give.")
    fastest, slowest = int(np.argmin(to_target)), int(np.argmax(to_target))
    describe(ax_target, f"Milliseconds to reach loss {target}: fewest, {number(to_target[fastest])}, at batch "
                        f"{batch_sizes[fastest]}; most, {number(to_target[slowest])}, at batch {batch_sizes[slowest]}.")
    return ax_step, ax_target


def _times(ratio) -> str:
    """A ratio of sizes in words: whole above 10 ("1438"), else 3 significant digits."""
    return f"{ratio:.0f}" if ratio >= 10 else number(ratio)


def plot_noisy_paths(problem, paths):
    """One panel per path: mini-batch SGD over the contours of the full two-weight loss."""
    W1, W2, Z = contour_grid(problem)
    fig, axes = plt.subplots(1, len(paths), figsize=(15, 4), sharey=True)
    for ax, path in zip(axes, paths):
        ax.contour(W1, W2, Z, levels=problem.min_loss + np.geomspace(0.01, 8, 12), colors=COLORS["grey"],
                   linewidths=0.6)
        ax.plot(*path.points.T, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=2, linewidth=0.8, label="SGD path")
        ax.plot(*problem.minimum, "*", markersize=12, color=ROLE_COLORS["minimum"], label="minimum")
        name = (f"full batch ({path.num_examples})" if path.batch_size == path.num_examples
                else f"batch size {path.batch_size}")
        label_axes(ax, name, "weight on bmi")
    axes[0].set_ylabel("weight on s5")
    axes[0].legend(loc="upper right")
    names = [f"the full batch ({path.num_examples})" if path.batch_size == path.num_examples else f"batch {path.batch_size}"
             for path in paths]
    gaps = [stationary_gap(path, problem) for path in paths]
    by_size = [gap for _, gap in sorted(zip([path.batch_size for path in paths], gaps))]
    ordered = all(a > b for a, b in zip(by_size, by_size[1:])) and not any(path.diverged for path in paths)
    describe(axes[0].figure, f"Mini-batch SGD over the contours of the full two-weight loss, {paths[0].steps} steps "
                             f"at learning rate {number(paths[0].lr)}, one panel per batch size. The full loss above the "
                             "minimum, averaged over the last half of the steps: "
                             + ", ".join(f"{name} {'diverged' if path.diverged else gap_words(gap)}"
                                         for name, path, gap in zip(names, paths, gaps))
                             + (": the smaller the batch, the farther from the minimum its path jitters." if ordered
                                else "."))
    return axes
