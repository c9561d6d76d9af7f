"""Lesson 0, welcome: gradient descent on a 1-D parabola and the course's first slider.

:func:`descent_1d` computes the steps (minigrad's SGD rule, run by the course's trajectory
engine); :func:`descent_demo` shows them as a ball rolling down the parabola, one dot per
step, under a learning-rate slider.
"""

from __future__ import annotations

import numpy as np

from .alt_text import number
from .controls import lr_slider
from .display import call_line, make_widget, marker_point, new_figure, signature_defaults
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, label_axes
from .trajectories import descend

__all__ = ["descent_1d", "descent_demo"]


def descent_1d(lr=0.3, steps=12, start=-4.0, curvature=1.0):
    """Gradient descent on the parabola f(w) = ½·curvature·w²: ``(ws, losses)`` (steps + 1 each).

    Computed with minigrad's SGD rule on a 1-element array, like every path in the course, the
    gradient from minigrad's autograd. Too high a rate makes the loss grow without limit, and
    the demo shows it growing: only a weight that overflows counts as diverged (the course's
    one rule without a loss).
    """
    import minigrad as mg
    from minigrad.optim import functional as OF
    from minigrad.utils.checks import check_positive

    check_positive("lr", lr, "descent_1d")

    def gradient(w):
        weight = mg.tensor(w, requires_grad=True)
        (0.5 * curvature * weight * weight).sum().backward()
        return weight.grad

    points, _ = descend(OF.sgd, gradient, [float(start)], steps, escape=None, lr=lr)
    ws = points[:, 0]
    return ws, 0.5 * curvature * ws**2


START_RANGE = (-5.0, 5.0)  # where a click can put the start (the plotted weights)


def descent_demo(lr=0.3, steps=12, *, start=-4.0, interactive=None):
    """Lesson 0's first slider: a ball rolling down a parabola, one dot per step.

    A click or drag on the plot moves the start weight (``start``) and the steps follow;
    ``widget.code_line`` is the call that recreates what the widget shows.
    """
    if not (START_RANGE[0] <= start <= START_RANGE[1]):
        raise ValueError(f"start must lie in [{START_RANGE[0]:g}, {START_RANGE[1]:g}] (the plotted weights), "
                         f"got {start!r}")
    rate = lr_slider(lr, 0.01, 2.5, description="learning rate")
    where = {"start": float(start)}
    fig, ax = new_figure(figsize=(7.5, 4), interactive=interactive)
    grid = np.linspace(-5, 5, 201)
    ax.plot(grid, 0.5 * grid**2, color=COLORS["grey"], linewidth=1.5, label="loss f(w) = ½·w²")
    (path_line,) = ax.plot([], [], color=OPTIMIZER_COLORS["SGD"], marker="o", linewidth=1,
                           label="gradient-descent steps")
    (start_dot,) = ax.plot([], [], marker="o", markersize=9, markerfacecolor="white",
                           markeredgecolor=ROLE_COLORS["start"], linestyle="none",
                           label="start (click or drag to move)")
    ax.set_xlim(-5.5, 5.5)
    ax.set_ylim(-0.5, 14)
    label_axes(ax, None, "weight w", "loss", legend=True)
    ax.set_title(" ", fontsize=11)

    def update(widget):
        ws, losses = descent_1d(rate.value, steps, start=where["start"])
        start_dot.set_data([where["start"]], [0.5 * where["start"] ** 2])
        shown = np.clip(ws, -5.5, 5.5)
        path_line.set_data(shown, np.minimum(0.5 * shown**2, 14))
        if np.abs(ws[-1]) > np.abs(ws[0]):
            verdict = "moving away: far too large"
        elif np.abs(ws[-1]) > 0.5:
            verdict = "still far from the bottom"
        else:
            verdict = "reached the bottom"
        ax.set_title(f"learning rate {rate.value:.2g}: after {steps} steps w = {ws[-1]:.3g} ({verdict})",
                     fontsize=11)
        widget.state.update(ws=ws, losses=losses, verdict=verdict, start=where["start"], lr=rate.value)
        widget.redraw()

    def on_click(widget, _ax, x, _y):
        where["start"] = round(min(max(x, START_RANGE[0]), START_RANGE[1]), 2)
        update(widget)

    def code(widget):
        return call_line("descent_demo", lr=rate.value, steps=steps, start=where["start"],
                         defaults=signature_defaults(descent_demo, "steps"))

    return make_widget(fig, {"lr": rate}, update, title="Your first slider", columns=1,
                       animated=[path_line, start_dot, ax.title], code=code, on_click=on_click,
                       summary=_demo_summary, key_points=lambda widget: [marker_point(start_dot)],
                       key_hint="the start point along the curve (left and right)")


def _demo_summary(widget) -> str:
    """What :func:`descent_demo` shows now, in words: the rate, how the dots move, where they end."""
    state = widget.state
    ws = state["ws"]
    steps = len(ws) - 1
    if ws[0] == 0 or ws[-1] == 0:
        motion = "reach the bottom, w = 0, and stay there"
    elif abs(ws[-1]) > abs(ws[0]):
        motion = "jump from side to side of the bottom, each landing farther out: the run diverges"
    elif (ws[1:] * ws[:-1] < 0).any():
        motion = "jump from side to side of the bottom (a zigzag)"
    else:
        motion = "roll down one side of the parabola"
    return (f"Gradient descent on the parabola ½·w², learning rate {number(state['lr'])}, {steps} steps from "
            f"w = {number(state['start'])}: the dots {motion}. After {steps} steps w = {number(ws[-1])} "
            f"({state['verdict']}).")
