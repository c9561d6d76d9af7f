"""The static figures of lesson 4 (optimizers). They only draw: every number is computed in the lesson.

    plot_same_rate_paths(paths, valley, lr)        section 1: paths and losses at one learning rate
    plot_effective_rates(sgd_rates, adam_rates)    section 2: each weight's effective step size
    plot_race_grid(races)                          section 3: every optimizer on every surface
    plot_decay_shrink(groups)                      section 4: how much weight decay shrank each group

Each figure says in words what it shows (:func:`coursekit.alt_text.describe`), from the numbers it draws.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .alt_text import describe, number
from .optimizers import race_outcomes
from .style import COLORS, OPTIMIZER_COLORS, label_axes, optimizer_style
from .surfaces import RACE_SURFACES, draw_surface, get_surface
from .trajectories import draw_path

__all__ = ["plot_decay_shrink", "plot_effective_rates", "plot_race_grid", "plot_same_rate_paths"]


def plot_same_rate_paths(paths: dict, surface, lr: float):
    """Left: the paths on the surface's contours; right: their losses (log scale)."""
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.3), width_ratios=(1.2, 1))
    draw_surface(ax_path, surface)
    for path in paths.values():
        draw_path(ax_path, path, surface, markersize=2)
        ax_loss.plot(np.maximum(path.losses, 1e-12), **optimizer_style(path.name))
    steps = len(next(iter(paths.values())).losses) - 1
    label_axes(ax_path, f"Same learning rate {lr}, {steps} steps", legend=True)
    ax_loss.set_yscale("log")
    label_axes(ax_loss, "Loss", "step", "loss (log scale)", legend=True)
    first = next(iter(paths.values()))
    describe(ax_path, f"The paths of {_names(paths)} over the contours of the {_lower(surface.title)}, all at learning "
                      f"rate {lr:g} for {steps} steps from ({', '.join(number(v) for v in first.points[0])}).")
    low = surface.loss(surface.minimum)
    words = []
    for name, path in paths.items():
        reached = None if path.diverged else path.steps_to(low + 1e-3 * (path.losses[0] - low))
        words.append(f"{name} diverged at step {path.diverged_at}" if path.diverged else
                     f"{name} {reached}" if reached is not None else f"{name} not in {path.steps}")
    describe(ax_loss, "Their losses per step on a log scale. Steps to 1/1000 of the starting loss: "
                      + ", ".join(words) + ".")
    plt.show()


def _names(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lower(title: str) -> str:
    return title[:1].lower() + title[1:]


def plot_effective_rates(sgd_rates, adam_rates, lr: float):
    """Each weight's |step| / |gradient| per step, for SGD and Adam (arrays of shape (steps, 2))."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    steps = np.arange(1, len(sgd_rates) + 1)
    ax.plot(steps, sgd_rates[:, 0], color=OPTIMIZER_COLORS["SGD"], label="SGD: x1 and x2 (identical)")
    ax.plot(steps, adam_rates[:, 0], color=OPTIMIZER_COLORS["Adam"], label="Adam: flat weight x1")
    ax.plot(steps, adam_rates[:, 1], color=OPTIMIZER_COLORS["Adam"], linestyle=":", label="Adam: steep weight x2")
    ax.set_yscale("log")
    label_axes(ax, f"Effective learning rate per weight (lr = {lr:g} for both)", "step",
               "|step| / |gradient| (log scale)", legend=True)
    sgd, flat, steep = (float(np.nanmedian(rates)) for rates in (sgd_rates[:, 0], adam_rates[:, 0], adam_rates[:, 1]))
    describe(ax, f"Each weight's effective learning rate, |step| / |gradient|, over {len(steps)} steps on a log scale, "
                 f"both optimizers at lr {lr:g}. SGD gives both weights {number(sgd)} at every step. Adam gives the flat "
                 f"weight x1 a median of {number(flat)} and the steep weight x2 {number(steep)}: "
                 f"{number(flat / steep, 2)} times more to the flat one.")
    plt.show()


def plot_race_grid(races: dict):
    """One panel per race surface, every optimizer's path on it (``races[surface_key][name]``)."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), dpi=80)  # a smaller PNG for a big figure
    for ax, key in zip(axes.ravel(), RACE_SURFACES):
        surface = get_surface(key)
        draw_surface(ax, surface)
        for path in races[key].values():
            draw_path(ax, path, surface, markersize=0, linewidth=1.5)
        lr = surface.default_lr
        ax.set_title(f"{surface.title}\nlr {lr['sgd']:g} (SGD family), {lr['adaptive']:g} (adaptive)", fontsize=11)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles[2:], labels[2:], loc="lower center", ncols=7, bbox_to_anchor=(0.5, -0.03))
    first = next(iter(races[RACE_SURFACES[0]].values()))
    describe(fig, f"Every optimizer's path on each of the {len(RACE_SURFACES)} race surfaces, {first.steps} steps at "
                  "each surface's rates (in its title). Steps to get 99% of the way from the starting loss to the "
                  f"minimum, fastest first (never: not in {first.steps} steps; on a noisy surface, the mean loss above "
                  "the minimum over the last 100 steps, lowest first). " + " ".join(
                      f"{get_surface(key).title}: {race_outcomes(key, races[key], brief=True)}" for key in RACE_SURFACES))
    plt.show()


def plot_decay_shrink(groups: dict, weight_decay: float):
    """``groups[label] = (typical gradient RMS per group, shrink factor per group)``, one line each."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for label, (rms, ratio) in groups.items():
        name = "AdamW" if label == "AdamW" else "Adam"
        ax.plot(rms, ratio, marker="o", color=OPTIMIZER_COLORS[name], label=f"{label} (weight decay {weight_decay:g})")
    ax.axhline(1.0, color=COLORS["grey"], linestyle="--", label="no shrinking")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.1)
    label_axes(ax, "How much weight decay shrank each group of weights",
               "typical gradient size of the group (RMS, log scale)", "‖w with decay‖ / ‖w without decay‖",
               legend=True, legend_loc="center right")
    count = len(next(iter(groups.values()))[1])
    describe(ax, f"How much weight decay {weight_decay:g} shrank each of {count} groups of weights, from the group with "
                 "the smallest gradients to the one with the largest (weight norm with decay over without, 1: no "
                 "shrinking): " + "; ".join(f"{label} from {number(ratio[0], 2)} to {number(ratio[-1], 2)}"
                                             for label, (rms, ratio) in groups.items()) + ".")
    plt.show()
