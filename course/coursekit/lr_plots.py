"""Lesson 2's figures: drawn from runs the lesson has already computed, so its cells show the experiment.

Each function returns its axes; the lesson calls ``plt.show()``. Nothing here computes a result
except what a figure needs to place its lines (``draw_surface``, ``draw_path``), and each figure says
in words what it shows (:func:`coursekit.alt_text.describe`), from the numbers it draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .alt_text import describe, number
from .style import COLORS, ROLE_COLORS, label_axes
from .surfaces import draw_surface
from .trajectories import draw_path

__all__ = ["REGIME_COLORS", "SURFACE_COLORS", "plot_surfaces", "plot_path_grid", "plot_loss_curves",
           "plot_final_loss_sweep", "plot_steps_to_converge"]

# The lesson's four named rates keep one colour each in every figure.
REGIME_COLORS = {"too small": ROLE_COLORS["too_small"], "right": ROLE_COLORS["good"],
                 "too large": ROLE_COLORS["too_large"], "far too large": ROLE_COLORS["diverges"]}
SURFACE_COLORS = {"bowl": COLORS["blue"], "valley": COLORS["vermillion"]}


def plot_surfaces(surfaces):
    """One contour map per surface, side by side."""
    fig, axes = plt.subplots(1, len(surfaces), figsize=(5.5 * len(surfaces), 4))
    for ax, surface in zip(axes, surfaces):
        draw_surface(ax, surface)
        label_axes(ax, f"{surface.title}: {surface.formula}", legend=True)
        describe(ax, f"Contour map of the {_lower(surface.title)}, loss {surface.formula}: the minimum is at "
                     f"({_pair(surface.minimum)}), the start at ({_pair(surface.start)}); it is "
                     f"{number(surface.condition_number)} times as steep across as along.")
    return axes


def _lower(title: str) -> str:
    """A surface's title inside a sentence: "Quadratic bowl" -> "quadratic bowl" (names keep their capital)."""
    return title[:1].lower() + title[1:] if title[:1].isupper() and not title.split()[0].endswith("'s") else title


def _pair(point) -> str:
    return ", ".join(number(v) for v in point)


def _outcome(run) -> str:
    """Where one of the lesson's runs went: diverged at step N, or its loss after the last step."""
    if run.path.diverged:
        return f"diverged at step {run.path.diverged_at}"
    return f"loss {_loss_words(run.path.final_loss)}"


def _loss_words(loss: float) -> str:
    """A loss as the log plots show it: below their floor, 1e-12, it is just "below 1e-12"."""
    return "below 1e-12" if loss < 1e-12 else number(loss)


def plot_path_grid(runs: dict, surfaces, rates: dict, steps: int):
    """A grid of paths: one row per surface, one column per named rate (``runs[surface.key, name]``)."""
    fig, axes = plt.subplots(len(surfaces), len(rates), figsize=(15, 6.6), sharex=True, sharey=True,
                             dpi=80)  # dpi 80: a smaller PNG in the committed notebook
    for row, surface in zip(axes, surfaces):
        for ax, (name, lr) in zip(row, rates.items()):
            run = runs[surface.key, name]
            draw_surface(ax, surface)
            draw_path(ax, run.path, surface, color=REGIME_COLORS[name], markersize=2)
            status = (f"diverged at step {run.path.diverged_at}" if run.path.diverged
                      else f"loss {run.path.final_loss:.2g}")
            ax.set_title(f"{surface.title.split()[-1]} · {name}\nlr {lr:g}: {status}", fontsize=11)
    fig.suptitle(f"{steps} steps of gradient descent (white dot: start, star: minimum)")
    describe(fig, f"{steps} steps of gradient descent from the same start, one panel per loss (rows) and "
                  f"learning rate (columns). " + " ".join(
                      f"{surface.title}: " + "; ".join(f"lr {lr:g} ({name}) {_outcome(runs[surface.key, name])}"
                                                       for name, lr in rates.items()) + "."
                      for surface in surfaces))
    return axes


def plot_loss_curves(runs: dict, surfaces, rates: dict):
    """The loss curve of every run on a log scale, one panel per surface, labelled with diagnose's verdict."""
    fig, axes = plt.subplots(1, len(surfaces), figsize=(12, 4.2), sharey=True)
    for ax, surface in zip(axes, surfaces):
        for name, lr in rates.items():
            run = runs[surface.key, name]
            losses = np.maximum(run.path.losses, 1e-12)  # the log axis cannot show 0
            ax.plot(losses, color=REGIME_COLORS[name], label=f"lr {lr:g} ({name}): {run.label}")
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e8)
        label_axes(ax, f"{surface.title}", "step", "loss (log scale)", legend=True, legend_loc="lower left")
        describe(ax, f"{surface.title}: the loss per step on a log scale, one curve per learning rate, labelled "
                     "with diagnose's verdict. " + "; ".join(
                         f"lr {lr:g} ({name}): diagnose says {runs[surface.key, name].label}, the run "
                         f"{_outcome(runs[surface.key, name]).replace('loss', 'ends at loss', 1)}"
                         for name, lr in rates.items()) + ".")
    return axes


def _mark_the_cliff(ax, critical_lr: float, right_edge: float, shade: bool):
    ax.axvline(critical_lr, color=ROLE_COLORS["diverges"], linestyle="--",
               label=f"2/L = {critical_lr:g}" + ("" if shade else " (beyond it: never)"))
    if shade:
        ax.axvspan(critical_lr, right_edge, color=ROLE_COLORS["diverges"], alpha=0.12,
                   label="diverges (no point drawn)")


def plot_final_loss_sweep(sweep, finals: dict, surfaces, steps: int, critical_lr: float):
    """The loss after ``steps`` steps against the learning rate (``finals[surface.key]``; NaN: diverged)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for surface in surfaces:
        ax.plot(sweep, np.maximum(finals[surface.key], 1e-30), color=SURFACE_COLORS[surface.key], marker="o",
                markersize=3, label=surface.title)
    _mark_the_cliff(ax, critical_lr, float(np.max(sweep)), shade=True)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_axes(ax, f"Loss after {steps} steps", "learning rate (log scale)", "final loss (log scale)",
               legend=True, legend_loc="lower left")
    sweep = np.asarray(sweep, dtype=float)
    cliffs = []
    for surface in surfaces:
        diverged = np.isnan(np.asarray(finals[surface.key], dtype=float))
        converged = sweep[~diverged]
        cliffs.append(f"{_lower(surface.title)} " + (f"converges up to lr {number(converged.max())}" if converged.size
                                                     else "never converges")
                      + (f" and diverges from lr {number(sweep[diverged].min())}" if diverged.any() else ""))
    describe(ax, f"The loss after {steps} steps against {len(sweep)} learning rates from {number(sweep.min())} to "
                 f"{number(sweep.max())}, both on log scales: the " + "; the ".join(cliffs)
                 + f". The dashed line marks 2/L = {critical_lr:g}; right of it no point is drawn, every run diverged.")
    return ax


def plot_steps_to_converge(lrs, costs: dict, surfaces, critical_lr: float):
    """Steps to reach 1/1000 of the starting loss against the learning rate (``costs[surface.key]``)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for surface in surfaces:
        ax.plot(lrs, costs[surface.key], color=SURFACE_COLORS[surface.key], label=surface.title)
    _mark_the_cliff(ax, critical_lr, float(np.max(lrs)), shade=False)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_axes(ax, "Steps to reach 1/1000 of the starting loss", "learning rate (log scale)", "steps (log scale)",
               legend=True)
    lrs = np.asarray(lrs, dtype=float)
    words = []
    for surface in surfaces:
        cost = np.asarray(costs[surface.key], dtype=float)
        if not np.isfinite(cost).any():
            words.append(f"the {_lower(surface.title)} never gets there")
            continue
        best = int(np.nanargmin(cost))
        words.append(f"the {_lower(surface.title)} needs {cost[0]:.0f} steps at lr {number(lrs[0])} and "
                     f"fewest, {cost[best]:.0f}, at lr {number(lrs[best])}" if np.isfinite(cost[0]) else
                     f"the {_lower(surface.title)} needs fewest, {cost[best]:.0f}, at lr {number(lrs[best])}")
    describe(ax, "Steps to bring the loss to 1/1000 of its start against the learning rate, both on log scales: "
                 + "; ".join(words) + f". Past the dashed line at 2/L = {critical_lr:g} no rate gets there.")
    return ax
