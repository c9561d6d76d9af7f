"""Lesson 4, optimizers: the race on 2-D surfaces and the measurements behind the lesson.

The race (plain compute functions, then the widget):

* :func:`race_settings`: the hyperparameters each racing optimizer takes from the controls.
* :func:`race_compute`: race optimizers on a surface, ``{name: Trajectory}``.
* :func:`optimizer_race`: the widget, paths over the contours and loss curves beside.
* :func:`race_outcomes`: each racer's result in words (the widget's summary, the race grid's alt text).

Measurements kept out of the notebook so tests can call them:

* :func:`effective_step_sizes`: the learning rate each coordinate actually gets, step by
  step, from minigrad's ``functional.step_stats`` (|Δθ| / |g|).
* :func:`escape_step`: when a path leaves the ridge of the saddle surface.
* :func:`steps_to_target`, :func:`settled_loss`, :func:`first_step`: the race table's measures.
* :func:`corrected_rmsprop`: RMSProp with the start-up correction Adam applies.
* :func:`turned_start`: a start point turned with a valley, so a turned race is the same race.
* :func:`settling_over_seeds`: where each optimizer settles on the noisy valley, seed by seed.
* :func:`adam_step_by_signal`: minigrad's Adam on a weight with a consistent gradient and one
  with a noisy gradient of the same mean.
* :func:`train_digit_classifier`: a linear classifier on scikit-learn's digits trained
  with one of minigrad's optimizer classes, for the Adam + L2 versus AdamW comparison.
* :func:`decay_versus_gradient`: how much weight decay shrank each weight, against how
  large that weight's gradients were.
* :func:`lr_sweep` and :func:`good_lr_range`: the digit classifier's validation loss over a
  sweep of learning rates per optimizer, and how many decades of rates get within a margin
  of each optimizer's best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .alt_text import describe, number
from .controls import (
    beta1_slider,
    beta2_slider,
    lr_slider,
    momentum_slider,
    nearest_log_stop,
    optimizer_checkboxes,
    surface_dropdown,
)
from .display import call_line, make_widget, marker_point, new_figure, signature_defaults
from .style import OPTIMIZER_COLORS, OPTIMIZER_LINESTYLES, OPTIMIZER_NAMES, canonical_optimizer_name, label_axes
from .surfaces import (LOSS_FLOOR, RACE_SURFACES, checked_start, clicked_start, get_surface, legend_below, loss_gap,
                       redraw_surface, start_marker)
from .trajectories import TrajectoryCache, descend, drawable, escape_radius, race, resolve_rule, trajectory

__all__ = [
    "SGD_FAMILY",
    "ADAPTIVE_FAMILY",
    "DEFAULT_RACE",
    "race_settings",
    "race_compute",
    "optimizer_race",
    "race_outcomes",
    "effective_step_sizes",
    "escape_step",
    "steps_to_target",
    "settled_loss",
    "first_step",
    "corrected_rmsprop",
    "turned_start",
    "settling_over_seeds",
    "adam_step_by_signal",
    "DigitRun",
    "train_digit_classifier",
    "decay_versus_gradient",
    "SWEEP_LRS",
    "lr_sweep",
    "good_lr_range",
    "plot_lr_sweep",
]

SGD_FAMILY = ("SGD", "Momentum", "Nesterov")
ADAPTIVE_FAMILY = ("AdaGrad", "RMSProp", "Adam", "AdamW")
DEFAULT_RACE = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")


# -- the race -------------------------------------------------------------------------------


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
                 betas=(0.9, 0.999), weight_decay=0.01, steps=300, seed=0, start=None, cache=None):
    """Race ``optimizers`` on ``surface`` from ``start``; ``{name: Trajectory}`` (the race widget's computation).

    ``lr``/``adaptive_lr`` default to the surface's suggested rates, ``start`` to its start point.
    """
    surface = get_surface(surface)
    lr = surface.default_lr["sgd"] if lr is None else lr
    adaptive_lr = surface.default_lr["adaptive"] if adaptive_lr is None else adaptive_lr
    settings = race_settings(optimizers, lr=lr, adaptive_lr=adaptive_lr, momentum=momentum, betas=betas,
                             weight_decay=weight_decay)
    return race(surface, settings, steps=steps, start=start, seed=seed, cache=cache)


def optimizer_race(surface="valley", optimizers=DEFAULT_RACE, *, lr=None, adaptive_lr=None, momentum=0.9,
                   beta1=0.9, beta2=0.999, weight_decay=0.01, steps=300, seed=0, start=None,
                   surfaces=RACE_SURFACES, interactive=None, cache=None):
    """Optimizers racing on a 2-D loss surface: paths over the contours, loss curves beside.

    Controls: a checkbox per optimizer, the surface, the SGD-family learning rate, the
    adaptive-family learning rate, momentum (Momentum, Nesterov), Adam's β1 and β2
    (Adam, AdamW). A click or drag on the contours moves the start point (``start``,
    default the surface's; a new surface starts from its own) and every path follows.
    Each optimizer keeps its course colour. Only optimizers whose settings changed are
    recomputed (``widget.state["computed"]`` lists them). ``widget.code_line`` is the call
    that recreates the current race.
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

    # 8.8 in wide: a laptop's notebook column (display.COLUMN_FIGURE_PX) shows it whole. The legend
    # (one row, the racers only) sits under both panels, where it hides no path.
    fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(8.8, 4.8), width_ratios=(1.15, 1),
                                         interactive=interactive)
    start_dot = start_marker(ax_path)
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
    nobody = ax_loss.text(0.5, 0.5, NOBODY_RACING.replace(": ", ":\n"), ha="center", va="center",  # two lines:
                          fontsize=11, transform=ax_loss.transAxes, visible=False)  # the panel is narrow
    # Text is the slowest thing matplotlib draws: the legend (names only) is rebuilt only
    # when the set of racing optimizers changes, and only diverged runs get a note.
    state = {"drawn": (), "surface": None, "busy": False, "legend_for": None,
             "start": checked_start(surface, start)}

    def draw_background(new_surface):
        state["drawn"] = redraw_surface(ax_path, new_surface, state["drawn"], start=False)
        ax_path.set_title(new_surface.title, fontsize=12)
        state["surface"] = new_surface

    def update(widget):
        if state["busy"]:
            return
        current = get_surface(surface_control.value)
        new_surface = current is not state["surface"]
        full = new_surface  # static artists change: a full redraw
        if new_surface:
            draw_background(current)
        racing = [name for name, box in boxes.items() if box.value]
        nobody.set_visible(not racing)
        paths = race_compute(current, racing, lr=sgd_lr.value, adaptive_lr=ada_lr.value,
                             momentum=momentum_control.value,
                             betas=(beta1_control.value, beta2_control.value),
                             weight_decay=weight_decay, steps=steps, seed=seed, start=state["start"],
                             cache=cache)
        start_dot.set_data(*([v] for v in (state["start"] or current.start)))
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
            gap = loss_gap(current, path.losses)
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
            limits = _decade_limits(max(bottom, LOSS_FLOOR), top)
            if widget.dragging:  # while the start is dragged the axis only grows: a relayout
                low, high = ax_loss.get_ylim()  # costs several frames; the release tidies it
                limits = (min(limits[0], low), max(limits[1], high))
            if limits != tuple(ax_loss.get_ylim()):
                ax_loss.set_ylim(*limits)
                full = True
        if state["legend_for"] != tuple(paths):
            handles = [artists[name][0] for name in paths]
            legend_below(fig, handles)
            state["legend_for"] = tuple(paths)
            full = True
        widget.state.update(paths=paths, computed=cache.last_computed, surface=current.key,
                            start=tuple(state["start"] or current.start),
                            status={name: path.status() for name, path in paths.items()},
                            message="" if racing else NOBODY_RACING)
        widget.redraw(full=full)

    def on_surface(change):
        # New surface: move both learning rates to its suggested values, then draw once.
        new_surface = get_surface(change["new"])
        state["start"] = None  # each surface has its own sensible start
        state["busy"] = True
        try:
            for slider, family in ((sgd_lr, "sgd"), (ada_lr, "adaptive")):
                slider.value = nearest_log_stop(new_surface.default_lr[family], slider.min, slider.step)
        finally:
            state["busy"] = False
        update(widget)

    def on_click(widget, ax, x, y):
        if ax is ax_path:
            state["start"] = clicked_start(state["surface"], x, y)
            update(widget)

    def code(widget):
        racing = tuple(name for name, box in boxes.items() if box.value)
        return call_line("optimizer_race", surface=surface_control.value, optimizers=racing, lr=sgd_lr.value,
                         adaptive_lr=ada_lr.value, momentum=momentum_control.value, beta1=beta1_control.value,
                         beta2=beta2_control.value, weight_decay=weight_decay, steps=steps, seed=seed,
                         start=widget.state.get("start"), defaults=signature_defaults(
                             optimizer_race, "optimizers", "momentum", "beta1", "beta2", "weight_decay", "steps",
                             "seed"))

    controls = [boxes, {"surface": surface_control, "lr": sgd_lr, "adaptive_lr": ada_lr},
                {"momentum": momentum_control, "beta1": beta1_control, "beta2": beta2_control}]
    widget = make_widget(fig, controls, update, title="Optimizer race", code=code, on_click=on_click,
                         summary=_race_summary, key_points=lambda widget: [marker_point(start_dot)],
                         animated=[nobody, start_dot] + [artist for group in artists.values() for artist in group],
                         # a new surface has new tick labels, which may need new margins
                         relayout=lambda fig: surface_control.value,
                         observe=[*boxes, "lr", "adaptive_lr", "momentum", "beta1", "beta2"])
    surface_control.observe(on_surface, names="value")
    return widget


NOBODY_RACING = "No optimizer is ticked: tick one or more above to race them."


def _race_summary(widget) -> str:
    """What :func:`optimizer_race` shows now, in words: the surface, the rates, and each racer's outcome."""
    state = widget.state
    surface = get_surface(state["surface"])
    paths = state["paths"]
    if not paths:
        return f"Optimizer race, {surface.title}: {NOBODY_RACING}"
    rates = []
    for family, names in (("SGD family", SGD_FAMILY), ("adaptive ones", ADAPTIVE_FAMILY)):
        lrs = {path.lr for name, path in paths.items() if name in names}
        if lrs:
            rates.append(f"{number(lrs.pop())} for the {family}")
    steps = next(iter(paths.values())).steps
    head = (f"Optimizer race, {surface.title}, {steps} steps from ({_pair(state['start'])}), learning rate "
            f"{' and '.join(rates)}.")
    return f"{head} {race_outcomes(surface, paths)}"


def race_outcomes(surface, paths: dict, *, brief: bool = False) -> str:
    """Each racer's outcome in words, best first: the steps it took to get 99% of the way to the minimum (the
    lesson's race table), or where it settles on a noisy surface; and who never got there or diverged.

    ``brief``: only the names and numbers, for a figure that says once what they measure (the race grid).
    """
    surface = get_surface(surface)
    running = {name: path for name, path in paths.items() if not path.diverged}
    diverged = [f"{name} at step {path.diverged_at}" for name, path in paths.items() if path.diverged]
    steps = next(iter(paths.values())).steps
    if surface.gradient_noise:
        order = sorted(running, key=lambda name: settled_loss(surface, running[name]))
        ranked = [f"{name} {_gap(settled_loss(surface, running[name]))}" for name in order]
        late = []
        lead = "Mean loss above the minimum over the last 100 steps, lowest first: "
    else:
        reached = {name: steps_to_target(surface, path) for name, path in running.items()}
        order = sorted((n for n in running if reached[n] is not None), key=lambda n: reached[n])
        ranked = [f"{name} {reached[name]}" for name in order]
        low = surface.loss(surface.minimum)
        late = [(name, _gap(running[name].final_loss - low)) for name in running if reached[name] is None]
        lead = "Steps to get 99% of the way from the starting loss to the minimum, fastest first: "
    if brief:
        return ", ".join(ranked + [f"{name} never" for name, _ in late]
                         + [f"{name} diverged" for name in paths if paths[name].diverged]) + "."
    words = [lead + ", ".join(ranked) + "."] if ranked else []
    if late:
        words.append(f"Not there after {steps} steps: "
                     + ", ".join(f"{name} ({gap} above the minimum)" for name, gap in late) + ".")
    if diverged:
        words.append("Diverged: " + ", ".join(diverged) + ".")
    return " ".join(words)


def _pair(point) -> str:
    return ", ".join(number(v) for v in point)


def _gap(gap: float) -> str:
    """A loss gap as the race's log plots show it: below their floor it is just "less than 1e-10"."""
    return f"less than {LOSS_FLOOR:.0e}" if gap < LOSS_FLOOR else number(gap)


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


# -- lesson 4's measurements ------------------------------------------------------------------


def effective_step_sizes(rule, surface, steps: int = 100, *, start=None, seed: int = 0, **hyperparams):
    """Per-step, per-coordinate effective learning rate |Δθ| / |g|: an array ``(steps, 2)``.

    Plain SGD gives every coordinate the same rate (its ``lr``); adaptive methods give
    each coordinate its own, and it changes as the gradients change. NaN from a diverged step on.
    """
    from minigrad.optim import functional as OF

    surface = get_surface(surface)
    _, function, settings = resolve_rule(rule)
    settings.update(hyperparams)
    oracle = surface.gradient_oracle(seed)
    grads = []

    def gradient(point):  # the surface's gradient, kept for the rates
        grads.append(oracle(point))
        return grads[-1]

    points, _ = descend(function, gradient, surface.start if start is None else start, steps, loss=surface.loss,
                        escape=escape_radius(surface.extent), **settings)
    return OF.step_stats(points[:-1], points[1:], np.array(grads).reshape(steps, 2)).effective_lr


def escape_step(points, threshold: float = 0.5):
    """First step at which a path on the saddle surface has |x2| > ``threshold`` (None if never)."""
    points = np.asarray(points)
    with np.errstate(invalid="ignore"):
        away = np.abs(points[:, 1]) > threshold
    return int(np.argmax(away)) if away.any() else None


def steps_to_target(surface, path, fraction: float = 0.01):
    """The race table's measure: the first step whose loss is within ``fraction`` (1/100) of the
    way from the path's starting loss to the minimum; None if never."""
    surface = get_surface(surface)
    low = surface.loss(surface.minimum)
    return path.steps_to(low + fraction * (path.losses[0] - low))


def settled_loss(surface, path, last: int = 100) -> float:
    """Where a path settles on a noisy surface: its mean loss above the minimum over the last ``last`` steps."""
    surface = get_surface(surface)
    return float(np.mean(path.losses[-last:]) - surface.loss(surface.minimum))


def first_step(path):
    """How far the first step moved each weight: ``|x after step 1 - x at the start|``, shape (2,)."""
    return np.abs(path.points[1] - path.points[0])


RMSPROP_ALPHA = 0.99  # torch.optim.RMSprop's (and minigrad's) default smoothing constant


def corrected_rmsprop(surface, *, lr=None, steps: int = 300, seed: int = 0, start=None):
    """RMSProp with the start-up (bias) correction that Adam applies to its running averages.

    RMSProp as PyTorch writes it starts its average of squared gradients at 0 and does not correct
    for that, so its first step is lr / √(1 − α) = 10·lr per weight; Adam divides its averages by
    (1 − β^t), which makes its first step exactly lr. Adam with β1 = 0 (no momentum) and β2 = α is
    RMSProp with that correction, run here by minigrad's own Adam rule. ``lr`` defaults to the
    surface's adaptive race rate.
    """
    surface = get_surface(surface)
    lr = surface.default_lr["adaptive"] if lr is None else lr
    return trajectory("Adam", surface, start, steps, seed=seed, lr=lr, betas=(0.0, RMSPROP_ALPHA))


def turned_start(point, angle_deg: float):
    """``point`` turned by ``angle_deg`` about the origin, as the tilted valley turns the valley:
    from the turned point, the tilted valley is the same race as the valley, turned."""
    x, y = (float(v) for v in point)
    theta = math.radians(angle_deg)
    return (math.cos(theta) * x - math.sin(theta) * y, math.sin(theta) * x + math.cos(theta) * y)


def settling_over_seeds(optimizers=("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"), *,
                        seeds=range(10), surface="noisy", start=None, steps: int = 300) -> dict:
    """``{name: array over seeds}`` of :func:`settled_loss` on the noisy valley at the race's rates,
    one race per noise seed (``start``: the surface's, or e.g. its minimum to measure the noise floor)."""
    surface = get_surface(surface)
    table = {name: [] for name in optimizers}
    for seed in seeds:
        for name, path in race_compute(surface, optimizers, seed=seed, start=start, steps=steps).items():
            table[name].append(settled_loss(surface, path))
    return {name: np.array(values) for name, values in table.items()}


def adam_step_by_signal(*, noise: float = 3.0, steps: int = 1000, seeds=range(10), lr: float = 1e-3):
    """Mean step size over ``lr`` of minigrad's ``optim.Adam`` on two weights, one row per seed.

    Weight 1 gets the same gradient, 1.0, at every step (a consistent signal); weight 2 gets
    1.0 + ``noise``·N(0, 1) (the same mean, a noisy signal). Returns an array (len(seeds), 2):
    the average |step| / lr of each weight over ``steps`` steps. Adam's step is lr·m̂/√v̂: the
    average m̂ keeps the signal and lets noise cancel, the root mean square √v̂ counts the noise
    too, so the consistent weight gets the full lr and the noisy one less.
    """
    import minigrad as mg
    from minigrad import optim

    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        weights = mg.tensor(np.zeros(2), requires_grad=True)  # float64
        adam = optim.Adam([weights], lr=lr)
        moved = np.zeros(2)
        for _ in range(steps):
            gradient = np.array([1.0, 1.0 + noise * rng.standard_normal()])
            weights.grad = gradient  # as backward() would leave it for a loss with this gradient
            before = weights.data.copy()
            adam.step()
            moved += np.abs(weights.data - before)
        rows.append(moved / steps / lr)
    return np.array(rows)


@dataclass
class DigitRun:
    """One training run of the digit classifier (weights as float64 NumPy arrays)."""

    optimizer: str
    weight_decay: float
    initial_weight: np.ndarray
    weight: np.ndarray
    gradient_rms: np.ndarray  # per weight: root mean square of its gradients during training
    train_loss: float
    val_accuracy: float
    val_loss: float = math.nan  # cross-entropy on the held-out images (inf when training blew up)


def train_digit_classifier(optimizer: str = "AdamW", *, lr: float = 0.01, weight_decay: float = 0.0,
                           steps: int = 200, seed: int = 0, momentum: float = 0.9) -> DigitRun:
    """Train a linear 64 -> 10 classifier on scikit-learn's digits with minigrad's ``optimizer``.

    ``optimizer`` is "Adam" (``weight_decay`` is an L2 penalty added to the gradient),
    "AdamW" (decoupled decay) or "SGD" (with ``momentum``, 0.9 by default). Full-batch steps on
    the seeded training split.
    """
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import nn, optim
    from minigrad.training import train_step

    from .datasets import digits

    classes = {"Adam": optim.Adam, "AdamW": optim.AdamW, "SGD": optim.SGD}
    if optimizer not in classes:
        raise ValueError(f"optimizer must be 'Adam', 'AdamW' or 'SGD', got {optimizer!r}")
    data = digits(seed=seed)
    X = mg.tensor(data.X_train.astype(np.float32))
    y = mg.tensor(data.y_train)
    mg.manual_seed(seed)
    model = nn.Linear(data.num_features, data.num_classes)
    initial = model.weight.data.astype(np.float64).copy()
    extra = {"momentum": momentum} if optimizer == "SGD" else {}
    opt = classes[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay, **extra)
    squared = np.zeros_like(initial)

    def add_squared_gradient(params):
        squared[...] += model.weight.grad.astype(np.float64) ** 2

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a rate far too high blows up
        for _ in range(steps):
            if not train_step(model, opt, F.cross_entropy, (X, y), before_step=add_squared_gradient).updated:
                break
        with mg.no_grad():
            val_logits = model(mg.tensor(data.X_val.astype(np.float32)))
            predictions = val_logits.data.argmax(axis=1)
            val_loss = float(F.cross_entropy(val_logits, mg.tensor(data.y_val)).item())
            train_loss = float(F.cross_entropy(model(X), y).item())
    return DigitRun(optimizer, float(weight_decay), initial, model.weight.data.astype(np.float64).copy(),
                    np.sqrt(squared / steps), train_loss, float((predictions == data.y_val).mean()),
                    val_loss if math.isfinite(val_loss) else math.inf)


def decay_versus_gradient(decayed: DigitRun, undecayed: DigitRun, bins: int = 6):
    """How much decay shrank weights, grouped by the size of their gradients.

    Weights are sorted into ``bins`` groups of equal size by the gradient RMS of the
    undecayed run; for each group, returns the median gradient RMS and the ratio
    ‖w with decay‖ / ‖w without decay‖. AdamW gives every group about the same ratio;
    Adam with L2 shrinks weights with small gradients far more than the others.
    """
    grad = undecayed.gradient_rms.ravel()
    order = np.argsort(grad)
    groups = np.array_split(order, bins)
    rms = np.array([np.median(grad[g]) for g in groups])
    ratio = np.array([
        np.linalg.norm(decayed.weight.ravel()[g]) / np.linalg.norm(undecayed.weight.ravel()[g]) for g in groups
    ])
    return rms, ratio


# -- how sensitive is each optimizer to the learning rate? -----------------------------------------------------------

SWEEP_LRS = 10 ** np.arange(-4, 1.01, 0.25)  # 1e-4 to 10, four rates per decade
SWEEP_LABELS = {"SGD": "SGD, momentum 0.9", "Adam": "Adam"}


def lr_sweep(optimizers=("SGD", "Adam"), lrs=SWEEP_LRS, *, steps: int = 200, seed: int = 0) -> dict:
    """Validation loss of the digit classifier after ``steps`` full-batch steps, per optimizer and rate.

    ``{name: array of val losses, one per rate in lrs}`` (inf where a run blew up). SGD runs with
    momentum 0.9. About a tenth of a second a run.
    """
    from .threads import single_blas_thread

    with single_blas_thread():  # small matrices: one BLAS thread is several times faster
        return {name: np.array([train_digit_classifier(name, lr=float(lr), steps=steps, seed=seed).val_loss
                                for lr in lrs]) for name in optimizers}


def good_lr_range(lrs, losses, margin: float = 0.1):
    """The rates whose validation loss is within ``margin`` (0.1: 10%) of the best, around the best rate.

    Returns ``(low, high, decades)``: the ends of that range, interpolated between the swept rates
    on a log scale, and its width in decades (``log10(high / low)``). A range that reaches the end
    of the sweep stops there.
    """
    x, v = np.log10(np.asarray(lrs, dtype=float)), np.asarray(losses, dtype=float)
    if x.shape != v.shape or x.size < 2:
        raise ValueError("good_lr_range: need matching rates and losses, at least two of each")
    best = int(np.argmin(v))
    limit = (1 + margin) * v[best]

    def crossing(inside, outside):  # where the loss passes the limit between two swept rates
        if not np.isfinite(v[outside]):
            return x[inside]
        return x[inside] + (limit - v[inside]) / (v[outside] - v[inside]) * (x[outside] - x[inside])

    lo = best
    while lo > 0 and v[lo - 1] <= limit:
        lo -= 1
    hi = best
    while hi < len(v) - 1 and v[hi + 1] <= limit:
        hi += 1
    low = x[lo] if lo == 0 else crossing(lo, lo - 1)
    high = x[hi] if hi == len(v) - 1 else crossing(hi, hi + 1)
    return float(10 ** low), float(10 ** high), float(high - low)


def plot_lr_sweep(ax, lrs, sweep: dict, margin: float = 0.1):
    """Validation loss against learning rate (both log scales), each optimizer's good range shaded."""
    from .log_ticks import plain_log_ticks

    for name, losses in sweep.items():
        color = OPTIMIZER_COLORS["Momentum" if name == "SGD" else name]
        finite = np.isfinite(losses)
        ax.plot(np.asarray(lrs)[finite], losses[finite], marker="o", markersize=4, color=color,
                label=SWEEP_LABELS.get(name, name))
        low, high, decades = good_lr_range(lrs, losses, margin)
        ax.axvspan(low, high, color=color, alpha=0.15, label=f"within {margin:.0%} of its best: {decades:.2f} decades")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x")
    plain_log_ticks(ax, "y")
    label_axes(ax, "Digit classifier: validation loss after 200 steps", "learning rate (log scale)",
               "validation loss (cross-entropy, log scale)", legend=True)
    words = []
    for name, losses in sweep.items():
        best = int(np.argmin(losses))
        decades = good_lr_range(lrs, losses, margin)[2]
        words.append(f"{SWEEP_LABELS.get(name, name)}: best {number(losses[best], 2)} at lr {number(lrs[best], 2)}, "
                     f"within {margin:.0%} of that over {number(decades, 2)} decades of rates")
    describe(ax, f"Validation loss against the learning rate, {number(np.min(lrs))} to {number(np.max(lrs))}, both on "
                 "log scales, each optimizer's good range shaded: " + "; ".join(words) + ".")
