"""Lesson 2, the learning rate: regimes, the cost of a rate, and the learning-rate explorer.

=========================  ===================================================================
``regime``                 name the regime of a rate on a quadratic surface (from lr · L)
``lr_compute``             one gradient-descent run (``LrRun``) with ``diagnose``'s verdict
``steps_to_converge``      steps to converge against the learning rate: the wall at 2/L
``lr_explorer``            the widget: the path, its loss curve and its cost under one slider
=========================  ===================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from minigrad.training import diagnose

from .alt_text import number
from .controls import lr_slider, surface_dropdown
from .display import call_line, make_widget, marker_point, new_figure, signature_defaults
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, label_axes
from .surfaces import (LOSS_FLOOR, checked_start, clicked_start, get_surface, legend_below, loss_gap,
                       redraw_surface, start_marker)
from .trajectories import Trajectory, descend, drawable, escape_radius, trajectory

__all__ = ["regime", "LrRun", "lr_compute", "steps_to_converge", "lr_explorer"]


def regime(surface, lr):
    """Name the learning-rate regime of plain gradient descent on a quadratic surface.

    Returns one of "too small", "good", "too large (zigzags)", "far too large (diverges)"
    from lr · L: below 0.1 too small, up to 1 good, up to 2 zigzagging, above 2 diverging.
    """
    surface = get_surface(surface)
    if surface.lipschitz is None:
        raise ValueError(f"surface {surface.key!r} has no global Lipschitz constant; regimes need a quadratic")
    ratio = lr * surface.lipschitz
    if ratio < 0.1:
        return "too small"
    if ratio <= 1.0:
        return "good"
    if ratio < 2.0:
        return "too large (zigzags)"
    return "far too large (diverges)"


@dataclass
class LrRun:
    """One gradient-descent run of the learning-rate explorer.

    ``path`` (a Trajectory), ``label``/``hint`` (minigrad's ``diagnose`` verdict on the
    loss curve), ``critical_lr`` (2/L) and ``ratio`` = lr / critical_lr.
    """

    path: Trajectory
    label: str | None
    hint: str | None
    critical_lr: float | None
    lr: float

    @property
    def ratio(self):
        return None if self.critical_lr is None else self.lr / self.critical_lr

    def title(self) -> str:
        where = f" = {self.ratio:.2g} × 2/L" if self.ratio is not None else ""
        if self.path.diverged:
            return f"lr {self.lr:.3g}{where}: diverged at step {self.path.diverged_at}"
        verdict = f": {self.label}" if self.label else ""
        return f"lr {self.lr:.3g}{where}{verdict}"


def lr_compute(surface="valley", lr=0.1, steps=100, *, start=None):
    """Plain gradient descent with learning rate ``lr`` from ``start`` (default: the surface's):
    the path and ``diagnose``'s verdict."""
    surface = get_surface(surface)
    path = trajectory("SGD", surface, start, steps=steps, lr=lr)
    verdict = diagnose(np.asarray(path.losses, dtype=float))
    return LrRun(path, verdict.label, verdict.hint, surface.critical_lr, float(lr))


CONVERGED = 1e-3  # a run has converged once its loss gap is down to 1/1000 of its start
COST_MAX_STEPS = 5000  # the most steps the cost curve waits for that


def steps_to_converge(surface="valley", lrs=None, *, tolerance=CONVERGED, max_steps=COST_MAX_STEPS):
    """Steps plain gradient descent needs to bring the loss gap below ``tolerance`` × its start.

    Returns ``(lrs, steps)``; ``steps`` is NaN where the run diverged or did not get there
    within ``max_steps``. ``lrs`` defaults to 49 rates from (2/L)/100 to 1.25·(2/L). This is
    the cost curve of lesson 2: expensive at small rates, cheapest near 1/L, a wall at 2/L.
    Results are cached per surface (the explorer redraws it on every surface switch).
    """
    surface = get_surface(surface)
    key = (surface.key, id(surface), None if lrs is None else tuple(np.asarray(lrs, float).tolist()),
           tolerance, max_steps)
    if key not in _COST_CACHE:
        _COST_CACHE[key] = _steps_to_converge(surface, lrs, tolerance, max_steps)
    lrs, steps = _COST_CACHE[key]
    return lrs.copy(), steps.copy()


_COST_CACHE: dict = {}


def _steps_to_converge(surface, lrs, tolerance, max_steps):
    if lrs is None:
        critical = surface.critical_lr if surface.critical_lr else 1.0
        lrs = np.geomspace(critical / 100, 1.25 * critical, 49)
    from minigrad.optim import functional as OF

    lrs = np.asarray(lrs, dtype=float)
    f_min = surface.loss(surface.minimum) if surface.minimum is not None else 0.0
    target = tolerance * (surface.loss(surface.start) - f_min) + f_min
    # All rates at once: one run per row, and minigrad's SGD rule takes a column of learning
    # rates (the same rule and divergence rule `trajectory` uses, on a (rates, 2) array).
    starts = np.tile(np.asarray(surface.start, dtype=float), (len(lrs), 1))
    _, losses = descend(OF.sgd, surface.grad, starts, max_steps, loss=surface.loss,
                        escape=escape_radius(surface.extent), lr=lrs[:, None])
    with np.errstate(invalid="ignore"):
        reached = losses[1:] <= target  # (a diverged run's NaN never counts)
    steps = np.where(reached.any(axis=0), np.argmax(reached, axis=0) + 1.0, np.nan)
    return lrs, steps


def lr_explorer(surface="valley", lr=0.1, *, steps=100, start=None, surfaces=("bowl", "valley"),
                interactive=None):
    """Gradient descent with one learning-rate slider: the path, its loss curve, its cost.

    Left: the path on the surface; a click or drag there moves the start (``start``,
    default the surface's own; a new surface starts from its own). Middle: the loss curve
    (log scale) titled with ``diagnose``'s verdict. Right: steps needed to converge against
    the learning rate, from the surface's usual start, with the critical value 2/L drawn as
    a wall (it does not depend on the start) and the current rate as a dot.
    """
    surface = get_surface(surface)
    where = {"start": checked_start(surface, start), "surface": surface.key}
    if surface.key not in surfaces:
        surfaces = (surface.key, *surfaces)
    lr_range = (1e-4, 2.0)
    rate = lr_slider(lr, *lr_range, description="learning rate")
    surface_control = surface_dropdown(surface.key, surfaces)
    cost_lrs = np.geomspace(*lr_range, 81)

    # 8.8 in wide: a laptop's notebook column (display.COLUMN_FIGURE_PX) shows it whole. The left and
    # middle titles take two lines; the cost curve's legend sits under the panels, off the data.
    fig, (ax_path, ax_loss, ax_cost) = new_figure(1, 3, figsize=(8.8, 4.6), width_ratios=(1.2, 1, 1),
                                                  interactive=interactive)
    color = OPTIMIZER_COLORS["SGD"]
    (path_line,) = ax_path.plot([], [], color=color, marker="o", markersize=2.5, linewidth=1.5, zorder=3)
    start_dot = start_marker(ax_path)
    (loss_line,) = ax_loss.plot([], [], color=color, linewidth=2)
    ax_loss.set_yscale("log")
    label_axes(ax_loss, None, "step", "loss above the minimum (log scale)")
    (cost_line,) = ax_cost.plot([], [], color=COLORS["blue"], linewidth=2, label="steps to converge (from the usual start)")
    (cost_dot,) = ax_cost.plot([], [], marker="o", markersize=10, color=ROLE_COLORS["diverges"],
                               linestyle="none", label="your learning rate", zorder=4)
    wall = ax_cost.axvline(1.0, color=ROLE_COLORS["diverges"], linestyle="--", linewidth=1.5, label="2/L")
    diverging_zone = ax_cost.axvspan(1.0, lr_range[1], color=ROLE_COLORS["diverges"], alpha=0.12,
                                     label="diverges")
    ax_cost.set_xscale("log")
    ax_cost.set_yscale("log")
    label_axes(ax_cost, None, "learning rate (log scale)", "steps to converge (log scale)")
    ax_cost.set_title("What each rate costs", fontsize=11)  # the size of its neighbours' titles
    ax_loss.set_xlim(0, steps)
    # Fixed limits from the loss floor to past the divergence threshold: every run fits,
    # and a slider move never has to redraw the axis (only the curve and the title).
    ax_loss.set_ylim(LOSS_FLOOR / 3, 1e8)
    ax_loss.set_title(" \n ", fontsize=11)
    state = {"surface": None, "drawn": (), "cost": None}

    def set_surface(current):
        state["drawn"] = redraw_surface(ax_path, current, state["drawn"], start=False)
        ax_path.set_title(f"{current.title}\n{current.formula}", fontsize=11)
        lrs, cost = steps_to_converge(current, cost_lrs)
        cost_line.set_data(lrs, cost)
        wall.set_xdata([current.critical_lr, current.critical_lr])
        wall.set_label(f"2/L = {current.critical_lr:.3g}")
        diverging_zone.set_x(current.critical_lr)
        diverging_zone.set_width(lr_range[1] - current.critical_lr)
        ax_cost.set_xlim(*lr_range)
        finite = cost[np.isfinite(cost)]
        ax_cost.set_ylim(max(finite.min() / 2, 1), finite.max() * 2)
        legend_below(fig, [cost_line, cost_dot, wall, diverging_zone])
        state.update(surface=current, cost=(lrs, cost))

    def update(widget):
        current = get_surface(surface_control.value)
        new_surface = current is not state["surface"]
        if new_surface:
            set_surface(current)
        if where["surface"] != current.key:  # each surface has its own sensible start
            where.update(surface=current.key, start=None)
        here = where["start"] or current.start
        start_dot.set_data([here[0]], [here[1]])
        run = lr_compute(current, rate.value, steps, start=where["start"])
        points = drawable(run.path.points, current.extent)
        path_line.set_data(points[:, 0], points[:, 1])
        gap = loss_gap(current, run.path.losses)
        loss_line.set_data(np.arange(len(gap)), gap)
        regime_name = regime(current, rate.value)
        path_line.set_color(ROLE_COLORS[_REGIME_ROLE[regime_name]])
        loss_line.set_color(ROLE_COLORS[_REGIME_ROLE[regime_name]])
        ax_loss.set_title(_two_lines(run.title()), fontsize=11)
        lrs, cost = state["cost"]
        index = int(np.argmin(np.abs(np.log(lrs) - math.log(rate.value))))
        y = cost[index] if np.isfinite(cost[index]) else ax_cost.get_ylim()[1] / 1.5
        cost_dot.set_data([rate.value], [y])
        widget.state.update(run=run, regime=regime_name, start=tuple(here), surface=current,
                            cost_steps=float(cost[index]))
        widget.redraw(full=new_surface)

    def on_click(widget, ax, x, y):
        if ax is ax_path:
            where["start"] = clicked_start(state["surface"], x, y)
            update(widget)

    def code(widget):
        return call_line("lr_explorer", surface=surface_control.value, lr=rate.value, steps=steps,
                         start=widget.state["start"], defaults=signature_defaults(lr_explorer, "steps"))

    # Another surface has other tick labels, maybe other margins: lay the figure out again.
    return make_widget(fig, {"lr": rate, "surface": surface_control}, update, title="Learning-rate explorer",
                       columns=2, animated=[path_line, start_dot, loss_line, cost_dot, ax_loss.title],
                       relayout=lambda fig: surface_control.value, code=code, on_click=on_click,
                       summary=_explorer_summary, key_points=lambda widget: [marker_point(start_dot)])


def _two_lines(title: str) -> str:
    """A run's title on two lines, the rate, then the verdict: a narrow panel's title never runs into
    its neighbour's (the layout is computed once, for a two-line title)."""
    rate, colon, verdict = title.partition(": ")
    return f"{rate}{colon.strip()}\n{verdict or ' '}"


def _explorer_summary(widget) -> str:
    """What :func:`lr_explorer` shows now, in words: the rate and its regime, where the run went, what the rate costs."""
    state = widget.state
    run, surface = state["run"], state["surface"]
    path = run.path
    head = (f"{surface.title}, learning rate {number(run.lr)} = {number(run.ratio, 2)} × 2/L "
            f"(2/L = {number(run.critical_lr)}): {state['regime']}.")
    start = ", ".join(number(v) for v in state["start"])
    reached = None
    if path.diverged:
        middle = f"The run from ({start}) diverged at step {path.diverged_at}"
    else:
        gaps = path.losses - surface.loss(surface.minimum)
        reached = path.steps_to(surface.loss(surface.minimum) + CONVERGED * gaps[0])
        middle = (f"In {path.steps} steps from ({start}) the loss above the minimum went from {number(gaps[0])} to "
                  f"{number(gaps[-1])}" + (f", down to 1/1000 of its start at step {reached}" if reached is not None
                                            else ""))
    middle += f"; diagnose reads the loss curve as {run.label}." if run.label else "."
    cost = state["cost_steps"]
    reached = None if path.diverged else reached
    if reached is not None:
        tail = ""  # the run's own count says it; the cost curve's nearest grid rate would give a second one
    elif math.isfinite(cost):
        tail = f"From the usual start, a rate about this size needs {cost:.0f} steps to converge."
    elif run.ratio is not None and run.ratio >= 1:
        tail = "Past the wall at 2/L no rate converges."
    else:
        tail = f"From the usual start, a rate this small needs more than {COST_MAX_STEPS} steps to converge."
    return " ".join(part for part in (head, middle, tail) if part)



_REGIME_ROLE = {
    "too small": "too_small",
    "good": "good",
    "too large (zigzags)": "too_large",
    "far too large (diverges)": "diverges",
}
