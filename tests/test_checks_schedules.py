"""Lesson 5's checks: each common mistake is caught with its hint, and right answers pass."""
import math

import pytest

from coursekit.checks import check_schedule_steps, check_step_decay, check_warmup_cosine

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- schedule_steps
def schedule_steps(num_examples, batch_size, epochs, warmup_fraction):
    total = math.ceil(num_examples / batch_size) * epochs
    return total, round(warmup_fraction * total)


def steps_floor(num_examples, batch_size, epochs, warmup_fraction):
    total = num_examples // batch_size * epochs
    return total, round(warmup_fraction * total)


def steps_warmup_per_epoch(num_examples, batch_size, epochs, warmup_fraction):
    per_epoch = math.ceil(num_examples / batch_size)
    return per_epoch * epochs, round(warmup_fraction * per_epoch)


def steps_examples(num_examples, batch_size, epochs, warmup_fraction):
    return num_examples * epochs, round(warmup_fraction * num_examples * epochs)


def steps_no_epochs(num_examples, batch_size, epochs, warmup_fraction):
    total = math.ceil(num_examples / batch_size)
    return total, round(warmup_fraction * total)


def steps_warmup_floor(num_examples, batch_size, epochs, warmup_fraction):
    total = math.ceil(num_examples / batch_size) * epochs
    return total, int(warmup_fraction * total)


def test_schedule_steps_reference_passes(capsys):
    expect_pass(check_schedule_steps, schedule_steps, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (steps_floor, "you rounded the steps per epoch down"),
    (steps_warmup_per_epoch, "the warmup is a fraction of one epoch"),
    (steps_examples, "the total is the number of examples seen"),
    (steps_no_epochs, "you forgot the epochs"),
    (steps_warmup_floor, "the warmup was rounded down"),
    (lambda *args: schedule_steps(*args)[0], "return two whole numbers"),
])
def test_schedule_steps_mistakes(wrong, hint):
    expect_hint(check_schedule_steps, wrong, hint)


# ---------------------------------------------------------------- step_decay
def step_decay(step, base_lr, step_size, gamma):
    return base_lr * gamma ** (step // step_size)


def test_step_decay_reference_passes(capsys):
    expect_pass(check_step_decay, step_decay, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, lr, k, g: lr * g ** (t / k), "the decay is smooth, not in steps"),
    (lambda t, lr, k, g: lr * g ** ((t + 1) // k), "the lr drops one step too early"),
    (lambda t, lr, k, g: lr * g ** t, "the lr decays every step"),
    (lambda t, lr, k, g: g ** (t // k), "base_lr is missing"),
    (lambda t, lr, k, g: lr - g * (t // k), "you subtracted gamma"),
])
def test_step_decay_mistakes(wrong, hint):
    expect_hint(check_step_decay, wrong, hint)


# ---------------------------------------------------------------- warmup_cosine
def warmup_cosine(step, base_lr, warmup_steps, total_steps, *, ahead=0, from_zero=False, plain_cos=False,
                  full_period=False, warmup=True):
    if warmup and step < warmup_steps:
        return base_lr * (step + ahead) / warmup_steps
    start = 0 if from_zero or not warmup else warmup_steps
    progress = (step - start) / max(1, total_steps - start)
    if plain_cos:
        return base_lr * math.cos(math.pi * progress)
    return base_lr * 0.5 * (1 + math.cos(math.pi * (2 if full_period else 1) * progress))


def test_warmup_cosine_reference_passes(capsys):
    expect_pass(check_warmup_cosine, warmup_cosine, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"ahead": 1}, "the warmup is one step ahead"),
    ({"from_zero": True}, "the cosine starts counting at step 0"),
    ({"plain_cos": True}, "the cosine goes negative"),
    ({"full_period": True}, "a full cosine period goes back up"),
    ({"warmup": False}, "the warmup is missing"),
])
def test_warmup_cosine_mistakes(flags, hint):
    expect_hint(check_warmup_cosine, lambda *args: warmup_cosine(*args, **flags), hint)
