"""Two-dimensional loss surfaces for the lessons: plain NumPy functions with exact gradients.

A real network has millions of weights; two weights are enough to *see* what an
optimizer does. Each :class:`Surface` has a loss, its analytic gradient, a sensible
start point, a plot extent, contour levels and, where one exists, the Lipschitz
constant L of its gradient (the largest curvature), which sets the critical learning
rate 2/L of plain gradient descent.

Usage::

    from coursekit.surfaces import get_surface, SURFACES

    s = get_surface("valley")          # d2l's 0.1·x1² + 2·x2²
    s.loss([-5.0, -2.0])               # -> 10.5
    s.grad([-5.0, -2.0])               # -> array([-1., -8.])
    X, Y, Z = s.grid()                 # for ax.contour(X, Y, Z, levels=s.levels)
    s.critical_lr                      # 2 / L = 0.5

Points are arrays whose last axis has length 2: ``loss`` and ``grad`` work on one point
``(2,)`` and on whole grids ``(..., 2)`` alike. ``gradient_oracle(seed)`` returns the
function an optimizer calls for one step; on the noisy surface it adds seeded Gaussian
noise, so every optimizer in a race sees the same noise sequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = [
    "Surface",
    "SURFACES",
    "RACE_SURFACES",
    "get_surface",
    "quadratic",
    "ill_conditioned_quadratic",
    "rosenbrock",
    "beale",
    "saddle",
    "noisy_quadratic",
    "draw_surface",
    "redraw_surface",
    "loss_gap",
    "LOSS_FLOOR",
    "clicked_start",
    "checked_start",
    "start_marker",
    "note_below",
    "legend_below",
]


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D loss with its exact gradient and everything needed to draw it.

    ``loss_xy(x, y)`` and ``grad_xy(x, y) -> (gx, gy)`` are elementwise NumPy functions;
    use the array-based :meth:`loss` and :meth:`grad` instead of calling them directly.
    ``lipschitz`` is L = the largest eigenvalue of the Hessian where it is constant
    (quadratics), ``None`` where it is not (then ``local_lipschitz`` is the value at
    the minimum, a guide only). ``default_lr`` maps "sgd" (SGD, Momentum, Nesterov) and
    "adaptive" (AdaGrad, RMSProp, Adam, AdamW) to a learning rate that makes a fair
    race on this surface.
    """

    key: str
    title: str
    formula: str
    loss_xy: Callable
    grad_xy: Callable
    start: tuple
    extent: tuple  # (xmin, xmax, ymin, ymax)
    minimum: tuple | None = None
    lipschitz: float | None = None
    local_lipschitz: float | None = None
    strong_convexity: float | None = None  # smallest Hessian eigenvalue (quadratics)
    gradient_noise: float = 0.0  # standard deviation of the noise added to each coordinate
    log_levels: bool = False  # contour levels spaced in log(loss) (steep surfaces)
    default_lr: dict = field(default_factory=lambda: {"sgd": 0.1, "adaptive": 0.1})
    description: str = ""

    # -- values ---------------------------------------------------------------------------
    def loss(self, points):
        """Loss at ``points`` (shape ``(2,)`` or ``(..., 2)``): a float or an array ``(...)``."""
        points = _as_points(points)
        value = self.loss_xy(points[..., 0], points[..., 1])
        return float(value) if points.ndim == 1 else value

    def grad(self, points):
        """Exact gradient at ``points``, same shape as ``points``."""
        points = _as_points(points)
        gx, gy = self.grad_xy(points[..., 0], points[..., 1])
        if points.ndim == 1:
            return np.array((gx, gy), dtype=np.float64)
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1)

    def gradient_oracle(self, seed: int = 0):
        """The gradient an optimizer sees at one point ``(2,)``: exact, or exact + seeded noise.

        Each call of the returned function draws fresh noise from its own generator, so two
        oracles made with the same seed give identical sequences (a fair race).
        """
        grad_xy = self.grad_xy
        if self.gradient_noise == 0:

            def exact(point):
                # Python floats: scalar arithmetic on them is several times faster than on
                # NumPy scalars, and this runs once per optimizer step.
                x, y = point.tolist()
                return np.array(grad_xy(x, y))

            return exact
        rng = np.random.default_rng(seed)
        sigma = self.gradient_noise
        block = []  # noise drawn 256 steps at a time: one RNG call instead of 256

        def noisy(point):
            if not block:
                block.extend(rng.standard_normal((256, 2)) * sigma)
            x, y = point.tolist()
            gx, gy = grad_xy(x, y)
            noise = block.pop()
            noise[0] += gx
            noise[1] += gy
            return noise

        return noisy

    # -- drawing --------------------------------------------------------------------------
    def grid(self, n: int = 161):
        """``X, Y, Z`` on an ``n`` x ``n`` grid over :attr:`extent`, for ``contour``."""
        xmin, xmax, ymin, ymax = self.extent
        X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
        with np.errstate(over="ignore", invalid="ignore"):
            Z = self.loss_xy(X, Y)
        return X, Y, Z

    @property
    def levels(self):
        """Contour levels that spread evenly over the plotted region."""
        _, _, Z = self.grid(81)
        Z = Z[np.isfinite(Z)]
        if self.log_levels:
            floor = max(float(np.min(Z)), 0.0)
            shifted = Z - floor
            low = max(np.quantile(shifted, 0.005), 1e-3)
            high = np.quantile(shifted, 0.98)
            return floor + np.geomspace(low, high, 11)
        return np.unique(np.quantile(Z, np.linspace(0.01, 0.95, 11)))

    # -- learning-rate facts --------------------------------------------------------------
    @property
    def critical_lr(self) -> float | None:
        """2 / L: plain gradient descent converges below it and diverges above (quadratics)."""
        return None if self.lipschitz is None else 2.0 / self.lipschitz

    @property
    def condition_number(self) -> float | None:
        """L / mu, the ratio of the steepest to the flattest curvature (quadratics)."""
        if self.lipschitz is None or not self.strong_convexity:
            return None
        return self.lipschitz / self.strong_convexity

    def __repr__(self) -> str:
        return f"Surface({self.key!r}: {self.formula})"


def _as_points(points):
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 0 or points.shape[-1] != 2:
        raise ValueError(f"points must have shape (2,) or (..., 2), got {points.shape}")
    return points


# -- the surfaces --------------------------------------------------------------------------


def quadratic(curvatures=(2.0, 4.0), angle_deg: float = 0.0, *, key=None, title=None,
              start=(-5.0, -2.0), extent=(-6.0, 6.0, -3.0, 3.0), default_lr=None, description=""):
    """f(p) = ½ pᵀ A p with A's eigenvalues ``curvatures`` (λ1, λ2), axes rotated by ``angle_deg``.

    The gradient is A p, its Lipschitz constant L = max(λ) and gradient descent with
    learning rate η multiplies the error along each axis by (1 − η λ) per step:
    it converges exactly when η < 2 / L.
    """
    lam1, lam2 = (float(c) for c in curvatures)
    if lam1 <= 0 or lam2 <= 0:
        raise ValueError(f"curvatures must both be positive, got {curvatures}")
    theta = math.radians(angle_deg)
    c, s = math.cos(theta), math.sin(theta)

    def loss_xy(x, y):
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (lam1 * u * u + lam2 * v * v)

    def grad_xy(x, y):
        fu = lam1 * (c * x + s * y)
        fv = lam2 * (-s * x + c * y)
        return c * fu - s * fv, s * fu + c * fv

    if angle_deg == 0:
        formula = f"{lam1 / 2:g}·x1² + {lam2 / 2:g}·x2²"
    else:
        formula = f"½(λ1·u² + λ2·v²), λ=({lam1:g}, {lam2:g}), axes turned {angle_deg:g}°"
    lipschitz = max(lam1, lam2)
    return Surface(
        key=key or f"quadratic-{lam1:g}-{lam2:g}-{angle_deg:g}",
        title=title or "Quadratic bowl",
        formula=formula,
        loss_xy=loss_xy,
        grad_xy=grad_xy,
        start=tuple(start),
        extent=tuple(extent),
        minimum=(0.0, 0.0),
        lipschitz=lipschitz,
        local_lipschitz=lipschitz,
        strong_convexity=min(lam1, lam2),
        default_lr=default_lr or {"sgd": 0.1, "adaptive": 0.1},
        description=description,
    )


def ill_conditioned_quadratic(condition_number: float = 20.0, angle_deg: float = 0.0,
                              largest_curvature: float = 4.0, **kwargs):
    """A quadratic valley whose steepest curvature is ``condition_number`` times its flattest."""
    if condition_number < 1:
        raise ValueError(f"condition_number must be >= 1, got {condition_number}")
    curvatures = (largest_curvature / condition_number, largest_curvature)
    kwargs.setdefault("key", f"valley-k{condition_number:g}-{angle_deg:g}")
    kwargs.setdefault("title", f"Ill-conditioned valley (condition number {condition_number:g})")
    return quadratic(curvatures, angle_deg, **kwargs)


def rosenbrock(a: float = 1.0, b: float = 100.0):
    """Rosenbrock's banana valley (a − x)² + b (y − x²)²: a curved, flat-bottomed valley."""

    def loss_xy(x, y):
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad_xy(x, y):
        inner = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * inner, 2.0 * b * inner

    # Hessian at the minimum (a, a²): [[2 + 8 b a², −4 b a], [−4 b a, 2 b]].
    hessian = np.array([[2 + 8 * b * a * a, -4 * b * a], [-4 * b * a, 2 * b]])
    return Surface(
        key="rosenbrock",
        title="Rosenbrock's banana valley",
        formula=f"({a:g} − x)² + {b:g}·(y − x²)²",
        loss_xy=loss_xy,
        grad_xy=grad_xy,
        start=(-1.5, 2.0),
        extent=(-2.0, 2.0, -1.0, 3.0),
        minimum=(a, a * a),
        local_lipschitz=float(np.linalg.eigvalsh(hessian).max()),
        log_levels=True,
        default_lr={"sgd": 1e-3, "adaptive": 0.1},
        description="Easy to reach the valley floor, slow to walk along its curved bottom.",
    )


def beale():
    """Beale's function: flat plateaus and steep walls, minimum 0 at (3, 0.5)."""

    def loss_xy(x, y):
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y * y
        t3 = 2.625 - x + x * y * y * y
        return t1 * t1 + t2 * t2 + t3 * t3

    def grad_xy(x, y):
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
        return gx, gy

    return Surface(
        key="beale",
        title="Beale's function",
        formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        loss_xy=loss_xy,
        grad_xy=grad_xy,
        start=(0.7, 1.4),
        extent=(-0.5, 4.5, -1.0, 2.0),
        minimum=(3.0, 0.5),
        local_lipschitz=None,
        log_levels=True,
        default_lr={"sgd": 3e-3, "adaptive": 0.1},
        description="Steep walls next to near-flat plateaus: gradient sizes vary by orders of magnitude.",
    )


def saddle():
    """½x² + ¼y⁴ − ½y²: a saddle point at the origin between two minima at (0, ±1)."""

    def loss_xy(x, y):
        y2 = y * y
        return 0.5 * x * x + 0.25 * y2 * y2 - 0.5 * y2

    def grad_xy(x, y):
        return x, y * y * y - y

    return Surface(
        key="saddle",
        title="A saddle point",
        formula="½·x² + ¼·y⁴ − ½·y²",
        loss_xy=loss_xy,
        grad_xy=grad_xy,
        start=(-2.0, 1e-3),
        extent=(-2.5, 2.5, -1.6, 1.6),
        minimum=(0.0, 1.0),
        local_lipschitz=2.0,  # Hessian at the minima: diag(1, 2)
        default_lr={"sgd": 0.01, "adaptive": 0.03},
        description="Starts almost exactly on the ridge: the gradient across it is tiny.",
    )


def noisy_quadratic(noise: float = 1.0):
    """d2l's valley 0.1·x1² + 2·x2² with Gaussian noise (std ``noise``) on every gradient."""
    base = quadratic((0.2, 4.0))
    return Surface(
        key="noisy",
        title=f"Noisy valley (gradient noise σ = {noise:g})",
        formula=base.formula + " + noise",
        loss_xy=base.loss_xy,
        grad_xy=base.grad_xy,
        start=(-5.0, -2.0),
        extent=(-6.0, 3.0, -3.0, 3.0),
        minimum=(0.0, 0.0),
        lipschitz=base.lipschitz,
        local_lipschitz=base.lipschitz,
        strong_convexity=base.strong_convexity,
        gradient_noise=float(noise),
        default_lr={"sgd": 0.03, "adaptive": 0.05},
        description="Each step sees the true gradient plus seeded noise, like a mini-batch.",
    )


def _build_registry():
    surfaces = [
        quadratic(
            (2.0, 4.0),
            key="bowl",
            title="Quadratic bowl",
            extent=(-6.0, 6.0, -3.0, 3.0),
            description="x1² + 2·x2²: nearly round, every direction about equally steep.",
        ),
        quadratic(
            (0.2, 4.0),
            key="valley",
            title="Ill-conditioned valley",
            extent=(-6.0, 3.0, -3.0, 3.0),
            default_lr={"sgd": 0.03, "adaptive": 0.1},
            description="0.1·x1² + 2·x2² (d2l): 20 times steeper across than along.",
        ),
        ill_conditioned_quadratic(
            20.0,
            angle_deg=30.0,
            key="tilted-valley",
            title="Tilted valley",
            start=(-5.0, 1.0),
            extent=(-6.0, 3.0, -3.0, 3.0),
            default_lr={"sgd": 0.03, "adaptive": 0.1},
            description="The same valley turned 30°: its axes no longer match the coordinates.",
        ),
        rosenbrock(),
        beale(),
        saddle(),
        noisy_quadratic(1.0),
    ]
    return {s.key: s for s in surfaces}


SURFACES: dict[str, Surface] = _build_registry()

# The surfaces offered in the optimizer race, in dropdown order.
RACE_SURFACES = ("valley", "tilted-valley", "rosenbrock", "beale", "saddle", "noisy")


def get_surface(surface) -> Surface:
    """A :class:`Surface` from its key ("valley", "rosenbrock", ...) or the surface itself."""
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface]
    except KeyError:
        raise ValueError(f"unknown surface {surface!r}; choose one of {', '.join(SURFACES)}") from None


def draw_surface(ax, surface, *, levels=None, n: int = 161, minimum=True, start=True, filled=False):
    """Draw ``surface``'s contours (quiet grey) on ``ax`` with its minimum and start point.

    Returns the contour set (call ``.remove()`` on it to switch surfaces in place).
    Sets the axes limits to the surface's extent and labels the axes.
    """
    from .style import COLORS, ROLE_COLORS, SURFACE_CMAP

    surface = get_surface(surface)
    X, Y, Z = surface.grid(n)
    levels = surface.levels if levels is None else levels
    if filled:
        contours = ax.contourf(X, Y, Z, levels=levels, cmap=SURFACE_CMAP, alpha=0.35, extend="both")
    else:
        contours = ax.contour(X, Y, Z, levels=levels, colors=COLORS["grey"], linewidths=0.7, alpha=0.8,
                              negative_linestyles="solid")
    if minimum and surface.minimum is not None:
        ax.plot(*surface.minimum, marker="*", markersize=13, color=ROLE_COLORS["minimum"],
                linestyle="none", label="minimum", zorder=5)
    if start:
        ax.plot(*surface.start, marker="o", markersize=7, markerfacecolor="white",
                markeredgecolor=ROLE_COLORS["start"], linestyle="none", label="start", zorder=5)
    xmin, xmax, ymin, ymax = surface.extent
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("weight x1")
    ax.set_ylabel("weight x2")
    return contours


def redraw_surface(ax, surface, drawn=(), *, start=True):
    """Switch ``ax`` to ``surface`` in place (a widget's surface menu): remove the artists an
    earlier call drew (``drawn``), draw the new contours, minimum and (unless ``start=False``:
    a widget whose start moves draws its own marker) the start; return those artists."""
    for artist in drawn:
        artist.remove()
    before = len(ax.lines)
    contours = draw_surface(ax, surface, start=start)
    return [contours, *ax.lines[before:]]


LOSS_FLOOR = 1e-10  # loss gaps below this are drawn at the floor of a log axis


def loss_gap(surface, losses):
    """Loss above ``surface``'s minimum (for log axes), floored at ``LOSS_FLOOR``; NaN stays NaN."""
    surface = get_surface(surface)
    f_min = surface.loss(surface.minimum) if surface.minimum is not None else 0.0
    gap = np.asarray(losses, dtype=float) - f_min
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(gap), np.nan, np.maximum(gap, LOSS_FLOOR))


def clicked_start(surface, x, y, *, decimals: int = 2):
    """The start point a click at (``x``, ``y``) sets: inside ``surface``'s plot, rounded to
    ``decimals`` places, so a widget's code line recreates exactly the start it shows."""
    xmin, xmax, ymin, ymax = get_surface(surface).extent
    return (round(min(max(float(x), xmin), xmax), decimals), round(min(max(float(y), ymin), ymax), decimals))


def checked_start(surface, start):
    """``start`` as a tuple of two floats, or ``None`` for the surface's own start; an error
    names the plotted range when the point lies outside it (a widget could not show it)."""
    if start is None:
        return None
    surface = get_surface(surface)
    point = np.asarray(start, dtype=np.float64)
    if point.shape != (2,) or not np.isfinite(point).all():
        raise ValueError(f"start must be two finite numbers (x1, x2), got {start!r}")
    xmin, xmax, ymin, ymax = surface.extent
    if not (xmin <= point[0] <= xmax and ymin <= point[1] <= ymax):
        raise ValueError(f"start {tuple(point.tolist())} lies outside the plot of {surface.key!r}: "
                         f"x1 in [{xmin:g}, {xmax:g}], x2 in [{ymin:g}, {ymax:g}]")
    return (float(point[0]), float(point[1]))


def start_marker(ax):
    """The start point's marker (white dot, start colour) for a widget to move: an empty Line2D."""
    from .style import ROLE_COLORS

    (marker,) = ax.plot([], [], marker="o", markersize=8, markerfacecolor="white",
                        markeredgecolor=ROLE_COLORS["start"], markeredgewidth=1.8, linestyle="none",
                        label="start (click or drag to move)", zorder=6)
    return marker


def note_below(ax, *, fontsize=9, **text_kw):
    """An empty text for a widget to fill, under ``ax``'s x-axis label, starting at the axes' left
    edge: out of the data's way wherever a path goes (constrained layout makes room for it)."""
    return ax.annotate("", xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                       textcoords="offset points", ha="left", va="top", fontsize=fontsize, **text_kw)


def legend_below(fig, handles, *, ncols=None, fontsize=9, **legend_kw):
    """A legend for the whole figure under its panels (``ncols`` columns, default one row), where it
    hides no data: constrained layout makes room for it. Replaces the one an earlier call drew. With no
    handles it keeps its row, blank: a widget lays itself out once, and the legend may fill later."""
    from matplotlib.lines import Line2D

    for old in [legend for legend in fig.legends if legend.get_gid() == _LEGEND_BELOW]:
        old.remove()
    handles = list(handles) or [Line2D([], [], linestyle="none", label=" ")]
    legend = fig.legend(handles=handles, loc="outside lower center", ncols=ncols or len(handles),
                        fontsize=fontsize, **legend_kw)
    legend.set_gid(_LEGEND_BELOW)
    return legend


_LEGEND_BELOW = "coursekit-legend-below"
