"""Fine-tuning runs of the case study, and the live fine-tune widget.

:func:`finetune` copies the base model and trains the copy on the client's archive with
minigrad's ``fit``: AdamW with its default hyperparameters, a learning rate, an optional
linear warmup (then a constant rate, as the brief describes), optional gradient
clipping and optional early stopping. It measures the wall-clock time of the whole run,
validation included, and returns a :class:`RunResult`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
from minigrad.optim import AdamW
from minigrad.optim.lr_scheduler import LambdaLR
from minigrad.training import EarlyStopping, diagnose, evaluate, fit
from minigrad.utils.checks import check_count, check_positive

from .lm import LMBatches, copy_model, lm_loss

__all__ = ["RunConfig", "RunResult", "finetune", "warmup_then_constant", "live_finetune_widget",
           "finetune_summary", "epoch_seconds", "early_stopping_outcome", "weights_at_epoch"]


@dataclass(frozen=True)
class RunConfig:
    """One fine-tuning recipe. ``clip=None`` means no clipping, ``patience=None`` no early stopping."""

    lr: float
    epochs: int = 10
    batch_size: int = 16
    warmup: float = 0.0  # fraction of all planned steps spent warming up linearly from 0
    clip: float | None = None
    patience: int | None = None
    seed: int = 0

    def __post_init__(self):
        check_positive("lr", self.lr)
        check_count("epochs", self.epochs)
        check_count("batch_size", self.batch_size)
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup is a fraction of the planned steps in [0, 1), got {self.warmup!r}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be > 0 or None (no clipping), got {self.clip!r}")
        if self.patience is not None and not (isinstance(self.patience, int) and self.patience >= 0):
            raise ValueError(f"patience must be an integer >= 0 or None (no early stopping), "
                             f"got {self.patience!r}")

    def describe(self) -> str:
        parts = [f"lr {self.lr:.2g}", f"batch {self.batch_size}"]
        parts.append(f"warmup {self.warmup:.0%}" if self.warmup else "no warmup")
        parts.append(f"clip {self.clip:g}" if self.clip else "no clipping")
        parts.append(f"early stopping (patience {self.patience})" if self.patience is not None
                     else f"fixed {self.epochs} epochs")
        return ", ".join(parts)


@dataclass
class RunResult:
    name: str
    config: RunConfig
    model: object
    history: object
    seconds: float
    val_loss: float  # of the weights the run ends with (the restored best epoch, with early stopping)
    diagnosis: object = None
    extra: dict = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        return self.history.num_epochs

    @property
    def kept_epoch(self) -> int:
        """The epoch whose weights the run hands over (restored by early stopping, or the last;
        0 when the run diverged before finishing an epoch)."""
        return self.history.restored_epoch or self.history.num_epochs


def finetune(base_model, train_ids: np.ndarray, val_ids: np.ndarray, config: RunConfig, *,
             name: str = "run", pad_id: int = 0, device: str | None = None, progress: bool = False,
             max_steps: int | None = None, keep_epoch_weights: bool = False) -> RunResult:
    """Fine-tune a copy of ``base_model``; the base model itself is left untouched.

    With ``keep_epoch_weights`` the weights at the end of every epoch are kept (on the CPU) in
    ``result.extra["epoch_weights"]`` (index ``e - 1`` for epoch ``e``), so that one run of the
    full plan also shows what early stopping would have kept (:func:`weights_at_epoch`).
    """
    mg.manual_seed(config.seed)
    model = copy_model(base_model)
    train = LMBatches(train_ids, config.batch_size, pad_id=pad_id, seed=config.seed, device=device)
    snapshots: list = []
    callback = None
    if keep_epoch_weights:
        steps_in_epoch = len(train)

        def callback(history):
            if history.num_steps % steps_in_epoch == 0:
                snapshots.append(model.state_dict())  # NumPy copies, on the CPU
    val = LMBatches(val_ids, 128, pad_id=pad_id, shuffle=False, device=device)
    optimizer = AdamW(model.parameters(), lr=config.lr)  # torch's defaults otherwise
    planned = config.epochs * len(train)
    scheduler = None
    if config.warmup > 0:
        scheduler = warmup_then_constant(optimizer, max(1, round(config.warmup * planned)))
    stopper = EarlyStopping(patience=config.patience, restore_best=True) \
        if config.patience is not None else None
    started = time.perf_counter()
    history = fit(model, optimizer, train, lm_loss, epochs=config.epochs, val_loader=val,
                  scheduler=scheduler, clip_grad_norm=config.clip, early_stopping=stopper,
                  progress=progress, max_steps=max_steps, callback=callback)
    seconds = time.perf_counter() - started
    val_loss = (history.epoch_val_loss[history.restored_epoch - 1] if history.restored_epoch
                else history.epoch_val_loss[-1] if history.epoch_val_loss else evaluate(model, val, lm_loss))
    result = RunResult(name, config, model, history, seconds, val_loss)
    if keep_epoch_weights:
        result.extra["epoch_weights"] = snapshots
    if len(history.step_loss) >= 3:
        result.diagnosis = diagnose(history)
    return result


def early_stopping_outcome(val_losses, patience: int) -> tuple[int, int]:
    """(the epoch training stops after, the epoch whose weights are kept) when early stopping with
    ``patience`` watches ``val_losses``: minigrad's own ``EarlyStopping``, fed the losses one by one.

    Without a stop, training ends after the last epoch. Epochs count from 1.
    """
    stopper = EarlyStopping(patience=patience, restore_best=False)
    for loss in val_losses:
        if stopper.step(loss):
            break
    return stopper.epoch, stopper.best_epoch


def weights_at_epoch(base_model, result: RunResult, epoch: int):
    """A copy of ``base_model`` holding the weights ``result`` had at the end of ``epoch``
    (the run must have been made with ``keep_epoch_weights=True``)."""
    weights = result.extra.get("epoch_weights")
    if not weights:
        raise ValueError("this run kept no epoch weights: run finetune(..., keep_epoch_weights=True)")
    if not 1 <= epoch <= len(weights):
        raise ValueError(f"epoch must be in [1, {len(weights)}], got {epoch}")
    model = copy_model(base_model)
    model.load_state_dict(weights[epoch - 1])
    return model


def warmup_then_constant(optimizer, warmup_steps: int):
    """Linear warmup from 0 to the optimizer's lr over ``warmup_steps``, then constant.

    The brief's recipe ("a linear warmup over the first 10% of training steps", no decay
    mentioned); Hugging Face calls it ``get_constant_schedule_with_warmup`` and computes the
    factor the same way: ``step / warmup_steps`` while warming up, then 1.
    """
    if warmup_steps < 1:
        raise ValueError(f"warmup_steps must be >= 1, got {warmup_steps}")
    return LambdaLR(optimizer, lambda step: step / warmup_steps if step < warmup_steps else 1.0)


def epoch_seconds(result: RunResult) -> float:
    return result.seconds / max(result.epochs_run, 1)


# ----------------------------------------------------------------------------------------
# The live widget: a short fine-tune re-run on every slider release.
# ----------------------------------------------------------------------------------------


def live_finetune_widget(base_model, train_ids, val_ids, *, pad_id: int = 0, device: str | None = None,
                         lr: float = 1e-3, warmup: float = 0.1, clip: float | None = 1.0,
                         patience: int = 2, batch_size: int = 16, epochs: int = 6,
                         price_per_gpu_hour: float = 0.85):
    """Sliders (learning rate, warmup, clipping, patience, batch size) re-running a short fine-tune.

    Runs on the ``train_ids`` / ``val_ids`` it is given (a few hundred lines keep a run to
    seconds). Lines: training loss per step, validation loss per epoch; the title gives
    ``diagnose``'s verdict, the wall-clock time and its cost at ``price_per_gpu_hour``.
    """
    from matplotlib.transforms import offset_copy

    from ..controls import batch_size_slider, clip_slider, clip_threshold, count_slider, log_slider, warmup_slider
    from ..display import layout_key, make_widget, new_figure
    from ..log_ticks import integer_ticks
    from ..style import ROLE_COLORS

    # Narrow enough for a laptop's notebook column (display.COLUMN_FIGURE_PX)
    fig, (ax_step, ax_epoch) = new_figure(1, 2, figsize=(8.8, 4.0))
    (train_line,) = ax_step.plot([], [], color=ROLE_COLORS["train"], lw=1.2, label="training loss (per step)")
    start_line = ax_step.axhline(np.nan, color=ROLE_COLORS["start"], ls=":", lw=1, label="first step")
    (val_line,) = ax_epoch.plot([], [], "o-", color=ROLE_COLORS["validation"], label="validation loss")
    (kept,) = ax_epoch.plot([], [], "*", color="black", ms=14, label="weights kept")
    ax_step.set_xlabel("step")
    ax_step.set_ylabel("loss")
    ax_epoch.set_xlabel("epoch")
    integer_ticks(ax_epoch)
    for ax in (ax_step, ax_epoch):  # under the panels: inside, a run that blows up would run through them
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=2, fontsize=9, handlelength=1.5,
                  columnspacing=1.2, bbox_transform=offset_copy(ax.transAxes, fig, y=-36, units="points"))
    title = fig.suptitle(" ", fontsize=10)

    controls = {
        "lr": log_slider("learning rate", lr, 1e-5, 1.0, continuous_update=False),
        "warmup": warmup_slider(warmup, 0.5),
        "clip": clip_slider(math.inf if clip is None else clip, 0.01, 100.0),
        "patience": count_slider("patience", patience, 0, epochs, continuous_update=False),
        "batch_size": batch_size_slider(batch_size, 4, 128),
    }

    def run(widget):
        c = {k: w.value for k, w in controls.items()}
        config = RunConfig(lr=float(c["lr"]), epochs=epochs, batch_size=int(c["batch_size"]),
                           warmup=float(c["warmup"]), clip=clip_threshold(c["clip"]),
                           patience=int(c["patience"]))
        result = finetune(base_model, train_ids, val_ids, config, name="live", pad_id=pad_id,
                          device=device)
        h = result.history
        steps = np.arange(1, len(h.step_loss) + 1)
        train_line.set_data(steps, h.step_loss)
        epochs_axis = np.arange(1, len(h.epoch_val_loss) + 1)
        val_line.set_data(epochs_axis, h.epoch_val_loss)
        if h.epoch_val_loss:
            kept.set_data([result.kept_epoch], [h.epoch_val_loss[result.kept_epoch - 1]])
        else:  # diverged inside the first epoch: nothing to keep
            kept.set_data([], [])
        finite = [x for x in h.step_loss if np.isfinite(x)] or [0.0, 1.0]
        start_line.set_ydata([finite[0], finite[0]])
        ax_step.set_xlim(0, max(len(steps), 2))
        # high enough to show a jump above the first loss, not so high that one spike flattens the rest
        top = min(max(finite), max(3 * np.median(finite), 2 * finite[0]))
        ax_step.set_ylim(0, top * 1.05 + 1e-9)
        ax_epoch.set_xlim(0.5, epochs + 0.5)
        vals = [v for v in h.epoch_val_loss if np.isfinite(v)] or [0.0, 1.0]
        pad = 0.1 * (max(vals) - min(vals) + 1e-3)
        ax_epoch.set_ylim(min(vals) - pad, max(vals) + pad)
        verdict = result.diagnosis.label if result.diagnosis else "too short to judge"
        dollars = result.seconds / 3600 * price_per_gpu_hour
        title.set_text(f"{config.describe()}\n{verdict}; {h.num_epochs} epochs in {result.seconds:.1f} s "
                       f"(${dollars:.5f}); kept epoch {result.kept_epoch}, "
                       f"validation loss {result.val_loss:.3f}")
        widget.state.update(result=result, config=config)
        widget.redraw()

    # every run sets new limits: lay the figure out again when they change the tick labels
    return make_widget(fig, controls, run, title="Live fine-tune", columns=3, relayout=layout_key,
                       summary=lambda widget: finetune_summary(widget.state["result"], price_per_gpu_hour))


def finetune_summary(result: RunResult, price_per_gpu_hour: float = 0.85) -> str:
    """What :func:`live_finetune_widget` shows after its last run, in words: the recipe, how the training
    loss moved, where validation ended and which epoch was kept, and what the run cost."""
    from ..alt_text import number

    h = result.history
    finite = [x for x in h.step_loss if np.isfinite(x)]
    verdict = result.diagnosis.label if result.diagnosis else "too short to judge"
    text = f"Fine-tune ({result.config.describe()}): {verdict}."
    if h.diverged_step is not None:
        text += f" The training loss diverged at step {h.diverged_step}."
    elif finite:
        text += (f" Training loss from {number(finite[0], 2)} at the first step to {number(finite[-1], 2)} at step "
                 f"{len(h.step_loss)}.")
    if h.epoch_val_loss:
        text += (f" {h.num_epochs} epochs; kept epoch {result.kept_epoch}, validation loss "
                 f"{number(result.val_loss, 3)}.")
    dollars = result.seconds / 3600 * price_per_gpu_hour
    return text + f" {result.seconds:.1f} s, ${dollars:.5f} at ${price_per_gpu_hour:g} per GPU-hour."
