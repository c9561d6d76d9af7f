"""The trajectory engine: minigrad's own update rules run on a 2-D loss surface.

Nothing here re-implements an optimizer. Each step asks the surface for a gradient and
hands it to the rule from :mod:`minigrad.optim.functional`, which updates the point and
its state in place, exactly as ``minigrad.optim.Adam`` does for a real network.

Usage::

    from coursekit.trajectories import trajectory, race, TrajectoryCache

    path = trajectory("Adam", "rosenbrock", steps=300, lr=0.05)
    path.points          # (301, 2): start, then one row per step (NaN after divergence)
    path.losses          # (301,)
    path.diverged_at     # None, or the first step whose point counts as diverged
    points, losses = path            # unpacks like a tuple

    cache = TrajectoryCache()
    paths = race("valley", {"SGD": {"lr": 0.4}, "Adam": {"lr": 0.3}}, cache=cache)
    # moving one control recomputes only the optimizers whose settings changed
    paths = race("valley", {"SGD": {"lr": 0.4}, "Adam": {"lr": 0.1}}, cache=cache)
    cache.last_computed  # ('Adam',)

``rule`` is a course optimizer name (see :data:`RULES`: "SGD", "Momentum", "Nesterov",
"AdaGrad", "RMSProp", "Adam", "AdamW"; torch spellings accepted) or any function with
the functional signature ``rule(param, grad, state, **hyperparams)``.

A run *diverges* at the first step where the point is not finite, lies more than
``1000`` plot-widths from the start, or has a loss above ``1e6`` times
``max(1, loss at the start)``. From there on its points and losses are NaN, so a plot
shows the path up to the blow-up and the widgets can say "diverged at step N".
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from minigrad.optim import functional as OF

from .style import OPTIMIZER_NAMES, canonical_optimizer_name
from .surfaces import get_surface

__all__ = [
    "RULES",
    "Trajectory",
    "TrajectoryCache",
    "trajectory",
    "race",
    "resolve_rule",
    "DIVERGENCE_LOSS_FACTOR",
    "stability_limit",
    "lowest_diverging_lr",
    "drawable",
    "draw_path",
]

# Each course optimizer = one functional rule + the settings that make it that optimizer.
# The remaining hyperparameters keep torch.optim's defaults unless the caller passes them.
RULES: dict[str, tuple[Callable, dict]] = {
    "SGD": (OF.sgd, {}),
    "Momentum": (OF.sgd, {"momentum": 0.9}),
    "Nesterov": (OF.sgd, {"momentum": 0.9, "nesterov": True}),
    "AdaGrad": (OF.adagrad, {}),
    "RMSProp": (OF.rmsprop, {}),
    "Adam": (OF.adam, {}),
    "AdamW": (OF.adamw, {}),
}
assert tuple(RULES) == OPTIMIZER_NAMES

DIVERGENCE_LOSS_FACTOR = 1e6
ESCAPE_PLOT_WIDTHS = 1e3


@dataclass
class Trajectory:
    """The path of one optimizer: ``points`` (steps + 1, 2) and ``losses`` (steps + 1,)."""

    name: str
    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    hyperparams: dict = field(default_factory=dict)

    def __iter__(self):  # ``points, losses = trajectory(...)``
        return iter((self.points, self.losses))

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final_loss(self) -> float:
        """Loss after the last step (NaN when the run diverged)."""
        return float(self.losses[-1])

    def steps_to(self, loss_threshold: float) -> int | None:
        """First step whose loss is at or below ``loss_threshold`` (None if never)."""
        hits = np.flatnonzero(self.losses <= loss_threshold)
        return int(hits[0]) if hits.size else None

    def status(self) -> str:
        """A one-line summary for legends and labels."""
        if self.diverged:
            return f"{self.name}: diverged at step {self.diverged_at}"
        return f"{self.name}: loss {self.final_loss:.3g} after {self.steps} steps"


def resolve_rule(rule):
    """``(name, function, fixed settings)`` for a course name or a functional rule."""
    if callable(rule):
        return getattr(rule, "__name__", "rule"), rule, {}
    name = canonical_optimizer_name(rule)
    function, fixed = RULES[name]
    return name, function, dict(fixed)


def _check_steps(steps):
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")


def trajectory(rule, surface, start=None, steps: int = 300, *, seed: int = 0, **hyperparams) -> Trajectory:
    """Run ``rule`` for ``steps`` steps on ``surface`` from ``start`` (default: the surface's).

    ``hyperparams`` go to the functional rule with torch.optim's names (``lr``,
    ``momentum``, ``betas``, ``weight_decay``, ...); for a course name they override
    its fixed settings (e.g. ``trajectory("Momentum", s, momentum=0.5)``). ``seed``
    fixes the gradient noise of noisy surfaces.
    """
    _check_steps(steps)
    surface = get_surface(surface)
    name, function, settings = resolve_rule(rule)
    settings.update(hyperparams)
    lr = settings.get("lr")
    if lr is not None and not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")

    start = np.asarray(surface.start if start is None else start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be a point of shape (2,), got shape {start.shape}")
    xmin, xmax, ymin, ymax = surface.extent
    escape = ESCAPE_PLOT_WIDTHS * max(xmax - xmin, ymax - ymin)

    points = np.empty((steps + 1, 2))
    points[0] = start
    param = start.copy()
    state: dict = {}
    gradient = surface.gradient_oracle(seed)
    # The hot loop: one gradient, one rule call, one row copy per step. Divergence is
    # found afterwards on the whole array; a blown-up run just carries inf/NaN along.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(1, steps + 1):
            function(param, gradient(param), state, **settings)
            points[step] = param
        losses = surface.loss(points)

    escaped = (np.abs(points - start) >= escape).any(axis=1)  # False for NaN rows ...
    bad = escaped | ~np.isfinite(points).all(axis=1)  # ... which this catches
    threshold = DIVERGENCE_LOSS_FACTOR * max(1.0, abs(float(losses[0])))
    with np.errstate(invalid="ignore"):
        bad |= ~np.isfinite(losses) | (losses > threshold)
    diverged_at = int(np.argmax(bad)) if bad.any() else None
    if diverged_at is not None:
        points[diverged_at:] = np.nan
        losses[diverged_at:] = np.nan
    return Trajectory(name, points, losses, diverged_at, settings)


def stability_limit(rule, lipschitz: float, momentum: float = 0.9) -> float:
    """The largest learning rate at which ``rule`` still converges on a quadratic whose
    steepest curvature is ``lipschitz`` (L), for torch.optim's forms of the updates:

    * SGD: 2 / L;
    * Momentum (heavy ball, velocity v = momentum·v + g): 2 (1 + momentum) / L;
    * Nesterov: 2 (1 + momentum) / ((1 + 2 momentum) L).

    Each follows from when the two-step recursion of the update on a single curvature
    stops shrinking (its characteristic roots leave the unit circle).
    """
    name = canonical_optimizer_name(rule)
    if name == "SGD":
        return 2.0 / lipschitz
    if name == "Momentum":
        return 2.0 * (1 + momentum) / lipschitz
    if name == "Nesterov":
        return 2.0 * (1 + momentum) / ((1 + 2 * momentum) * lipschitz)
    raise ValueError(f"stability_limit: known for SGD, Momentum and Nesterov, not {rule!r}")


def lowest_diverging_lr(rule, surface, lrs, *, steps: int = 300, **hyperparams):
    """The smallest of ``lrs`` (tried in increasing order) at which ``rule`` diverges within
    ``steps`` steps on ``surface``; ``None`` if it converges at every one."""
    for lr in sorted(lrs):
        if trajectory(rule, surface, steps=steps, lr=float(lr), **hyperparams).diverged:
            return float(lr)
    return None


def _freeze(value):
    """A hashable version of a hyperparameter value (tuples for betas, floats for numbers)."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


class TrajectoryCache:
    """Remembers trajectories by (optimizer, surface, start, steps, seed, hyperparameters).

    A widget asks for all racing optimizers after every control move; only the ones
    whose settings changed miss the cache and are recomputed. ``last_computed`` lists
    the optimizers the latest :func:`race` call had to run; ``hits``/``misses`` count all
    lookups. The oldest entries are dropped beyond ``maxsize``.
    """

    def __init__(self, maxsize: int = 512):
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self._entries: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.last_computed: tuple = ()

    def __len__(self):
        return len(self._entries)

    def clear(self):
        self._entries.clear()
        self.hits = self.misses = 0
        self.last_computed = ()

    def get(self, rule, surface, start=None, steps=300, *, seed=0, **hyperparams) -> Trajectory:
        surface = get_surface(surface)
        name = resolve_rule(rule)[0]
        start_key = tuple(float(v) for v in (surface.start if start is None else start))
        key = (name, rule if callable(rule) else None, surface.key, id(surface), start_key,
               int(steps), int(seed), _freeze(hyperparams))
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        result = trajectory(rule, surface, start, steps, seed=seed, **hyperparams)
        self._entries[key] = result
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return result


def race(surface, settings: dict, *, steps: int = 300, start=None, seed: int = 0,
         cache: TrajectoryCache | None = None) -> dict[str, Trajectory]:
    """Run several optimizers on one surface: ``settings`` maps name -> hyperparameters.

    Returns ``{name: Trajectory}`` in the order of ``settings``. With a ``cache``, only
    optimizers whose settings changed since a previous call are recomputed.
    """
    surface = get_surface(surface)
    results = {}
    computed = []
    for rule, hyperparams in settings.items():
        if cache is None:
            path = trajectory(rule, surface, start, steps, seed=seed, **hyperparams)
            computed.append(path.name)
        else:
            misses = cache.misses
            path = cache.get(rule, surface, start, steps, seed=seed, **hyperparams)
            if cache.misses > misses:
                computed.append(path.name)
        results[path.name] = path
    if cache is not None:
        cache.last_computed = tuple(computed)
    return results


def drawable(points, extent, margin: float = 1.0):
    """``points`` clipped to the plot extent widened by ``margin`` plot-widths on each side.

    Matplotlib clips lines to the axes anyway; clipping the data first keeps a
    diverging path's 1e100-sized coordinates away from the renderer.
    """
    xmin, xmax, ymin, ymax = extent
    wx, wy = (xmax - xmin) * margin, (ymax - ymin) * margin
    clipped = np.array(points, dtype=np.float64, copy=True)
    np.clip(clipped[:, 0], xmin - wx, xmax + wx, out=clipped[:, 0])
    np.clip(clipped[:, 1], ymin - wy, ymax + wy, out=clipped[:, 1])
    return clipped


def draw_path(ax, path: Trajectory, surface=None, *, label=None, **plot_kwargs):
    """Plot one trajectory on ``ax`` in its optimizer's course colour; returns the Line2D.

    Pass ``surface`` to clip a diverging path to the plot. The label says where a run
    diverged. Extra keyword arguments go to ``ax.plot`` (``marker``, ``alpha``, ...).
    """
    from .style import OPTIMIZER_COLORS, OPTIMIZER_LINESTYLES

    points = path.points if surface is None else drawable(path.points, get_surface(surface).extent)
    style = {"linewidth": 1.8, "marker": "o", "markersize": 2.5}
    if path.name in OPTIMIZER_COLORS:
        style.update(color=OPTIMIZER_COLORS[path.name], linestyle=OPTIMIZER_LINESTYLES[path.name])
    style.update(plot_kwargs)
    if label is None:
        label = path.name if not path.diverged else f"{path.name} (diverged at step {path.diverged_at})"
    (line,) = ax.plot(points[:, 0], points[:, 1], label=label, **style)
    return line
