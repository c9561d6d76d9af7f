"""Lesson 1, gradient descent from scratch: least-squares losses, finite differences, descent paths.

Every gradient here comes from minigrad's autograd (``loss.backward()``) and every step
from minigrad's own SGD rule (:func:`minigrad.optim.functional.sgd`), run by the course's
trajectory engine (:func:`coursekit.trajectories.descend`), so what the lesson draws is what
``minigrad.optim.SGD`` does to a real model.

Usage::

    from coursekit.datasets import diabetes
    from coursekit.gradient_descent import LeastSquares, gradient_descent

    data = diabetes(["bmi", "s5"])
    problem = LeastSquares(data.X, data.y)      # loss(w) = mean((X w - y)^2)
    path = gradient_descent(problem, start=[-1.0, 2.0], lr=0.1, steps=50)
    path.points[-1], path.losses[-1], problem.minimum

The widget :func:`descent_explorer` (learning rate on a log slider, number of steps)
draws the same descent on a one-weight and a two-weight loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MultipleLocator

import minigrad as mg
from minigrad.optim import functional as OF
from minigrad.utils.checks import check_positive

from .alt_text import gap_words, number
from .controls import count_slider, lr_slider
from .display import call_line, make_widget, marker_point, new_figure, signature_defaults
from .least_squares import EXTENT_2D, START_1D, START_2D, LeastSquares, lesson1_problems
from .surfaces import legend_below, note_below, start_marker
from .threads import single_blas_thread
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, label_axes
from .trajectories import Trajectory, descend, first_diverged

__all__ = [
    "LeastSquares",
    "DescentPath",
    "gradient_descent",
    "central_difference",
    "forward_difference",
    "difference_errors",
    "fit_full_batch",
    "FullBatchFit",
    "steps_to_reach",
    "training_cost",
    "lesson1_problems",
    "descent_compute",
    "descent_explorer",
    "path_words",
    "START_1D",
    "START_2D",
    "EXTENT_2D",
]

# Where gradient descent went: ``points`` (steps + 1, d), ``losses`` and ``grad_norms`` (steps + 1,),
# ``lr``; NaN from ``diverged_at`` on (the course's one rule, here on the loss alone).
DescentPath = Trajectory


def gradient_descent(loss_fn, start, lr: float, steps: int) -> DescentPath:
    """Plain gradient descent: ``w ← w − lr · ∇loss(w)``, ``steps`` times from ``start``.

    ``loss_fn`` maps a float64 minigrad Tensor ``w`` to a scalar loss Tensor (a
    :class:`LeastSquares` does). The gradient comes from ``backward()``; the step
    from :func:`minigrad.optim.functional.sgd`. A run stops at its first diverged step
    (:func:`~coursekit.trajectories.divergence`: the loss not finite or above 1e6 times the start).
    """
    check_positive("lr", lr, "gradient_descent")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"gradient_descent: steps must be a non-negative integer, got {steps!r}")
    start = np.array(start, dtype=np.float64).reshape(-1)
    w = mg.tensor(start, requires_grad=True)
    grad_norms = np.full(steps + 1, np.nan)
    calls = iter(range(steps + 1))

    def loss_and_gradient(point):  # one forward and one backward pass, as a training step takes
        w.data = point  # the engine's point itself: the rule updates it in place
        w.grad = None
        loss = loss_fn(w)
        value = float(loss.item())
        loss.backward()
        grad_norms[next(calls)] = float(np.linalg.norm(w.grad))
        return value, w.grad

    # Least squares: the loss tells when a run has diverged (no escape distance; lesson 3 alike).
    points, losses = descend(OF.sgd, loss_and_gradient, start, steps, loss="gradient", escape=None,
                             stop_early=True, lr=float(lr))
    diverged_at = first_diverged(points)
    if diverged_at is not None:
        grad_norms[diverged_at:] = np.nan
    return DescentPath("SGD", points, losses, diverged_at, {"lr": float(lr)}, grad_norms=grad_norms)


# -- finite differences ---------------------------------------------------------------------


def central_difference(f, w: float, h: float = 1e-5) -> float:
    """The slope of ``f`` at ``w`` from two nearby values: ``(f(w + h) − f(w − h)) / 2h``."""
    return (f(w + h) - f(w - h)) / (2.0 * h)


def forward_difference(f, w: float, h: float = 1e-5) -> float:
    """The one-sided slope ``(f(w + h) − f(w)) / h`` (error shrinks only in proportion to h)."""
    return (f(w + h) - f(w)) / h


def difference_errors(f, w: float, exact: float, hs):
    """Absolute errors of the forward and central differences for each nudge size in ``hs``."""
    hs = np.asarray(hs, dtype=np.float64)
    forward = np.array([abs(forward_difference(f, w, h) - exact) for h in hs])
    central = np.array([abs(central_difference(f, w, h) - exact) for h in hs])
    return forward, central


# -- full-batch training of a real model ----------------------------------------------------


@dataclass
class FullBatchFit:
    """A model trained by full-batch gradient descent with ``minigrad.training.fit``."""

    model: object
    history: object
    lr: float

    @property
    def losses(self) -> np.ndarray:
        """The training loss before each step (full batch: the exact loss, no noise)."""
        return np.asarray(self.history.step_loss)

    def predict(self, X) -> np.ndarray:
        with mg.no_grad():
            return self.model(mg.tensor(np.asarray(X, dtype=np.float64))).numpy().reshape(-1)


@single_blas_thread()
def fit_full_batch(X, y, *, lr: float, steps: int, seed: int = 0) -> FullBatchFit:
    """Linear regression ``y ≈ X w + b`` (``nn.Linear``) trained by full-batch gradient descent.

    Full batch means one batch holding the whole data set: every step sees the exact
    gradient. The loss is the mean squared error; the optimizer is ``optim.SGD``.
    """
    from minigrad import nn, optim
    from minigrad.nn import functional as F
    from minigrad.training import fit
    from minigrad.utils.data import DataLoader, TensorDataset

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    mg.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1, dtype=mg.float64)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y), batch_size=len(y))  # one batch = the whole data set
    history = fit(model, optimizer, loader, F.mse_loss, epochs=steps, progress=False)
    return FullBatchFit(model, history, float(lr))


def steps_to_reach(losses, target: float) -> int | None:
    """The first step whose loss is at or below ``target`` (None if the run never got there)."""
    losses = np.asarray(losses, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(losses <= target)
    return int(hits[0]) if hits.size else None


def training_cost(steps: float, seconds_per_step: float, dollars_per_gpu_hour: float = 0.85) -> float:
    """Dollars for ``steps`` optimizer steps on one accelerator billed by the hour."""
    for name, value in (("steps", steps), ("seconds_per_step", seconds_per_step),
                        ("dollars_per_gpu_hour", dollars_per_gpu_hour)):
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"training_cost: {name} must be a finite number >= 0, got {value!r}")
    return steps * seconds_per_step / 3600.0 * dollars_per_gpu_hour


# -- the lesson's two small problems and its widget -----------------------------------------

W_RANGE_1D = (-1.6, 2.8)  # the one-weight plot's weights (where a click can put its start)


def descent_compute(lr: float = 0.1, steps: int = 20, problems=None, *, start=START_2D, start_1d=START_1D[0]):
    """The widget's computation: ``(path_1d, path_2d)`` of gradient descent at ``lr`` for ``steps`` steps,
    from ``start_1d`` (one weight) and ``start`` (two weights)."""
    one, two = lesson1_problems() if problems is None else problems
    return gradient_descent(one, (start_1d,), lr, steps), gradient_descent(two, start, lr, steps)


def _check_starts(start, start_1d):
    xmin, xmax, ymin, ymax = EXTENT_2D
    point = np.asarray(start, dtype=np.float64)
    if point.shape != (2,) or not (xmin <= point[0] <= xmax and ymin <= point[1] <= ymax):
        raise ValueError(f"start must be a point (w_bmi, w_s5) with w_bmi in [{xmin:g}, {xmax:g}] and w_s5 in "
                         f"[{ymin:g}, {ymax:g}] (the plotted weights), got {start!r}")
    if not (W_RANGE_1D[0] <= start_1d <= W_RANGE_1D[1]):
        raise ValueError(f"start_1d must lie in [{W_RANGE_1D[0]:g}, {W_RANGE_1D[1]:g}] (the plotted weights), "
                         f"got {start_1d!r}")
    return (float(point[0]), float(point[1])), float(start_1d)


def _status(path: DescentPath, problem: LeastSquares) -> str:
    if path.diverged or path.losses[-1] > path.losses[0]:
        if not path.diverged:
            return f"moving away from the minimum:\nlearning rate above {problem.critical_lr:.2f}"
        return f"diverged at step {path.diverged_at}:\nlearning rate above {problem.critical_lr:.2f}"
    gap = path.losses[-1] - problem.min_loss
    return f"loss {path.losses[-1]:.4f}\n{gap:.1e} above the minimum"


CONVERGED = 1e-3  # a run has converged once its loss gap is 1/1000 of where it started (lesson 2's measure)
def path_words(path: DescentPath, min_loss: float) -> str:
    """Where a descent went, in words: diverged at step N, moving away, converged at step N, or how far it still is."""
    if path.diverged:
        return f"diverged at step {path.diverged_at}"
    start_gap, gap = path.losses[0] - min_loss, path.losses[-1] - min_loss
    if gap > start_gap:
        return f"moving away from the minimum, the loss gap grew from {number(start_gap)} to {number(gap)}"
    reached = steps_to_reach(path.losses, min_loss + CONVERGED * start_gap)
    if reached is not None:
        return f"converged at step {reached} (loss gap down to 1/1000 of its start), ends {gap_words(gap)} above the minimum"
    return f"{gap_words(gap)} above the minimum after {path.steps} steps, not yet 1/1000 of its starting gap"


def descent_explorer(lr: float = 0.1, steps: int = 20, *, start=START_2D, start_1d=START_1D[0],
                     max_steps: int = 100, interactive=None):
    """Gradient descent on the one-weight and the two-weight loss, with a learning-rate and a steps slider.

    Left: the one-weight loss curve with a dot per step. Middle: the two-weight loss
    as contours with the path. Right: how far above its minimum each loss is after
    every step (log scale). Moving a slider recomputes both paths (a few ms) and
    moves the existing lines. A click or drag on the left plot moves the one-weight
    start (``start_1d``), on the middle one the two-weight start (``start``).
    """
    starts = dict(zip(("two", "one"), _check_starts(start, start_1d)))
    one, two = problems = lesson1_problems()
    rate = lr_slider(lr, 1e-3, 2.0, description="learning rate")
    step_count = count_slider("steps", steps, 1, max_steps)
    # 8.8 x 4.8 in: a laptop's notebook column (display.COLUMN_FIGURE_PX) shows it whole. One legend
    # under the panels and the two status lines under their plots: nothing covers a path.
    fig, (ax1, ax2, ax3) = new_figure(1, 3, figsize=(8.8, 4.8), interactive=interactive,
                                      width_ratios=[1, 1, 1])
    sgd = OPTIMIZER_COLORS["SGD"]

    # left: the parabola
    w_grid = np.linspace(*W_RANGE_1D, 201)
    ax1.plot(w_grid, one.grid_values(w_grid[:, None]), color=COLORS["grey"], linewidth=1.5, label="loss")
    ax1.plot([one.minimum[0]], [one.min_loss], marker="*", markersize=13, color=ROLE_COLORS["minimum"],
             linestyle="none", label="minimum")
    (path1,) = ax1.plot([], [], color=sgd, marker="o", markersize=4, linewidth=1, label="steps")
    start1 = start_marker(ax1)
    start1.set_label("start (click to move)")
    ax1.set_xlim(w_grid[0], w_grid[-1])
    ax1.set_ylim(0.5, 5.0)
    label_axes(ax1, "One weight", "weight on bmi", "loss (MSE, standardised units²)")
    status1 = note_below(ax1)

    # middle: contours of the two-weight loss
    xmin, xmax, ymin, ymax = EXTENT_2D
    W1, W2 = np.meshgrid(np.linspace(xmin, xmax, 121), np.linspace(ymin, ymax, 121))
    Z = two.grid_values(np.stack([W1, W2], axis=-1))
    ax2.contour(W1, W2, Z, levels=two.min_loss + np.geomspace(0.01, 8, 12), colors=COLORS["grey"],
                linewidths=0.7)
    ax2.plot(*two.minimum, marker="*", markersize=13, color=ROLE_COLORS["minimum"], linestyle="none",
             label="minimum")
    (path2,) = ax2.plot([], [], color=sgd, marker="o", markersize=3, linewidth=1.2, label="path")
    start2 = start_marker(ax2)
    start2.set_label("start (click to move)")
    ax2.set_xlim(xmin, xmax)
    ax2.set_ylim(ymin, ymax)
    ax2.xaxis.set_major_locator(MultipleLocator(1.0))  # a narrow panel: whole weights only
    label_axes(ax2, "Two weights", "weight on bmi", "weight on s5")
    status2 = note_below(ax2)

    # right: loss above the minimum, per step
    (gap1,) = ax3.plot([], [], color=COLORS["blue"], label="one weight")
    (gap2,) = ax3.plot([], [], color=COLORS["vermillion"], label="two weights")
    ax3.set_yscale("log")
    ax3.set_ylim(1e-8, 1e2)
    # The step axis spans the slider's whole range, so a new number of steps never changes the
    # ticks: moving the slider only redraws the lines (a full repaint, contours included, is ~0.3 s).
    ax3.set_xlim(0, max_steps)
    label_axes(ax3, "Distance to the bottom", "step", "loss − minimum loss")
    # The left and middle plots draw the steps alike (dots on a line): one entry says "steps" for both.
    legend_below(fig, [ax1.lines[0], ax1.lines[1], path1, start1, gap1, gap2])

    title = fig.suptitle("", fontsize=11)

    def update(widget):
        path_1d, path_2d = descent_compute(rate.value, step_count.value, problems, start=starts["two"],
                                           start_1d=starts["one"])
        start1.set_data([starts["one"]], [one.value([starts["one"]])])
        start2.set_data([starts["two"][0]], [starts["two"][1]])
        w = np.clip(path_1d.points[:, 0], -1e3, 1e3)
        path1.set_data(w, np.minimum(path_1d.losses, 1e3))
        path2.set_data(*np.clip(path_2d.points, -1e3, 1e3).T)
        steps_axis = np.arange(step_count.value + 1)
        with np.errstate(invalid="ignore"):
            gap1.set_data(steps_axis, np.maximum(path_1d.losses - one.min_loss, 1e-12))
            gap2.set_data(steps_axis, np.maximum(path_2d.losses - two.min_loss, 1e-12))
        status1.set_text(_status(path_1d, one))
        status2.set_text(_status(path_2d, two))
        title.set_text(f"Gradient descent, learning rate {rate.value:.3g}, {step_count.value} steps "
                       f"(diverges above {one.critical_lr:.2f} with one weight, {two.critical_lr:.2f} with two)")
        widget.state.update(path_1d=path_1d, path_2d=path_2d, start=starts["two"], start_1d=starts["one"])
        widget.redraw()

    def on_click(widget, ax, x, y):
        if ax is ax1:
            starts["one"] = round(min(max(x, W_RANGE_1D[0]), W_RANGE_1D[1]), 2)
        elif ax is ax2:
            starts["two"] = (round(min(max(x, xmin), xmax), 2), round(min(max(y, ymin), ymax), 2))
        else:
            return
        update(widget)

    def code(widget):
        return call_line("descent_explorer", lr=rate.value, steps=step_count.value, start=starts["two"],
                         start_1d=starts["one"], max_steps=max_steps,
                         defaults=signature_defaults(descent_explorer, "start_1d", "max_steps"))

    def summary(widget):
        path_1d, path_2d = widget.state["path_1d"], widget.state["path_2d"]
        return (f"Gradient descent at learning rate {number(path_1d.lr)}, {path_1d.steps} steps (it diverges above "
                f"{number(one.critical_lr)} with one weight, {number(two.critical_lr)} with two). "
                f"One weight, from w = {number(widget.state['start_1d'])}: {path_words(path_1d, one.min_loss)}. "
                f"Two weights, from ({', '.join(number(v) for v in widget.state['start'])}): "
                f"{path_words(path_2d, two.min_loss)}.")

    return make_widget(fig, {"lr": rate, "steps": step_count}, update, title="Gradient descent explorer",
                       columns=2, animated=[path1, path2, start1, start2, gap1, gap2, status1, status2, title],
                       code=code, on_click=on_click, summary=summary,
                       key_points=lambda widget: [marker_point(start1), marker_point(start2)])
