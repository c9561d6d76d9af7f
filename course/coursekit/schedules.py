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
the rising phase (``pct_start``).
"""

from __future__ import annotations

import contextlib
import io
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.optim import lr_scheduler as S
from minigrad.training.smoothing import smooth
from minigrad.utils.data import DataLoader, TensorDataset

from .controls import lr_slider, schedule_dropdown, warmup_slider
from .display import make_widget, new_figure
from .log_ticks import plain_log_ticks
from .style import COLORS, ROLE_COLORS, color_cycle, label_axes
from .threads import single_blas_thread

__all__ = [
    "SCHEDULE_KEYS",
    "SCHEDULE_LABELS",
    "USUAL_WARMUP",
    "warmup_steps",
    "make_scheduler",
    "describe",
    "lr_curve",
    "schedule_colors",
    "make_mlp",
    "ScheduleRun",
    "train_with_schedule",
    "compare_schedules",
    "smooth",
    "dead_units",
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
    if not isinstance(total_steps, (int, np.integer)) or total_steps < 2:
        raise ValueError(f"total_steps must be an integer >= 2, got {total_steps!r}")
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
    return min(int(round(warmup_fraction * total_steps)), total_steps - 1)


def make_scheduler(optimizer, kind: str, total_steps: int, warmup_fraction: float = 0.0):
    """The minigrad scheduler for schedule ``kind`` over ``total_steps`` steps; step it after each optimizer step.

    The optimizer's lr is the peak rate.
    """
    _check_kind(kind)
    warmup = warmup_steps(total_steps, warmup_fraction)
    if kind == "warmup_linear":
        return S.get_linear_schedule_with_warmup(optimizer, warmup, total_steps)
    if kind == "warmup_cosine":
        return S.get_cosine_schedule_with_warmup(optimizer, warmup, total_steps)
    if kind == "one_cycle":
        peak = optimizer.param_groups[0]["lr"]
        return S.OneCycleLR(optimizer, max_lr=peak, total_steps=total_steps, pct_start=warmup / total_steps)
    decay_steps = total_steps - warmup
    if kind == "constant":
        main = S.LambdaLR(optimizer, _constant_factor)
    elif kind == "step":
        main = S.StepLR(optimizer, step_size=max(1, math.ceil(decay_steps / 3)), gamma=STEP_GAMMA)
    elif kind == "exponential":
        main = S.ExponentialLR(optimizer, gamma=EXPONENTIAL_FINAL_FACTOR ** (1.0 / max(1, decay_steps - 1)))
    else:  # cosine
        main = S.CosineAnnealingLR(optimizer, T_max=decay_steps)
    if warmup == 0:
        return main
    # Linear warmup from peak/warmup up to the peak, then the decay starting from its own step 0.
    rise = S.LinearLR(optimizer, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup)
    return S.SequentialLR(optimizer, [rise, main], milestones=[warmup])


def describe(kind: str, total_steps: int = DEFAULTS["total_steps"], warmup_fraction: float | None = None) -> str:
    """The scheduler call :func:`make_scheduler` makes, as code (the same names work in PyTorch)."""
    _check_kind(kind)
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else warmup_fraction
    warmup = warmup_steps(total_steps, warmup_fraction)
    decay_steps = total_steps - warmup
    if kind == "warmup_linear":
        return f"get_linear_schedule_with_warmup(optimizer, num_warmup_steps={warmup}, num_training_steps={total_steps})"
    if kind == "warmup_cosine":
        return f"get_cosine_schedule_with_warmup(optimizer, num_warmup_steps={warmup}, num_training_steps={total_steps})"
    if kind == "one_cycle":
        return f"OneCycleLR(optimizer, max_lr=peak, total_steps={total_steps}, pct_start={warmup / total_steps:.2g})"
    main = {
        "constant": "LambdaLR(optimizer, lambda step: 1.0)",
        "step": f"StepLR(optimizer, step_size={max(1, math.ceil(decay_steps / 3))}, gamma={STEP_GAMMA:g})",
        "exponential": f"ExponentialLR(optimizer, gamma={EXPONENTIAL_FINAL_FACTOR ** (1.0 / max(1, decay_steps - 1)):.4f})",
        "cosine": f"CosineAnnealingLR(optimizer, T_max={decay_steps})",
    }[kind]
    if warmup == 0:
        return main
    return (f"SequentialLR(optimizer, [LinearLR(optimizer, start_factor=1/{warmup}, total_iters={warmup}), "
            f"{main}], milestones=[{warmup}])")


def _constant_factor(step):
    return 1.0


def _probe_optimizer(peak_lr):
    """An optimizer over one dummy weight: enough to read a scheduler's learning rates."""
    return optim.Adam([mg.tensor(np.zeros(1), requires_grad=True)], lr=peak_lr)


def lr_curve(kind: str, total_steps: int = DEFAULTS["total_steps"], peak_lr: float = 0.01,
             warmup_fraction: float | None = None) -> np.ndarray:
    """The learning rate each of ``total_steps`` steps uses (``warmup_fraction=None``: the usual one)."""
    _check_kind(kind)
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else warmup_fraction
    optimizer = _probe_optimizer(peak_lr)
    scheduler = make_scheduler(optimizer, kind, total_steps, warmup_fraction)
    lrs = np.empty(total_steps)
    for step in range(total_steps):
        lrs[step] = optimizer.param_groups[0]["lr"]
        optimizer.step()  # no gradient: nothing moves, but the order of calls is the real one
        if step < total_steps - 1:
            scheduler.step()
    return lrs


def schedule_colors():
    """One course colour per schedule key, the same in every plot of the lesson."""
    return dict(zip(SCHEDULE_KEYS, color_cycle(len(SCHEDULE_KEYS))))


def make_mlp(num_features: int = 64, hidden: int = DEFAULTS["hidden"], num_classes: int = 10, *, seed: int = 0):
    """A small network for the digits: Linear, ReLU, Linear (float64, seeded)."""
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(num_features, hidden, dtype=mg.float64), nn.ReLU(),
                         nn.Linear(hidden, num_classes, dtype=mg.float64))


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
    if not (isinstance(peak_lr, (int, float, np.floating)) and math.isfinite(peak_lr) and peak_lr > 0):
        raise ValueError(f"peak_lr must be a positive finite number, got {peak_lr!r}")
    warmup_fraction = USUAL_WARMUP[kind] if warmup_fraction is None else float(warmup_fraction)
    from minigrad.training import fit

    model = make_mlp(data.num_features, hidden, data.num_classes, seed=seed)
    optimizer = optim.Adam(model.parameters(), lr=peak_lr)
    scheduler = make_scheduler(optimizer, kind, total_steps, warmup_fraction)
    loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=batch_size, shuffle=True,
                        seed=seed + 1)
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


def compare_schedules(data, kinds=SCHEDULE_KEYS, *, peak_lr: float, seeds=(0,), **kwargs):
    """Train every schedule in ``kinds`` with every seed: ``{kind: [ScheduleRun per seed]}``."""
    return {kind: [train_with_schedule(data, kind, peak_lr=peak_lr, seed=seed, **kwargs) for seed in seeds]
            for kind in kinds}


# -- the widget -------------------------------------------------------------------------------


def schedule_explorer(data=None, kind: str = "warmup_cosine", warmup_fraction: float = 0.1, peak_lr: float = 0.01,
                      *, total_steps: int = DEFAULTS["total_steps"], known_runs=(), interactive=None):
    """Pick a schedule, its warmup and its peak rate: the lr curve and the training curve are redrawn.

    Each change retrains the small network (a few hundred steps, well under a second) with
    seed 0, so curves differ only by the schedule. The constant schedule at the same peak
    rate stays in grey for comparison. ``known_runs``: seed-0 runs of the same ``data``
    and ``total_steps`` trained earlier (a lesson's comparison), reused instead of retrained.
    """
    from .datasets import digits

    data = digits() if data is None else data
    dropdown = schedule_dropdown(kind)
    warmup = warmup_slider(warmup_fraction, 0.5)
    peak = lr_slider(peak_lr, 1e-4, 1.0, description="peak learning rate", continuous_update=False)
    fig, (ax_lr, ax_loss) = new_figure(1, 2, figsize=(12, 4.4), interactive=interactive)
    steps_axis = np.arange(1, total_steps + 1)
    (reference_lr,) = ax_lr.plot([], [], color=COLORS["grey"], linewidth=1.5, label="constant (for comparison)")
    (lr_line,) = ax_lr.plot([], [], color=ROLE_COLORS["lr"], linewidth=2.2, label="this schedule")
    ax_lr.set_xlim(0, total_steps)
    label_axes(ax_lr, "Learning rate of each step", "step", "learning rate", legend=True, legend_loc="lower left")
    (reference_loss,) = ax_loss.plot([], [], color=COLORS["grey"], linewidth=1.5, label="constant (smoothed)")
    (raw_loss,) = ax_loss.plot([], [], color=ROLE_COLORS["train"], linewidth=0.8, alpha=0.3,
                               label="mini-batch loss")
    (loss_line,) = ax_loss.plot([], [], color=ROLE_COLORS["train"], linewidth=2.2, label="smoothed")
    ax_loss.set_xlim(0, total_steps)
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(1e-3, 20)
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_loss, "Training loss", "step", "loss (cross-entropy, log scale)", legend=True,
               legend_loc="upper right")
    status = ax_loss.text(0.02, 0.03, "", transform=ax_loss.transAxes, ha="left", va="bottom", fontsize=8.5,
                          bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    title = fig.suptitle("")
    cache: dict = {(run.kind, round(run.warmup_fraction, 4), run.peak_lr): run for run in known_runs
                   if len(run.lrs) == total_steps}

    def run_for(kind_, warmup_, peak_):
        key = (kind_, round(warmup_, 4), peak_)
        if key not in cache:
            cache[key] = train_with_schedule(data, kind_, peak_lr=peak_, warmup_fraction=warmup_,
                                             total_steps=total_steps)
        return cache[key]

    def update(widget):
        run = run_for(dropdown.value, warmup.value, peak.value)
        reference = run_for("constant", 0.0, peak.value)
        reference_lr.set_data(steps_axis, reference.lrs)
        lr_line.set_data(steps_axis, np.maximum(run.lrs, 1e-12))
        reference_loss.set_data(steps_axis, reference.smoothed_losses)
        raw_loss.set_data(steps_axis, run.step_losses)
        loss_line.set_data(steps_axis, run.smoothed_losses)
        status.set_text(_summary(run, reference))
        fig.suptitle(f"{run.label}: peak learning rate {peak.value:.3g}, warmup {warmup.value:.0%} of "
                     f"{total_steps} steps (Adam, batch 64)")
        widget.state.update(run=run, reference=reference)
        # A new peak rescales the lr axis (static ticks): repaint everything then.
        top = 1.08 * peak.value
        rescaled = ax_lr.get_ylim() != (0.0, top)
        ax_lr.set_ylim(0.0, top)
        widget.redraw(full=rescaled)

    return make_widget(fig, {"schedule": dropdown, "warmup": warmup, "peak_lr": peak}, update,
                       title="Learning-rate schedule explorer", columns=3,
                       animated=[reference_lr, lr_line, reference_loss, raw_loss, loss_line, status, title])


def _summary(run: ScheduleRun, reference: ScheduleRun) -> str:
    """The widget's verdict on a run: ``diagnose``'s reading of its loss curve, then the final numbers."""
    from minigrad.training import diagnose

    verdict = diagnose(run.history, lr=run.peak_lr)  # quote the slider's peak, not the schedule's last rate
    lines = [f"diagnose: {verdict.label}"]
    if verdict.label != "healthy":
        lines += textwrap.wrap(verdict.hint, 58)
    if not run.diverged:
        lines.append(f"final training loss {run.final_train_loss:.4f}, validation accuracy {run.val_accuracy:.1%}")
    if not reference.diverged:
        lines.append(f"constant rate: loss {reference.final_train_loss:.4f}, accuracy {reference.val_accuracy:.1%}")
    return "\n".join(lines)
