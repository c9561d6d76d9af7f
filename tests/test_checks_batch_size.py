"""Lesson 7's checks: each common mistake is caught with its hint, and right answers pass."""
import math

import numpy as np
import pytest

from coursekit.checks import check_epoch_time, check_gradient_noise, check_scale_lr
from coursekit.checks.batch_size import gradient_noise_theory

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- scale_lr
def scale_lr(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    if rule == "linear":
        return base_lr * ratio
    if rule == "sqrt":
        return base_lr * math.sqrt(ratio)
    raise ValueError(f"unknown rule {rule!r}")


def scale_inverted(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = base_batch_size / batch_size
    return base_lr * (ratio if rule == "linear" else math.sqrt(ratio))


def scale_swapped(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    return base_lr * (math.sqrt(ratio) if rule == "linear" else ratio)


def scale_sqrt_of_lr(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    return base_lr * ratio if rule == "linear" else math.sqrt(base_lr) * ratio


def scale_silent(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    return base_lr * (math.sqrt(ratio) if rule == "sqrt" else ratio)  # any other rule: linear, silently


def scale_vague_error(base_lr, base_batch_size, batch_size, rule="linear"):
    if rule not in ("linear", "sqrt"):
        raise ValueError("bad input")
    return scale_lr(base_lr, base_batch_size, batch_size, rule)


def scale_key_error(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    return base_lr * {"linear": ratio, "sqrt": math.sqrt(ratio)}[rule]


def test_scale_lr_reference_passes(capsys):
    expect_pass(check_scale_lr, scale_lr, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (scale_inverted, "the ratio is upside down"),
    (scale_swapped, "the rules are swapped"),
    (scale_sqrt_of_lr, "the square root belongs on the ratio of batch sizes"),
    (lambda base_lr, b0, b, rule="linear": base_lr, "the learning rate did not change"),
    (scale_silent, "an unknown rule must raise a ValueError naming it"),
    (scale_vague_error, "should name the bad rule"),
    (scale_key_error, "raised KeyError; raise a ValueError"),
])
def test_scale_lr_mistakes(wrong, hint):
    expect_hint(check_scale_lr, wrong, hint)


# ---------------------------------------------------------------- gradient_noise
def gradient_noise(grads, batch_size, rng, trials=2000, *, summed=False, around_zero=False, replace=False,
                   root=False):
    full = np.zeros(grads.shape[1]) if around_zero else grads.mean(axis=0)
    total = 0.0
    for _ in range(trials):
        idx = rng.choice(len(grads), batch_size, replace=replace)
        batch = grads[idx].sum(axis=0) if summed else grads[idx].mean(axis=0)
        total += np.sum((batch - full) ** 2)
    value = total / trials
    return math.sqrt(value) if root else value


def test_gradient_noise_theory_matches_a_direct_simulation():
    grads = np.random.default_rng(0).normal(size=(30, 3))
    rng = np.random.default_rng(1)
    for b in (1, 5, 25):
        # 20,000 batches without replacement at once: the first b entries of random permutations
        idx = np.argsort(rng.random((20000, len(grads))), axis=1)[:, :b]
        simulated = np.mean(np.sum((grads[idx].mean(axis=1) - grads.mean(axis=0)) ** 2, axis=1))
        assert simulated == pytest.approx(gradient_noise_theory(grads, b), rel=0.05)
        with_replacement = gradient_noise_theory(grads, b, replace=True)
        assert with_replacement == pytest.approx(gradient_noise_theory(grads, b) * 29 / (30 - b))


def test_gradient_noise_reference_passes(capsys):
    expect_pass(check_gradient_noise, gradient_noise, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"summed": True}, "you summed the batch's gradients instead of averaging them"),
    ({"around_zero": True}, "you measured the distance from zero"),
    ({"replace": True}, "you drew the batch with replacement"),
    ({"root": True}, "this is a standard deviation"),
])
def test_gradient_noise_mistakes(flags, hint):
    expect_hint(check_gradient_noise, lambda g, b, rng, trials=2000: gradient_noise(g, b, rng, trials, **flags), hint)


# ---------------------------------------------------------------- epoch_time
def epoch_time(num_examples, batch_size, step_seconds):
    steps = math.ceil(num_examples / batch_size)
    return steps, steps * step_seconds, batch_size / step_seconds


def test_epoch_time_reference_passes(capsys):
    expect_pass(check_epoch_time, epoch_time, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, b, s: (n // b, n // b * s, b / s), "you rounded the steps down"),
    (lambda n, b, s: (math.ceil(n / b), math.ceil(n / b) * s, s / b), "examples per second is upside down"),
    (lambda n, b, s: (math.ceil(n / b), n / (b / s), b / s), "the epoch time assumes a fraction of a step"),
    (lambda n, b, s: (math.ceil(n / b), n * s, b / s), "the epoch time is per example"),
    (lambda n, b, s: math.ceil(n / b), "return three numbers"),
])
def test_epoch_time_mistakes(wrong, hint):
    expect_hint(check_epoch_time, wrong, hint)
