"""The trajectory engine: minigrad's own update rules run on small problems, and the course's one
divergence rule and one path record.

Nothing here re-implements an optimizer. Each step asks for a gradient and hands it to the
rule from :mod:`minigrad.optim.functional`, which updates the point and its state in place,
exactly as ``minigrad.optim.Adam`` does for a real network. :func:`descend` is that loop, for
every lesson that draws a descent (a surface's gradient, minigrad's autograd, a mini-batch);
:func:`trajectory` runs it on a 2-D loss surface.

Usage::

    from coursekit.trajectories import descend, trajectory, race, TrajectoryCache

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

    # several runs at once: one start per row, one learning rate per row
    points, losses = descend(OF.sgd, surface.grad, starts, 100, loss=surface.loss,
                             escape=escape_radius(surface.extent), lr=lrs[:, None])

``rule`` is a course optimizer name (see :data:`RULES`: "SGD", "Momentum", "Nesterov",
"AdaGrad", "RMSProp", "Adam", "AdamW"; torch spellings accepted) or any function with
the functional signature ``rule(param, grad, state, **hyperparams)``.

A run *diverges* (:func:`divergence`, the one rule of the course) at the first step where the
point is not finite, lies ``escape`` or more from the start in some coordinate (on a surface
``1000`` plot-widths, :func:`escape_radius`), or has a loss that is not finite or above ``1e6``
times ``max(1, |loss at the start|)``. From there on its points and losses are NaN, so a plot
shows the path up to the blow-up and the widgets can say "diverged at step N".
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from minigrad.optim import functional as OF
from minigrad.utils.checks import check_positive

from .style import OPTIMIZER_NAMES, canonical_optimizer_name
from .surfaces import get_surface

__all__ = [
    "RULES",
    "Trajectory",
    "TrajectoryCache",
    "trajectory",
    "race",
    "resolve_rule",
    "descend",
    "divergence",
    "escape_radius",
    "first_diverged",
    "DIVERGENCE_LOSS_FACTOR",
    "ESCAPE_PLOT_WIDTHS",
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

# The one divergence rule's constants (see :func:`divergence`).
DIVERGENCE_LOSS_FACTOR = 1e6  # a loss this many times its start (or 1, if more) has blown up
ESCAPE_PLOT_WIDTHS = 1e3  # a point this many plot widths from its start has left for good


@dataclass
class Trajectory:
    """The path of one run: ``points`` (steps + 1, d) and ``losses`` (steps + 1,), NaN from ``diverged_at`` on.

    Lessons keep what they measured along the way: ``grad_norms`` (steps + 1,), the norm of
    the gradient at each point (lesson 1); ``batch_size`` and ``num_examples`` (lesson 3,
    for :attr:`epochs`).
    """

    name: str
    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    hyperparams: dict = field(default_factory=dict)
    grad_norms: np.ndarray | None = None
    batch_size: int | None = None
    num_examples: int | None = None

    def __iter__(self):  # ``points, losses = trajectory(...)``
        return iter((self.points, self.losses))

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def lr(self):
        """The learning rate the run used (None for a rule without one)."""
        return self.hyperparams.get("lr")

    @property
    def final(self) -> np.ndarray:
        """The last point (NaN when the run diverged)."""
        return self.points[-1]

    @property
    def final_loss(self) -> float:
        """Loss after the last step (NaN when the run diverged)."""
        return float(self.losses[-1])

    @property
    def epochs(self) -> float:
        """Passes over the data: steps × batch size / examples (runs that know their batches)."""
        if self.batch_size is None or self.num_examples is None:
            raise AttributeError(f"{self.name}'s path has no batches (a full-gradient run): no epochs to count")
        return self.steps * self.batch_size / self.num_examples

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


# -- the one divergence rule -------------------------------------------------------------------


def escape_radius(extent=None) -> float:
    """How far from its start a point must get to count as diverged: ``ESCAPE_PLOT_WIDTHS`` plot
    widths of ``extent`` (xmin, xmax, ymin, ymax), or, without one, that many units of the weights
    themselves (lesson 3's standardised weights)."""
    if extent is None:
        return ESCAPE_PLOT_WIDTHS
    xmin, xmax, ymin, ymax = extent
    return ESCAPE_PLOT_WIDTHS * max(xmax - xmin, ymax - ymin)


def _inside(points, start, escape):
    """Per point: is every coordinate finite and less than ``escape`` (None: any distance) from the start?"""
    return (abs(points - start) < (np.inf if escape is None else escape)).all(axis=-1)


def _loss_limit(start_loss):
    limit = DIVERGENCE_LOSS_FACTOR * np.maximum(1.0, abs(start_loss))
    return float(limit) if np.ndim(limit) == 0 else limit  # a Python float compares fastest


def _loss_ok(losses, limit):
    """Per loss: is it finite and at most ``limit``? (Plain operators: cheap on one number too.)"""
    return (abs(losses) < np.inf) & (losses <= limit)


def divergence(points, losses=None, *, escape=None) -> np.ndarray:
    """The course's one divergence rule: for each step (and run), has the run diverged by then?

    ``points`` is (steps + 1, ..., d), ``losses`` (steps + 1, ...) or None. A run diverges at
    the first step whose point is not finite or lies ``escape`` or more from its start in some
    coordinate (None: no such limit), or whose loss is not finite or above
    ``DIVERGENCE_LOSS_FACTOR × max(1, |loss at the start|)``. Returns a boolean array
    (steps + 1, ...), True from each run's first diverged step on.
    """
    points = np.asarray(points, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        alive = _inside(points, points[0], escape)
        if losses is not None:
            alive &= _loss_ok(losses, _loss_limit(losses[0]))
    return np.logical_or.accumulate(~alive, axis=0)


# -- the one engine ----------------------------------------------------------------------------


def descend(rule, gradient, start, steps: int, *, escape, loss=None, stop_early: bool = False, **hyperparams):
    """Run the functional update ``rule`` for ``steps`` steps from ``start``: ``(points, losses)``.

    ``start`` is one point (d,) or one per run (runs, d); hyperparameters go to ``rule`` and
    may be columns (runs, 1), e.g. one learning rate per run. ``gradient(param)`` returns the
    gradient at ``param`` (same shape). ``loss`` says where the losses come from: None (no
    losses), ``loss(points)`` (every point at once, after the run), or ``"gradient"``:
    ``gradient(param)`` then returns ``(loss, gradient)``, both from one forward and backward
    pass of minigrad's autograd (the last point's loss costs one more call).

    ``points`` is (steps + 1, *start.shape), ``losses`` (steps + 1, runs...) or None; both are NaN
    from each run's first diverged step on (:func:`divergence` with ``escape``, which each caller
    states: :func:`escape_radius` of a plot, or None where the loss alone tells). With
    ``stop_early`` each step checks its new point and the loss known by then, and the loop stops
    once every run has diverged: worth it where a step costs far more than the check.
    """
    _check_steps(steps)
    param = np.array(start, dtype=np.float64)  # a copy: the rule updates it in place
    points = np.full((steps + 1, *param.shape), np.nan)  # NaN: steps not taken
    points[0] = param
    recorded = []  # with loss="gradient": the loss at each point a gradient was asked for
    if loss == "gradient":
        loss_and_gradient = gradient

        def gradient(point):
            value, grad = loss_and_gradient(point)
            recorded.append(value)
            return grad

    state: dict = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # One gradient, one rule call, one row copy per step; a blown-up run just carries inf/NaN
        # along, and the rule below finds where it diverged.
        for step in range(1, steps + 1):
            rule(param, gradient(param), state, **hyperparams)
            points[step] = param
            if stop_early and not np.any(_still_going(param, points[0], escape, recorded)):
                break
        else:
            if loss == "gradient":
                recorded.append(loss_and_gradient(param)[0])  # the last point's loss
        if loss == "gradient":
            losses = np.full(points.shape[:-1], np.nan)
            losses[:len(recorded)] = recorded
        else:
            losses = loss(points) if callable(loss) else None
    diverged = divergence(points, losses, escape=escape)
    if diverged[-1].any():  # (True from the first diverged step on)
        points[diverged] = np.nan
        if losses is not None:
            losses[diverged] = np.nan
    return points, losses


def _still_going(point, start, escape, recorded):
    """Per run: neither the new point nor the latest loss recorded has diverged (a step either
    flags has diverged under the whole rule, so stopping there changes nothing)."""
    going = _inside(point, start, escape)
    if recorded:
        going = going & _loss_ok(recorded[-1], _loss_limit(recorded[0]))
    return going


def first_diverged(points) -> int | None:
    """The step at which one run from :func:`descend` diverged (its first NaN point), or None.

    ``points`` is (steps + 1, d): one run (index a column of several runs first).
    """
    points = np.asarray(points)
    if points.ndim != 2:
        raise ValueError(f"first_diverged: give one run's points (steps + 1, d), got shape {points.shape}")
    if np.isfinite(points[-1]).all():  # NaN from the diverged step to the end
        return None
    return int(np.argmin(np.isfinite(points).all(axis=1)))


def trajectory(rule, surface, start=None, steps: int = 300, *, seed: int = 0, **hyperparams) -> Trajectory:
    """Run ``rule`` for ``steps`` steps on ``surface`` from ``start`` (default: the surface's).

    ``hyperparams`` go to the functional rule with torch.optim's names (``lr``,
    ``momentum``, ``betas``, ``weight_decay``, ...); for a course name they override
    its fixed settings (e.g. ``trajectory("Momentum", s, momentum=0.5)``). ``seed``
    fixes the gradient noise of noisy surfaces.
    """
    surface = get_surface(surface)
    name, function, settings = resolve_rule(rule)
    settings.update(hyperparams)
    lr = settings.get("lr")
    if lr is not None:
        check_positive("lr", lr)

    start = np.asarray(surface.start if start is None else start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be a point of shape (2,), got shape {start.shape}")
    points, losses = descend(function, surface.gradient_oracle(seed), start, steps, loss=surface.loss,
                             escape=escape_radius(surface.extent), **settings)
    return Trajectory(name, points, losses, first_diverged(points), settings)


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
