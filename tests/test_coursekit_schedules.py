"""Lesson 5's schedule catalogue: the text shown about a schedule is the scheduler that runs.

``describe`` prints a scheduler call (the same names work in PyTorch); ``make_scheduler``
builds the scheduler the lesson trains with. Both come from one ``schedule_spec``; these
tests run the printed call as code and check that it steps through the same rates.
"""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler
from coursekit import schedules as sch

PEAK = 0.05
# Every setting the course shows or trains: the lesson's run lengths (planned_lengths' too), the
# widget's warmups and each schedule's usual one.
TOTALS = (150, 200, 250, 300)
WARMUPS = sorted(set(sch.WIDGET_WARMUPS) | set(sch.USUAL_WARMUP.values()))
CATALOGUE = [(kind, total, warmup) for kind in sch.SCHEDULE_KEYS for total in TOTALS for warmup in WARMUPS]


def _optimizer():
    return optim.Adam([mg.tensor(np.zeros(1), requires_grad=True)], lr=PEAK)


def _rates(optimizer, scheduler, total_steps):
    """The lr of each step, stepping the scheduler after each optimizer step (as training does)."""
    group, rates = optimizer.param_groups[0], []
    for step in range(total_steps):
        rates.append(group["lr"])
        optimizer.step()
        if step < total_steps - 1:
            scheduler.step()
    return np.array(rates)


def _run_text(text, total_steps):
    """Run the printed call as code on a fresh optimizer: the rates it gives."""
    optimizer = _optimizer()
    names = {name: getattr(lr_scheduler, name) for name in dir(lr_scheduler) if not name.startswith("_")}
    scheduler = eval(text, {**names, "optimizer": optimizer, "peak": PEAK})
    return _rates(optimizer, scheduler, total_steps)


@pytest.mark.parametrize("kind,total,warmup", CATALOGUE)
def test_the_printed_scheduler_steps_through_the_rates_make_scheduler_gives(kind, total, warmup):
    text = sch.describe(kind, total, warmup)
    optimizer = _optimizer()
    made = _rates(optimizer, sch.make_scheduler(optimizer, kind, total, warmup), total)
    np.testing.assert_array_equal(made, sch.lr_curve(kind, total, PEAK, warmup))
    printed = _run_text(text, total)
    gamma = re.search(r"ExponentialLR\(optimizer, gamma=([0-9.]+)\)", text)
    if gamma is None:
        np.testing.assert_allclose(printed, made, rtol=1e-12, atol=0, err_msg=text)
    else:
        # The text rounds exponential decay's gamma to 4 decimals: the decay it prints is the one that runs ...
        spec = sch.schedule_spec(kind, total, warmup)
        decay = made[spec.warmup:]
        assert abs(decay[1] / decay[0] - float(gamma.group(1))) <= 5e-5
        # ... and it ends where the rounding lets it, at the planned 1/100 of the peak.
        assert decay[-1] / decay[0] == pytest.approx(sch.EXPONENTIAL_FINAL_FACTOR)
        np.testing.assert_allclose(printed, made, rtol=len(decay) * 5e-5 / float(gamma.group(1)), err_msg=text)


@pytest.mark.parametrize("kind", sch.SCHEDULE_KEYS)
def test_the_spec_s_warmup_is_where_the_rates_stop_rising(kind):
    for total in TOTALS:
        for warmup in WARMUPS:
            spec = sch.schedule_spec(kind, total, warmup)
            assert spec.warmup == sch.warmup_steps(total, warmup) and spec.decay_steps == total - spec.warmup
            assert str(spec) == sch.describe(kind, total, warmup) and spec.label == sch.SCHEDULE_LABELS[kind]
            rates = sch.lr_curve(kind, total, 1.0, warmup)
            # one-cycle's rising phase ends one step sooner (torch's peak is step pct_start * total - 1)
            top = max(spec.warmup - 1 if kind == "one_cycle" else spec.warmup, 0)
            assert np.argmax(rates) == top and np.all(np.diff(rates[:top + 1]) > 0)
            if spec.warmup:  # without warmup one-cycle starts a hair below the peak, as in torch
                assert rates[top] == pytest.approx(1.0, rel=1e-12)


def test_describe_keeps_the_lesson_s_lines():
    # course/05_lr_schedules.ipynb prints these (nbval compares them too)
    assert [sch.describe(kind, 300) for kind in sch.SCHEDULE_KEYS] == [
        "LambdaLR(optimizer, lambda step: 1.0)",
        "StepLR(optimizer, step_size=100, gamma=0.1)",
        "ExponentialLR(optimizer, gamma=0.9847)",
        "CosineAnnealingLR(optimizer, T_max=300)",
        "get_linear_schedule_with_warmup(optimizer, num_warmup_steps=30, num_training_steps=300)",
        "get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=30, num_training_steps=300)",
        "OneCycleLR(optimizer, max_lr=peak, total_steps=300, pct_start=0.3)",
    ]
    assert sch.describe("cosine", 300, 0.1) == (
        "SequentialLR(optimizer, [LinearLR(optimizer, start_factor=1/30, total_iters=30), "
        "CosineAnnealingLR(optimizer, T_max=270)], milestones=[30])")
