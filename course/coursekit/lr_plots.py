"""Lesson 2's figures: drawn from runs the lesson has already computed, so its cells show the experiment.

Each function returns its axes; the lesson calls ``plt.show()``. Nothing here computes a result
except what a figure needs to place its lines (``draw_surface``, ``draw_path``).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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
    return axes


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
    return ax
