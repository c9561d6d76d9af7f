"""Lesson 5, learning-rate schedules: build them from minigrad's schedulers, draw them, train with them.

Every schedule is a real ``minigrad.optim.lr_scheduler`` object (the classes and names of
``torch.optim.lr_scheduler``, plus Hugging Face's warmup schedules) attached to a real
optimizer; nothing here re-implements a schedule's formula.

Usage::

    from coursekit import schedules as sch
    from coursekit.datasets import digits

    lrs = sch.lr_curve("cosine", total_steps=300, peak_lr=0.01)          # the lr of every step
    run = sch.train_with_schedule(digits(), "warmup_cosine", peak_lr=0.01, warmup_fraction=0.1)
    run.lrs, run.step_losses, run.final_train_loss, run.val_accuracy

Schedule keys (``SCHEDULE_KEYS``, named by ``SCHEDULE_LABELS``): ``constant``, ``step``,
``exponential``, ``cosine``, ``warmup_linear``, ``warmup_cosine``, ``one_cycle``. The
warmup fraction is the share of all steps spent rising linearly to the peak rate; for
the first four it adds a linear warmup in front (``SequentialLR``), for one-cycle it is
the rising phase (``pct_start``). Each schedule is described once (:func:`schedule_spec`):
:func:`make_scheduler` builds that description's scheduler and :func:`describe` prints its call.
"""

from __future__ import annotations

import contextlib
import io
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
from matplotlib.transforms import offset_copy

import minigrad as mg
from minigrad import optim
from minigrad.nn import functional as F
from minigrad.optim import lr_scheduler as S
from minigrad.training.smoothing import smooth
from minigrad.utils.checks import check_count, check_positive

from .alt_text import describe as describe_figure, number
from .controls import schedule_dropdown, stops_slider
from .display import make_widget, new_figure
from .networks import make_mlp, shuffled_loader
from .log_ticks import plain_log_ticks
from .style import COLORS, ROLE_COLORS, color_cycle, label_axes
from .threads import single_blas_thread

__all__ = [
    "SCHEDULE_KEYS",
    "SCHEDULE_LABELS",
    "USUAL_WARMUP",
    "warmup_steps",
    "ScheduleSpec",
    "schedule_spec",
    "make_scheduler",
    "describe",
    "lr_curve",
    "schedule_colors",
    "make_mlp",
    "ScheduleRun",
    "train_with_schedule",
    "compare_schedules",
    "seed_runs",
    "planned_lengths",
    "schedule_curves",
    "WIDGET_PEAKS",
    "WIDGET_WARMUPS",
    "ScheduleGrid",
    "train_schedules",
    "train_schedule_grid",
    "smooth",
    "dead_units",
    "rate_words",
    "plot_schedule_shapes",
    "plot_rates_and_losses",
    "plot_peak_sweep",
    "plot_first_steps",
    "schedule_explorer",
]

SCHEDULE_KEYS = ("constant", "step", "exponential", "cosine", "warmup_linear", "warmup_cosine", "one_cycle")
SCHEDULE_LABELS = {
    "constant": "constant",
    "step": "step decay",
    "exponential": "exponential",
    "cosine": "cosine annealing",
    "warmup_linear": "linear warmup, then linear decay",
    "warmup_cosine": "linear warmup, then cosine",
    "one_cycle": "one-cycle",
}
# The warmup each schedule is usually run with (one-cycle: torch's default pct_start).
USUAL_WARMUP = {"constant": 0.0, "step": 0.0, "exponential": 0.0, "cosine": 0.0, "warmup_linear": 0.1,
                "warmup_cosine": 0.1, "one_cycle": 0.3}

# Decay settings: step decay divides the rate by 10 after each third of the (post-warmup)
# steps; exponential decay ends at 1/100 of the peak, like step decay's last stretch.
STEP_GAMMA = 0.1
EXPONENTIAL_FINAL_FACTOR = 0.01

DEFAULTS = dict(total_steps=300, batch_size=64, hidden=64)


def _check_kind(kind):
    if kind not in SCHEDULE_KEYS:
        raise ValueError(f"unknown schedule {kind!r}; choose one of {', '.join(SCHEDULE_KEYS)}")


def warmup_steps(total_steps: int, warmup_fraction: float) -> int:
    """Steps of warmup for a fraction of ``total_steps`` (rounded; 0 means none)."""
    check_count("total_steps", total_steps, low=2)
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
    return min(int(round(warmup_fraction * total_steps)), total_steps - 1)


# -- one description per schedule: make_scheduler builds it, describe prints it -----------------------


@dataclass(frozen=True)
class Shown:
    """An argument whose source text is not its value's: ``value`` goes to the scheduler, ``text`` is printed."""

    value: object
    text: str


_PEAK = Shown(None, "peak")  # the optimizer's lr (the peak rate), read when the scheduler is built


@dataclass(frozen=True)
class SchedulerCall:
    """One call of a minigrad scheduler (``torch``'s or Hugging Face's name) on ``optimizer``.

    ``args`` follow the optimizer; ``kwargs`` are ``(name, value)`` pairs in printed order.
    A value is a number, a :class:`Shown`, another call (built on the same optimizer)
    or a tuple of them (printed and passed as a list). :meth:`build` makes the scheduler, ``str()`` prints the call.
    """

    factory: object  # a class or function of minigrad.optim.lr_scheduler
    args: tuple = ()
    kwargs: tuple = ()

    def build(self, optimizer):
        def value(v):
            if v is _PEAK:
                return optimizer.param_groups[0]["lr"]
            if isinstance(v, Shown):
                return v.value
            if isinstance(v, SchedulerCall):
                return v.build(optimizer)
            if isinstance(v, tuple):  # kept as tuples, so that a spec is hashable; schedulers take lists
                return [value(item) for item in v]
            return v

        return self.factory(optimizer, *(value(a) for a in self.args),
                            **{name: value(v) for name, v in self.kwargs})

    def __str__(self) -> str:
        def text(v):
            if isinstance(v, Shown):
                return v.text
            if isinstance(v, tuple):
                return f"[{', '.join(text(item) for item in v)}]"
            if isinstance(v, float):
                return f"{v:g}"
            return str(v)  # an int, or a SchedulerCall

        parts = ["optimizer", *(text(a) for a in self.args), *(f"{name}={text(v)}" for name, v in self.kwargs)]
        return f"{self.factory.__name__}({', '.join(parts)})"


@dataclass(frozen=True)
class ScheduleSpec:
    """Schedule ``kind`` over ``total_steps`` steps: its derived step counts and the scheduler call.

    :func:`make_scheduler` builds ``call``; :func:`describe` prints it, so the two agree up to the
    printed rounding (gamma to 4 decimals, pct_start to 2 significant digits).
    """

    kind: str
    total_steps: int
    warmup: int  # steps rising linearly to the peak (0: none)
    call: SchedulerCall

    @property
    def label(self) -> str:
        return SCHEDULE_LABELS[self.kind]

    @property
    def decay_steps(self) -> int:
        """The steps after the warmup, over which the decay runs."""
        return self.total_steps - self.warmup

    def __str__(self) -> str:
        return str(self.call)


def schedule_spec(kind: str, total_steps: int, warmup_fraction: float = 0.0) -> ScheduleSpec:
    """The one description of schedule ``kind`` that :func:`make_scheduler` and :func:`describe` share."""
    _check_kind(kind)
    warmup = warmup_steps(total_steps, warmup_fraction)
    decay_steps = total_steps - warmup
    if kind in ("warmup_linear", "warmup_cosine"):
        factory = S.get_linear_schedule_with_warmup if kind == "warmup_linear" else S.get_cosine_schedule_with_warmup
        call = SchedulerCall(factory, kwargs=(("num_warmup_steps", warmup), ("num_training_steps", total_steps)))
        return ScheduleSpec(kind, total_steps, warmup, call)
    if kind == "one_cycle":
        pct_start = warmup / total_steps
        call = SchedulerCall(S.OneCycleLR, kwargs=(("max_lr", _PEAK), ("total_steps", total_steps),
                                                   ("pct_start", Shown(pct_start, f"{pct_start:.2g}"))))
        return ScheduleSpec(kind, total_steps, warmup, call)
    if kind == "constant":
        main = SchedulerCall(S.LambdaLR, args=(Shown(_constant_factor, "lambda step: 1.0"),))
    elif kind == "step":
        main = SchedulerCall(S.StepLR, kwargs=(("step_size", max(1, math.ceil(decay_steps / 3))),
                                               ("gamma", STEP_GAMMA)))
    elif kind == "exponential":
        gamma = EXPONENTIAL_FINAL_FACTOR ** (1.0 / max(1, decay_steps - 1))
        main = SchedulerCall(S.ExponentialLR, kwargs=(("gamma", Shown(gamma, f"{gamma:.4f}")),))
    else:  # cosine
        main = SchedulerCall(S.CosineAnnealingLR, kwargs=(("T_max", decay_steps),))
    if warmup == 0:
        return ScheduleSpec(kind, total_steps, warmup, main)
    # Linear warmup from peak/warmup up to the peak, then the decay starting from its own step 0.
    rise = SchedulerCall(S.LinearLR, kwargs=(("start_factor", Shown(1.0 / warmup, f"1/{warmup}")),
                                             ("total_iters", warmup)))
    call = SchedulerCall(S.SequentialLR, args=((rise, main),), kwargs=(("milestones", (warmup,)),))
    return ScheduleSpec(kind, total_steps, warmup, call)


def make_scheduler(optimizer, kind: str, total_steps: int, warmup_fraction: float = 0.0):
    """The minigrad scheduler for schedule ``kind`` over ``total_steps`` steps; step it after each optimizer step.

    The optimizer's lr is the peak rate.
    """
    return schedule_spec(kind, total_steps, warmup_fraction).call.build(optimizer)


def describe(kind: str, total_steps: int = DEFAULTS["total_steps"], warmup_fraction: float | None = None) -> str:
    """The scheduler call :func:`make_scheduler` makes, as code (the same names work in PyTorch)."""
    _check_kind(kind)
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else warmup_fraction
    return str(schedule_spec(kind, total_steps, warmup_fraction))


def _constant_factor(step):
    return 1.0


def _probe_optimizer(peak_lr):
    """An optimizer over one dummy weight: enough to read a scheduler's learning rates."""
    return optim.Adam([mg.tensor(np.zeros(1), requires_grad=True)], lr=peak_lr)


def lr_curve(kind: str, total_steps: int = DEFAULTS["total_steps"], peak_lr: float = 0.01,
             warmup_fraction: float | None = None) -> np.ndarray:
    """The learning rate each of ``total_steps`` steps uses (``warmup_fraction=None``: the usual one)."""
    return schedule_curves(kind, total_steps, peak_lr, warmup_fraction)[0]


def schedule_curves(kind: str, total_steps: int = DEFAULTS["total_steps"], peak_lr: float = 0.01,
                    warmup_fraction: float | None = None):
    """``(lrs, beta1s)``: the learning rate and Adam's β1 of each step (one-cycle moves β1 too)."""
    _check_kind(kind)
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else warmup_fraction
    optimizer = _probe_optimizer(peak_lr)
    scheduler = make_scheduler(optimizer, kind, total_steps, warmup_fraction)
    lrs, beta1s = np.empty(total_steps), np.empty(total_steps)
    group = optimizer.param_groups[0]
    for step in range(total_steps):
        lrs[step], beta1s[step] = group["lr"], group["betas"][0]
        optimizer.step()  # no gradient: nothing moves, but the order of calls is the real one
        if step < total_steps - 1:
            scheduler.step()
    return lrs, beta1s


def schedule_colors():
    """One course colour per schedule key, the same in every plot of the lesson."""
    return dict(zip(SCHEDULE_KEYS, color_cycle(len(SCHEDULE_KEYS))))


@dataclass
class ScheduleRun:
    """One training run of the small network under one schedule."""

    kind: str
    peak_lr: float
    warmup_fraction: float
    lrs: np.ndarray  # the lr each step used
    step_losses: np.ndarray  # the mini-batch loss of each step (NaN after a divergence)
    final_train_loss: float  # loss on the whole training set after the last step
    val_loss: float
    val_accuracy: float
    diverged_at: int | None = None
    history: object = field(default=None, repr=False)
    model: object = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return SCHEDULE_LABELS[self.kind]

    @property
    def smoothed_losses(self) -> np.ndarray:
        return smooth(self.step_losses)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


@single_blas_thread()
def train_with_schedule(data, kind: str, *, peak_lr: float, warmup_fraction: float | None = None,
                        total_steps: int = DEFAULTS["total_steps"], batch_size: int = DEFAULTS["batch_size"],
                        hidden: int = DEFAULTS["hidden"], seed: int = 0) -> ScheduleRun:
    """Train :func:`make_mlp` on ``data`` with Adam for ``total_steps`` steps under schedule ``kind``.

    The same seed gives the same initial weights and the same batches for every
    schedule, so runs differ only by their learning rates. A run whose loss stops being
    finite is reported as diverged (NaN losses), never as an error.
    """
    _check_kind(kind)
    check_positive("peak_lr", peak_lr)
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else float(warmup_fraction)
    from minigrad.training import fit

    model = make_mlp(data.num_features, hidden, data.num_classes, seed=seed)
    optimizer = optim.Adam(model.parameters(), lr=peak_lr)
    scheduler = make_scheduler(optimizer, kind, total_steps, warmup_fraction)
    loader = shuffled_loader(data.X_train, data.y_train, batch_size, seed=seed)
    epochs = math.ceil(total_steps / len(loader))
    # fit prints a message when a run diverges; the run reports it itself (``diverged_at``).
    with np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
        history = fit(model, optimizer, loader, F.cross_entropy, epochs=epochs, max_steps=total_steps,
                      scheduler=_StopBeforeTheEnd(scheduler, total_steps), progress=False)
    losses = np.full(total_steps, np.nan)
    lrs = np.asarray(history.step_lr, dtype=np.float64)
    recorded = np.asarray(history.step_loss, dtype=np.float64)
    losses[: len(recorded)] = recorded
    if len(lrs) < total_steps:  # stopped early: show the schedule it would have followed
        lrs = lr_curve(kind, total_steps, peak_lr, warmup_fraction)
    diverged_at = history.diverged_step if history.diverged else None
    if diverged_at is not None:
        losses[diverged_at - 1:] = np.nan
        return ScheduleRun(kind, float(peak_lr), warmup_fraction, lrs, losses, math.nan, math.nan, math.nan,
                           diverged_at, history, model)
    train_loss = _loss(model, data.X_train, data.y_train)
    val_loss = _loss(model, data.X_val, data.y_val)
    with mg.no_grad():
        accuracy = float(np.mean(model(mg.tensor(data.X_val)).numpy().argmax(axis=1) == data.y_val))
    return ScheduleRun(kind, float(peak_lr), warmup_fraction, lrs, losses, train_loss, val_loss, accuracy, None,
                       history, model)


# The widget's stops: every combination is trained once, all at once, when the widget is built.
WIDGET_PEAKS = (0.003, 0.03, 0.05, 0.1, 0.3)
WIDGET_WARMUPS = (0.0, 0.1, 0.3)
LR_AXIS_FLOOR = 1e-5  # one-cycle ends far below every peak: the widget's lr axis stops here
# The explorer's verdict under its two panels: diagnose's hint wrapped at this many characters (two lines
# at most), in a strip this high against the panels' row: five lines of 9-point text.
STATUS_WIDTH = 125
STATUS_STRIP = 0.3
LEGEND_DROP_PT = 36  # the panels' legends hang this far under the axes: below the tick labels and "step"


@dataclass
class ScheduleGrid:
    """Runs trained side by side (:func:`train_schedules`), looked up by schedule, peak and warmup."""

    runs: dict  # (kind, warmup_fraction, peak_lr) -> ScheduleRun
    seconds: float  # how long the stacked training took
    seed: int = 0

    def __len__(self):
        return len(self.runs)

    def run(self, kind: str, peak_lr: float, warmup_fraction: float | None = None) -> ScheduleRun:
        """The run of ``kind`` at ``peak_lr`` with ``warmup_fraction`` (None: the schedule's usual warmup)."""
        warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else warmup_fraction
        key = (kind, round(float(warmup_fraction), 4), float(peak_lr))
        if key not in self.runs:
            raise KeyError(f"no run for schedule {kind!r}, peak {peak_lr:g}, warmup {warmup_fraction:g} in this grid")
        return self.runs[key]


def train_schedules(data, settings, *, total_steps: int = DEFAULTS["total_steps"],
                    batch_size: int = DEFAULTS["batch_size"], hidden: int = DEFAULTS["hidden"], seed: int = 0,
                    start=None, progress: bool = False) -> ScheduleGrid:
    """Train one network per ``(kind, warmup_fraction, peak_lr)`` in ``settings``, all in one stacked run.

    Each run is the run :func:`train_with_schedule` gives for that setting (same initial
    weights, same batches, same numbers: the tests check it), but the networks train
    side by side, their learning rates a vector (:mod:`coursekit.sweep`). ``start``: a
    model whose weights every run starts from (a fine-tune); default a fresh ``make_mlp(seed)``.
    """
    settings, curves, stacked = stacked_schedule_runs(data, settings, total_steps=total_steps, batch_size=batch_size,
                                                      hidden=hidden, seed=seed, start=start, progress=progress)
    train_loss = stacked.evaluate(data.X_train, data.y_train)[0]
    val_loss, val_logits = stacked.evaluate(data.X_val, data.y_val)
    accuracy = np.mean(val_logits.argmax(axis=2) == data.y_val, axis=1)
    runs = {}
    for i, (kind, warmup, peak) in enumerate(settings):
        losses = stacked.step_loss[i].copy()
        trained = stacked.load_into(i, make_mlp(data.num_features, hidden, data.num_classes, seed=seed))
        diverged_at = stacked.diverged_at(i)
        if diverged_at is not None:
            losses[diverged_at - 1:] = np.nan
            finals = (math.nan, math.nan, math.nan)
        else:
            finals = (float(train_loss[i]), float(val_loss[i]), float(accuracy[i]))
        runs[(kind, warmup, peak)] = ScheduleRun(kind, peak, warmup, curves[i][0], losses, *finals, diverged_at,
                                                 stacked.history(i), trained)
    return ScheduleGrid(runs, stacked.seconds, seed)


def stacked_schedule_runs(data, settings, *, total_steps: int = DEFAULTS["total_steps"],
                          batch_size: int = DEFAULTS["batch_size"], hidden: int = DEFAULTS["hidden"], seed: int = 0,
                          start=None, checkpoints=None, scored=None, progress: bool = False):
    """The stacked training behind :func:`train_schedules`: ``(settings, curves, StackedRuns)``.

    ``settings`` come back normalised (warmup filled in and rounded, as the grid's keys);
    ``curves``: each run's ``(learning rates, Adam β1s)`` per step. ``checkpoints``: step
    counts at which ``scored`` (an ``(X, y)``) is evaluated, instead of the epoch ends.
    """
    from .sweep import loader_batches, train_stacked

    for kind, _, _ in settings:
        _check_kind(kind)
    settings = [(kind, round(float(USUAL_WARMUP[kind] if warmup is None else warmup), 4), float(peak))
                for kind, warmup, peak in settings]
    for kind, _, peak in settings:
        check_positive("peak_lr", peak)
    # A schedule's rates are its peak times a shape that depends on the schedule and warmup only
    # (to the last digit or two): read each shape once from the real scheduler, at peak 1.
    shapes = {pair: schedule_curves(pair[0], total_steps, 1.0, pair[1])
              for pair in dict.fromkeys((kind, warmup) for kind, warmup, _ in settings)}
    curves = [(peak * shapes[kind, warmup][0], shapes[kind, warmup][1]) for kind, warmup, peak in settings]
    model = make_mlp(data.num_features, hidden, data.num_classes, seed=seed) if start is None else start
    loader = shuffled_loader(data.X_train, data.y_train, batch_size, seed=seed)
    batches, epoch_ends = loader_batches(loader, total_steps)
    stacked = train_stacked([model] * len(settings), batches, np.stack([lrs for lrs, _ in curves]),
                            betas1=np.stack([betas for _, betas in curves]),
                            epoch_ends=epoch_ends if checkpoints is None else checkpoints, scored=scored,
                            max_steps=True, progress=progress, description="training")
    return settings, curves, stacked


def train_schedule_grid(data, kinds=SCHEDULE_KEYS, warmups=WIDGET_WARMUPS, peaks=WIDGET_PEAKS,
                        **kwargs) -> ScheduleGrid:
    """Every schedule x warmup x peak (the widget's stops), trained at once: :func:`train_schedules`."""
    return train_schedules(data, [(k, w, p) for k in kinds for w in warmups for p in peaks], **kwargs)


def dead_units(model, X) -> float:
    """The fraction of hidden ReLU units that output zero for every input in ``X`` (they no longer learn).

    A unit whose input is negative for every example passes no gradient back, so no
    later step can revive it: a too-large early step can switch units off for good.
    """
    first = model[0] if hasattr(model, "__getitem__") else None
    if first is None or not hasattr(first, "weight"):
        raise TypeError("dead_units expects the Sequential(Linear, ReLU, ...) of make_mlp")
    with mg.no_grad():
        pre_activation = first(mg.tensor(np.asarray(X))).numpy()
    return float(np.mean(np.all(pre_activation <= 0, axis=0)))


class _StopBeforeTheEnd:
    """Step the scheduler after every optimizer step except the last (OneCycleLR refuses a step past its end)."""

    def __init__(self, scheduler, total_steps):
        self.scheduler, self.total_steps, self.calls = scheduler, total_steps, 0

    def step(self):
        self.calls += 1
        if self.calls < self.total_steps:
            self.scheduler.step()


def _loss(model, X, y) -> float:
    with mg.no_grad():
        value = float(F.cross_entropy(model(mg.tensor(X)), mg.tensor(y)).item())
    return value


def compare_schedules(data, kinds=SCHEDULE_KEYS, *, peak_lr: float, seeds=(0,), known: ScheduleGrid | None = None,
                      **kwargs):
    """Train every schedule in ``kinds`` with every seed: ``{kind: [ScheduleRun per seed]}``.

    The schedules of one seed train side by side in one stacked run (:func:`train_schedules`);
    ``known``: a grid trained earlier with seed 0 (the widget's), whose runs are reused.
    """
    warmup = kwargs.pop("warmup_fraction", None)
    grids = {seed: known if known is not None and seed == known.seed and all(
                 _has(known, kind, peak_lr, warmup, kwargs.get("total_steps", DEFAULTS["total_steps"]))
                 for kind in kinds)
             else train_schedules(data, [(kind, warmup, peak_lr) for kind in kinds], seed=seed, **kwargs)
             for seed in seeds}
    return {kind: [grids[seed].run(kind, peak_lr, warmup) for seed in seeds] for kind in kinds}


def seed_runs(data, settings, *, seeds=(0, 1, 2), known: ScheduleGrid | None = None,
              total_steps: int = DEFAULTS["total_steps"]) -> dict:
    """``{(kind, warmup, peak): [ScheduleRun per seed]}`` for ``settings`` (``(kind, warmup, peak)``, warmup
    None: the schedule's usual one). The settings of one seed train side by side; ``known``: a grid trained
    earlier (seed 0, the widget's), whose runs are reused for its seed."""
    settings = [(kind, round(float(USUAL_WARMUP[kind] if w is None else w), 4), float(peak))
                for kind, w, peak in settings]
    grids = {seed: known if known is not None and seed == known.seed
             and all(_has(known, k, p, w, total_steps) for k, w, p in settings)
             else train_schedules(data, settings, seed=seed, total_steps=total_steps) for seed in seeds}
    return {(k, w, p): [grids[seed].run(k, p, w) for seed in seeds] for k, w, p in settings}


def planned_lengths(data, kind: str = "warmup_cosine", *, peak_lr: float, lengths=(150, 200, 250, 300),
                    seeds=(0, 1, 2), warmup_fraction: float | None = None) -> dict:
    """``{length: [ScheduleRun per seed]}``: schedule ``kind`` planned for, and trained for, each length.

    A schedule planned for fewer steps decays sooner: it is a different run from the first steps of a
    longer one, so a shorter budget is priced by training it, not by reading the longer run's curve."""
    return {length: [train_schedules(data, [(kind, warmup_fraction, peak_lr)], total_steps=length, seed=seed)
                     .run(kind, peak_lr, warmup_fraction) for seed in seeds] for length in lengths}


def _has(grid, kind, peak_lr, warmup, total_steps):
    try:
        return len(grid.run(kind, peak_lr, warmup).lrs) == total_steps
    except KeyError:
        return False


# -- the lesson's figures, each with its words (coursekit.alt_text) ------------------------------


def rate_words(lrs) -> str:
    """A learning-rate curve in words, for a screen reader: where it starts, peaks and ends."""
    lrs = np.asarray(lrs, dtype=float)
    if np.allclose(lrs, lrs[0], rtol=1e-9, atol=0.0):
        return f"stays at {number(lrs[0])}"
    top = int(np.argmax(lrs))
    rise = (f"rises from {number(lrs[0], 2)} to {number(lrs[top])} by step {top + 1}" if top > 0
            else f"starts at its peak {number(lrs[0])}")
    levels = len(np.unique(lrs[top:]))
    fall = f" in {levels - 1} drops" if levels <= 4 else ""
    end = f"near zero ({number(lrs[-1], 2)})" if lrs[-1] < lrs[top] / 1000 else number(lrs[-1], 2)
    return f"{rise}, then falls{fall} to {end}"


def plot_schedule_shapes(axes, total_steps: int, peak_lr: float, colors=None):
    """Every schedule's learning rate per step, one small axes each (``axes``: a grid of at least seven;
    the spare ones are switched off), under one title."""
    colors = schedule_colors() if colors is None else colors
    grid = np.atleast_2d(axes)
    axes = grid.ravel()
    steps = np.arange(1, total_steps + 1)
    words = []
    for ax, kind in zip(axes, SCHEDULE_KEYS):
        lrs = lr_curve(kind, total_steps, peak_lr)
        ax.plot(steps, lrs, color=colors[kind])
        ax.fill_between(steps, lrs, color=colors[kind], alpha=0.15)
        ax.set_title(SCHEDULE_LABELS[kind], fontsize=11)
        words.append(f"{SCHEDULE_LABELS[kind]}: the rate {rate_words(lrs)}")
    for ax in axes[len(SCHEDULE_KEYS):]:
        ax.axis("off")
    for ax in grid[-1]:
        ax.set_xlabel("step")
    for ax in grid[:, 0]:
        ax.set_ylabel("learning rate")
    fig = axes[0].figure
    fig.suptitle(f"Seven learning-rate schedules, peak {peak_lr}, {total_steps} steps")
    describe_figure(fig, f"The learning rate of each of {total_steps} steps under seven schedules, peak "
                         f"{number(peak_lr)}: " + "; ".join(words) + ".")
    return fig


def plot_rates_and_losses(ax_lr, ax_loss, runs, colors=None):
    """Left: each run's learning rate per step; right: its smoothed training loss (log y), one colour per schedule."""
    colors = schedule_colors() if colors is None else colors
    for run in runs:
        steps = np.arange(1, len(run.lrs) + 1)
        ax_lr.plot(steps, run.lrs, color=colors[run.kind], label=run.label)
        ax_loss.plot(steps, run.smoothed_losses, color=colors[run.kind], label=run.label)
    ax_loss.set_yscale("log")
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_lr, "Learning rate", "step", "learning rate")
    label_axes(ax_loss, "Training loss (smoothed)", "step", "mini-batch loss (cross-entropy, log scale)", legend=True)
    describe_figure(ax_lr, "The learning rate of each step: " + "; ".join(
        f"{run.label}: the rate {rate_words(run.lrs)}" for run in runs) + ".")
    describe_figure(ax_loss, "The smoothed training loss of each step, log scale, " + _ending_order(
        [(run.label, _last_finite(run.smoothed_losses), run.diverged_at) for run in runs]))


def plot_peak_sweep(ax, sweep, colors=None):
    """Final validation loss against the peak rate (both log), one line per schedule.
    ``sweep``: ``{kind: [ScheduleRun per peak]}``, the runs in order of their peaks."""
    colors = schedule_colors() if colors is None else colors
    words = []
    for kind, runs in sweep.items():
        peaks = [run.peak_lr for run in runs]
        losses = np.array([run.val_loss for run in runs])
        ax.plot(peaks, losses, "o-", color=colors[kind], label=SCHEDULE_LABELS[kind])
        words.append(f"{SCHEDULE_LABELS[kind]}: {_sweep_words(peaks, losses)}")
    peaks = sorted({run.peak_lr for runs in sweep.values() for run in runs})
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    ax.set_xticks(peaks, [f"{p:g}" for p in peaks])
    label_axes(ax, "Final validation loss against the peak learning rate", "peak learning rate (log scale)",
               "validation loss (cross-entropy, log scale)", legend=True)
    describe_figure(ax, f"Final validation loss at each peak learning rate from {number(peaks[0])} to "
                        f"{number(peaks[-1])}, log scales. " + "; ".join(words) + ".")


def plot_first_steps(ax, runs, steps: int = 60, colors=None):
    """The mini-batch loss of the first ``steps`` steps of each run, against the loss of guessing among the
    classes (ln 10 for the digits)."""
    colors = schedule_colors() if colors is None else colors
    early = np.arange(1, steps + 1)
    guess = float(np.log(10))
    words = []
    for run in runs:
        losses = np.asarray(run.step_losses[:steps], dtype=float)
        name = f"{run.label}, peak {run.peak_lr:g}"
        ax.plot(early[:len(losses)], losses, color=colors[run.kind], label=name)
        top = int(np.nanargmax(losses))
        words.append(f"{name}: highest {number(losses[top], 2)} at step {top + 1}, "
                     f"{number(_last_finite(losses), 2)} at step {len(losses)}")
    ax.axhline(guess, color=COLORS["grey"], linestyle="--", label="guessing among ten classes (ln 10)")
    label_axes(ax, f"The first {steps} steps at a high peak rate", "step", "mini-batch loss (cross-entropy)",
               legend=True)
    describe_figure(ax, f"The mini-batch loss of the first {steps} steps, against the loss of guessing among ten "
                        f"classes ({number(guess)}): " + "; ".join(words) + ".")


def _last_finite(values) -> float:
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else math.nan


def _ending_order(ends) -> str:
    """``ends``: ``(name, last value, diverged step or None)``; words naming the lowest and the highest end."""
    alive = sorted((value, name) for name, value, diverged in ends if diverged is None and math.isfinite(value))
    words = []
    if alive:
        words.append(f"ending lowest for {alive[0][1]} ({number(alive[0][0], 2)}) and highest for "
                     f"{alive[-1][1]} ({number(alive[-1][0], 2)})" if len(alive) > 1
                     else f"ending at {number(alive[0][0], 2)} for {alive[0][1]}")
    words += [f"{name} diverged at step {diverged}" for name, _, diverged in ends if diverged is not None]
    return "; ".join(words) + "."


def _sweep_words(peaks, losses) -> str:
    finite = np.isfinite(losses)
    if not finite.any():
        return "diverged at every peak"
    best = int(np.argmin(np.where(finite, losses, np.inf)))
    words = f"lowest, {number(losses[best], 2)}, at peak {peaks[best]:g}"
    if best < len(peaks) - 1:
        words += (f", {number(losses[-1], 2)} at {peaks[-1]:g}" if finite[-1]
                  else f", diverged at {peaks[-1]:g}")
    return words


# -- the widget -------------------------------------------------------------------------------


def schedule_explorer(data=None, kind: str = "warmup_cosine", warmup_fraction: float = 0.1, peak_lr: float = 0.05,
                      *, total_steps: int = DEFAULTS["total_steps"], known_runs=(), grid: ScheduleGrid | None = None,
                      interactive=None):
    """Pick a schedule, its warmup and its peak rate: the lr curve and the training curve are redrawn.

    Every stop of the three controls (``SCHEDULE_KEYS`` x ``WIDGET_WARMUPS`` x
    ``WIDGET_PEAKS``) is trained once, all at once, when the widget is built (a progress
    bar shows it; seed 0, so curves differ only by the schedule); a move then only looks
    a run up and redraws. ``grid``: those runs, trained earlier by
    :func:`train_schedule_grid` with the same ``data`` and ``total_steps`` (a lesson's),
    reused instead of trained again. ``known_runs``: single runs to show instead of the
    grid's for the same setting. The constant schedule at the same peak stays in grey.
    """
    from .datasets import digits

    data = digits() if data is None else data
    if grid is None:
        grid = train_schedule_grid(data, total_steps=total_steps, progress=True)
    cache = dict(grid.runs)
    cache.update({(run.kind, round(run.warmup_fraction, 4), run.peak_lr): run for run in known_runs
                  if len(run.lrs) == total_steps})
    peaks = sorted({key[2] for key in cache})
    warmups = sorted({key[1] for key in cache})
    dropdown = schedule_dropdown(kind, {SCHEDULE_LABELS[key]: key for key in SCHEDULE_KEYS})
    warmup = stops_slider("warmup", warmups, warmup_fraction, lambda w: f"{w:.0%}")
    peak = stops_slider("peak learning rate", peaks, peak_lr, lambda p: f"{p:g}")
    # Narrow enough for a laptop's notebook column (display.COLUMN_FIGURE_PX): the two panels side by
    # side, and under them a strip for diagnose's verdict (inside the loss panel it would hide the curves).
    fig, ((ax_lr, ax_loss), strip) = new_figure(2, 2, figsize=(8.8, 4.9), interactive=interactive,
                                                height_ratios=[1, STATUS_STRIP])
    for ax in strip:
        ax.remove()
    ax_status = fig.add_subplot(strip[0].get_subplotspec().get_gridspec()[1, :])
    ax_status.axis("off")
    steps_axis = np.arange(1, total_steps + 1)
    (reference_lr,) = ax_lr.plot([], [], color=COLORS["grey"], linewidth=1.5, label="constant (for comparison)")
    (lr_line,) = ax_lr.plot([], [], color=ROLE_COLORS["lr"], linewidth=2.2, label="this schedule")
    ax_lr.set_xlim(0, total_steps)
    # a fixed log axis holds every peak of the slider, so a move redraws the lines only
    ax_lr.set_yscale("log")
    ax_lr.set_ylim(LR_AXIS_FLOOR, 1.5 * max(peaks))
    plain_log_ticks(ax_lr, "y")
    label_axes(ax_lr, "Learning rate of each step", "step", "learning rate (log scale)")
    (reference_loss,) = ax_loss.plot([], [], color=COLORS["grey"], linewidth=1.5, label="constant (smoothed)")
    (raw_loss,) = ax_loss.plot([], [], color=ROLE_COLORS["train"], linewidth=0.8, alpha=0.3,
                               label="mini-batch loss")
    (loss_line,) = ax_loss.plot([], [], color=ROLE_COLORS["train"], linewidth=2.2, label="smoothed")
    ax_loss.set_xlim(0, total_steps)
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(1e-3, 20)
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_loss, "Training loss", "step", "loss (cross-entropy, log scale)")
    for ax in (ax_lr, ax_loss):
        ax.title.set_fontsize(11)
        # under the step labels, one row: inside the panel every corner holds a curve at some setting
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3, fontsize=9, handlelength=1.5,
                  columnspacing=1.2, bbox_transform=offset_copy(ax.transAxes, fig, y=-LEGEND_DROP_PT, units="points"))
    # the verdict's lines start at the top of the strip, under the step labels; the strip's height is fixed
    status = ax_status.text(0, 1, "", transform=ax_status.transAxes, ha="left", va="top", fontsize=9,
                            in_layout=False)
    title = fig.suptitle("", fontsize=11)

    def run_for(kind_, warmup_, peak_):
        return cache[(kind_, round(warmup_, 4), peak_)]

    def update(widget):
        run = run_for(dropdown.value, warmup.value, peak.value)
        reference = run_for("constant", 0.0, peak.value)
        reference_lr.set_data(steps_axis, np.maximum(reference.lrs, LR_AXIS_FLOOR))
        lr_line.set_data(steps_axis, np.maximum(run.lrs, LR_AXIS_FLOOR))
        reference_loss.set_data(steps_axis, reference.smoothed_losses)
        raw_loss.set_data(steps_axis, run.step_losses)
        loss_line.set_data(steps_axis, run.smoothed_losses)
        verdict = _verdict(run)
        status.set_text(_summary(run, reference, verdict, width=STATUS_WIDTH))
        title.set_text(f"{run.label}: peak learning rate {peak.value:.3g}, warmup {warmup.value:.0%} of "
                       f"{total_steps} steps (Adam, batch 64)")
        widget.state.update(run=run, reference=reference, verdict=verdict)
        widget.redraw()

    return make_widget(fig, {"schedule": dropdown, "warmup": warmup, "peak_lr": peak}, update,
                       title="Learning-rate schedule explorer", columns=3,
                       animated=[reference_lr, lr_line, reference_loss, raw_loss, loss_line, status, title],
                       summary=explorer_summary)


def explorer_summary(widget) -> str:
    """What the explorer shows now, in words (its screen-reader summary): the schedule's shape, how its
    training ended, and how the constant rate at the same peak ended."""
    run, reference, verdict = (widget.state[key] for key in ("run", "reference", "verdict"))
    text = (f"{run.label.capitalize()}, peak learning rate {run.peak_lr:g}, warmup {run.warmup_fraction:.0%} of "
            f"{len(run.lrs)} steps: the rate {rate_words(run.lrs)}. ")
    if run.diverged:
        text += f"The training loss diverged at step {run.diverged_at}."
    else:
        text += (f"Training ({verdict.label}) ends at training loss {number(run.final_train_loss, 2)}, "
                 f"validation accuracy {run.val_accuracy:.0%}.")
    if reference is not run:
        text += (f" The constant rate at the same peak (grey) diverged at step {reference.diverged_at}."
                 if reference.diverged else
                 f" The constant rate at the same peak (grey) ends at {number(reference.final_train_loss, 2)}, "
                 f"accuracy {reference.val_accuracy:.0%}.")
    return text


def _verdict(run: ScheduleRun):
    from minigrad.training import diagnose

    return diagnose(run.history, lr=run.peak_lr)  # quote the slider's peak, not the schedule's last rate


def _summary(run: ScheduleRun, reference: ScheduleRun, verdict=None, width: int = 58) -> str:
    """The widget's verdict on a run: ``diagnose``'s reading of its loss curve (its hint wrapped at ``width``
    characters), then the final numbers."""
    verdict = _verdict(run) if verdict is None else verdict
    lines = [f"diagnose: {verdict.label}"]
    if verdict.label != "healthy":
        lines += textwrap.wrap(verdict.hint, width)
    if not run.diverged:
        lines.append(f"final training loss {run.final_train_loss:.4f}, validation accuracy {run.val_accuracy:.1%}")
    if not reference.diverged:
        lines.append(f"constant rate: loss {reference.final_train_loss:.4f}, accuracy {reference.val_accuracy:.1%}")
    return "\n".join(lines)
