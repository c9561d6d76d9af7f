"""Warmup on a fine-tune: lesson 5's schedules, applied to a network that was pre-trained first.

The playground's schedule demo (:mod:`coursekit.playground_recipes`) shows the runs of this
module: a small network that already knows one task, then adapted to a bigger one, under each
of lesson 5's schedules, warmups and peak rates.

Design (fixed before any run; the settings are lesson 5's, none was tuned toward a result)
----------------------------------------------------------------------------------------------

* **Pre-trained on one task.** Lesson 5's network (``make_mlp``: Linear, ReLU, Linear, 64
  hidden units, ten outputs) learns the digits 0-4 only, the training images of those five
  classes from lesson 5's split (``digits(val_fraction=0.2, seed=0)``), with lesson 5's own
  recipe: Adam, batch 64, 300 steps, a linear warmup over 10% of the steps, then cosine decay
  from the lesson's peak 0.05 (:func:`pretrained`). Like a bought model that knows some
  categories, it has never seen a 5, 6, 7, 8 or 9.
* **Then fine-tuned on the target task:** all ten digits (the same split's training images),
  from the pre-trained weights, with the same optimizer (Adam, batch 64, 300 steps), under
  lesson 5's schedules at the lesson's peak rates (``schedules.WIDGET_PEAKS``, 0.003 to 0.3)
  and warmups (``schedules.WIDGET_WARMUPS``). Only the learning rates differ between runs of
  one seed: same pre-trained start, same batches.
* **The comparison** (:func:`warmup_study`): cosine decay without warmup against the recipe
  (10% linear warmup, then cosine), at every lesson peak, with five seeds. A seed fixes the
  pre-training's initial weights and batches and the fine-tune's batches.
* **What is measured**, for a fine-tune: how much of the pre-trained skill survives
  (*original-task loss*: the cross-entropy on the validation images of digits 0-4, checked
  every 10 steps; its highest value during the fine-tune is the damage done), the early spike
  (the highest mini-batch loss in the first 10% of the steps), and the end result: validation
  accuracy on all ten digits and on digits 0-4, pooled over the seeds, with Wilson 95%
  intervals (they count images, not seeds, so they leave out the spread between seeds), and
  the final validation loss (per seed).
* **Decision rule.** Warmup *protects* the pre-trained skill at a peak when its highest
  original-task loss is lower than without warmup in every seed (5 of 5: a one-sided sign
  test at p = 1/32). It *changes the end result* when the Wilson intervals of the final
  ten-digit accuracy do not overlap. The playground's presets show the highest lesson peak
  at which warmup protects the skill (the high rates are where the classic failure lives);
  if it protects at no peak, they show lesson 5's high peak, 0.3, and the sheet says so.

Everything is computed on first use and kept for the process (``functools.cache``): the
pre-training (five small runs) and the stacked fine-tunes take a few seconds.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad.nn import functional as F

from .casestudy.evaluation import wilson_interval
from .datasets import ClassificationSplit, digits
from .schedules import (DEFAULTS, SCHEDULE_KEYS, WIDGET_PEAKS, WIDGET_WARMUPS, ScheduleGrid, ScheduleRun,
                        make_mlp, stacked_schedule_runs, train_schedules, train_with_schedule)

__all__ = [
    "SOURCE_CLASSES",
    "PRETRAIN_RECIPE",
    "STEPS",
    "SEEDS",
    "CHECK_EVERY",
    "source_data",
    "target_data",
    "pretrained",
    "finetune_grid",
    "PeakComparison",
    "warmup_study",
    "preset_peak",
    "comparison_at",
    "pretrained_source_accuracy",
    "study_table",
]

SOURCE_CLASSES = (0, 1, 2, 3, 4)  # the task the network is pre-trained on
# Lesson 5's recipe (its peak rate, its warmup, its schedule), for the pre-training.
PRETRAIN_RECIPE = {"kind": "warmup_cosine", "peak_lr": 0.05, "warmup_fraction": 0.1}
STEPS = DEFAULTS["total_steps"]  # 300 steps, pre-training and fine-tune alike
BATCH_SIZE = DEFAULTS["batch_size"]
SEEDS = (0, 1, 2, 3, 4)
CHECK_EVERY = 10  # the original-task loss is checked every this many fine-tune steps
EARLY_STEPS = STEPS // 10  # "the first steps": the recipe's warmup length
NO_WARMUP = ("cosine", 0.0)
WARMUP = ("warmup_cosine", 0.1)
FALLBACK_PEAK = 0.3  # lesson 5's high peak, shown when warmup protects at no peak


@functools.cache
def target_data() -> ClassificationSplit:
    """The fine-tune's task: all ten digits, lesson 5's split."""
    return digits(val_fraction=0.2, seed=0)


@functools.cache
def source_data() -> ClassificationSplit:
    """The pre-training task: the images of digits 0-4 from the same split (ten outputs, five used)."""
    data = target_data()
    train = np.isin(data.y_train, SOURCE_CLASSES)
    val = np.isin(data.y_val, SOURCE_CLASSES)
    return ClassificationSplit(data.X_train[train], data.y_train[train], data.X_val[val], data.y_val[val],
                               data.num_classes)


@functools.cache
def _pretrained_run(seed: int) -> ScheduleRun:
    return train_with_schedule(source_data(), PRETRAIN_RECIPE["kind"], peak_lr=PRETRAIN_RECIPE["peak_lr"],
                               warmup_fraction=PRETRAIN_RECIPE["warmup_fraction"], total_steps=STEPS,
                               batch_size=BATCH_SIZE, seed=seed)


def pretrained(seed: int = 0):
    """A fresh copy of the network pre-trained on digits 0-4 with seed ``seed`` (trained once, then kept)."""
    _check_seed(seed)
    model = make_mlp(source_data().num_features, DEFAULTS["hidden"], source_data().num_classes, seed=seed)
    model.load_state_dict(_pretrained_run(seed).model.state_dict())
    return model


def _check_seed(seed):
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _fine_tune(seed, settings, checkpoints=None):
    """Fine-tune :func:`pretrained` ``(seed)`` on the ten digits under each ``(kind, warmup, peak)``, stacked.

    ``checkpoints``: step counts at which the original-task loss is recorded (they stand in
    for the epoch ends of the record); None keeps the real epoch ends.
    """
    _, _, stacked = stacked_schedule_runs(target_data(), settings, total_steps=STEPS, batch_size=BATCH_SIZE,
                                          seed=seed, start=pretrained(seed), checkpoints=checkpoints,
                                          scored=None if checkpoints is None else (source_data().X_val,
                                                                                   source_data().y_val))
    return stacked


def _evaluate(model, X, y):
    """(cross-entropy, number correct) of ``model`` on ``(X, y)``."""
    with mg.no_grad(), np.errstate(all="ignore"):
        logits = model(mg.tensor(X))
        loss = float(F.cross_entropy(logits, mg.tensor(y)).item())
    return loss, int(np.sum(logits.numpy().argmax(axis=1) == y))


def _trained(stacked, i, seed):
    return stacked.load_into(i, make_mlp(target_data().num_features, DEFAULTS["hidden"], target_data().num_classes,
                                         seed=seed))


@functools.cache
def finetune_grid(seed: int = 0) -> ScheduleGrid:
    """Every stop of the schedule explorer (schedule x warmup x peak), fine-tuned from :func:`pretrained`.

    The grid the explorer takes (``schedule_explorer(target_data(), grid=finetune_grid())``):
    the runs are ``ScheduleRun`` records of fine-tunes instead of trainings from scratch.
    """
    _check_seed(seed)
    settings = [(k, w, float(p)) for k in SCHEDULE_KEYS for w in WIDGET_WARMUPS for p in WIDGET_PEAKS]
    return train_schedules(target_data(), settings, total_steps=STEPS, batch_size=BATCH_SIZE, seed=seed,
                           start=pretrained(seed))


@dataclass(frozen=True)
class Arm:
    """One schedule's fine-tunes at one peak, over :data:`SEEDS`."""

    worst_source_loss: tuple  # per seed: the highest original-task validation loss at a check
    early_spike: tuple  # per seed: the highest mini-batch loss in the first EARLY_STEPS steps
    spike_step: tuple  # per seed: the step (from 1) at which that highest loss came
    val_loss: tuple  # per seed: the final ten-digit validation loss (NaN: diverged)
    correct: int  # ten-digit validation images right, all seeds together
    total: int
    source_correct: int  # digits 0-4 validation images right after the fine-tune, all seeds together
    source_total: int

    @property
    def accuracy(self):
        return self.correct / self.total

    @property
    def accuracy_interval(self):
        return wilson_interval(self.correct, self.total)

    @property
    def source_accuracy(self):
        return self.source_correct / self.source_total

    @property
    def source_interval(self):
        return wilson_interval(self.source_correct, self.source_total)


@dataclass(frozen=True)
class PeakComparison:
    """Cosine decay without warmup (``bare``) against 10% warmup then cosine (``warm``) at one ``peak``."""

    peak: float
    bare: Arm
    warm: Arm
    pretrained_source_loss: tuple  # per seed: the original-task loss before fine-tuning

    @property
    def seeds_protected(self) -> int:
        """In how many seeds warmup kept the original-task loss lower at its worst."""
        return int(np.sum(np.array(self.warm.worst_source_loss) < np.array(self.bare.worst_source_loss)))

    @property
    def protects(self) -> bool:
        """The decision rule: warmup's worst original-task loss is lower in every seed."""
        return self.seeds_protected == len(self.bare.worst_source_loss)

    @property
    def changes_result(self) -> bool:
        """The Wilson intervals of the final ten-digit accuracy do not overlap."""
        (bl, bh), (wl, wh) = self.bare.accuracy_interval, self.warm.accuracy_interval
        return bh < wl or wh < bl

    def line(self) -> str:
        """One line of figures for the crib sheet and the report."""
        def acc(arm):
            low, high = arm.accuracy_interval
            return f"{arm.accuracy:.1%} [{low:.1%}, {high:.1%}]"

        def worst(arm):
            return f"{np.nanmean(arm.worst_source_loss):.2f}"

        return (f"peak {self.peak:g}: digits 0-4 loss at its worst {worst(self.bare)} without warmup vs "
                f"{worst(self.warm)} with (before: {np.mean(self.pretrained_source_loss):.2f}; warmup lower in "
                f"{self.seeds_protected} of {len(self.bare.worst_source_loss)} seeds); ten-digit accuracy {acc(self.bare)} vs "
                f"{acc(self.warm)}")


@functools.cache
def warmup_study(seeds=SEEDS, peaks=WIDGET_PEAKS) -> tuple:
    """The design's comparison: one :class:`PeakComparison` per peak (no warmup vs the recipe), over ``seeds``."""
    data, source = target_data(), source_data()
    checkpoints = list(range(CHECK_EVERY, STEPS + 1, CHECK_EVERY))
    settings = [(kind, warmup, float(peak)) for peak in peaks for kind, warmup in (NO_WARMUP, WARMUP)]
    per_setting = {s: {"worst": [], "spike": [], "spike_step": [], "val": [], "correct": 0, "src": 0}
                   for s in settings}
    before = []
    for seed in seeds:
        before.append(_evaluate(pretrained(seed), source.X_val, source.y_val)[0])
        stacked = _fine_tune(seed, settings, checkpoints)
        for i, setting in enumerate(settings):
            record = per_setting[setting]
            scored = stacked.epoch_scored_loss[i]
            diverged = stacked.diverged_at(i) is not None
            record["worst"].append(math.inf if diverged or not np.isfinite(scored).all() else float(scored.max()))
            early = stacked.step_loss[i, :EARLY_STEPS]
            record["spike"].append(float(np.nanmax(early)))
            record["spike_step"].append(int(np.nanargmax(early)) + 1)
            model = _trained(stacked, i, seed)
            if diverged:  # it gets no image right: its images count in the totals, none as correct
                record["val"].append(math.nan)
                continue
            val_loss, correct = _evaluate(model, data.X_val, data.y_val)
            record["val"].append(val_loss)
            record["correct"] += correct
            record["src"] += _evaluate(model, source.X_val, source.y_val)[1]

    def arm(setting):
        r = per_setting[setting]
        return Arm(tuple(r["worst"]), tuple(r["spike"]), tuple(r["spike_step"]), tuple(r["val"]), r["correct"],
                   len(seeds) * len(data.y_val), r["src"], len(seeds) * len(source.y_val))

    return tuple(PeakComparison(float(peak), arm((*NO_WARMUP, float(peak))), arm((*WARMUP, float(peak))),
                                tuple(before)) for peak in peaks)


def preset_peak() -> float:
    """The decision rule's peak: the highest lesson peak at which warmup protects the pre-trained skill.

    Lesson 5's high peak (0.3) when it protects at none.
    """
    protected = [c.peak for c in warmup_study() if c.protects]
    return max(protected) if protected else FALLBACK_PEAK


def comparison_at(peak: float) -> PeakComparison:
    """The :class:`PeakComparison` of :func:`warmup_study` at ``peak`` (one of lesson 5's peaks)."""
    for comparison in warmup_study():
        if comparison.peak == float(peak):
            return comparison
    raise ValueError(f"peak must be one of lesson 5's peaks {WIDGET_PEAKS}, got {peak!r}")


@functools.cache
def pretrained_source_accuracy(seeds=SEEDS) -> float:
    """The pre-trained networks' accuracy on the validation images of digits 0-4, all seeds together."""
    source = source_data()
    correct = sum(_evaluate(pretrained(seed), source.X_val, source.y_val)[1] for seed in seeds)
    return correct / (len(seeds) * len(source.y_val))


def best_runs():
    """The comparison at the presets' peak, and ``(peak, arm, comparison)`` of the best final ten-digit accuracy."""
    study = warmup_study()
    shown = next(c for c in study if c.peak == preset_peak())
    best = max(((c.peak, arm, c) for c in study for arm in (c.bare, c.warm)), key=lambda item: item[1].accuracy)
    return shown, best


def study_table() -> str:
    """The comparison at every lesson peak, one line each, with the decision rule's verdicts."""
    lines = [f"Fine-tuning the network pre-trained on digits 0-4 on all ten digits, {len(SEEDS)} seeds; "
             f"without warmup vs with 10% warmup (both then cosine); accuracies with Wilson 95% intervals "
             f"over the {len(SEEDS)} seeds' validation images pooled (they leave out the spread between seeds):"]
    for comparison in warmup_study():
        verdict = ("warmup kept the old digits' worst loss lower in every seed" if comparison.protects
                   else "no consistent difference on the old digits")
        verdict += ", end result differs" if comparison.changes_result else ", same end result within the intervals"
        lines.append(f"  {comparison.line()}  -> {verdict}")
    arms = [arm for c in warmup_study() for arm in (c.bare, c.warm)]
    at_first = sum(step == 1 for arm in arms for step in arm.spike_step)
    bare = np.mean([c.bare.early_spike for c in warmup_study()])
    warm = np.mean([c.warm.early_spike for c in warmup_study()])
    lines.append(f"The early spike, the highest mini-batch loss of the first {EARLY_STEPS} steps: {bare:.1f} on "
                 f"average without warmup, {warm:.1f} with; it came at step 1 (the network's first look at "
                 f"digits 5-9) in {at_first} of {len(arms) * len(SEEDS)} fine-tunes.")
    shown, best = best_runs()
    lines.append(f"At peak {shown.peak:g} the recipe ends at {shown.warm.accuracy:.1%} on the ten digits; the best "
                 f"fine-tune at any peak ends at {best[1].accuracy:.1%} (peak {best[0]:g}, "
                 f"{'with' if best[1] is best[2].warm else 'without'} warmup).")
    lines.append(f"The presets show peak {preset_peak():g}: "
                 + ("the highest peak at which warmup kept the old digits' worst loss lower in every seed."
                    if any(c.protects for c in warmup_study()) else "at no peak did warmup keep the old digits' worst "
                    "loss lower in every seed."))
    return "\n".join(lines)
