"""Lesson 4, the momentum phase map: what heavy-ball (or Nesterov) momentum does on a quadratic,
for every (learning rate, momentum β) pair at once.

On a quadratic every direction of the surface is a separate 1-D problem with its own
curvature λ (the Hessian's eigenvalues; ``Surface.curvatures``). On one such direction,
torch.optim's momentum update (``v ← β·v + g``, ``x ← x − lr·v``, with g = λ·x) is a linear
map of the pair (x, v)::

    Momentum:  [x, v] ← [[1 − lr·λ,            −lr·β ], [λ, β]] · [x, v]
    Nesterov:  [x, v] ← [[1 − lr·λ·(1 + β),  −lr·β²], [λ, β]] · [x, v]

(β = 0 is plain SGD.) The two eigenvalues z of that 2x2 *iteration matrix* decide
everything: the error is multiplied by about the largest |z| per step, and its sign tells
how the path moves. :func:`classify` names the behaviour:

=============  ===========================================================================
"monotone"     the largest eigenvalue is real and positive: the error shrinks without
               changing sign (a smooth approach, no overshoot in the long run)
"ripples"      the eigenvalues are complex: a damped oscillation, overshooting and coming
               back every few steps (the loops of a momentum path; *under-damped*)
"oscillation"  the largest eigenvalue is real and negative: the error flips sign on every
               step while it shrinks (a zigzag across the valley)
"diverges"     some |z| ≥ 1: the error grows (or never shrinks) from step to step
=============  ===========================================================================

A surface has two curvatures; a setting gets the most visible behaviour of its two
directions (diverges > oscillation > ripples > monotone): one zigzagging direction makes a
zigzagging path. :func:`phase_map` computes the whole plane, :func:`momentum_phase_map` is
the widget (click the map to set both sliders; click the contours to move the start).
"""

from __future__ import annotations

import numpy as np

from .alt_text import number
from .controls import choice_dropdown, lr_slider, momentum_slider, nearest_log_stop
from .display import call_line, make_widget, marker_point, new_figure, signature_defaults
from .style import COLORS, OKABE_ITO, OPTIMIZER_COLORS, OPTIMIZER_LINESTYLES, label_axes
from .surfaces import (LOSS_FLOOR, checked_start, clicked_start, get_surface, legend_below, loss_gap, note_below,
                       redraw_surface, start_marker)
from .trajectories import drawable, stability_limit, trajectory

__all__ = [
    "REGIONS",
    "REGION_LABELS",
    "REGION_COLORS",
    "MOMENTUM_RULES",
    "iteration_matrix",
    "eigenvalues",
    "classify",
    "PhaseMap",
    "phase_map",
    "curvatures",
    "divergence_lr",
    "momentum_phase_map",
]

REGIONS = ("monotone", "ripples", "oscillation", "diverges")  # in order of how visible they are
REGION_LABELS = {
    "monotone": "converges smoothly",
    "ripples": "converges in ripples (a damped oscillation)",
    "oscillation": "converges in a zigzag",
    "diverges": "diverges",
}
REGION_COLORS = {
    "monotone": OKABE_ITO["bluish_green"],
    "ripples": OKABE_ITO["sky_blue"],
    "oscillation": OKABE_ITO["orange"],
    "diverges": OKABE_ITO["vermillion"],
}
MOMENTUM_RULES = ("Momentum", "Nesterov")

# |z| this close to 1 counts as "does not shrink": the boundary itself belongs to divergence
_UNIT = 1.0 - 1e-12


def _check_rule(rule):
    if rule not in MOMENTUM_RULES:
        raise ValueError(f"rule must be one of {MOMENTUM_RULES}, got {rule!r}")


def iteration_matrix(rule, lr, momentum, curvature):
    """The 2x2 matrix that maps (x, v) to the next (x, v) along one direction of curvature
    ``curvature``; arrays broadcast, giving shape ``(..., 2, 2)``."""
    _check_rule(rule)
    lr, beta, lam = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (lr, momentum, curvature)))
    matrix = np.empty(lr.shape + (2, 2))
    if rule == "Momentum":
        matrix[..., 0, 0] = 1.0 - lr * lam
        matrix[..., 0, 1] = -lr * beta
    else:  # Nesterov: the step uses g + β·v_new, i.e. the gradient once more, scaled by β
        matrix[..., 0, 0] = 1.0 - lr * lam * (1.0 + beta)
        matrix[..., 0, 1] = -lr * beta * beta
    matrix[..., 1, 0] = lam
    matrix[..., 1, 1] = beta
    return matrix


def eigenvalues(rule, lr, momentum, curvature):
    """The iteration matrix's two eigenvalues, largest modulus first: complex array ``(..., 2)``."""
    values = np.linalg.eigvals(iteration_matrix(rule, lr, momentum, curvature))
    order = np.argsort(-np.abs(values), axis=-1, kind="stable")
    return np.take_along_axis(values, order, axis=-1)


def classify(rule, lr, momentum, curvature):
    """Region index (into :data:`REGIONS`) of each setting along one curvature; arrays broadcast."""
    z = eigenvalues(rule, lr, momentum, curvature)
    dominant = z[..., 0]
    radius = np.abs(dominant)
    # complex when the imaginary part is more than rounding noise of the real one
    complex_pair = np.abs(dominant.imag) > 1e-9 * np.maximum(radius, 1e-300)
    region = np.where(complex_pair, 1, np.where(dominant.real < 0, 2, 0))
    return np.where(radius >= _UNIT, 3, region).astype(np.int8)


def curvatures(surface):
    """The two curvatures (Hessian eigenvalues) of a quadratic surface, smallest first."""
    surface = get_surface(surface)
    if surface.lipschitz is None or surface.strong_convexity is None:
        raise ValueError(f"surface {surface.key!r} is not a quadratic: the phase map needs constant curvatures "
                         "(choose 'bowl', 'valley' or 'tilted-valley')")
    return (float(surface.strong_convexity), float(surface.lipschitz))


class PhaseMap:
    """The regions of the (learning rate, momentum) plane for one rule on one quadratic.

    ``lrs`` (n,) and ``betas`` (m,) are the grid; ``regions`` (m, n) indexes :data:`REGIONS`
    (rows: β, columns: learning rate); ``per_curvature`` (2, m, n) the region of each
    direction, flattest first; ``radius`` (m, n) the largest |eigenvalue| over both directions:
    the factor by which the error shrinks per step in the long run.
    """

    def __init__(self, rule, curvatures, lrs, betas):
        self.rule, self.curvatures = rule, tuple(curvatures)
        self.lrs, self.betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
        L, B = np.meshgrid(self.lrs, self.betas)
        self.per_curvature = np.stack([classify(rule, L, B, lam) for lam in self.curvatures])
        self.regions = self.per_curvature.max(axis=0)
        self.radius = np.max([np.abs(eigenvalues(rule, L, B, lam)[..., 0]) for lam in self.curvatures], axis=0)

    def region_at(self, lr, momentum) -> str:
        """The region of one setting, computed exactly (not read off the grid)."""
        index = max(int(classify(self.rule, lr, momentum, lam)) for lam in self.curvatures)
        return REGIONS[index]

    def share(self, region) -> float:
        """Fraction of the grid's settings in ``region``."""
        return float(np.mean(self.regions == REGIONS.index(region)))


_MAP_CACHE: dict = {}


def phase_map(surface="valley", rule="Momentum", *, lr_range=(1e-3, 2.0), n_lr=241, betas=None) -> PhaseMap:
    """The phase map of ``rule`` on a quadratic ``surface`` over ``lr_range`` (log-spaced) and
    ``betas`` (default 0, 0.01, ..., 0.99: the momentum slider's stops). Cached."""
    _check_rule(rule)
    lams = curvatures(surface)
    if not (0 < lr_range[0] < lr_range[1]):
        raise ValueError(f"lr_range must satisfy 0 < low < high, got {lr_range}")
    betas = np.round(np.arange(0, 1.0, 0.01), 2) if betas is None else np.asarray(betas, dtype=float)
    key = (lams, rule, tuple(lr_range), n_lr, tuple(betas.tolist()))
    if key not in _MAP_CACHE:
        _MAP_CACHE[key] = PhaseMap(rule, lams, np.geomspace(*lr_range, n_lr), betas)
    return _MAP_CACHE[key]


def divergence_lr(rule, curvature, momentum=0.9, *, high=1e3):
    """The smallest learning rate at which ``rule`` (SGD, Momentum or Nesterov) diverges on a
    direction of curvature ``curvature``, found on the iteration matrix by bisection (it
    agrees with :func:`~coursekit.trajectories.stability_limit`'s formulas, which a test checks)."""
    if rule == "SGD":
        rule, momentum = "Momentum", 0.0
    _check_rule(rule)
    low, top = 0.0, float(high)
    if classify(rule, top, momentum, curvature) != 3:
        raise ValueError(f"{rule} with momentum {momentum} does not diverge below lr={high}")
    for _ in range(200):
        middle = 0.5 * (low + top)
        if classify(rule, middle, momentum, curvature) == 3:
            top = middle
        else:
            low = middle
        if top - low <= 1e-12 * top:
            break
    return top


# -- the widget ----------------------------------------------------------------------------------


def momentum_phase_map(surface="valley", lr=0.03, momentum=0.9, *, rule="Momentum", steps=100, start=None,
                       lr_range=(1e-3, 2.0), interactive=None):
    """The (learning rate, β) plane coloured by what ``rule`` does on ``surface``, beside its path.

    Left: the phase map (learning rate on a log axis, momentum β up), the current setting
    marked, the stability limit drawn; a click on it sets both sliders. Right: the path of
    ``steps`` steps over the contours, and plain SGD's at the same rate for comparison; a
    click or drag there moves the start. ``widget.code_line`` recreates the widget.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    surface = get_surface(surface)
    lams = curvatures(surface)
    _check_rule(rule)
    where = {"start": checked_start(surface, start), "hold": False}
    rate = lr_slider(lr, *lr_range, description="learning rate")
    beta = momentum_slider(momentum, description="momentum β")
    rule_control = choice_dropdown("optimizer", list(MOMENTUM_RULES), rule)

    # 8.8 in wide: a laptop's notebook column (display.COLUMN_FIGURE_PX) shows it whole. One legend for
    # both panels under them, the path's numbers under its plot: nothing covers the map or a path.
    fig, (ax_map, ax_path) = new_figure(1, 2, figsize=(8.8, 5.0), width_ratios=(1, 1.15), interactive=interactive)
    first = phase_map(surface, rule, lr_range=lr_range)
    cmap = ListedColormap([REGION_COLORS[r] for r in REGIONS])
    lr_edges = np.sqrt(first.lrs[1:] * first.lrs[:-1])
    lr_edges = np.concatenate([[first.lrs[0] ** 2 / lr_edges[0]], lr_edges, [first.lrs[-1] ** 2 / lr_edges[-1]]])
    beta_edges = np.concatenate([first.betas - 0.005, [first.betas[-1] + 0.005]])
    mesh = ax_map.pcolormesh(lr_edges, beta_edges, first.regions, cmap=cmap, vmin=-0.5, vmax=3.5,
                             shading="flat", rasterized=True)
    betas_line = np.linspace(0, 0.99, 100)
    (limit_line,) = ax_map.plot([], [], color=COLORS["black"], linestyle="--", linewidth=1.2)
    (setting,) = ax_map.plot([], [], marker="X", markersize=13, color="white", markeredgecolor=COLORS["black"],
                             markeredgewidth=1.5, linestyle="none", zorder=5)
    ax_map.set_xscale("log")
    ax_map.set_xlim(lr_edges[0], lr_edges[-1])
    ax_map.set_ylim(beta_edges[0], beta_edges[-1])
    regions = [Patch(color=REGION_COLORS[r], label=REGION_LABELS[r]) for r in REGIONS]
    label_axes(ax_map, None, "learning rate (log scale; click to choose)", "momentum β")

    state = {"drawn": redraw_surface(ax_path, surface, start=False)}
    ax_path.set_title(f"{surface.title}: {surface.formula}", fontsize=11)
    (sgd_line,) = ax_path.plot([], [], color=OPTIMIZER_COLORS["SGD"], linewidth=1.2, alpha=0.5, marker="o",
                               markersize=1.5, label="SGD, same rate", zorder=3)
    (path_line,) = ax_path.plot([], [], linewidth=1.8, marker="o", markersize=2.5, zorder=4)
    start_dot = start_marker(ax_path)
    note = note_below(ax_path)
    map_title = ax_map.set_title(" \n ", fontsize=10.5)  # two lines: the setting, then its region

    def set_rule(name):
        current = phase_map(surface, name, lr_range=lr_range)
        mesh.set_array(current.regions.ravel())
        limits = [stability_limit(name, lams[1], b) for b in betas_line]
        limit_line.set_data(limits, betas_line)
        limit_line.set_label(f"stability limit of {name} (steep direction)")
        path_line.set_color(OPTIMIZER_COLORS[name])
        path_line.set_linestyle(OPTIMIZER_LINESTYLES[name])
        path_line.set_label(name)
        # three columns, filled downwards: three regions | the fourth and the two paths | the limit and the start
        legend_below(fig, [*regions, path_line, sgd_line, limit_line, start_dot], ncols=3)
        state["rule"] = name
        return current

    def update(widget):
        if where["hold"]:
            return
        new_rule = rule_control.value != state.get("rule")
        current = set_rule(rule_control.value) if new_rule else phase_map(surface, state["rule"], lr_range=lr_range)
        lr_now, beta_now = rate.value, beta.value
        if (list(setting.get_xdata()), list(setting.get_ydata())) != ([lr_now], [beta_now]):
            setting.set_data([lr_now], [beta_now])  # else left alone: a drag of the start does not redraw it
        region = current.region_at(lr_now, beta_now)
        per_direction = [REGIONS[int(classify(state["rule"], lr_now, beta_now, lam))] for lam in lams]
        radius = max(float(np.abs(eigenvalues(state["rule"], lr_now, beta_now, lam)[0])) for lam in lams)
        map_title.set_text(f"{state['rule']}, lr {lr_now:.3g}, β {beta_now:.2f}:\n{REGION_LABELS[region]}")
        here = where["start"] or surface.start
        start_dot.set_data([here[0]], [here[1]])
        path = trajectory(state["rule"], surface, here, steps, lr=lr_now, momentum=beta_now)
        sgd = trajectory("SGD", surface, here, steps, lr=lr_now)
        for line, run in ((path_line, path), (sgd_line, sgd)):
            points = drawable(run.points, surface.extent)
            line.set_data(points[:, 0], points[:, 1])
        gap = loss_gap(surface, path.losses)
        if path.diverged:
            ending = f"diverged at step {path.diverged_at}"
        else:
            ending = f"loss {gap[-1]:.2g} above the minimum after {steps} steps"
        note.set_text(f"flat direction (λ = {lams[0]:g}): {per_direction[0]}\n"
                      f"steep direction (λ = {lams[1]:g}): {per_direction[1]}\n"
                      f"error × {radius:.3g} per step\n{ending}")
        widget.state.update(region=region, per_direction=tuple(per_direction), radius=radius, path=path, sgd=sgd,
                            start=tuple(here), rule=state["rule"], lr=lr_now, momentum=beta_now, surface=surface)
        widget.redraw(full=new_rule)

    def on_click(widget, ax, x, y):
        if ax is ax_map:
            # both sliders at once, then one update
            where["hold"] = True
            try:
                lowest, highest = 10.0 ** rate.min, 10.0 ** rate.max  # a log slider's limits are exponents
                rate.value = nearest_log_stop(min(max(x, lowest), highest), rate.min, rate.step)
                beta.value = round(min(max(y, 0.0), beta.max), 2)
            finally:
                where["hold"] = False
        elif ax is ax_path:
            where["start"] = clicked_start(surface, x, y)
        else:
            return
        update(widget)

    def code(widget):
        return call_line("momentum_phase_map", surface=surface.key, lr=rate.value, momentum=beta.value,
                         rule=rule_control.value, steps=steps, start=widget.state.get("start"),
                         defaults=signature_defaults(momentum_phase_map, "rule", "steps"))

    return make_widget(fig, {"lr": rate, "momentum": beta, "rule": rule_control}, update,
                       title="Momentum phase map", animated=[setting, map_title, path_line, sgd_line, start_dot, note],
                       code=code, on_click=on_click, summary=_map_summary,
                       key_points=lambda widget: [marker_point(setting), marker_point(start_dot)],
                       key_hint="the marked setting on the map, or the start point of its path")


_REGION_WORDS = {"monotone": "converges smoothly", "ripples": "converges in ripples, a damped oscillation",
                 "oscillation": "converges in a zigzag", "diverges": "diverges"}
_DIRECTION_WORDS = {"monotone": "moves smoothly", "ripples": "ripples", "oscillation": "zigzags",
                    "diverges": "diverges"}
_BOTH_DIRECTIONS_WORDS = {"monotone": "move smoothly", "ripples": "ripple", "oscillation": "zigzag",
                          "diverges": "diverge"}


def _map_summary(widget) -> str:
    """What :func:`momentum_phase_map` shows now, in words: the region of the marked setting, how fast the error
    shrinks there, and where its path and plain SGD's ended."""
    state = widget.state
    surface, radius = state["surface"], state["radius"]
    flat, steep = (_DIRECTION_WORDS[r] for r in state["per_direction"])
    both = _BOTH_DIRECTIONS_WORDS[state["per_direction"][0]]
    trend = "shrinks" if radius < _UNIT else "grows"
    title = surface.title[:1].lower() + surface.title[1:]
    head = (f"{state['rule']} at learning rate {number(state['lr'])}, momentum β {state['momentum']:.2f}, on the "
            f"{title}: the marked point of the phase map {_REGION_WORDS[state['region']]} ("
            + (f"both directions {both}" if flat == steep else f"the flat direction {flat}, the steep one {steep}")
            + f"); the error {trend} by a factor of about {number(radius)} per step.")

    def ending(path):
        if path.diverged:
            return f"diverged at step {path.diverged_at}"
        gaps = loss_gap(surface, path.losses[[0, -1]])
        if gaps[1] > gaps[0]:
            return f"moves away from the minimum, its loss gap growing from {number(gaps[0])} to {number(gaps[1])}"
        gap = f"less than {LOSS_FLOOR:.0e}" if gaps[1] <= LOSS_FLOOR else number(gaps[1])
        return f"ends {gap} above the minimum after {path.steps} steps"

    return (f"{head} Its path from ({', '.join(number(v) for v in state['start'])}) {ending(state['path'])}; "
            f"plain SGD at the same rate {ending(state['sgd'])}.")


# -- momentum's payoff: about √κ steps where gradient descent needs about κ ----------------------------------------


def best_gd_lr(flat, steep):
    """The rate at which plain gradient descent shrinks its slowest direction fastest on a
    quadratic with curvatures ``flat`` and ``steep``: 2 / (flat + steep). Both directions then
    shrink by (κ − 1) / (κ + 1) per step, κ = steep / flat."""
    return 2.0 / (flat + steep)


def critical_momentum(flat, steep):
    """``(lr, β)`` of heavy-ball momentum at its best on a quadratic with curvatures ``flat`` and
    ``steep`` (Polyak's setting; the *critically damped* one of Goh's "Why Momentum Really Works"):
    lr = (2 / (√steep + √flat))², β = ((√κ − 1) / (√κ + 1))². Every direction then shrinks by
    √β = (√κ − 1) / (√κ + 1) per step (up to a factor that grows linearly with the step count)."""
    root_flat, root_steep = np.sqrt(flat), np.sqrt(steep)
    return float((2.0 / (root_steep + root_flat)) ** 2), float(((root_steep - root_flat) / (root_steep + root_flat)) ** 2)


def momentum_payoff(surface="valley", stretches=(1, 10), tol: float = 1e-6):
    """Steps to bring the distance to the minimum below ``tol`` times its start, for gradient
    descent at :func:`best_gd_lr` and for momentum at :func:`critical_momentum`, on ``surface``
    (a quadratic) and on copies whose flat curvature is divided by each factor in ``stretches``
    (so κ is multiplied by it); same start, same steep curvature.

    Returns one dict per stretch: ``kappa``, ``gd_lr``, ``gd_steps``, ``lr``, ``beta``,
    ``momentum_steps``. Gradient descent's count grows like κ, momentum's like √κ.
    """
    from .surfaces import quadratic

    surface = get_surface(surface)
    flat, steep = curvatures(surface)
    rows = []
    for stretch in stretches:
        valley = quadratic((flat / stretch, steep), start=surface.start, extent=surface.extent,
                           key=f"{surface.key}-stretched-{stretch:g}")
        kappa = steep * stretch / flat
        gd_lr = best_gd_lr(flat / stretch, steep)
        lr, beta = critical_momentum(flat / stretch, steep)
        # gradient descent needs about κ/2 · ln(1/tol) steps: twice that is room enough
        budget = int(np.ceil(kappa * np.log(1.0 / tol))) + 10
        counts = []
        for path in (trajectory("SGD", valley, steps=budget, lr=gd_lr),
                     trajectory("Momentum", valley, steps=budget, lr=lr, momentum=beta)):
            distance = np.linalg.norm(path.points - np.asarray(valley.minimum), axis=1)
            within = np.flatnonzero(distance <= tol * distance[0])
            counts.append(int(within[0]) if within.size else None)
        rows.append({"kappa": kappa, "gd_lr": gd_lr, "gd_steps": counts[0], "lr": lr, "beta": beta,
                     "momentum_steps": counts[1]})
    return rows


__all__ += ["best_gd_lr", "critical_momentum", "momentum_payoff"]
