"""The playground's training-recipe demos: schedules with warmup, batch size, the range test.

Each demo is a lesson's own widget with preset buttons, and each preset's crib-sheet line
is computed by the same lesson function, with the same data and settings, as the widget
uses, so what the button shows and what the sheet says are the same run:

================  ===========================================  ==========================================
demo              widget (lesson)                              presets
================  ===========================================  ==========================================
``schedule``      ``schedules.schedule_explorer`` (lesson 5)   warmup + cosine (the recipe); no warmup;
                  on the fine-tunes of :mod:`.finetune_demo`   both on a pre-trained network
``batch_size``    ``batch_size.batch_size_widget`` (lesson 7)  batch 32; batch 512 at the same rate;
                                                               linear rule at 128 and 512; square root
``range_test``    ``range_test.range_test_widget`` (lesson 6)  the valley; the minimum ÷ 10; the rate at
                                                               the loss minimum
================  ===========================================  ==========================================

The data sets, the range test and every run are computed on first use and kept, so a
demo built after :func:`recipe_results` reuses the runs it trained.
"""

from __future__ import annotations

import functools

import numpy as np

from .display import call_line, signature_defaults
from .playground_panel import Preset, PresetPanel, PresetResult, enlarge, on_log_grid

__all__ = [
    "schedule_peak",
    "SCHEDULE_PRESETS",
    "BATCH_PRESETS",
    "RANGE_PRESETS",
    "RECIPE_PRESETS",
    "recipe_result",
    "schedule_demo",
    "batch_size_demo",
    "range_test_demo",
]

# -- the lessons' settings -------------------------------------------------------------------------------

SCHEDULE_STEPS = 300  # lesson 5's run length, the explorer's default (finetune_demo.STEPS)


def schedule_peak() -> float:
    """The schedule presets' peak: the highest of lesson 5's peaks at which warmup protected the
    pre-trained skill in every seed (finetune_demo's decision rule, computed on first use)."""
    from .finetune_demo import preset_peak

    return preset_peak()


def schedule_data():
    """The fine-tune's data: lesson 5's digits, a fifth held out for validation (all ten classes)."""
    from .finetune_demo import target_data

    return target_data()


def schedule_grid():
    """Every stop of the schedule explorer, fine-tuned from the network pre-trained on digits 0-4."""
    from .finetune_demo import finetune_grid

    return finetune_grid()


def _schedule_run(kind, warmup, peak):
    return schedule_grid().run(kind, peak, warmup)


@functools.cache
def batch_split():
    """Lesson 7's task: 512 noisy training digits, 500 for validation."""
    from .batch_size import noisy_digits

    return noisy_digits()


def _batch_lr(batch_size, rule):
    """The rate lesson 7's rule gives ``batch_size``, on the widget's slider (10 stops a decade from 1e-3)."""
    from .batch_size import BASE_BATCH_SIZE, BASE_LR, scale_lr

    return on_log_grid(scale_lr(BASE_LR, BASE_BATCH_SIZE, batch_size, rule), 1e-3, 10)


@functools.cache
def _batch_run(batch_size, lr):
    from .batch_size import train_batch

    return train_batch(batch_split(), batch_size, lr)


@functools.cache
def range_split():
    """Lesson 6's data: the digits, a quarter held out."""
    from .range_test import make_split

    return make_split()


@functools.cache
def range_result():
    """Lesson 6's range test on :func:`range_split` (seeded: the same curve every run)."""
    from .range_test import run_range_test

    return run_range_test(range_split())


RANGE_EPOCHS = 4  # the widget's run length


def _range_stop(lr):
    """``lr`` on the range-test widget's slider (10 stops a decade from 1e-5)."""
    return on_log_grid(lr, 1e-5, 10)


def lowest_loss_lr() -> float:
    """The rate at the lowest point of the smoothed range-test curve (before ÷ 10)."""
    result = range_result()
    # lr_find's "minimum" suggestion is this rate divided by ten (Smith's rule).
    return float(result.suggestions["minimum"]) * 10


@functools.cache
def _range_run(lr):
    from .range_test import train_at

    return train_at(range_split(), lr, epochs=RANGE_EPOCHS)


# -- presets ----------------------------------------------------------------------------------------------

def _schedule_values(kind, warmup):
    return functools.cache(lambda: {"schedule": kind, "warmup": warmup, "peak_lr": schedule_peak()})


# Each sentence is checked against the computed runs (tests/test_playground.py, the schedule presets).
SCHEDULE_PRESETS = (
    Preset("warmup_recipe", "warmup + cosine (the recipe)", "schedule", _schedule_values("warmup_cosine", 0.1),
           "A network pre-trained on digits 0-4, fine-tuned on all ten: a linear warmup over the first 10% "
           "of the steps, then cosine decay, at a high peak rate. The fine-tune survives it: it gets most "
           "of the ten digits right and keeps most of the five it knew."),
    Preset("no_warmup", "no warmup", "schedule", _schedule_values("cosine", 0.0),
           "The same fine-tune and peak without warmup: the first full-size steps hit the pre-trained "
           "network and the fine-tune collapses, the digits it knew included. At lesson 5's middle "
           "peaks (0.03 to 0.1) warmup made no difference here: see the table under the demo."),
)

BATCH_PRESETS = (
    Preset("batch_32", "batch 32 (the recipe)", "batch_size",
           {"batch_size": 32, "lr": _batch_lr(32, "none")},
           "Lesson 7's recipe: batch 32, SGD with momentum at lr 0.05, 30 epochs (the grey reference)."),
    Preset("batch_same_lr", "batch 512, same rate", "batch_size",
           {"batch_size": 512, "lr": _batch_lr(512, "none")},
           "16 times the batch at the same rate: 16 times fewer steps, and training barely gets going. "
           "A bigger batch needs a bigger rate."),
    Preset("batch_linear_128", "batch 128, linear rule", "batch_size",
           {"batch_size": 128, "lr": _batch_lr(128, "linear")},
           "4 times the batch, 4 times the rate: the training curve of the recipe in a quarter of the steps."),
    Preset("batch_linear_512", "batch 512, linear rule", "batch_size",
           {"batch_size": 512, "lr": _batch_lr(512, "linear")},
           "16 times the batch, 16 times the rate: past the linear rule's ceiling, the loss jumps about."),
    Preset("batch_sqrt_512", "batch 512, square-root rule", "batch_size",
           {"batch_size": 512, "lr": _batch_lr(512, "sqrt")},
           "16 times the batch, 4 (the square root of 16) times the rate: gentler, and it trains steadily."),
)


def _range_values(which):
    def values():
        rate = {"valley": lambda: range_result().suggestions["valley"],
                "minimum": lambda: range_result().suggestions["minimum"],
                "lowest": lowest_loss_lr}[which]()
        return {"lr": _range_stop(rate)}

    return functools.cache(values)


RANGE_PRESETS = (
    Preset("range_valley", "the valley", "range_test", _range_values("valley"),
           "fastai's default pick: the middle of the longest falling stretch of the curve, well before "
           "its bottom."),
    Preset("range_minimum", "the minimum ÷ 10", "range_test", _range_values("minimum"),
           "Smith's rule: the rate at the curve's lowest point, backed off ten times."),
    Preset("range_at_minimum", "the rate at the loss minimum", "range_test", _range_values("lowest"),
           "The classic misreading: the rate where the smoothed curve is lowest. The smoothing lags, so "
           "that rate is already too high: the run blows up or goes nowhere."),
)

RECIPE_PRESETS = SCHEDULE_PRESETS + BATCH_PRESETS + RANGE_PRESETS


# -- what a preset shows, computed without widgets -----------------------------------------------------------


def _schedule_result(preset):
    from . import finetune_demo as ft
    from .schedules import SCHEDULE_LABELS

    v = preset.control_values()
    run = _schedule_run(v["schedule"], v["warmup"], v["peak_lr"])  # seed 0: the run the demo draws
    comparison = ft.comparison_at(v["peak_lr"])
    arm = comparison.warm if v["warmup"] > 0 else comparison.bare
    head = (f"fine-tune (pre-trained on digits 0-4), {SCHEDULE_LABELS[run.kind]}, warmup {run.warmup_fraction:.0%}, "
            f"peak {run.peak_lr:.2g}, {len(ft.SEEDS)} seeds")
    (low, high), (src_low, src_high) = arm.accuracy_interval, arm.source_interval
    summary = (f"{head}: all ten digits {arm.accuracy:.1%} right [{low:.1%}, {high:.1%}], digits 0-4 "
               f"{arm.source_accuracy:.1%} [{src_low:.1%}, {src_high:.1%}] (before: "
               f"{ft.pretrained_source_accuracy():.1%}); digits 0-4 loss at its worst "
               f"{np.mean(arm.worst_source_loss):.2f} (before: {np.mean(comparison.pretrained_source_loss):.2f})")
    return PresetResult(preset, summary, run, {"comparison": comparison, "arm": arm})


def _batch_result(preset):
    v = preset.control_values()
    run = _batch_run(v["batch_size"], v["lr"])
    verdict = run.diagnosis.label if run.diagnosis is not None else "too short to tell"
    if run.diverged:
        summary = f"batch {run.batch_size}, lr {run.lr:.3g}: diverged at step {run.history.diverged_step}"
    else:
        summary = (f"batch {run.batch_size}, lr {run.lr:.3g}: {run.steps} steps, training loss "
                   f"{run.train_losses[-1]:.3f}, validation loss {run.final_val_loss:.3f}; diagnose: {verdict}")
    return PresetResult(preset, summary, run, {"verdict": verdict})


def _range_result(preset):
    rate = preset.control_values()["lr"]
    run = _range_run(rate)
    outcome = "diverged" if run.diverged else f"validation loss {run.final_val_loss:.3f}"
    summary = (f"lr {rate:.2g} (the curve's lowest point: {lowest_loss_lr():.2g}): {RANGE_EPOCHS} epochs, "
               f"{outcome}; diagnose: {run.label}")
    return PresetResult(preset, summary, run, {"verdict": run.label})


_COMPUTE = {"schedule": _schedule_result, "batch_size": _batch_result, "range_test": _range_result}


def recipe_result(preset: Preset) -> PresetResult:
    """What ``preset`` (one of :data:`RECIPE_PRESETS`) shows, computed by its lesson's function."""
    return _COMPUTE[preset.demo](preset)


# -- the demos -------------------------------------------------------------------------------------------------


def _start_values(presets, start, default):
    """The control values of ``start`` if it is one of ``presets`` (by key or label), else of ``default``."""
    for preset in presets:
        if start in (preset.key, preset.label, preset):
            return preset.control_values()
    return next(p for p in presets if p.key == default).control_values()


def schedule_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 5's schedule explorer on fine-tunes of a pre-trained network (:mod:`.finetune_demo`),
    with the warmup / no-warmup presets (starts on the recipe).

    ``start``: a preset key to open on; a key of another demo (or None) opens on the recipe.
    """
    from .schedules import schedule_explorer

    v = _start_values(SCHEDULE_PRESETS, start, "warmup_recipe")
    widget = schedule_explorer(schedule_data(), kind=v["schedule"], warmup_fraction=v["warmup"], peak_lr=v["peak_lr"],
                               total_steps=SCHEDULE_STEPS, grid=schedule_grid(), interactive=interactive)
    enlarge(widget, height_px=500, scale=1.15)  # a long figure title: a little less type
    return PresetPanel(widget, SCHEDULE_PRESETS, title="Learning-rate schedules and warmup", code=_schedule_code)


class _Called:
    """``function()`` in a code line: a call the line makes (``call_line`` writes a value as its ``repr``)."""

    def __init__(self, function):
        self.function = function

    def __repr__(self) -> str:
        return f"{self.function.__name__}()"


def _schedule_code(widget):
    from .finetune_demo import finetune_grid, target_data
    from .schedules import schedule_explorer

    c = widget.controls
    # the fine-tunes' data and grid (schedule_data, schedule_grid): the line recreates these runs
    return call_line("schedule_explorer", _Called(target_data), kind=c["schedule"].value,
                     warmup_fraction=c["warmup"].value, peak_lr=c["peak_lr"].value, total_steps=SCHEDULE_STEPS,
                     grid=_Called(finetune_grid), defaults=signature_defaults(schedule_explorer, "total_steps"))


def batch_size_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 7's batch-size widget with the scaling-rule presets (starts on the batch-32 recipe)."""
    from .batch_size import BASE_BATCH_SIZE, BASE_LR, batch_size_widget

    v = _start_values(BATCH_PRESETS, start, "batch_32")
    widget = batch_size_widget(batch_split(), batch_size=v["batch_size"], lr=v["lr"],
                               reference=_batch_run(BASE_BATCH_SIZE, BASE_LR), interactive=interactive)
    enlarge(widget, height_px=500)
    return PresetPanel(widget, BATCH_PRESETS, title="Batch size and the scaling rules", code=_batch_code)


def _batch_code(widget):
    c = widget.controls
    return call_line("batch_size_widget", batch_size=c["batch_size"].value, lr=c["lr"].value)


def range_test_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 6's range-test widget with the where-to-pick presets (starts on the valley)."""
    from .range_test import range_test_widget

    v = _start_values(RANGE_PRESETS, start, "range_valley")
    # The crib sheet's runs, shown for the presets' rates: the button shows the very run the sheet describes.
    preset_runs = [_range_run(p.control_values()["lr"]) for p in RANGE_PRESETS]
    widget = range_test_widget(range_split(), range_result(), lr=v["lr"], epochs=RANGE_EPOCHS, runs=preset_runs,
                               interactive=interactive)
    enlarge(widget, height_px=500)
    return PresetPanel(widget, RANGE_PRESETS, title="Picking a rate from the range test", code=_range_code)


def _range_code(widget):
    from .range_test import range_test_widget

    return call_line("range_test_widget", lr=widget.controls["lr"].value, epochs=RANGE_EPOCHS,
                     defaults=signature_defaults(range_test_widget, "epochs"))
