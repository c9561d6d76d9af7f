"""Lesson 6: the learning-rate range test, run on a small network, read, and checked.

The lesson's recipe, each step a plain function that tests call directly:

1. :func:`run_range_test` sweeps the learning rate from tiny to huge over a
   hundred mini-batches with :func:`minigrad.training.lr_find`.
2. :func:`plot_range_test` draws the curve the way it is read: log-x, the raw
   and the smoothed loss, the suggestions marked.
3. :func:`check_pick` trains with the picked rate and with rates ten times
   lower and higher (:func:`train_at`), and :func:`minigrad.training.diagnose`
   names each curve.
4. :func:`lr_sweep` trains at a whole grid of rates: the expensive ground truth
   the cheap range test stands in for.

:func:`range_test_widget` puts the range-test curve next to the training curve
of whatever rate the slider picks.

The model is a small multilayer perceptron on scikit-learn's handwritten
digits (64 pixels in, 10 classes out), trained with AdamW, in float64 so the
printed numbers are the same on every machine.
"""
from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import offset_copy

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.training import fit, lr_find
from minigrad.utils.checks import check_positive
from minigrad.utils.data import DataLoader, TensorDataset

from .alt_text import describe, number
from .datasets import digits
from .controls import log_slider
from .display import layout_key, make_widget, new_figure
from .log_ticks import integer_ticks, plain_log_ticks
from .networks import make_mlp
from .run_cache import RunCache, diagnose_if_possible
from .style import COLORS, ROLE_COLORS, label_axes
from .threads import single_blas_thread

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "make_split",
    "make_mlp",
    "make_optimizer",
    "train_loader",
    "run_range_test",
    "TrainRun",
    "train_at",
    "train_at_rates",
    "check_pick",
    "lr_sweep",
    "steps_to_reach",
    "FACTOR_COLORS",
    "SUGGESTION_MARKERS",
    "plot_range_test",
    "range_test_words",
    "plot_check",
    "check_words",
    "plot_sweep",
    "range_test_widget",
]

DEFAULT_BATCH_SIZE = 32

# The three runs of the check, coloured like lesson 2's learning-rate regimes.
FACTOR_COLORS = {0.1: ROLE_COLORS["too_small"], 1.0: ROLE_COLORS["good"], 10.0: ROLE_COLORS["diverges"]}
SUGGESTION_MARKERS = {"valley": ("o", COLORS["bluish_green"]), "steep": ("^", COLORS["orange"]),
                      "minimum": ("s", COLORS["reddish_purple"])}
LEGEND_DROP_PT = 40  # the widget's legends hang this far under its panels: below the tick labels and axis labels


# -- data, model, optimizer ---------------------------------------------------------------------


def make_split(val_fraction=0.25, seed=0):
    """The digits, split into training and validation images (float64, pixels in [0, 1])."""
    return digits(val_fraction=val_fraction, seed=seed)


def make_optimizer(model, lr, name="AdamW"):
    """``AdamW`` (torch's defaults, weight decay 0.01) or plain ``SGD`` with momentum 0.9."""
    if name == "AdamW":
        return mg.optim.AdamW(model.parameters(), lr=lr)
    if name == "SGD":
        return mg.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    raise ValueError(f"make_optimizer: name must be 'AdamW' or 'SGD', got {name!r}")


def train_loader(split, batch_size=DEFAULT_BATCH_SIZE, seed=0):
    """Shuffled mini-batches of the training images; the seed fixes the order of every epoch."""
    return DataLoader(TensorDataset(split.X_train, split.y_train), batch_size=batch_size, shuffle=True, seed=seed)


def _val_loader(split):
    return DataLoader(TensorDataset(split.X_val, split.y_val), batch_size=len(split.y_val))


# -- 1. the range test ------------------------------------------------------------------------------


def run_range_test(split, *, start_lr=1e-6, end_lr=10.0, num_iter=100, smooth_beta=0.98,
                   batch_size=DEFAULT_BATCH_SIZE, optimizer="AdamW", seed=0):
    """``lr_find`` on a fresh network: the lr grows from ``start_lr`` to ``end_lr`` over ``num_iter`` batches.

    Returns minigrad's ``LRFinderResult`` (``lrs``, smoothed ``losses``,
    ``raw_losses``, ``suggestions``).
    """
    model = make_mlp(split.num_features, seed=seed)
    opt = make_optimizer(model, start_lr, optimizer)
    with single_blas_thread(), np.errstate(over="ignore", invalid="ignore"):  # the end blows up on purpose
        return lr_find(model, opt, train_loader(split, batch_size, seed), F.cross_entropy, start_lr=start_lr,
                       end_lr=end_lr, num_iter=num_iter, smooth_beta=smooth_beta)


# -- 2. training at a rate -----------------------------------------------------------------------------


@dataclass
class TrainRun:
    """One training run: its learning rate, minigrad ``History`` and ``diagnose`` verdict.

    ``factor`` is the rate relative to the picked one (0.1, 1 or 10 in the check).
    """

    lr: float
    history: object
    diagnosis: object
    factor: float | None = None

    @property
    def label(self):
        return self.diagnosis.label if self.diagnosis is not None else "too short to tell"

    @property
    def diverged(self):
        return self.history.diverged_step is not None

    @property
    def final_val_loss(self):
        """The validation loss after the last epoch (inf when the run diverged)."""
        if self.diverged or not self.history.epoch_val_loss:
            return math.inf
        return self.history.epoch_val_loss[-1]

    @property
    def best_val_loss(self):
        values = [v for v in self.history.epoch_val_loss if math.isfinite(v)]
        return min(values) if values else math.inf

    def summary(self):
        """One line: the rate, the losses and diagnose's verdict (with its hint)."""
        val = "diverged" if self.diverged else f"validation loss {self.final_val_loss:.3f}"
        return f"{self.name}: {val}; {self.diagnosis if self.diagnosis is not None else self.label}"

    @property
    def name(self):
        return f"lr {self.lr:.2g}" + ("" if self.factor is None else f" (x{self.factor:g})")


def train_at(split, lr, *, epochs=4, batch_size=DEFAULT_BATCH_SIZE, optimizer="AdamW", seed=0, factor=None):
    """Train a fresh network (same initial weights and batch order for every rate) at ``lr``.

    A run that blows up stops at once and is reported as diverged (never an
    exception): ``diagnose`` labels it and says what to do.
    """
    check_positive("lr", lr, "train_at")
    model = make_mlp(split.num_features, seed=seed)
    opt = make_optimizer(model, lr, optimizer)
    quiet = io.StringIO()  # fit prints a line when a run diverges; the lesson shows the diagnosis instead
    with single_blas_thread(), contextlib.redirect_stdout(quiet), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(model, opt, train_loader(split, batch_size, seed), F.cross_entropy, epochs=epochs,
                      val_loader=_val_loader(split), progress=False)
    return TrainRun(float(lr), history, diagnose_if_possible(history), None if factor is None else float(factor))


def train_at_rates(split, lrs, *, epochs=4, batch_size=DEFAULT_BATCH_SIZE, optimizer="AdamW", seed=0, factors=None,
                   progress=False):
    """:func:`train_at` for every rate in ``lrs``, all at once: one network per rate, trained side by side.

    Each run is the run :func:`train_at` gives for that rate (same weights, same batches,
    same numbers; the tests check it), but the networks are stacked and their learning
    rates form a vector (:mod:`coursekit.sweep`). ``factors``: each rate's factor (the check).
    """
    from .sweep import loader_batches, train_stacked

    lrs = [check_positive("every lr", lr, "train_at_rates") for lr in lrs]
    if optimizer not in ("AdamW", "SGD"):
        raise ValueError(f"train_at_rates: optimizer must be 'AdamW' or 'SGD', got {optimizer!r}")
    model = make_mlp(split.num_features, seed=seed)
    loader = train_loader(split, batch_size, seed)
    batches, epoch_ends = loader_batches(loader, epochs * len(loader))
    stacked = train_stacked([model] * len(lrs), batches, lrs, optimizer=optimizer.lower(),
                            momentum=0.9 if optimizer == "SGD" else 0.0, epoch_ends=epoch_ends,
                            val=(split.X_val, split.y_val), progress=progress, description="training")
    factors = [None] * len(lrs) if factors is None else [float(f) for f in factors]
    runs = []
    for i, (lr, factor) in enumerate(zip(lrs, factors)):
        history = stacked.history(i)
        runs.append(TrainRun(lr, history, diagnose_if_possible(history), factor))
    return runs


def check_pick(split, lr, factors=(0.1, 1.0, 10.0), **kwargs):
    """Train at ``lr`` times each factor (all at once): is the pick better than ten times lower and higher?"""
    return train_at_rates(split, [lr * f for f in factors], factors=factors, **kwargs)


def lr_sweep(split, lrs, **kwargs):
    """Full training runs at every rate in ``lrs`` (all at once): what the range test tries to predict cheaply."""
    return train_at_rates(split, [float(lr) for lr in lrs], **kwargs)


def steps_to_reach(history, target, beta=0.9):
    """The first step at which the smoothed training loss is at or below ``target`` (None: never)."""
    if history.num_steps == 0:
        return None
    smoothed = np.asarray(history.smoothed_losses(beta))
    hits = np.flatnonzero(smoothed <= target)
    return int(hits[0]) + 1 if hits.size else None


# -- plots ----------------------------------------------------------------------------------------------------


def _shown_part(result):
    """The points the suggestions were computed on (the sweep minus its first tenth and last five)."""
    stop = len(result.lrs) - result.skip_end
    if stop - result.skip_start < 3:
        return slice(0, len(result.lrs))
    return slice(result.skip_start, stop)


def _loss_at(result, lr):
    index = int(np.argmin(np.abs(np.log(result.lrs) - math.log(lr))))
    return float(result.losses[index])


def plot_range_test(ax, result, *, chosen_lr=None, show_raw=True, title="The learning-rate range test"):
    """The range test as it is read: loss against learning rate on a log axis, suggestions marked.

    The raw per-batch losses are drawn faintly behind the smoothed curve. For
    ``minimum`` the marker sits at the lowest loss; the suggested rate is ten
    times lower (written in the legend). Returns a dict of the artists.
    """
    artists = {}
    if show_raw:
        raw = np.where(np.isfinite(result.raw_losses), result.raw_losses, np.nan)
        (artists["raw"],) = ax.plot(result.lrs, raw, color=COLORS["grey"], linewidth=0.8, alpha=0.6,
                                    label="loss of each mini-batch")
    (artists["smoothed"],) = ax.plot(result.lrs, result.losses, color=ROLE_COLORS["train"], linewidth=2.2,
                                     label="smoothed loss")
    for name, lr in result.suggestions.items():
        if lr is None:
            continue
        marker, color = SUGGESTION_MARKERS[name]
        at = lr * 10 if name == "minimum" else lr
        text = f"{name}: {lr:.2g}" + (" (rate at the lowest loss ÷ 10)" if name == "minimum" else "")
        (artists[name],) = ax.plot([at], [_loss_at(result, at)], marker=marker, color=color, markersize=10,
                                   linestyle="none", markeredgecolor="white", zorder=4, label=text)
    if chosen_lr is not None:
        artists["chosen"] = ax.axvline(chosen_lr, color=COLORS["black"], linestyle="--", linewidth=1.4,
                                       label=f"your pick: {chosen_lr:.2g}")
    ax.set_xscale("log")
    shown = result.losses[_shown_part(result)]
    finite = shown[np.isfinite(shown)]
    if finite.size:
        start = float(result.losses[np.isfinite(result.losses)][0])
        low = float(finite.min())
        if show_raw:  # show how far below the smoothed curve the single mini-batches went: the lag
            raw = result.raw_losses[np.isfinite(result.raw_losses)]
            low = min(low, float(raw.min()))
        ax.set_ylim(max(0.0, low - 0.1 * (start - low + 0.1)), start + 0.35 * (start - low + 0.1))
    label_axes(ax, title, "learning rate (log scale)", "training loss (cross-entropy, nats)")
    ax.legend(loc="lower left", fontsize=9)
    describe(ax, range_test_words(result, chosen_lr))
    return artists


def range_test_words(result, chosen_lr=None) -> str:
    """What :func:`plot_range_test` shows, in words: the sweep, where its smoothed loss was lowest and
    where it ended, the suggestions and the pick."""
    lrs, losses = np.asarray(result.lrs, dtype=float), np.asarray(result.losses, dtype=float)
    finite = np.flatnonzero(np.isfinite(losses))
    text = f"Range test: the learning rate grew from {number(lrs[0], 2)} to {number(lrs[-1], 2)} over {len(lrs)} mini-batches"
    if finite.size:
        low = int(finite[np.argmin(losses[finite])])
        last = int(finite[-1])
        text += (f"; the smoothed loss starts at {number(losses[finite[0]], 2)}, is lowest ({number(losses[low], 2)}) "
                 f"at learning rate {number(lrs[low], 2)} and ends at {number(losses[last], 2)} at "
                 f"{number(lrs[last], 2)}")
        if last < len(lrs) - 1:
            text += " before it stops being finite"
    text += "."
    named = [f"{name} {number(lr, 2)}" + (" (the rate at the lowest loss, divided by 10)" if name == "minimum" else "")
             for name, lr in result.suggestions.items() if lr is not None]
    if named:
        text += " Suggested rates: " + ", ".join(named) + "."
    if chosen_lr is not None:
        text += f" Your pick: {number(chosen_lr, 2)}."
    return text


def plot_check(ax, runs, *, what="val"):
    """Loss curves of the check's runs: validation per epoch (``what="val"``) or smoothed training per step."""
    for run in runs:
        color = FACTOR_COLORS.get(run.factor, COLORS["grey"])
        name = f"{run.name}: {run.label}"
        history = run.history
        if what == "val":
            values = history.epoch_val_loss
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", color=color, label=name)
        else:
            losses = np.asarray(history.smoothed_losses(0.9))
            ax.plot(np.arange(1, len(losses) + 1), losses, color=color, label=name)
            if run.diverged:
                ax.plot([history.diverged_step], [losses[-2] if len(losses) > 1 else losses[-1]], marker="X",
                        markersize=11, color=color, linestyle="none")
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    if what == "val":
        integer_ticks(ax, "x")
        label_axes(ax, "Validation loss after each epoch", "epoch", "validation loss (nats, log scale)")
    else:
        label_axes(ax, "Training loss, step by step", "optimizer step", "training loss, smoothed (nats, log scale)")
    ax.legend(loc="best", fontsize=9)
    describe(ax, check_words(runs, what))


def check_words(runs, what="val") -> str:
    """What :func:`plot_check` shows, in words: each run's verdict and where its curve ends."""
    parts = []
    for run in runs:
        history = run.history
        if what == "val":
            values, unit = np.asarray(history.epoch_val_loss, dtype=float), "epoch"
        else:
            values, unit = np.asarray(history.smoothed_losses(0.9), dtype=float), "step"
        finite = np.flatnonzero(np.isfinite(values))
        if run.diverged:
            end = f"diverged at step {history.diverged_step}"
        elif finite.size:
            end = f"ends at {number(values[finite[-1]], 2)} after {unit} {finite[-1] + 1}"
        else:
            end = "no finite loss"
        parts.append(f"{run.name}, {run.label}: {end}")
    what_words = "Validation loss after each epoch" if what == "val" else "Smoothed training loss of each step"
    return f"{what_words}, log scale: " + "; ".join(parts) + "."


def plot_sweep(ax, sweep, result=None):
    """Final validation loss of full training runs against their rate; diverged runs marked at the top."""
    lrs = np.array([run.lr for run in sweep])
    finals = np.array([run.final_val_loss for run in sweep])
    ok = np.isfinite(finals)
    ax.plot(lrs[ok], finals[ok], marker="o", color=ROLE_COLORS["validation"], label="full training runs")
    if (~ok).any():
        top = float(finals[ok].max()) * 1.5 if ok.any() else 10.0
        ax.plot(lrs[~ok], np.full((~ok).sum(), top), marker="X", markersize=11, linestyle="none",
                color=ROLE_COLORS["diverges"], label="diverged")
    best = sweep[int(np.argmin(np.where(ok, finals, np.inf)))]
    ax.plot([best.lr], [best.final_val_loss], marker="*", markersize=16, color=COLORS["black"], linestyle="none",
            label=f"best of the sweep: {best.lr:.2g}")
    if result is not None:
        for name, lr in result.suggestions.items():
            if lr is None:
                continue
            marker, color = SUGGESTION_MARKERS[name]
            ax.axvline(lr, color=color, linestyle=":", linewidth=2, label=f"range test's {name}: {lr:.2g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    label_axes(ax, "What each rate gives after full training", "learning rate (log scale)",
               "final validation loss (nats, log scale)")
    ax.legend(loc="upper center", fontsize=9)
    text = (f"Final validation loss after full training at {len(sweep)} rates from {number(lrs.min(), 2)} to "
            f"{number(lrs.max(), 2)}: lowest, {number(best.final_val_loss, 2)}, at {number(best.lr, 2)}")
    if (~ok).any():
        text += f"; {(~ok).sum()} of them diverged"
        if (lrs[~ok] > lrs[ok].max(initial=0.0)).all():
            text += f", every rate from {number(lrs[~ok].min(), 2)} up"
    text += "."
    if result is not None:
        named = [f"{name} {number(lr, 2)}" for name, lr in result.suggestions.items() if lr is not None]
        if named:
            text += " The range test's suggestions, marked: " + ", ".join(named) + "."
    describe(ax, text)


# -- widget -------------------------------------------------------------------------------------------------


def range_test_widget(split=None, result=None, lr=None, *, epochs=4, min_lr=1e-5, max_lr=3.0, runs=(),
                      interactive=None):
    """Pick a learning rate on the range-test curve and see the training run it gives.

    Left: the range test with your pick as a dashed line. Right: the
    validation loss per epoch and the smoothed training loss of a real run at
    that rate, titled with ``diagnose``'s verdict; the run at the valley
    suggestion stays in grey for comparison. Every stop of the slider (and the
    valley rate) is trained when the widget is built, all at once
    (:func:`train_at_rates`, with a progress bar), so a move is a look-up and a
    redraw. ``runs``: runs at the same ``epochs`` trained earlier (the lesson's
    check), shown for their rates instead of the stack's (the same numbers).
    """
    split = make_split() if split is None else split
    result = run_range_test(split) if result is None else result
    reference_lr = result.suggestion if result.suggestion is not None else 1e-3
    lr = reference_lr if lr is None else lr
    lr = min(max(lr, min_lr), max_lr)
    slider = log_slider("learning rate", lr, min_lr, max_lr, steps_per_decade=10, continuous_update=True)

    def train(rates, progress=False, between_steps=None):  # a rate set from code between the stops: alone
        return [train_at(split, rate, epochs=epochs) for rate in rates]

    stops = [10 ** (slider.min + k * slider.step)
             for k in range(int(round((slider.max - slider.min) / slider.step)) + 1)]
    trained = train_at_rates(split, stops + [reference_lr], epochs=epochs, progress=True)
    kept = RunCache(lambda rate: round(math.log10(rate), 6), train)
    for run in runs:  # the earlier runs first: they are shown for their rates instead of the stack's
        if run.history.epoch_end_step[-1:] == trained[0].history.epoch_end_step[-1:]:
            kept.put(run.lr, run)
    for run in trained:
        kept.put(run.lr, run)
    compute = kept.get

    # Narrow enough for a laptop's notebook column (display.COLUMN_FIGURE_PX); the legends hang under the
    # panels, where they hide neither the curves nor the pick's line.
    fig, (ax_test, ax_run) = new_figure(1, 2, figsize=(8.8, 4.8), interactive=interactive)
    artists = plot_range_test(ax_test, result, chosen_lr=slider.value, title="Range test: where is your pick?")
    artists["chosen"].set_label("your pick (the slider)")
    if "minimum" in artists:  # two lines: the legend's second column stays narrow
        artists["minimum"].set_label(artists["minimum"].get_label().replace(" (lowest", "\n(lowest"))
    # two lines: on one, the label is taller than the panel once the playground enlarges the widget
    ax_test.set_ylabel(ax_test.get_ylabel().replace(" (", "\n("))
    reference = compute(reference_lr)
    steps_total = max(len(run.history.step_loss) for run in trained)
    ref_steps = np.arange(1, reference.history.num_steps + 1)
    ax_run.plot(ref_steps, reference.history.smoothed_losses(0.9), color=COLORS["light_grey"], linewidth=2,
                label=f"training at the valley rate {reference_lr:.2g}")
    (train_line,) = ax_run.plot([], [], color=ROLE_COLORS["train"], linewidth=2, label="training (smoothed)")
    (val_line,) = ax_run.plot([], [], color=ROLE_COLORS["validation"], marker="o", label="validation (per epoch)")
    (diverged_marker,) = ax_run.plot([], [], marker="X", markersize=12, linestyle="none",
                                     color=ROLE_COLORS["diverges"], label="diverged")
    ax_run.set_yscale("log")
    # Fixed limits that hold every trained run (blow-ups beyond LOSS_CEILING leave the top), so a move
    # redraws the run's lines only.
    ax_run.set_xlim(0, steps_total + 1)
    ax_run.set_ylim(*_loss_limits(kept.runs()))
    plain_log_ticks(ax_run, "y")
    label_axes(ax_run, None, "optimizer step", "loss (nats, log scale)")
    for ax, columns in ((ax_test, 2), (ax_run, 1)):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=columns, fontsize=9, handlelength=1.5,
                  columnspacing=1.2, bbox_transform=offset_copy(ax.transAxes, fig, y=-LEGEND_DROP_PT, units="points"))
    ax_run.set_title(" ", fontsize=11)

    def update(widget):
        rate = slider.value
        run = compute(rate)
        history = run.history
        smoothed = np.asarray(history.smoothed_losses(0.9))
        finite = np.isfinite(smoothed)
        steps = np.arange(1, len(smoothed) + 1)
        train_line.set_data(steps[finite], smoothed[finite])
        ends = history.epoch_end_step[:len(history.epoch_val_loss)]
        val_line.set_data(ends, history.epoch_val_loss)
        if run.diverged and finite.any():
            diverged_marker.set_data([history.diverged_step], [float(smoothed[finite][-1])])
        else:
            diverged_marker.set_data([], [])
        artists["chosen"].set_xdata([rate, rate])
        ax_run.title.set_text(f"lr {rate:.2g}: {run.label}")
        widget.state.update(run=run, lr=rate)
        widget.redraw()

    valley = "the valley suggestion" if result.suggestion is not None else "the reference rate"

    def summary(widget):
        """The pick against the valley suggestion, and how training at each ended."""
        run, rate = widget.state["run"], widget.state["lr"]
        ratio = rate / reference_lr
        where = (f"at {valley}" if abs(math.log10(ratio)) < 0.02 else
                 f"{number(max(ratio, 1 / ratio), 2)} times {'above' if ratio > 1 else 'below'} {valley} "
                 f"{number(reference_lr, 2)}")
        if run.diverged:
            outcome = f"diverged at step {run.history.diverged_step}"
        else:
            outcome = f"{run.label}, final validation loss {number(run.final_val_loss, 2)}"
        grey = ("diverged" if reference.diverged else
                f"ends at validation loss {number(reference.final_val_loss, 2)}")
        return (f"Your pick, learning rate {number(rate, 2)}, is {where}. Trained for {epochs} epoch{'s' if epochs != 1 else ''} at it: "
                f"{outcome}. The run at {valley} (grey) {grey}.")

    widget = make_widget(fig, {"lr": slider}, update, title="Pick a learning rate", columns=1, relayout=layout_key,
                         animated=[train_line, val_line, diverged_marker, artists["chosen"], ax_run.title],
                         summary=summary)
    widget.state["trained_at_once"] = len(trained)
    return widget


LOSS_CEILING = 20.0  # nats: far above a guessing network's 2.3; higher losses leave the plot's top


def _loss_limits(runs):
    """y limits (log axis) that hold the smoothed training and validation losses of every run."""
    values = np.concatenate([np.concatenate([np.asarray(run.history.smoothed_losses(0.9), dtype=float),
                                             np.asarray(run.history.epoch_val_loss, dtype=float)]) for run in runs])
    values = values[np.isfinite(values) & (values > 0)]
    return values.min() / 1.5, min(values.max() * 1.5, LOSS_CEILING)
