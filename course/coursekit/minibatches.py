"""Lesson 3, SGD and mini-batches: gradient noise, the cost of a step, noisy paths over true contours.

Everything is measured with minigrad itself: gradients from ``backward()``, batches from
``minigrad.utils.data.DataLoader``, training from ``minigrad.training.fit``, steps from
minigrad's SGD rule.

Usage::

    from coursekit.datasets import digits
    from coursekit import minibatches as mb

    data = digits()
    model = mb.softmax_regression(seed=0)
    noise = mb.gradient_noise(model, data.X_train, data.y_train, [1, 4, 16, 64, 256])
    noise.variance            # mean squared distance of a batch gradient from the full gradient
    noise.predicted           # sigma² / B · (N − B) / (N − 1): the 1/B law for sampling without replacement

    run = mb.train_with_batch_size(data, batch_size=32, lr=0.5, epochs=2)
    run.eval_steps, run.eval_losses   # full training loss along the run

The widget :func:`minibatch_explorer` (batch size in powers of two, learning rate on a log
scale) draws stochastic gradient descent on a two-weight linear regression over the
contours of its full loss.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from matplotlib.ticker import MultipleLocator

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.optim import functional as OF
from minigrad.training import train_step
from minigrad.utils.checks import check_count, check_positive
from minigrad.utils.data import DataLoader, TensorDataset

from .alt_text import gap_words, number
from .controls import batch_size_slider, lr_slider
from .display import make_widget, new_figure
from .least_squares import EXTENT_2D, START_2D, LeastSquares, lesson1_problems
from .networks import shuffled_loader
from .threads import single_blas_thread
from .style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, SEQUENTIAL_CMAP, label_axes
from .surfaces import legend_below, note_below
from .trajectories import Trajectory, descend, first_diverged

__all__ = [
    "softmax_regression",
    "flat_gradient",
    "per_example_gradients",
    "GradientNoise",
    "gradient_noise",
    "noise_scale",
    "time_per_step",
    "MinibatchRun",
    "train_with_batch_size",
    "first_step_below",
    "batch_size_colors",
    "minibatch_descent",
    "SGDPath",
    "stationary_gap",
    "minibatch_compute",
    "minibatch_explorer",
]


def softmax_regression(num_features: int = 64, num_classes: int = 10, *, seed: int = 0):
    """A linear classifier (``nn.Linear``, float64): one score per class, softmax cross-entropy on top."""
    mg.manual_seed(seed)
    return nn.Linear(num_features, num_classes, dtype=mg.float64)


def _parameters(model):
    return list(model.parameters())


def flat_gradient(model, X, y, loss_fn=F.cross_entropy) -> np.ndarray:
    """The gradient of the mean loss over ``(X, y)`` with respect to every weight, as one vector."""
    params = _parameters(model)
    for p in params:
        p.zero_grad()
    inputs = X if isinstance(X, mg.Tensor) else mg.tensor(X)
    targets = y if isinstance(y, mg.Tensor) else mg.tensor(y)
    loss_fn(model(inputs), targets).backward()
    return np.concatenate([np.asarray(p.grad, dtype=np.float64).reshape(-1) for p in params])


def per_example_gradients(model, X, y, loss_fn=F.cross_entropy) -> np.ndarray:
    """One gradient per example, ``(N, number of weights)``: what a batch of size 1 would see."""
    X, y = np.asarray(X), np.asarray(y)
    return np.stack([flat_gradient(model, X[i:i + 1], y[i:i + 1], loss_fn) for i in range(len(y))])


@dataclass
class GradientNoise:
    """How far mini-batch gradients scatter around the full gradient, by batch size.

    ``variance[k]``: the mean over ``draws`` batches of size ``batch_sizes[k]`` of
    ``‖g_batch − g_full‖²``. ``per_example_variance`` (σ²) is the same quantity for batches
    of one, computed exactly over every example. ``predicted`` is what theory says for
    batches drawn without replacement from N examples, σ²/B · (N − B)/(N − 1), and
    ``one_over_b`` the plain σ²/B line.
    """

    batch_sizes: np.ndarray
    variance: np.ndarray
    per_example_variance: float
    full_gradient_norm2: float
    num_examples: int
    draws: int

    @property
    def one_over_b(self) -> np.ndarray:
        return self.per_example_variance / self.batch_sizes

    @property
    def predicted(self) -> np.ndarray:
        n, b = self.num_examples, self.batch_sizes
        return self.per_example_variance / b * (n - b) / (n - 1)

    @property
    def noise_scale(self) -> float:
        """σ² / ‖g‖²: the batch size at which the noise in a batch gradient equals the signal."""
        return self.per_example_variance / self.full_gradient_norm2

    @property
    def relative_noise(self) -> np.ndarray:
        """Noise over signal for each batch size: √variance / ‖g_full‖."""
        return np.sqrt(self.variance / self.full_gradient_norm2)


def _batches(X, y, batch_size: int, count: int, seed: int):
    """``count`` shuffled batches of exactly ``batch_size`` examples, epoch after epoch (DataLoader)."""
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, drop_last=True, seed=seed)
    produced = 0
    while produced < count:
        for batch in loader:
            yield batch
            produced += 1
            if produced == count:
                return


@single_blas_thread()
def gradient_noise(model, X, y, batch_sizes, *, draws: int = 200, seed: int = 0,
                   loss_fn=F.cross_entropy) -> GradientNoise:
    """Measure the scatter of mini-batch gradients around the full gradient at the model's current weights."""
    X, y = np.asarray(X), np.asarray(y)
    batch_sizes = np.asarray(sorted(int(b) for b in batch_sizes))
    if batch_sizes.size == 0 or batch_sizes[0] < 1 or batch_sizes[-1] > len(y):
        raise ValueError(f"gradient_noise: batch sizes must lie in [1, {len(y)}], got {batch_sizes.tolist()}")
    if draws < 2:
        raise ValueError(f"gradient_noise: draws must be at least 2, got {draws}")
    full = flat_gradient(model, X, y, loss_fn)
    per_example = per_example_gradients(model, X, y, loss_fn)
    sigma2 = float(np.mean(np.sum((per_example - full) ** 2, axis=1)))
    variances = []
    for index, batch_size in enumerate(batch_sizes):
        distances = [np.sum((flat_gradient(model, xb, yb, loss_fn) - full) ** 2)
                     for xb, yb in _batches(X, y, int(batch_size), draws, seed + index)]
        variances.append(float(np.mean(distances)))
    return GradientNoise(batch_sizes, np.array(variances), sigma2, float(full @ full), len(y), draws)


@single_blas_thread()
def noise_scale(model, X, y, loss_fn=F.cross_entropy) -> float:
    """σ² / ‖g‖² at the model's weights (the "simple noise scale" of McCandlish et al., 2018)."""
    full = flat_gradient(model, X, y, loss_fn)
    per_example = per_example_gradients(model, X, y, loss_fn)
    return float(np.mean(np.sum((per_example - full) ** 2, axis=1)) / (full @ full))


@single_blas_thread()
def time_per_step(make_model, X, y, batch_sizes, *, repeats: int = 30, lr: float = 0.1,
                  loss_fn=F.cross_entropy) -> np.ndarray:
    """Median wall-clock seconds of one SGD step (``train_step``: forward, backward, update) for each batch size."""
    X, y = np.asarray(X), np.asarray(y)
    medians = []
    for batch_size in batch_sizes:
        model = make_model()
        optimizer = optim.SGD(model.parameters(), lr=lr)
        xb, yb = mg.tensor(X[:batch_size]), mg.tensor(y[:batch_size])
        times = []
        for _ in range(repeats + 2):
            started = time.perf_counter()
            train_step(model, optimizer, loss_fn, (xb, yb))
            times.append(time.perf_counter() - started)
        medians.append(float(np.median(times[2:])))  # the first two warm caches up
    return np.array(medians)


@dataclass
class MinibatchRun:
    """One training run at a fixed batch size, with the full training loss measured along the way."""

    batch_size: int
    lr: float
    steps_per_epoch: int
    eval_steps: np.ndarray  # optimizer steps taken when each evaluation happened
    eval_losses: np.ndarray  # full training loss (all examples) at those steps
    val_accuracy: float
    history: object = field(repr=False)

    @property
    def steps(self) -> int:
        return int(self.eval_steps[-1])

    @property
    def eval_epochs(self) -> np.ndarray:
        """Evaluation points in epochs (passes over the training set)."""
        return self.eval_steps / self.steps_per_epoch

    @property
    def final_loss(self) -> float:
        return float(self.eval_losses[-1])


@single_blas_thread()
def train_with_batch_size(data, batch_size: int, *, lr: float, epochs: float = None, steps: int = None,
                          seed: int = 0, evaluations: int = 40, model=None) -> MinibatchRun:
    """Train softmax regression on ``data`` (a :class:`~coursekit.datasets.ClassificationSplit`) with SGD.

    The run lasts ``steps`` optimizer steps, or ``epochs`` passes over the data, or the
    longer of the two when both are given. The full training loss is measured about
    ``evaluations`` times, at log-spaced steps (so a log step axis is evenly covered), or
    after every step with ``evaluations=None``.
    """
    n = len(data.y_train)
    batch_size = min(int(batch_size), n)
    steps_per_epoch = math.ceil(n / batch_size)
    total = max(math.ceil((epochs or 0) * steps_per_epoch), steps or 0)
    if total < 1:
        raise ValueError("train_with_batch_size: give epochs or steps (a positive number)")
    model = softmax_regression(data.num_features, data.num_classes, seed=seed) if model is None else model
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = shuffled_loader(data.X_train, data.y_train, batch_size, seed=seed)
    X_all, y_all = mg.tensor(data.X_train), mg.tensor(data.y_train)
    if evaluations is None:
        checkpoints = None
    else:
        checkpoints = set(np.unique(np.round(np.geomspace(1, total, evaluations))).astype(int).tolist())
    eval_steps, eval_losses = [0], [_mean_loss(model, X_all, y_all)]

    def measure(history):
        if checkpoints is None or history.num_steps in checkpoints:
            eval_steps.append(history.num_steps)
            eval_losses.append(_mean_loss(model, X_all, y_all))

    from minigrad.training import fit

    history = fit(model, optimizer, loader, F.cross_entropy, epochs=math.ceil(total / steps_per_epoch),
                  max_steps=total, progress=False, callback=measure)
    with mg.no_grad():
        predictions = model(mg.tensor(data.X_val)).numpy().argmax(axis=1)
    accuracy = float(np.mean(predictions == data.y_val))
    return MinibatchRun(batch_size, float(lr), steps_per_epoch, np.array(eval_steps), np.array(eval_losses),
                    accuracy, history)


def _mean_loss(model, X, y) -> float:
    with mg.no_grad():
        return float(F.cross_entropy(model(X), y).item())


def batch_size_colors(batch_sizes):
    """One colour per batch size from the course's sequential colour map (dark: small, light: large)."""
    import matplotlib

    cmap = matplotlib.colormaps[SEQUENTIAL_CMAP]
    count = len(batch_sizes)
    return [cmap(0.85 * i / max(1, count - 1)) for i in range(count)]


def first_step_below(run: MinibatchRun, target: float):
    """The first measured step at which the full training loss was at or below ``target`` (None: never).

    Exact when the run measured every step (``evaluations=None``).
    """
    hits = np.flatnonzero(run.eval_losses <= target)
    return int(run.eval_steps[hits[0]]) if hits.size else None


# -- stochastic paths on the two-weight regression -------------------------------------------


# Mini-batch SGD on a LeastSquares problem: ``points``, the FULL loss at each, ``batch_size``, ``lr``,
# ``num_examples`` and ``epochs``.
SGDPath = Trajectory


@single_blas_thread()
def minibatch_descent(problem: LeastSquares, batch_size: int, lr: float, steps: int, *, start=START_2D,
                      seed: int = 0) -> SGDPath:
    """SGD on ``problem``'s data: each step's gradient comes from ``batch_size`` shuffled examples.

    A batch size at or above the number of examples is full-batch gradient descent. The
    recorded loss is always the full loss, the quantity the contours show. A run stops at its
    first diverged step (:func:`~coursekit.trajectories.divergence`: a weight 1000 from its start,
    or the full loss blown up).
    """
    check_positive("lr", lr, "minibatch_descent")
    check_count("batch_size", batch_size, "minibatch_descent")
    n = len(problem.y)
    batch_size = min(int(batch_size), n)
    start = np.array(start, dtype=np.float64).reshape(-1)
    w = mg.tensor(start, requires_grad=True)
    batches = _batches(problem.X, problem.y, batch_size, steps, seed)

    def batch_gradient(point):  # the gradient of the next batch's loss, by backward()
        xb, yb = next(batches)
        w.data = point  # the engine's point itself: the rule updates it in place
        w.zero_grad()
        residual = xb @ w - yb
        (residual * residual).mean().backward()
        return w.grad

    # Least squares: the full loss tells when a run has diverged, as in lesson 1 (no escape distance).
    points, losses = descend(OF.sgd, batch_gradient, start, steps, loss=problem.grid_values, escape=None,
                             stop_early=True, lr=float(lr))
    return SGDPath("SGD", points, losses, first_diverged(points), {"lr": float(lr)}, batch_size=batch_size,
                   num_examples=n)


def stationary_gap(path: SGDPath, problem: LeastSquares, fraction: float = 0.5) -> float:
    """Mean excess loss over the last ``fraction`` of the steps: where SGD's noise keeps it hovering."""
    tail = path.losses[int(len(path.losses) * (1 - fraction)):]
    return float(np.mean(tail) - problem.min_loss)


def minibatch_compute(batch_size: int = 32, lr: float = 0.1, steps: int = 100, *, seed: int = 0, problem=None,
                      full_paths: dict | None = None):
    """The widget's computation: ``(path at this batch size, full-batch path)`` on the two-weight loss.

    ``full_paths`` (a dict) caches the full-batch path by learning rate: a batch-size move
    then recomputes only the mini-batch path.
    """
    problem = lesson1_problems()[1] if problem is None else problem
    path = minibatch_descent(problem, batch_size, lr, steps, seed=seed)
    key = (float(lr), int(steps))
    if full_paths is None or key not in full_paths:
        full = minibatch_descent(problem, len(problem.y), lr, steps, seed=seed)
        if full_paths is not None:
            full_paths[key] = full
    return path, (full if full_paths is None else full_paths[key])


def _describe(path: SGDPath, problem: LeastSquares) -> str:
    if path.diverged_at is not None:
        return f"diverged at step {path.diverged_at}: lower the learning rate"
    size = "full batch" if path.batch_size == path.num_examples else f"batch {path.batch_size}"
    return (f"{size}: {path.steps} steps = {path.epochs:.3g} epochs\n"
            f"loss above the minimum, last half: {stationary_gap(path, problem):.2e}")


def minibatch_explorer(batch_size: int = 32, lr: float = 0.1, steps: int = 100, *, seed: int = 0,
                       interactive=None):
    """Mini-batch SGD on the two-weight regression: batch-size slider (powers of two) and learning rate.

    Left: the path over the contours of the full loss, with the full-batch path for
    comparison. Right: each path's full loss above the minimum, step by step (log scale).
    A batch of 512 is more than the 442 examples: it means the full batch.
    """
    problem = lesson1_problems()[1]
    size = batch_size_slider(batch_size, 1, 512, continuous_update=True)
    rate = lr_slider(lr, 1e-3, 1.0, description="learning rate")
    # 8.8 in wide: a laptop's notebook column (display.COLUMN_FIGURE_PX) shows it whole. One legend
    # under both panels and the run's numbers under the map: nothing covers a path or a curve.
    fig, (ax_map, ax_loss) = new_figure(1, 2, figsize=(8.8, 4.8), interactive=interactive,
                                        width_ratios=[1, 1.15])
    xmin, xmax, ymin, ymax = EXTENT_2D
    W1, W2 = np.meshgrid(np.linspace(xmin, xmax, 121), np.linspace(ymin, ymax, 121))
    Z = problem.grid_values(np.stack([W1, W2], axis=-1))
    ax_map.contour(W1, W2, Z, levels=problem.min_loss + np.geomspace(0.01, 8, 12), colors=COLORS["grey"],
                   linewidths=0.7)
    ax_map.plot(*problem.minimum, marker="*", markersize=13, color=ROLE_COLORS["minimum"], linestyle="none",
                label="minimum of the full loss", zorder=5)
    (full_line,) = ax_map.plot([], [], color=COLORS["grey"], linewidth=2, alpha=0.8, label="full batch")
    (path_line,) = ax_map.plot([], [], color=OPTIMIZER_COLORS["SGD"], marker="o", markersize=2, linewidth=0.9,
                               label="mini-batch SGD")
    ax_map.set_xlim(xmin, xmax)
    ax_map.set_ylim(ymin, ymax)
    ax_map.xaxis.set_major_locator(MultipleLocator(1.0))  # lesson 1's ticks: whole weights
    label_axes(ax_map, "Path over the true loss", "weight on bmi", "weight on s5")
    status = note_below(ax_map)

    steps_axis = np.arange(steps + 1)
    (full_gap,) = ax_loss.plot([], [], color=COLORS["grey"], linewidth=2, label="full batch")
    (gap,) = ax_loss.plot([], [], color=OPTIMIZER_COLORS["SGD"], linewidth=1.2, label="mini-batch SGD")
    ax_loss.set_yscale("log")
    ax_loss.set_xlim(0, steps)
    ax_loss.set_ylim(1e-6, 1e1)
    label_axes(ax_loss, "Full loss along the way", "step", "full loss − minimum loss (log scale)")
    legend_below(fig, [ax_map.lines[0], full_line, path_line])  # the same lines left and right
    title = fig.suptitle("")
    full_paths: dict = {}

    def update(widget):
        path, full = minibatch_compute(size.value, rate.value, steps, seed=seed, problem=problem,
                                       full_paths=full_paths)
        full_line.set_data(*np.clip(full.points, -1e3, 1e3).T)
        path_line.set_data(*np.clip(path.points, -1e3, 1e3).T)
        with np.errstate(invalid="ignore"):
            full_gap.set_data(steps_axis, np.maximum(full.losses - problem.min_loss, 1e-12))
            gap.set_data(steps_axis, np.maximum(path.losses - problem.min_loss, 1e-12))
        status.set_text(_describe(path, problem))
        fig.suptitle(f"Batch size {size.value}"
                     + (f" (all {path.num_examples} examples)" if size.value >= path.num_examples else "")
                     + f", learning rate {rate.value:.3g}, {steps} steps")
        widget.state.update(path=path, full=full, batch_size=size.value, problem=problem)
        widget.redraw()

    return make_widget(fig, {"batch_size": size, "lr": rate}, update, title="Mini-batch explorer", columns=2,
                       animated=[full_line, path_line, status, full_gap, gap, title], summary=_explorer_summary)


def _ending_words(path: SGDPath, problem: LeastSquares) -> str:
    """Where a path ended up: diverged at step N, or its full loss above the minimum over its last half."""
    if path.diverged:
        return f"diverged at step {path.diverged_at}"
    return f"averages {gap_words(stationary_gap(path, problem))} above the minimum over the last half of the steps"


def _explorer_summary(widget) -> str:
    """What :func:`minibatch_explorer` shows now: the batch, the rate, and how far each path stays from the minimum."""
    state = widget.state
    path, full, problem = state["path"], state["full"], state["problem"]
    head = (f"Batch size {state['batch_size']}, learning rate {number(path.lr)}, {path.steps} steps "
            f"({number(path.epochs)} epochs of the {path.num_examples} examples).")
    if path.batch_size == path.num_examples:
        return (f"{head} A batch this large is the full batch, so the path over the contours is plain gradient "
                f"descent; its full loss {_ending_words(path, problem)}.")
    if not (path.diverged or full.diverged):
        return (f"{head} The full loss above the minimum, averaged over the last half of the steps: mini-batch SGD "
                f"{gap_words(stationary_gap(path, problem))}, the full batch (grey) "
                f"{gap_words(stationary_gap(full, problem))}.")
    return (f"{head} Mini-batch SGD {_ending_words(path, problem)}; the full batch (grey) "
            f"{_ending_words(full, problem)}.")
