"""Lesson 3: does mini-batch noise help SGD leave a poor minimum? Counted over many seeds.

The loss has one weight and two valleys: a shallow, poor one where the run starts, and a deeper,
better one beyond a ridge. The data set is ``num_examples`` examples; example ``i`` has the loss

    ℓ_i(w) = (w² − 1)² + a_i · w            (a_i: the example's own tilt)

so the full loss, the mean over all examples, is ``(w² − 1)² + TILT · w`` (the a_i average to
``TILT``), and a mini-batch gradient is the full gradient plus the batch's deviation of its mean
tilt: exact, noise-free gradient descent for the full batch, noisier steps for smaller batches.
Batches are drawn as a data loader does (shuffle every epoch, cut into batches); each step is
minigrad's SGD rule, run by the course's trajectory engine. All seeds run at once, as one column
of weights.

Usage::

    from coursekit import escape
    grid = escape.escape_grid(batch_sizes=[1, 16, 256], lrs=[0.03])
    grid.share_escaped       # (learning rates × batch sizes): share of seeds ending in the better valley
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from minigrad.optim import functional as OF
from minigrad.utils.checks import check_positive

from .trajectories import descend

__all__ = ["TILT", "NOISE", "START", "full_loss", "full_gradient", "example_tilts", "ridge", "minima",
           "EscapeRun", "sgd_escape", "EscapeGrid", "escape_grid", "plot_escape"]

TILT = 0.3        # mean tilt: makes the left valley the deeper one
NOISE = 2.0       # spread of the examples' tilts: per-example slopes scatter by about the loss's own steepest slope
START = 1.5       # on the outer wall of the poor (right) valley


def full_loss(w):
    """The loss over all examples: two valleys, the left one deeper by about 2 × TILT."""
    w = np.asarray(w, dtype=float)
    return (w * w - 1) ** 2 + TILT * w


def full_gradient(w):
    """Its slope: d/dw [(w² − 1)² + TILT w] = 4 w (w² − 1) + TILT."""
    w = np.asarray(w, dtype=float)
    return 4 * w * (w * w - 1) + TILT


def _critical_points() -> np.ndarray:
    """The three places where the slope is 0: left minimum, ridge, right minimum (sorted)."""
    roots = np.roots([4.0, 0.0, -4.0, TILT])
    return np.sort(roots.real[np.abs(roots.imag) < 1e-12])


def ridge() -> float:
    """The top of the ridge between the valleys: a weight below it is in the better (left) valley."""
    return float(_critical_points()[1])


def minima() -> tuple[float, float]:
    """(better minimum, poor minimum) as weights."""
    points = _critical_points()
    return float(points[0]), float(points[2])


def example_tilts(num_examples: int = 256, noise: float = NOISE, seed: int = 0) -> np.ndarray:
    """The examples' tilts: mean exactly TILT and standard deviation exactly ``noise``."""
    if num_examples < 2:
        raise ValueError(f"example_tilts: num_examples must be at least 2, got {num_examples}")
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"example_tilts: noise must be a finite number >= 0, got {noise!r}")
    z = np.random.default_rng(seed).standard_normal(num_examples)
    z = (z - z.mean()) / z.std()
    return TILT + noise * z


@dataclass
class EscapeRun:
    """SGD from START at one batch size and learning rate, for many seeds at once."""

    batch_size: int
    lr: float
    final_w: np.ndarray     # one final weight per seed (nan: diverged)
    tail_loss: np.ndarray   # per seed: mean full loss over the last tenth of the steps
    crossings: np.ndarray   # per seed: how many times the run crossed the ridge, either way
    paths: np.ndarray       # (steps + 1, shown seeds): the weight along the way, for a few seeds

    @property
    def escaped(self) -> np.ndarray:
        """Per seed: did the run end in the better valley (left of the ridge)?"""
        return np.nan_to_num(self.final_w, nan=np.inf) < ridge()

    @property
    def share_escaped(self) -> float:
        return float(np.mean(self.escaped))

    @property
    def diverged(self) -> int:
        return int(np.sum(np.isnan(self.final_w)))


def sgd_escape(batch_size: int, lr: float, *, steps: int = 3000, seeds: int = 100, tilts=None,
               start: float = START, keep_paths: int = 5) -> EscapeRun:
    """Run mini-batch SGD on the two-valley loss for ``seeds`` seeds (seed k shuffles with rng(k)).

    A seed whose full loss blows up (the course's one divergence rule: 1e6 times its start) is
    NaN from there on and counts as not escaped; none does at the lesson's rates (0.1 and below).
    """
    tilts = example_tilts() if tilts is None else np.asarray(tilts, dtype=float)
    n = len(tilts)
    if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n or n % batch_size:
        raise ValueError(f"sgd_escape: batch_size must divide the {n} examples (1 to {n}), got {batch_size!r}")
    check_positive("lr", lr, "sgd_escape")
    if steps < 10 or seeds < 1:
        raise ValueError(f"sgd_escape: need at least 10 steps and 1 seed, got steps={steps}, seeds={seeds}")
    rngs = [np.random.default_rng(seed) for seed in range(seeds)]
    per_epoch = n // batch_size
    taken = iter(range(steps))
    order = None

    def batch_gradient(w):  # w: (seeds, 1)
        nonlocal order
        step = next(taken)
        if step % per_epoch == 0:  # a new epoch: every seed reshuffles its own copy of the data
            order = np.stack([rng.permutation(n) for rng in rngs])
        batch = order[:, (step % per_epoch) * batch_size:(step % per_epoch + 1) * batch_size]
        batch_tilt = tilts[batch].mean(axis=1, keepdims=True)
        return full_gradient(w) + (batch_tilt - TILT)  # the batch's loss differs only in its tilt

    # One run per seed, NaN from its first diverged step on (the course's one rule).
    points, losses = descend(OF.sgd, batch_gradient, np.full((seeds, 1), float(start)), steps,
                             loss=lambda points: full_loss(points[..., 0]), escape=None, lr=float(lr))
    w = points[..., 0]  # (steps + 1, seeds)
    better_side = w < ridge()  # (a diverged run, nan, counts as on the poor side)
    crossings = np.sum(better_side[1:] != better_side[:-1], axis=0)
    tail_start = steps - steps // 10
    tail_loss = np.sum(losses[tail_start + 1:], axis=0) / (steps - tail_start)
    return EscapeRun(int(batch_size), float(lr), w[-1].copy(), tail_loss, crossings, w[:, :keep_paths].copy())


@dataclass
class EscapeGrid:
    batch_sizes: list
    lrs: list
    runs: dict  # (lr, batch_size) -> EscapeRun

    @property
    def share_escaped(self) -> np.ndarray:
        return np.array([[self.runs[lr, b].share_escaped for b in self.batch_sizes] for lr in self.lrs])

    def table(self) -> str:
        """Share of seeds ending in the better valley, one row per learning rate."""
        n = len(self.runs[self.lrs[0], self.batch_sizes[0]].final_w)
        full = max(self.batch_sizes)
        head = " ".join(f"{('full' if b == full else 'B=' + str(b)):>8}" for b in self.batch_sizes)
        lines = [f"{'lr':>6} {head}   (share of {n} seeds that end in the better valley)"]
        for lr in self.lrs:
            cells = []
            for b in self.batch_sizes:
                run = self.runs[lr, b]
                cells.append(f"{run.share_escaped:8.0%}" + ("*" if run.diverged else ""))
            lines.append(f"{lr:6g} " + " ".join(cells))
        if any(run.diverged for run in self.runs.values()):
            lines.append("* some seeds diverged (counted as not escaped)")
        return "\n".join(lines)


def escape_grid(batch_sizes=(1, 4, 16, 64, 256), lrs=(0.01, 0.03, 0.1), *, steps: int = 3000, seeds: int = 100,
                noise: float = NOISE) -> EscapeGrid:
    """Every (learning rate, batch size) pair, on the same 256 examples and seeds."""
    tilts = example_tilts(noise=noise)
    runs = {(lr, b): sgd_escape(b, lr, steps=steps, seeds=seeds, tilts=tilts) for lr in lrs for b in batch_sizes}
    return EscapeGrid(list(batch_sizes), list(lrs), runs)


def plot_escape(grid: EscapeGrid, lr: float, small: int, axes=None):
    """Left: the full loss with both valleys. Right: the weight along the way for a few seeds, batch
    ``small`` against the full batch, at learning rate ``lr``."""
    import matplotlib.pyplot as plt

    from .alt_text import describe, number
    from .style import COLORS, ROLE_COLORS, label_axes

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4), width_ratios=[1, 1.4])
    ax_loss, ax_path = axes
    ws = np.linspace(-1.7, 1.7, 300)
    better, poor = minima()
    ax_loss.plot(ws, full_loss(ws), color=COLORS["grey"], label="full loss")
    ax_loss.plot([better], [full_loss(better)], "*", markersize=14, color=ROLE_COLORS["minimum"],
                 label="better minimum")
    ax_loss.plot([poor], [full_loss(poor)], "o", markersize=8, color=COLORS["vermillion"], label="poor minimum")
    ax_loss.plot([START], [full_loss(START)], "o", markersize=8, markerfacecolor="white",
                 markeredgecolor=ROLE_COLORS["start"], label="start")
    ax_loss.axvline(ridge(), color=COLORS["grey"], linestyle=":", linewidth=1, label="ridge")
    ax_loss.set_ylim(-0.6, 2.5)
    label_axes(ax_loss, "One weight, two valleys", "weight w", "full loss", legend=True, legend_loc="upper center")
    full = max(grid.batch_sizes)
    noisy, exact = grid.runs[lr, small], grid.runs[lr, full]
    shown = min(3, noisy.paths.shape[1])  # more seeds than this draw one grey band
    for k, color in zip(range(shown), (COLORS["blue"], COLORS["sky_blue"], COLORS["bluish_green"])):
        ax_path.plot(noisy.paths[:, k], color=color, linewidth=0.6, alpha=0.8, label=f"batch {small}, seed {k}")
    ax_path.plot(exact.paths[:, 0], color=COLORS["vermillion"], linewidth=2.5, label="full batch (every seed)")
    ax_path.axhline(ridge(), color=COLORS["grey"], linestyle=":", linewidth=1, label="ridge")
    label_axes(ax_path, f"The weight along the way, learning rate {lr:g}", "step", "weight w", legend=True,
               legend_loc="center right")
    describe(ax_loss, f"The full loss over one weight has two valleys: the run starts at w = {number(START)} in the poor "
                      f"one (bottom at w = {number(poor)}, loss {number(full_loss(poor))}); the better one (bottom at "
                      f"w = {number(better)}, loss {number(full_loss(better))}) lies beyond a ridge at "
                      f"w = {number(ridge())}.")
    ends = ", ".join(number(w) for w in noisy.paths[-1, :shown])
    describe(ax_path, f"The weight along {noisy.paths.shape[0] - 1} steps at learning rate {lr:g}: the full batch "
                      f"ends at w = {number(exact.paths[-1, 0])}, "
                      f"{'in the better valley' if exact.paths[-1, 0] < ridge() else 'in the poor valley'}, for every "
                      f"seed; the {shown} seeds drawn with batch {small} end at w = {ends}. Of all "
                      f"{len(noisy.final_w)} seeds with batch {small}, {noisy.share_escaped:.0%} end in the better "
                      "valley.")
    return axes
