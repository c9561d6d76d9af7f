"""Lesson 3's figures, drawn from measurements the lesson has already made (see :mod:`coursekit.minibatches`).

Each function returns its axes; the lesson calls ``plt.show()``. Nothing here computes a result.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .least_squares import contour_grid
from .log_ticks import plain_log_ticks
from .minibatches import batch_size_colors
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
    return ax


def plot_steps_and_epochs(runs, num_examples: int):
    """The full training loss of each run per optimizer step (left) and per epoch (right)."""
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
    return ax_steps, ax_epochs


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
    return ax_step, ax_target


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
    return axes
