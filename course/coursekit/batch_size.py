"""Lesson 7: batch size, throughput against generalisation, and the learning-rate scaling rules.

The plain functions behind the lesson's demos and widget:

* :func:`noisy_digits`: a small classification task where memorising shows:
  512 training digits, a fifth of all labels (training and validation alike)
  replaced by a random class, like raters who disagree.
* :func:`measure_throughput`: training examples processed per second at each
  batch size, timed on one CPU core.
* :func:`train_batch`: one training run at a batch size and learning rate,
  with the loss on the whole training set and on the validation set after
  every epoch (their difference is the generalisation gap).
* :func:`scale_lr`: the linear and square-root scaling rules.

:func:`batch_size_widget` puts a batch-size slider (powers of two) and a
learning-rate slider over the training curves and what the run cost.
"""
from __future__ import annotations

import contextlib
import copy
import io
import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import offset_copy

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.training import evaluate, fit, train_step
from minigrad.utils.checks import check_count, check_positive
from minigrad.utils.data import DataLoader, TensorDataset

from .alt_text import describe, number
from .datasets import ClassificationSplit, digits
from .controls import batch_size_slider, log_slider
from .display import layout_key, make_widget, new_figure
from .log_ticks import plain_log_ticks
from .networks import make_mlp, shuffled_loader
from .run_cache import RunCache, diagnose_if_possible
from .style import COLORS, ROLE_COLORS, SEQUENTIAL_CMAP, label_axes
from .threads import single_blas_thread

__all__ = [
    "BASE_BATCH_SIZE",
    "BASE_LR",
    "EPOCHS",
    "RULES",
    "noisy_digits",
    "wrong_label_fraction",
    "make_model",
    "measure_throughput",
    "scale_lr",
    "BatchRun",
    "train_batch",
    "train_batch_rates",
    "compare_batch_sizes",
    "batch_colors",
    "plot_throughput",
    "plot_curves",
    "curves_words",
    "plot_bars",
    "bars_words",
    "batch_size_widget",
]

BASE_BATCH_SIZE = 32
BASE_LR = 0.05  # SGD with momentum 0.9 at batch size 32: a rate that trains this task well
EPOCHS = 30
RULES = ("none", "sqrt", "linear")
LEGEND_DROP_PT = 36  # the widget's legends hang this far under its panels: below the tick labels and axis labels


# -- the task ------------------------------------------------------------------------------------------


def noisy_digits(n_train=512, n_val=500, label_noise=0.2, seed=0):
    """A small, noisy digits task: ``n_train`` training and ``n_val`` validation images.

    A seeded ``label_noise`` fraction of the labels (in both sets: the noise is
    part of the task, as with human raters who disagree) is replaced by a class
    drawn at random. A network big enough to learn the digits can also learn
    these wrong labels by heart: that memorising is what the gap between
    training and validation loss measures.
    """
    if not 0 <= label_noise < 1:
        raise ValueError(f"noisy_digits: label_noise must be in [0, 1), got {label_noise!r}")
    base = digits(val_fraction=0.5, seed=seed)
    if not (1 <= n_train <= len(base.y_train) and 1 <= n_val <= len(base.y_val)):
        raise ValueError(f"noisy_digits: n_train must be in [1, {len(base.y_train)}] and n_val in "
                         f"[1, {len(base.y_val)}], got {n_train} and {n_val}")
    rng = np.random.default_rng(seed + 1)

    def corrupt(labels):
        labels = labels.copy()
        flip = rng.random(len(labels)) < label_noise
        labels[flip] = rng.integers(0, base.num_classes, int(flip.sum()))
        return labels

    return ClassificationSplit(base.X_train[:n_train], corrupt(base.y_train[:n_train]), base.X_val[:n_val],
                               corrupt(base.y_val[:n_val]), base.num_classes)


def wrong_label_fraction(split, seed=0):
    """``(train, validation)``: the fraction of labels in ``noisy_digits(seed=seed)`` that differ from the true digit.

    Less than ``label_noise``: a label drawn at random is right one time in ten.
    """
    clean = digits(val_fraction=0.5, seed=seed)
    n_train, n_val = len(split.y_train), len(split.y_val)
    return (float(np.mean(split.y_train != clean.y_train[:n_train])),
            float(np.mean(split.y_val != clean.y_val[:n_val])))


def make_model(num_features=64, hidden=128, num_classes=10, seed=0):
    """The lessons' ``make_mlp`` with enough units (128) to memorise 512 examples; same seed, same weights."""
    return make_mlp(num_features, hidden, num_classes, seed=seed)


# -- throughput --------------------------------------------------------------------------------------------


def measure_throughput(batch_sizes, *, timed_steps=20, warmup_steps=3, seed=0):
    """Training examples per second at each batch size: ``{batch_size: examples/s}``.

    Each batch size gets a fresh model and ``timed_steps`` full optimizer steps
    (forward, backward, update) on random inputs; the median step time counts,
    so one hiccup of a shared machine does not. Timed on one CPU core (one BLAS
    thread: for matrices this small, more threads only wait on each other).
    """
    if timed_steps < 1:
        raise ValueError(f"measure_throughput: timed_steps must be at least 1, got {timed_steps!r}")
    rng = np.random.default_rng(seed)
    results = {}
    with single_blas_thread():
        for batch_size in batch_sizes:
            if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
                raise ValueError(f"measure_throughput: batch sizes must be positive integers, got {batch_size!r}")
            model = make_model(seed=seed)
            optimizer = mg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            inputs = mg.tensor(rng.random((int(batch_size), 64)))
            targets = mg.tensor(rng.integers(0, 10, int(batch_size)))
            times = []
            for step in range(warmup_steps + timed_steps):
                started = time.perf_counter()
                train_step(model, optimizer, F.cross_entropy, (inputs, targets))
                if step >= warmup_steps:
                    times.append(time.perf_counter() - started)
            results[int(batch_size)] = int(batch_size) / float(np.median(times))
    return results


# -- the scaling rules ---------------------------------------------------------------------------------------


def scale_lr(base_lr, base_batch_size, batch_size, rule="linear"):
    """The learning rate for ``batch_size``, scaled from one that works at ``base_batch_size``.

    ``"linear"``: multiply by ``batch_size / base_batch_size`` (Goyal et al.,
    2017, for SGD); ``"sqrt"``: by its square root (what keeps the noise of
    each step the same; often used with Adam); ``"none"``: keep it.
    """
    if rule not in RULES:
        raise ValueError(f"scale_lr: rule must be one of {RULES}, got {rule!r}")
    if not (base_lr > 0 and base_batch_size >= 1 and batch_size >= 1):
        raise ValueError(f"scale_lr: need base_lr > 0 and batch sizes >= 1, got {base_lr!r}, "
                         f"{base_batch_size!r}, {batch_size!r}")
    ratio = batch_size / base_batch_size
    return float(base_lr * {"none": 1.0, "sqrt": math.sqrt(ratio), "linear": ratio}[rule])


# -- training ------------------------------------------------------------------------------------------------


@dataclass
class BatchRun:
    """One training run: batch size, learning rate, minigrad ``History`` and the per-epoch losses.

    ``train_losses`` is the loss on the whole training set after each epoch (in
    eval mode, the same measure as ``val_losses``), so ``gap`` compares like
    with like. ``seconds`` is the measured training time (optimizer steps only).
    """

    batch_size: int
    lr: float
    history: object
    train_losses: np.ndarray
    val_losses: np.ndarray
    diagnosis: object
    rule: str = "none"
    num_train: int = 0

    @property
    def steps(self):
        return self.history.num_steps

    @property
    def diverged(self):
        return self.history.diverged_step is not None

    @property
    def epochs(self):
        return len(self.val_losses)

    @property
    def gap(self):
        """Validation minus training loss after the last epoch (nats); NaN for a diverged run."""
        if self.diverged or not len(self.val_losses):
            return math.nan
        return float(self.val_losses[-1] - self.train_losses[-1])

    @property
    def final_val_loss(self):
        return float(self.val_losses[-1]) if len(self.val_losses) and not self.diverged else math.nan

    @property
    def best_val_loss(self):
        finite = self.val_losses[np.isfinite(self.val_losses)]
        return float(finite.min()) if finite.size else math.nan

    @property
    def seconds(self):
        return self.history.total_time

    @property
    def examples_per_second(self):
        """Training examples per second of measured training time (NaN for a diverged run)."""
        if self.diverged or self.seconds <= 0:
            return math.nan
        return self.epochs * self.num_train / self.seconds

    def summary(self):
        """One line of the run's numbers that do not depend on the machine (no timings)."""
        if self.diverged:
            return f"batch {self.batch_size:4d}, lr {self.lr:.3g}: diverged at step {self.history.diverged_step}"
        return (f"batch {self.batch_size:4d}, lr {self.lr:.3g}: {self.steps:5d} steps, train loss "
                f"{self.train_losses[-1]:.3f}, validation loss {self.val_losses[-1]:.3f}, gap {self.gap:.3f}")


def train_batch(split, batch_size, lr, *, epochs=EPOCHS, rule="none", seed=0):
    """Train a fresh model (same initial weights for every setting) with SGD + momentum 0.9.

    After every epoch the model is scored on the whole training set and on the
    validation set. A run that blows up stops and is reported as diverged.
    """
    check_count("batch_size", batch_size, "train_batch")
    check_positive("lr", lr, "train_batch")
    model = make_model(split.num_features, seed=seed)
    optimizer = mg.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loader = shuffled_loader(split.X_train, split.y_train, batch_size, seed=seed)
    whole_train = DataLoader(TensorDataset(split.X_train, split.y_train), batch_size=len(split.y_train))
    val = DataLoader(TensorDataset(split.X_val, split.y_val), batch_size=len(split.y_val))
    steps_per_epoch = len(loader)
    train_losses = []

    def score_training_set(history):
        if history.num_steps % steps_per_epoch == 0:  # the last step of an epoch
            train_losses.append(evaluate(model, whole_train, F.cross_entropy))

    quiet = io.StringIO()  # fit prints a line when a run diverges; the lesson shows the diagnosis instead
    with single_blas_thread(), contextlib.redirect_stdout(quiet), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(model, optimizer, loader, F.cross_entropy, epochs=epochs, val_loader=val, progress=False,
                      callback=score_training_set)
    val_losses = np.asarray(history.epoch_val_loss, dtype=float)
    train_losses = np.asarray(train_losses[:len(val_losses)], dtype=float)
    return BatchRun(int(batch_size), float(lr), history, train_losses, val_losses, diagnose_if_possible(history), rule,
                    len(split.y_train))


def train_batch_rates(split, batch_size, lrs, *, epochs=EPOCHS, seconds_per_step=0.0, seed=0, progress=False,
                      model=None, between_steps=None):
    """:func:`train_batch` at one batch size for every rate in ``lrs``, all at once: ``[BatchRun]``.

    The batch size cannot be stacked (it changes the number of steps), the rate can: the
    networks train side by side on the same batches, their rates a vector
    (:mod:`coursekit.sweep`); each run is the run :func:`train_batch` gives alone (the tests
    compare them). A stack has no time of its own per run: ``seconds_per_step`` (the widget
    measures it with :func:`measure_throughput` at this batch size; the step time does not
    depend on the rate) is recorded as each step's time. ``progress``: show a progress bar over the steps.
    ``model``: the initial network, ``make_model(split.num_features, seed=seed)`` if None (that draws
    from minigrad's generator, one for the process: a caller on another thread passes it in).
    ``between_steps``: called before every step (:func:`coursekit.sweep.train_stacked`).
    """
    from .sweep import loader_batches, train_stacked

    check_count("batch_size", batch_size, "train_batch_rates")
    lrs = [check_positive("every lr", lr, "train_batch_rates") for lr in lrs]
    model = make_model(split.num_features, seed=seed) if model is None else model
    loader = shuffled_loader(split.X_train, split.y_train, batch_size, seed=seed)
    batches, epoch_ends = loader_batches(loader, epochs * len(loader))
    stacked = train_stacked([model] * len(lrs), batches, lrs, optimizer="sgd", momentum=0.9, epoch_ends=epoch_ends,
                            val=(split.X_val, split.y_val), scored=(split.X_train, split.y_train),
                            progress=progress, description=f"batch {int(batch_size)}:", between_steps=between_steps)
    runs = []
    for i, lr in enumerate(lrs):
        history = stacked.history(i)
        history.step_time = [float(seconds_per_step)] * history.num_steps
        val_losses = np.asarray(history.epoch_val_loss, dtype=float)
        runs.append(BatchRun(int(batch_size), lr, history, stacked.epoch_scored_loss[i, :len(val_losses)].copy(),
                             val_losses, diagnose_if_possible(history), "none", len(split.y_train)))
    return runs


def compare_batch_sizes(split, batch_sizes, *, base_lr=BASE_LR, base_batch_size=BASE_BATCH_SIZE, rule="none",
                        epochs=EPOCHS, seed=0):
    """One run per batch size, each with the rate ``scale_lr`` gives it: ``{batch_size: BatchRun}``."""
    return {int(b): train_batch(split, int(b), scale_lr(base_lr, base_batch_size, b, rule), epochs=epochs,
                                rule=rule, seed=seed)
            for b in batch_sizes}


# -- plots -------------------------------------------------------------------------------------------------------


def batch_colors(batch_sizes):
    """One colour per batch size from the course's sequential map (dark = small, light = large)."""
    import matplotlib

    cmap = matplotlib.colormaps[SEQUENTIAL_CMAP]
    sizes = sorted(int(b) for b in batch_sizes)
    if len(sizes) == 1:
        return {sizes[0]: cmap(0.0)}
    return {b: cmap(0.85 * i / (len(sizes) - 1)) for i, b in enumerate(sizes)}  # the pale yellow end left out


def plot_throughput(ax, throughput):
    """Examples per second against batch size, both on log axes."""
    sizes = np.array(sorted(throughput))
    rates = np.array([throughput[b] for b in sizes])
    ax.plot(sizes, rates, marker="o", color=ROLE_COLORS["train"], label="measured, one CPU core")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(b) for b in sizes])
    label_axes(ax, "Throughput: examples per second", "batch size (examples per step, log scale)",
               "training examples per second (log scale)", legend=True)
    fastest = int(np.argmax(rates))

    def per_second(rate):  # two significant digits, written out: timings differ from machine to machine
        return f"{float(f'{rate:.2g}'):,.0f}"

    describe(ax, f"Training examples per second on one CPU core against the batch size, log scales: "
                 f"{per_second(rates[0])} at batch size {sizes[0]}, {per_second(rates[-1])} at {sizes[-1]} "
                 f"({number(rates[-1] / rates[0], 2)} times as many)"
                 + (f"; the most, {per_second(rates[fastest])}, at {sizes[fastest]}." if fastest != len(sizes) - 1
                    else "."))


def plot_curves(ax, runs, *, which="both", title=None):
    """Loss per epoch, one colour per batch size: ``which`` is "train", "val" or "both" (val dashed)."""
    if which not in ("train", "val", "both"):
        raise ValueError(f"plot_curves: which must be 'train', 'val' or 'both', got {which!r}")
    colors = batch_colors([run.batch_size for run in runs])
    for run in runs:
        color = colors[run.batch_size]
        epochs = np.arange(1, len(run.val_losses) + 1)
        label = f"batch {run.batch_size}, lr {run.lr:.3g}"
        if which in ("train", "both"):
            ax.plot(epochs[:len(run.train_losses)], run.train_losses, color=color, linewidth=2, label=label)
        if which in ("val", "both"):
            ax.plot(epochs, run.val_losses, color=color, linewidth=2, linestyle="--",
                    label=None if which == "both" else label)
        if run.diverged:
            ax.plot([len(epochs) + 1], [run.val_losses[-1] if len(run.val_losses) else 2.3], marker="X",
                    color=ROLE_COLORS["diverges"], markersize=12, linestyle="none")
    if which == "both":
        ax.plot([], [], color=COLORS["grey"], linestyle="-", label="training set (solid)")
        ax.plot([], [], color=COLORS["grey"], linestyle="--", label="validation set (dashed)")
    what = {"train": "loss on the training set", "val": "loss on the validation set", "both": "loss"}[which]
    label_axes(ax, title, "epoch (passes over the training set)", f"{what} (cross-entropy, nats)")
    ax.legend(loc="upper right", fontsize=9, ncol=2 if which == "both" else 1)
    describe(ax, curves_words(runs, which, title))


def curves_words(runs, which="both", title=None) -> str:
    """What :func:`plot_curves` shows, in words: where each run's curve ends, or where it diverged."""
    what = {"train": "Training loss", "val": "Validation loss", "both": "Training and validation loss"}[which]
    parts = []
    for run in runs:
        name = f"batch {run.batch_size}, lr {number(run.lr, 2)}"
        if run.diverged:
            parts.append(f"{name}: diverged at step {run.history.diverged_step}")
            continue
        ends = {"train": [("", run.train_losses)], "val": [("", run.val_losses)],
                "both": [("training ", run.train_losses), ("validation ", run.val_losses)]}[which]
        parts.append(f"{name}: " + ", ".join(f"{word}{number(values[-1], 2)}" for word, values in ends if len(values)))
    epochs = max((run.epochs for run in runs), default=0)
    heading = f"{title}: " if title else ""
    return f"{heading}{what} per epoch over {epochs} epochs, at the last epoch: " + "; ".join(parts) + "."


def plot_bars(ax, runs_by_rule, batch_sizes, *, metric="val"):
    """One group of bars per batch size, one bar per scaling rule (hatched: the run diverged).

    ``metric="val"``: the validation loss after the last epoch (for a diverged
    run, the best before it blew up); ``metric="gap"``: validation minus
    training loss after the last epoch.
    """
    if metric not in ("val", "gap"):
        raise ValueError(f"plot_bars: metric must be 'val' or 'gap', got {metric!r}")
    rule_colors = {"none": COLORS["grey"], "sqrt": COLORS["blue"], "linear": COLORS["vermillion"]}
    rules = list(runs_by_rule)
    width = 0.8 / len(rules)
    positions = np.arange(len(batch_sizes))
    top = 0.0
    for i, rule in enumerate(rules):
        values, hatches = [], []
        for b in batch_sizes:
            run = runs_by_rule[rule][b]
            if metric == "gap":
                values.append(0.0 if run.diverged else run.gap)
            else:
                values.append(run.best_val_loss if run.diverged else run.final_val_loss)
            hatches.append("//" if run.diverged else "")
        x = positions + (i - (len(rules) - 1) / 2) * width
        bars = ax.bar(x, values, width, color=rule_colors.get(rule, COLORS["grey"]), label=f"lr rule: {rule}",
                      edgecolor="white")
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
        top = max(top, float(np.nanmax(values)))
    ax.set_xticks(positions, [str(b) for b in batch_sizes])
    ax.set_ylim(0, top * 1.25)
    if metric == "gap":
        label_axes(ax, "Generalisation gap after the last epoch", "batch size",
                   "validation minus training loss (nats)")
    else:
        label_axes(ax, "Validation loss after the last epoch", "batch size", "validation loss (nats, lower is better)")
    ax.legend(loc="upper left", fontsize=9, ncol=len(rules))
    describe(ax, bars_words(runs_by_rule, batch_sizes, metric))


def bars_words(runs_by_rule, batch_sizes, metric="val") -> str:
    """What :func:`plot_bars` shows, in words: each rule's bars in batch-size order, the diverged ones named."""
    what = ("Generalisation gap (validation minus training loss)" if metric == "gap"
            else "Validation loss")
    parts = []
    for rule, runs in runs_by_rule.items():
        cells = []
        for b in batch_sizes:
            run = runs[b]
            if run.diverged:
                cells.append("diverged" + ("" if metric == "gap" else
                                           f" (best before: {number(run.best_val_loss, 2)})"))
            else:
                cells.append(number(run.gap if metric == "gap" else run.final_val_loss, 2))
        parts.append(f"lr rule {rule}: " + ", ".join(cells))
    sizes = ", ".join(str(b) for b in batch_sizes)
    return f"{what} after the last epoch at batch sizes {sizes}, one bar per learning-rate rule: " + "; ".join(parts) + "."


# -- widget -----------------------------------------------------------------------------------------------------


def _time_to(run, target):
    """Measured training time (s) until ``run``'s validation loss first reached ``target`` (None: never)."""
    ends = np.asarray(run.history.epoch_end_step, dtype=int)[:len(run.val_losses)]
    hits = np.flatnonzero(run.val_losses[:len(ends)] <= target)
    if not hits.size:
        return None
    return float(sum(t for t in run.history.step_time[:ends[hits[0]]] if t is not None))


def batch_summary(run, reference) -> str:
    """What :func:`batch_size_widget` shows now, in words: the run's end, its gap and verdict, and its time
    to the validation loss the reference run (batch 32, the base rate) ends at, beside the reference's."""
    name = f"Batch {run.batch_size}, learning rate {number(run.lr, 2)}: {run.steps} steps over {run.epochs} epochs"
    if run.diverged:
        return f"{name}; diverged at step {run.history.diverged_step}."
    verdict = run.diagnosis.label if run.diagnosis else "too short to tell"
    text = (f"{name}, final validation loss {number(run.final_val_loss, 2)}, generalisation gap "
            f"{number(run.gap, 2)} ({verdict}), {number(run.seconds, 2)} s of training.")
    if (run.batch_size, run.lr) != (reference.batch_size, reference.lr) and not reference.diverged:
        # Times to the first epoch at or below the target: a run that over-fits passes it on the way down.
        target = reference.final_val_loss
        mine, theirs = _time_to(run, target), _time_to(reference, target)
        reached = (f"first reached it after {number(mine, 2)} s" if mine is not None else "never reached it")
        text += (f" Target: validation loss {number(target, 2)}, where the batch-{reference.batch_size} run at lr "
                 f"{number(reference.lr, 2)} ends (it first got there after {number(theirs, 2)} s); this run {reached}.")
    return text


def batch_size_widget(split=None, batch_size=BASE_BATCH_SIZE, lr=BASE_LR, *, epochs=EPOCHS, reference=None,
                      interactive=None, train_ahead=True):
    """Batch size (powers of two) and learning rate (log scale) over the training curves and the bill.

    Left: training and validation loss per epoch, titled with the gap and
    ``diagnose``'s verdict; the batch-32 run at the base rate stays in grey.
    Right: validation loss against training time, the same reference in grey.

    When the widget is built, every rate of the slider at the starting batch size trains
    at once (:func:`train_batch_rates`), and one training step is timed at every batch
    size (:func:`measure_throughput`): a run's training time is its step count times the
    step time measured at its batch size. Another batch size cannot join the stack (it
    changes the number of steps). From the first move on, the batch size shown and the two
    next to it train in the background, each with all its rates at once (``train_ahead``;
    :class:`coursekit.run_cache.RunCache`); a setting shown before its turn trains alone then
    (a tenth of a second to about a second). Runs are kept, so returning to a setting is instant.
    """
    split = noisy_digits() if split is None else split
    size_control = batch_size_slider(batch_size, 8, 512, description="batch size")
    lr_control = log_slider("learning rate", lr, 1e-3, 1.0, steps_per_decade=10, continuous_update=True)
    sizes = [value for _, value in size_control.options]
    step_seconds = {b: b / rate for b, rate in measure_throughput(sizes, timed_steps=10, warmup_steps=2).items()}
    start = make_model(split.num_features)  # drawn here, once: training ahead draws nothing

    def train(settings, progress=False, between_steps=None):
        b = settings[0][0]  # one batch size per call: the rates stack, the batch size cannot
        return train_batch_rates(split, b, [rate for _, rate in settings], epochs=epochs,
                                 seconds_per_step=step_seconds[b], progress=progress, model=copy.deepcopy(start),
                                 between_steps=between_steps)

    runs = RunCache(lambda setting: (int(setting[0]), round(math.log10(setting[1]), 6)), train,
                    name="batch_size_widget")
    if reference is not None:
        runs.put((reference.batch_size, reference.lr), reference)
    stops = [10 ** (lr_control.min + k * lr_control.step)
             for k in range(int(round((lr_control.max - lr_control.min) / lr_control.step)) + 1)]
    fresh = [rate for rate in stops if (size_control.value, rate) not in runs]
    runs.ensure([(size_control.value, rate) for rate in fresh], progress=True)
    reference = runs.get((BASE_BATCH_SIZE, BASE_LR))

    def ahead(b):
        """The rates of the batch size shown and of the two next to it, one stack per batch size: where
        the next move is likely to go (a slider moves a stop at a time). Farther sizes wait for a move
        nearer them, so that a participant's kernel trains only around where they look."""
        return [[(size, rate) for rate in stops] for size in (b, b // 2, b * 2) if size in sizes]

    # Narrow enough for a laptop's notebook column (display.COLUMN_FIGURE_PX); the legends hang under the
    # panels, where no setting's curves reach.
    fig, (ax_curves, ax_time) = new_figure(1, 2, figsize=(8.8, 4.6), interactive=interactive)
    ref_epochs = np.arange(1, reference.epochs + 1)
    ax_curves.plot(ref_epochs, reference.val_losses, color=COLORS["light_grey"], linestyle="--", linewidth=2,
                   label=f"batch {BASE_BATCH_SIZE}, lr {BASE_LR:g} (validation)")
    (train_line,) = ax_curves.plot([], [], color=ROLE_COLORS["train"], linewidth=2, label="training set")
    (val_line,) = ax_curves.plot([], [], color=ROLE_COLORS["validation"], linewidth=2, linestyle="--",
                                 label="validation set")
    label_axes(ax_curves, None, "epoch", "loss (cross-entropy, nats)")
    ref_times = np.cumsum(reference.history.step_time)[np.asarray(reference.history.epoch_end_step) - 1]
    (ref_time_line,) = ax_time.plot(ref_times, reference.val_losses, color=COLORS["light_grey"], linewidth=2,
                                    marker="o", markersize=3, label=f"batch {BASE_BATCH_SIZE}, lr {BASE_LR:g}")
    (time_line,) = ax_time.plot([], [], color=ROLE_COLORS["validation"], linewidth=2, marker="o", markersize=3,
                                label="your setting")
    ax_time.set_xscale("log")
    plain_log_ticks(ax_time, "x")
    label_axes(ax_time, "What it cost: measured training time", "training time (seconds, log scale)",
               "validation loss (nats)")
    for ax in (ax_curves, ax_time):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncol=2, fontsize=9, handlelength=1.5,
                  columnspacing=1.2, bbox_transform=offset_copy(ax.transAxes, fig, y=-LEGEND_DROP_PT, units="points"))

    # Fixed limits, the same for every setting: a move redraws the changed artists only, and
    # settings compare at a glance. The losses: every run trained at build (capped at 6 nats,
    # so one run that blows up does not squash the others); the times: from the first epoch
    # of the largest batch to the last of the smallest, at the step times measured above.
    known = np.concatenate([np.concatenate([r.train_losses, r.val_losses]) for r in runs.runs()])
    top = min(float(known[np.isfinite(known)].max()) * 1.1, 6.0)
    ax_curves.set_xlim(0.5, epochs + 0.5)
    ax_curves.set_ylim(0, top)
    ax_time.set_ylim(0, top)
    epoch_seconds = [step_seconds[b] * math.ceil(len(split.y_train) / b) for b in sizes]
    ax_time.set_xlim(min(epoch_seconds + [ref_times.min()]) / 1.5,
                     max([s * epochs for s in epoch_seconds] + [ref_times.max()]) * 1.5)

    def update_figure(widget):
        run = runs.get((size_control.value, lr_control.value))
        epochs_axis = np.arange(1, run.epochs + 1)
        train_line.set_data(epochs_axis[:len(run.train_losses)], run.train_losses)
        val_line.set_data(epochs_axis, run.val_losses)
        if run.diverged:
            verdict = f"diverged at step {run.history.diverged_step}"
        else:
            verdict = f"gap {run.gap:.2f}, {run.diagnosis.label if run.diagnosis else 'too short to tell'}"
        # two lines, always: the longest verdicts would reach into the other panel's title on one
        ax_curves.title.set_text(f"batch {run.batch_size}, lr {run.lr:.3g}: {run.steps} steps\n{verdict}")
        ends = np.asarray(run.history.epoch_end_step, dtype=int)
        times = np.cumsum(run.history.step_time)[ends - 1] if len(ends) else np.array([])
        time_line.set_data(times, run.val_losses[:len(times)])
        ax_time.title.set_text(f"{run.examples_per_second:,.0f} examples/s, {run.seconds:.2f} s in all")
        widget.state.update(run=run)
        widget.redraw()

    # titles change length with the setting: lay the figure out again when the layout key says so
    ax_curves.set_title(" ", fontsize=11)
    ax_time.set_title(" ", fontsize=11)
    update = runs.widget_update(update_figure, lambda: ahead(size_control.value), train_ahead=train_ahead)
    widget = make_widget(fig, {"batch_size": size_control, "lr": lr_control}, update,
                         title="Batch size and learning rate", columns=2, relayout=layout_key,
                         animated=[train_line, val_line, time_line, ax_curves.title, ax_time.title],
                         summary=lambda widget: batch_summary(widget.state["run"], reference))
    widget.state.update(trained_at_once=len(fresh), runs=runs)
    return widget
