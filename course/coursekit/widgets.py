"""The course's widgets and the slider helpers every lesson reuses.

Controls (each returns a configured ipywidget; ranges make impossible values impossible):

========================  ==========================================================
``log_slider``            any positive quantity spanning decades (FloatLogSlider)
``lr_slider``             learning rate, log scale
``momentum_slider``       SGD momentum in [0, 0.99]
``beta1_slider``          Adam's beta1 in [0, 0.99]
``beta2_slider``          Adam's beta2 from 0.9 to 0.9999 (a selection slider: values near 1)
``batch_size_slider``     powers of two
``clip_slider``           gradient-clipping threshold, log scale, "off" (= inf) at the end
``warmup_slider``         warmup as a fraction of all training steps, 0-50%
``schedule_dropdown``     the learning-rate schedules of lesson 5 (keys in ``SCHEDULES``)
``optimizer_checkboxes``  which optimizers race (dict name -> Checkbox)
``surface_dropdown``      which 2-D loss surface
========================  ==========================================================

Widgets (each a function returning a :class:`coursekit.display.InteractiveFigure`; end a
cell with it and mark the cell ``# NBVAL_IGNORE_OUTPUT``), each with the plain compute
function behind it that tests and benchmarks call directly:

==========================  ============================  ==================================
widget                      compute function              shows
==========================  ============================  ==================================
``optimizer_race``          ``race_compute``              paths on a surface + loss curves
``lr_explorer``             ``lr_compute``,               one SGD path, its loss curve named
                            ``steps_to_converge``         by ``diagnose``, steps vs lr (2/L)
``descent_demo``            ``descent_1d``                gradient descent on a 1-D parabola
==========================  ============================  ==================================

Every widget updates its artists in place; ``widget.set(name=value)`` moves a control
from code and ``widget.state`` holds what the last update computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .display import FastRedraw, freeze_layout, make_widget, new_figure
from .style import (
    COLORS,
    OPTIMIZER_COLORS,
    OPTIMIZER_LINESTYLES,
    OPTIMIZER_NAMES,
    ROLE_COLORS,
    canonical_optimizer_name,
    label_axes,
)
from .surfaces import RACE_SURFACES, SURFACES, get_surface, redraw_surface
from .trajectories import Trajectory, TrajectoryCache, drawable, race, trajectory

__all__ = [
    # controls
    "log_slider",
    "nearest_log_stop",
    "round_log_slider",
    "lr_slider",
    "momentum_slider",
    "beta1_slider",
    "beta2_slider",
    "batch_size_slider",
    "clip_slider",
    "clip_threshold",
    "warmup_slider",
    "schedule_dropdown",
    "optimizer_checkboxes",
    "surface_dropdown",
    "SCHEDULES",
    "BETA2_CHOICES",
    "DEFAULT_RACE",
    "SGD_FAMILY",
    "ADAPTIVE_FAMILY",
    # compute functions
    "race_settings",
    "race_compute",
    "LrRun",
    "lr_compute",
    "steps_to_converge",
    "regime",
    "descent_1d",
    "diagnose_losses",
    # widgets
    "optimizer_race",
    "lr_explorer",
    "descent_demo",
]

_WIDE = {"description_width": "initial"}
_SLIDER_LAYOUT = {"width": "320px"}

SGD_FAMILY = ("SGD", "Momentum", "Nesterov")
ADAPTIVE_FAMILY = ("AdaGrad", "RMSProp", "Adam", "AdamW")
DEFAULT_RACE = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")

# Learning-rate schedules (lesson 5): dropdown label -> key understood by the lessons.
SCHEDULES = {
    "constant": "constant",
    "step decay": "step",
    "exponential": "exponential",
    "cosine annealing": "cosine",
    "linear warmup, then linear decay": "warmup_linear",
    "linear warmup, then cosine": "warmup_cosine",
    "one-cycle": "one_cycle",
}

BETA2_CHOICES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999)


def _widgets():
    import ipywidgets

    return ipywidgets


# -- controls -----------------------------------------------------------------------------


def nearest_log_stop(value, lowest_exponent, exponent_step):
    """The stop of a FloatLogSlider (base 10) nearest to ``value``.

    Set a log slider only to its stops: the browser snaps any other value to the nearest
    stop and sends it back, so the figure would change before anyone touched the slider.
    """
    stop = round((math.log10(value) - lowest_exponent) / exponent_step) * exponent_step
    return float(f"{10 ** (lowest_exponent + stop):.12g}")


def log_slider(description, value, min, max, *, steps_per_decade: int = 20, readout_format=".3g",
               continuous_update=True):
    """A slider over [``min``, ``max``] spaced evenly in log10 (for learning rates, thresholds).

    ``continuous_update=True``: the figure follows the mouse while dragging (every course
    widget updates in well under 100 ms); pass False for expensive updates.
    """
    if not (0 < min < max):
        raise ValueError(f"log_slider {description!r}: need 0 < min < max, got min={min}, max={max}")
    if not (min <= value <= max):
        raise ValueError(f"log_slider {description!r}: value {value} is outside [{min}, {max}]")
    if steps_per_decade < 1:
        raise ValueError(f"steps_per_decade must be at least 1, got {steps_per_decade}")
    return _widgets().FloatLogSlider(
        value=nearest_log_stop(value, math.log10(min), 1.0 / steps_per_decade),
        base=10,
        min=math.log10(min),
        max=math.log10(max),
        step=1.0 / steps_per_decade,
        description=description,
        readout_format=readout_format,
        continuous_update=continuous_update,
        style=_WIDE,
        layout=_SLIDER_LAYOUT,
    )


def lr_slider(value=0.1, min=1e-4, max=10.0, *, description="learning rate", **kwargs):
    """A learning-rate slider on a log scale."""
    return log_slider(description, value, min, max, **kwargs)


def momentum_slider(value=0.9, *, description="momentum", max=0.99, continuous_update=True):
    """SGD momentum in [0, ``max``] (1 or more would never forget a gradient: excluded)."""
    if not (0 <= value <= max < 1):
        raise ValueError(f"momentum must satisfy 0 <= value <= max < 1, got value={value}, max={max}")
    return _widgets().FloatSlider(value=value, min=0.0, max=max, step=0.01, description=description,
                                  readout_format=".2f", continuous_update=continuous_update,
                                  style=_WIDE, layout=_SLIDER_LAYOUT)


def beta1_slider(value=0.9, *, description="Adam β1", continuous_update=True):
    """Adam's beta1 (momentum of the mean gradient) in [0, 0.99]."""
    return momentum_slider(value, description=description, continuous_update=continuous_update)


def beta2_slider(value=0.999, *, description="Adam β2", choices=BETA2_CHOICES, continuous_update=True):
    """Adam's beta2 (memory of the squared gradients); the interesting values crowd near 1."""
    choices = tuple(float(c) for c in choices)
    if any(not (0 <= c < 1) for c in choices):
        raise ValueError(f"beta2 choices must lie in [0, 1), got {choices}")
    if value not in choices:
        raise ValueError(f"beta2 value {value} is not one of the choices {choices}")
    return _widgets().SelectionSlider(options=[(f"{c:g}", c) for c in choices], value=value,
                                      description=description, continuous_update=continuous_update,
                                      style=_WIDE, layout=_SLIDER_LAYOUT)


def batch_size_slider(value=32, min=1, max=1024, *, description="batch size", continuous_update=False):
    """Batch sizes in powers of two from ``min`` to ``max`` (both powers of two).

    ``continuous_update=False`` by default: a batch-size change usually retrains something.
    """
    for name, number in (("min", min), ("max", max), ("value", value)):
        if not (isinstance(number, (int, np.integer)) and number >= 1 and number & (number - 1) == 0):
            raise ValueError(f"batch_size_slider: {name}={number!r} must be a power of two >= 1")
    if not (min <= value <= max):
        raise ValueError(f"batch_size_slider: value {value} is outside [{min}, {max}]")
    options = [2**k for k in range(int(math.log2(min)), int(math.log2(max)) + 1)]
    return _widgets().SelectionSlider(options=[(str(b), b) for b in options], value=value,
                                      description=description, continuous_update=continuous_update,
                                      style=_WIDE, layout=_SLIDER_LAYOUT)


def _nice_log_values(lo, hi):
    """1-2-5 values per decade between ``lo`` and ``hi`` (inclusive)."""
    values = []
    for exponent in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            v = float(f"{mantissa}e{exponent}")
            if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                values.append(v)
    return values


def clip_slider(value=1.0, min=0.01, max=100.0, *, off=True, description="clip norm",
                continuous_update=False):
    """Gradient-clipping threshold on a 1-2-5 log scale; the last stop is "off".

    "off" has the value ``math.inf`` and sits beyond the largest threshold: no clipping is
    the same as an infinite threshold (``clip_grad_norm_(params, math.inf)`` changes
    nothing). Use :func:`clip_threshold` to turn the value into ``None`` for "off".
    """
    if not (0 < min < max):
        raise ValueError(f"clip_slider: need 0 < min < max, got min={min}, max={max}")
    options = [(f"{v:g}", v) for v in _nice_log_values(min, max)]
    if off:
        options.append(("off", math.inf))
    allowed = [v for _, v in options]
    if value not in allowed:
        raise ValueError(f"clip_slider: value {value!r} is not one of {allowed}")
    return _widgets().SelectionSlider(options=options, value=value, description=description,
                                      continuous_update=continuous_update, style=_WIDE,
                                      layout=_SLIDER_LAYOUT)


def round_log_slider(description, value, min, max, *, continuous_update=False):
    """A log-scale slider whose stops are round numbers (1, 2, 5 per decade: 0.01, 0.02, 0.05, ...).

    For a rate that a lesson quotes exactly (lesson 8 trains at 0.05): the slider holds it
    exactly, where a ``log_slider`` would move it to its nearest stop (0.0501), and a run
    that sits on the edge of blowing up can behave differently at that rate.
    """
    if not (0 < min < max):
        raise ValueError(f"round_log_slider {description!r}: need 0 < min < max, got min={min}, max={max}")
    options = [(f"{v:g}", v) for v in _nice_log_values(min, max)]
    allowed = [v for _, v in options]
    if value not in allowed:
        raise ValueError(f"round_log_slider {description!r}: value {value!r} is not one of {allowed}")
    return _widgets().SelectionSlider(options=options, value=value, description=description,
                                      continuous_update=continuous_update, style=_WIDE,
                                      layout=_SLIDER_LAYOUT)


def clip_threshold(value):
    """A clip slider's value as a threshold: ``None`` for "off", the number otherwise."""
    return None if value is None or math.isinf(value) else float(value)


def warmup_slider(value=0.1, max=0.5, *, description="warmup", continuous_update=False):
    """Warmup length as a fraction of all training steps, in [0, ``max``] (``max`` <= 1)."""
    if not (0 <= value <= max <= 1):
        raise ValueError(f"warmup_slider: need 0 <= value <= max <= 1, got value={value}, max={max}")
    return _widgets().FloatSlider(value=value, min=0.0, max=max, step=0.01, description=description,
                                  readout_format=".0%", continuous_update=continuous_update,
                                  style=_WIDE, layout=_SLIDER_LAYOUT)


def schedule_dropdown(value="cosine", *, description="schedule", schedules=None):
    """A dropdown of learning-rate schedules; ``.value`` is a key such as "cosine"."""
    schedules = dict(SCHEDULES if schedules is None else schedules)
    if value not in schedules.values():
        raise ValueError(f"schedule_dropdown: value {value!r} is not one of {list(schedules.values())}")
    return _widgets().Dropdown(options=list(schedules.items()), value=value, description=description,
                               style=_WIDE)


def optimizer_checkboxes(selected=DEFAULT_RACE, names=OPTIMIZER_NAMES):
    """One checkbox per optimizer (dict name -> Checkbox), ticked for those in ``selected``."""
    selected = {canonical_optimizer_name(n) for n in selected}
    names = [canonical_optimizer_name(n) for n in names]
    w = _widgets()
    return {
        name: w.Checkbox(value=name in selected, description=name, indent=False,
                         layout={"width": "105px"})
        for name in names
    }


def surface_dropdown(value="valley", keys=RACE_SURFACES, *, description="surface"):
    """A dropdown of loss surfaces by title; ``.value`` is the surface key."""
    keys = list(keys)
    if value not in keys:
        raise ValueError(f"surface_dropdown: value {value!r} is not one of {keys}")
    options = [(SURFACES[k].title, k) for k in keys]
    return _widgets().Dropdown(options=options, value=value, description=description, style=_WIDE)


# -- diagnose, when minigrad.training has it --------------------------------------------------


def diagnose_losses(losses):
    """``minigrad.training.diagnose`` on a loss curve, as ``(label, hint)``.

    Returns ``(None, None)`` when minigrad's ``diagnose`` is not available.
    """
    try:
        from minigrad.training.diagnose import diagnose
    except ImportError:  # pragma: no cover - only while minigrad.training is incomplete
        return None, None
    result = diagnose(np.asarray(losses, dtype=float))
    return result.label, result.hint


# -- optimizer race -------------------------------------------------------------------------


def race_settings(optimizers=DEFAULT_RACE, *, lr=0.1, adaptive_lr=0.1, momentum=0.9, betas=(0.9, 0.999),
                  weight_decay=0.01):
    """The hyperparameters each racing optimizer gets from the race's controls.

    ``lr`` drives the SGD family (SGD, Momentum, Nesterov), ``adaptive_lr`` the adaptive
    family (AdaGrad, RMSProp, Adam, AdamW): the two families work on different scales,
    and sharing one rate would leave one family either crawling or exploding. ``momentum``
    goes to Momentum and Nesterov, ``betas`` to Adam and AdamW, ``weight_decay`` to AdamW.
    Each optimizer receives only the settings it uses, so the trajectory cache reruns
    exactly the optimizers a control affects.
    """
    if not (lr > 0 and adaptive_lr > 0):
        raise ValueError(f"learning rates must be positive, got lr={lr}, adaptive_lr={adaptive_lr}")
    if not (0 <= momentum < 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if not all(0 <= b < 1 for b in betas):
        raise ValueError(f"betas must be in [0, 1), got {betas}")
    settings = {}
    for name in optimizers:
        name = canonical_optimizer_name(name)
        if name == "SGD":
            settings[name] = {"lr": lr}
        elif name in ("Momentum", "Nesterov"):
            settings[name] = {"lr": lr, "momentum": momentum}
        elif name in ("AdaGrad", "RMSProp"):
            settings[name] = {"lr": adaptive_lr}
        elif name == "Adam":
            settings[name] = {"lr": adaptive_lr, "betas": tuple(betas)}
        else:  # AdamW
            settings[name] = {"lr": adaptive_lr, "betas": tuple(betas), "weight_decay": weight_decay}
    return settings


def race_compute(surface="valley", optimizers=DEFAULT_RACE, *, lr=None, adaptive_lr=None, momentum=0.9,
                 betas=(0.9, 0.999), weight_decay=0.01, steps=300, seed=0, cache=None):
    """Race ``optimizers`` on ``surface``; ``{name: Trajectory}`` (the race widget's computation).

    ``lr``/``adaptive_lr`` default to the surface's suggested rates.
    """
    surface = get_surface(surface)
    lr = surface.default_lr["sgd"] if lr is None else lr
    adaptive_lr = surface.default_lr["adaptive"] if adaptive_lr is None else adaptive_lr
    settings = race_settings(optimizers, lr=lr, adaptive_lr=adaptive_lr, momentum=momentum, betas=betas,
                             weight_decay=weight_decay)
    return race(surface, settings, steps=steps, seed=seed, cache=cache)


_LOSS_FLOOR = 1e-10  # loss gaps below this are drawn at the floor of the log axis


def _loss_gap(surface, losses):
    """Loss above the surface's minimum (for log axes), floored at ``_LOSS_FLOOR``."""
    f_min = surface.loss(surface.minimum) if surface.minimum is not None else 0.0
    gap = np.asarray(losses, dtype=float) - f_min
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(gap), np.nan, np.maximum(gap, _LOSS_FLOOR))


def optimizer_race(surface="valley", optimizers=DEFAULT_RACE, *, lr=None, adaptive_lr=None, momentum=0.9,
                   beta1=0.9, beta2=0.999, weight_decay=0.01, steps=300, seed=0, surfaces=RACE_SURFACES,
                   interactive=None, cache=None):
    """Optimizers racing on a 2-D loss surface: paths over the contours, loss curves beside.

    Controls: a checkbox per optimizer, the surface, the SGD-family learning rate, the
    adaptive-family learning rate, momentum (Momentum, Nesterov), Adam's β1 and β2
    (Adam, AdamW). Each optimizer keeps its course colour. Only optimizers whose
    settings changed are recomputed (``widget.state["computed"]`` lists them).
    """
    surface = get_surface(surface)
    if surface.key not in surfaces:
        surfaces = (surface.key, *surfaces)
    cache = TrajectoryCache() if cache is None else cache

    boxes = optimizer_checkboxes(optimizers)
    surface_control = surface_dropdown(surface.key, surfaces)
    sgd_lr = lr_slider(surface.default_lr["sgd"] if lr is None else lr, 1e-5, 2.0, description="lr (SGD family)")
    ada_lr = lr_slider(surface.default_lr["adaptive"] if adaptive_lr is None else adaptive_lr, 1e-4, 2.0,
                       description="lr (adaptive)")
    momentum_control = momentum_slider(momentum)
    beta1_control = beta1_slider(beta1)
    beta2_control = beta2_slider(beta2)

    fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(11, 4.6), width_ratios=(1.15, 1),
                                         interactive=interactive)
    artists = {}
    for name in OPTIMIZER_NAMES:
        color, linestyle = OPTIMIZER_COLORS[name], OPTIMIZER_LINESTYLES[name]
        (path_line,) = ax_path.plot([], [], color=color, linestyle=linestyle, linewidth=1.8, marker="o",
                                    markersize=2, label=name, zorder=3)
        (end_marker,) = ax_path.plot([], [], color=color, marker="X", markersize=10, linestyle="none",
                                     markeredgecolor="white", zorder=4)
        (loss_line,) = ax_loss.plot([], [], color=color, linestyle=linestyle, linewidth=1.8, label=name)
        note = ax_path.text(0.02, 0.97, "", color=color, fontsize=9, fontweight="bold", ha="left", va="top",
                            transform=ax_path.transAxes, zorder=6,
                            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})
        artists[name] = (path_line, end_marker, loss_line, note)
    ax_loss.set_yscale("log")
    ax_loss.set_xlim(0, steps)
    label_axes(ax_loss, "Loss during the race", "step", "loss above the minimum (log scale)")
    # Text is the slowest thing matplotlib draws: the legend (names only) is rebuilt only
    # when the set of racing optimizers changes, and only diverged runs get a note.
    state = {"drawn": (), "surface": None, "busy": False, "legend_for": None, "laid_out": False}
    fast = FastRedraw(fig, [artist for group in artists.values() for artist in group])

    def draw_background(new_surface):
        state["drawn"] = redraw_surface(ax_path, new_surface, state["drawn"])
        ax_path.set_title(new_surface.title, fontsize=12)
        state["surface"] = new_surface

    def update(*_):
        if state["busy"]:
            return
        current = get_surface(surface_control.value)
        new_surface = current is not state["surface"]
        full = new_surface  # static artists change: a full redraw
        if new_surface:
            draw_background(current)
        racing = [name for name, box in boxes.items() if box.value]
        paths = race_compute(current, racing, lr=sgd_lr.value, adaptive_lr=ada_lr.value,
                             momentum=momentum_control.value,
                             betas=(beta1_control.value, beta2_control.value),
                             weight_decay=weight_decay, steps=steps, seed=seed, cache=cache)
        top = 0.0
        bottom = np.inf
        diverged = 0
        for name, (path_line, end_marker, loss_line, note) in artists.items():
            path = paths.get(name)
            visible = path is not None
            for artist in (path_line, end_marker, loss_line, note):
                artist.set_visible(visible)
            if not visible:
                continue
            points = drawable(path.points, current.extent)
            path_line.set_data(points[:, 0], points[:, 1])
            gap = _loss_gap(current, path.losses)
            loss_line.set_data(np.arange(len(gap)), gap)
            finite = np.isfinite(gap)
            if finite.any():
                top = max(top, float(np.nanmax(gap)))
                bottom = min(bottom, float(np.nanmin(gap)))
            if path.diverged:
                # Mark the last point inside the plot and say when the run blew up.
                last = _last_visible_point(points, path.diverged_at, current.extent)
                end_marker.set_data([last[0]], [last[1]])
                note.set_position((0.02, 0.97 - 0.075 * diverged))  # stacked in the top-left corner
                note.set_text(f"{name}: diverged at step {path.diverged_at}")
                diverged += 1
            else:
                end_marker.set_data([], [])
                note.set_text("")
        if top > 0:
            limits = _decade_limits(max(bottom, _LOSS_FLOOR), top)
            if limits != tuple(ax_loss.get_ylim()):
                ax_loss.set_ylim(*limits)
                full = True
        if state["legend_for"] != tuple(paths):
            handles = [artists[name][0] for name in paths]
            ax_path.legend(handles=handles, loc="lower right", fontsize=9, ncols=2)
            state["legend_for"] = tuple(paths)
            full = True
        widget.state.update(paths=paths, computed=cache.last_computed, surface=current.key,
                            status={name: path.status() for name, path in paths.items()})
        if new_surface and state["laid_out"]:
            freeze_layout(fig)  # new tick labels may need new margins
        fast.update(full=full)

    def on_surface(change):
        # New surface: move both learning rates to its suggested values, then draw once.
        new_surface = get_surface(change["new"])
        state["busy"] = True
        try:
            for slider, family in ((sgd_lr, "sgd"), (ada_lr, "adaptive")):
                slider.value = nearest_log_stop(new_surface.default_lr[family], slider.min, slider.step)
        finally:
            state["busy"] = False
        update()

    controls = dict(boxes)
    controls.update({"surface": surface_control, "lr": sgd_lr, "adaptive_lr": ada_lr,
                     "momentum": momentum_control, "beta1": beta1_control, "beta2": beta2_control})
    rows = [list(boxes.values()), [surface_control, sgd_lr, ada_lr],
            [momentum_control, beta1_control, beta2_control]]
    widget = make_widget(fig, controls, title="Optimizer race", rows=rows, fixed_layout=False)
    update()
    freeze_layout(fig)
    state["laid_out"] = True
    surface_control.observe(on_surface, names="value")
    for control in (*boxes.values(), sgd_lr, ada_lr, momentum_control, beta1_control, beta2_control):
        control.observe(update, names="value")
    return widget


def _decade_limits(low, high):
    """Log-axis limits rounded out to whole decades, so small changes keep the same axis."""
    return (10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high) + 0.2))


def _last_visible_point(points, diverged_at, extent):
    """The last point before ``diverged_at`` that lies inside the plotted extent."""
    xmin, xmax, ymin, ymax = extent
    for row in points[max(diverged_at - 1, 0)::-1]:
        if xmin <= row[0] <= xmax and ymin <= row[1] <= ymax:
            return row
    return points[0]


# -- learning-rate explorer ---------------------------------------------------------------


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


def lr_compute(surface="valley", lr=0.1, steps=100):
    """Plain gradient descent with learning rate ``lr``: the path and ``diagnose``'s verdict."""
    surface = get_surface(surface)
    path = trajectory("SGD", surface, steps=steps, lr=lr)
    label, hint = diagnose_losses(path.losses)
    return LrRun(path, label, hint, surface.critical_lr, float(lr))


def steps_to_converge(surface="valley", lrs=None, *, tolerance=1e-3, max_steps=5000):
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
    steps = np.full(len(lrs), np.nan)
    # All rates at once: one row per rate, and minigrad's SGD rule broadcasts a column of
    # learning rates over the rows (the same rule `trajectory` calls, on a (n, 2) array).
    points = np.tile(np.asarray(surface.start, dtype=float), (len(lrs), 1))
    column = lrs[:, None]
    state = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, max_steps + 1):
            OF.sgd(points, surface.grad(points), state, lr=column)
            done = np.isnan(steps) & (surface.loss(points) <= target)
            steps[done] = step
    return lrs, steps


def lr_explorer(surface="valley", lr=0.1, *, steps=100, surfaces=("bowl", "valley"), interactive=None):
    """Gradient descent with one learning-rate slider: the path, its loss curve, its cost.

    Left: the path on the surface. Middle: the loss curve (log scale) titled with
    ``diagnose``'s verdict. Right: steps needed to converge against the learning rate,
    with the critical value 2/L drawn as a wall and the current rate as a dot.
    """
    surface = get_surface(surface)
    if surface.key not in surfaces:
        surfaces = (surface.key, *surfaces)
    lr_range = (1e-4, 2.0)
    rate = lr_slider(lr, *lr_range, description="learning rate")
    surface_control = surface_dropdown(surface.key, surfaces)
    cost_lrs = np.geomspace(*lr_range, 81)

    fig, (ax_path, ax_loss, ax_cost) = new_figure(1, 3, figsize=(13, 4.3), width_ratios=(1.2, 1, 1),
                                                  interactive=interactive)
    color = OPTIMIZER_COLORS["SGD"]
    (path_line,) = ax_path.plot([], [], color=color, marker="o", markersize=2.5, linewidth=1.5, zorder=3)
    (loss_line,) = ax_loss.plot([], [], color=color, linewidth=2)
    ax_loss.set_yscale("log")
    label_axes(ax_loss, None, "step", "loss above the minimum (log scale)")
    (cost_line,) = ax_cost.plot([], [], color=COLORS["blue"], linewidth=2, label="steps to converge")
    (cost_dot,) = ax_cost.plot([], [], marker="o", markersize=10, color=ROLE_COLORS["diverges"],
                               linestyle="none", label="your learning rate", zorder=4)
    wall = ax_cost.axvline(1.0, color=ROLE_COLORS["diverges"], linestyle="--", linewidth=1.5, label="2/L")
    diverging_zone = ax_cost.axvspan(1.0, lr_range[1], color=ROLE_COLORS["diverges"], alpha=0.12,
                                     label="diverges")
    ax_cost.set_xscale("log")
    ax_cost.set_yscale("log")
    label_axes(ax_cost, "What each rate costs", "learning rate (log scale)", "steps to converge (log scale)")
    ax_cost.legend(loc="lower left", fontsize=9)
    ax_loss.set_xlim(0, steps)
    # Fixed limits from the loss floor to past the divergence threshold: every run fits,
    # and a slider move never has to redraw the axis (only the curve and the title).
    ax_loss.set_ylim(_LOSS_FLOOR / 3, 1e8)
    ax_loss.set_title(" ", fontsize=11)
    state = {"surface": None, "drawn": (), "cost": None, "laid_out": False}
    fast = FastRedraw(fig, [path_line, loss_line, cost_dot, ax_loss.title])

    def set_surface(current):
        state["drawn"] = redraw_surface(ax_path, current, state["drawn"])
        ax_path.set_title(f"{current.title}: {current.formula}", fontsize=11)
        lrs, cost = steps_to_converge(current, cost_lrs)
        cost_line.set_data(lrs, cost)
        wall.set_xdata([current.critical_lr, current.critical_lr])
        wall.set_label(f"2/L = {current.critical_lr:.3g}")
        diverging_zone.set_x(current.critical_lr)
        diverging_zone.set_width(lr_range[1] - current.critical_lr)
        ax_cost.set_xlim(*lr_range)
        finite = cost[np.isfinite(cost)]
        ax_cost.set_ylim(max(finite.min() / 2, 1), finite.max() * 2)
        ax_cost.legend(loc="lower left", fontsize=9)
        state.update(surface=current, cost=(lrs, cost))

    def update(*_):
        current = get_surface(surface_control.value)
        full = current is not state["surface"]
        if full:
            set_surface(current)
        run = lr_compute(current, rate.value, steps)
        points = drawable(run.path.points, current.extent)
        path_line.set_data(points[:, 0], points[:, 1])
        gap = _loss_gap(current, run.path.losses)
        loss_line.set_data(np.arange(len(gap)), gap)
        regime_name = regime(current, rate.value)
        path_line.set_color(ROLE_COLORS[_REGIME_ROLE[regime_name]])
        loss_line.set_color(ROLE_COLORS[_REGIME_ROLE[regime_name]])
        ax_loss.set_title(run.title(), fontsize=11)
        lrs, cost = state["cost"]
        index = int(np.argmin(np.abs(np.log(lrs) - math.log(rate.value))))
        y = cost[index] if np.isfinite(cost[index]) else ax_cost.get_ylim()[1] / 1.5
        cost_dot.set_data([rate.value], [y])
        widget.state.update(run=run, regime=regime_name)
        if full and state["laid_out"]:
            freeze_layout(fig)  # another surface: other tick labels, maybe other margins
        fast.update(full=full)

    widget = make_widget(fig, {"lr": rate, "surface": surface_control}, title="Learning-rate explorer",
                         columns=2, fixed_layout=False)
    update()
    freeze_layout(fig)
    state["laid_out"] = True
    rate.observe(update, names="value")
    surface_control.observe(update, names="value")
    return widget


_REGIME_ROLE = {
    "too small": "too_small",
    "good": "good",
    "too large (zigzags)": "too_large",
    "far too large (diverges)": "diverges",
}


# -- lesson 0: a first slider ---------------------------------------------------------------


def descent_1d(lr=0.3, steps=12, start=-4.0, curvature=1.0):
    """Gradient descent on the parabola f(w) = ½·curvature·w²: ``(ws, losses)`` (steps + 1 each).

    Computed with minigrad's SGD rule on a 1-element array, like every path in the course.
    """
    from minigrad.optim import functional as OF

    if not (lr > 0):
        raise ValueError(f"lr must be positive, got {lr}")
    w = np.array([float(start)])
    ws = [float(start)]
    state = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            OF.sgd(w, curvature * w, state, lr=lr)
            ws.append(float(w[0]))
    ws = np.array(ws)
    return ws, 0.5 * curvature * ws**2


def descent_demo(lr=0.3, steps=12, *, interactive=None):
    """Lesson 0's first slider: a ball rolling down a parabola, one dot per step."""
    rate = lr_slider(lr, 0.01, 2.5, description="learning rate")
    fig, ax = new_figure(figsize=(7.5, 4), interactive=interactive)
    grid = np.linspace(-5, 5, 201)
    ax.plot(grid, 0.5 * grid**2, color=COLORS["grey"], linewidth=1.5, label="loss f(w) = ½·w²")
    (path_line,) = ax.plot([], [], color=OPTIMIZER_COLORS["SGD"], marker="o", linewidth=1,
                           label="gradient-descent steps")
    ax.plot([-4.0], [8.0], marker="o", markersize=9, markerfacecolor="white",
                           markeredgecolor=ROLE_COLORS["start"], linestyle="none", label="start")
    ax.set_xlim(-5.5, 5.5)
    ax.set_ylim(-0.5, 14)
    label_axes(ax, None, "weight w", "loss", legend=True)
    ax.set_title(" ", fontsize=11)
    fast = FastRedraw(fig, [path_line, ax.title])

    def update(*_):
        ws, losses = descent_1d(rate.value, steps)
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
        widget.state.update(ws=ws, losses=losses, verdict=verdict)
        fast.update()

    widget = make_widget(fig, {"lr": rate}, title="Your first slider", columns=1, fixed_layout=False)
    update()
    freeze_layout(fig)
    rate.observe(update, names="value")
    return widget
