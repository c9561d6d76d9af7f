"""Lesson 9's checks: each common mistake is caught with its hint, and right answers pass."""
import math

import pytest

from coursekit.checks import (check_early_stopping, check_linear_warmup_lr, check_savings,
                              check_training_cost)
from minigrad.training.early_stopping import EarlyStopping

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- early_stopping
def early_stopping(val_losses, patience, min_delta=0.0, *, reset=True, ties_improve=False, use_delta=True,
                   late=False, first_epoch=1, best_is_last=False):
    best, best_epoch, bad = math.inf, None, 0
    delta = min_delta if use_delta else 0.0
    for epoch, loss in enumerate(val_losses, start=first_epoch):
        if loss < best - delta or (ties_improve and loss == best - delta):
            best, best_epoch = loss, epoch
            if reset:
                bad = 0
        else:
            bad += 1
            if bad > patience if late else bad >= patience:
                return epoch, epoch if best_is_last else best_epoch
    last = len(val_losses) - 1 + first_epoch
    return last, last if best_is_last else best_epoch


def test_early_stopping_reference_passes(capsys):
    expect_pass(check_early_stopping, early_stopping, capsys)


def test_early_stopping_reference_agrees_with_minigrad():
    losses = [2.10, 1.70, 1.45, 1.30, 1.22, 1.18, 1.16, 1.17, 1.19, 1.22]
    stopper = EarlyStopping(patience=2)
    stop = next(epoch for epoch, loss in enumerate(losses, start=1) if stopper.step(loss))
    assert early_stopping(losses, 2) == (stop, stopper.best_epoch) == (9, 7)


@pytest.mark.parametrize("flags, hint", [
    ({"reset": False}, "the count of bad epochs is not reset after an improvement"),
    ({"late": True}, "training stops one epoch late"),
    ({"first_epoch": 0}, "epochs are counted from 0"),
    ({"ties_improve": True}, "an equal loss counted as an improvement"),
    ({"use_delta": False}, "min_delta is ignored"),
    ({"best_is_last": True}, "the best epoch is the one with the lowest validation loss"),
])
def test_early_stopping_mistakes(flags, hint):
    expect_hint(check_early_stopping, lambda losses, patience, min_delta=0.0:
                early_stopping(losses, patience, min_delta, **flags), hint)


# ---------------------------------------------------------------- linear_warmup_lr
def linear_warmup_lr(step, base_lr, warmup_steps, total_steps, *, ahead=0, decay_from_zero=False, decay=True):
    if step < warmup_steps:
        return base_lr * (step + ahead) / warmup_steps
    if not decay:
        return base_lr
    start = 0 if decay_from_zero else warmup_steps
    return base_lr * max(0.0, (total_steps - step) / max(1, total_steps - start))


def test_linear_warmup_lr_reference_passes(capsys):
    expect_pass(check_linear_warmup_lr, linear_warmup_lr, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"ahead": 1}, "the warmup is one step ahead"),
    ({"decay_from_zero": True}, "the decay is spread over all the steps"),
    ({"decay": False}, "the lr stays at base_lr after the warmup"),
])
def test_linear_warmup_lr_mistakes(flags, hint):
    expect_hint(check_linear_warmup_lr, lambda *args: linear_warmup_lr(*args, **flags), hint)


# ---------------------------------------------------------------- training_cost
def training_cost(num_examples, batch_size, epochs, seconds_per_step, usd_per_gpu_hour, num_gpus=1, *,
                  per_minute=False, floor=False, ignore_gpus=False, one_epoch=False, cents=False):
    per_epoch = num_examples // batch_size if floor else math.ceil(num_examples / batch_size)
    steps = per_epoch * (1 if one_epoch else epochs)
    hours = steps * seconds_per_step * (1 if ignore_gpus else num_gpus) / (60 if per_minute else 3600)
    usd = hours * usd_per_gpu_hour
    return steps, hours, round(usd, 2) if cents else usd


def test_training_cost_reference_passes(capsys):
    expect_pass(check_training_cost, training_cost, capsys)


def test_training_cost_reproduces_the_case_study_bill():
    steps, hours, usd = training_cost(4200, 16, 7, 6.845, 0.85)
    assert steps == 1841 and round(hours, 2) == 3.5 and f"{usd:.2f}" == "2.98"


@pytest.mark.parametrize("flags, hint", [
    ({"per_minute": True}, "seconds were divided by 60"),
    ({"floor": True}, "you rounded the steps per epoch down"),
    ({"ignore_gpus": True}, "the number of GPUs is ignored"),
    ({"one_epoch": True}, "the epochs are missing"),
    ({"cents": True}, "the dollars were rounded"),
])
def test_training_cost_mistakes(flags, hint):
    expect_hint(check_training_cost, lambda *args: training_cost(*args, **flags), hint)


# ---------------------------------------------------------------- savings
def test_savings_reference_passes(capsys):
    expect_pass(check_savings, lambda baseline, improved: 1 - improved / baseline, capsys)
    expect_pass(check_savings, lambda baseline, improved: (baseline - improved) / baseline, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda base, new: new / base, "that is the fraction that remains"),
    (lambda base, new: 100 * (1 - new / base), "return a fraction (0.4 for 40 %), not a percentage"),
    (lambda base, new: (base - new) / new, "the saving is relative to the new cost"),
    (lambda base, new: base - new, "that is the difference in dollars or hours"),
    (lambda base, new: new / base - 1, "the sign is flipped"),
])
def test_savings_mistakes(wrong, hint):
    expect_hint(check_savings, wrong, hint)
