"""Lesson 6's checks: each common mistake is caught with its hint, and right answers pass."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from coursekit.checks import check_lr_sweep, check_range_test, check_smooth_losses, check_suggest_lr
from coursekit.checks.range_test import _range_test_reference
from minigrad.training.lr_finder import lr_find

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- lr_sweep
def test_lr_sweep_reference_passes(capsys):
    expect_pass(check_lr_sweep, lambda a, b, n: a * (b / a) ** (np.arange(n) / (n - 1)), capsys)
    expect_pass(check_lr_sweep, np.geomspace, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (np.linspace, "the rates are evenly spaced (np.linspace)"),
    (np.logspace, "np.logspace takes exponents"),
    (lambda a, b, n: a * (b / a) ** (np.arange(n) / n), "the last rate falls short of lr_max"),
    (lambda a, b, n: a * (b / a) ** (np.arange(1, n + 1) / n), "the sweep starts one step above lr_min"),
])
def test_lr_sweep_mistakes(wrong, hint):
    expect_hint(check_lr_sweep, wrong, hint)


# ---------------------------------------------------------------- smooth_losses
def smooth_losses(losses, beta=0.98, *, debias=True, swap=False, offset=0):
    average, out = 0.0, []
    for n, loss in enumerate(losses, start=1):
        average = (1 - beta) * average + beta * loss if swap else beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (n + offset)) if debias else average)
    return np.array(out)


def test_smooth_losses_reference_passes(capsys):
    expect_pass(check_smooth_losses, smooth_losses, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"debias": False}, "the debiasing is missing"),
    ({"swap": True}, "beta and 1 - beta are swapped"),
    ({"offset": 1}, "the debiasing count is off by one"),
    ({"offset": -1}, "never by 1 - beta**0 = 0"),  # the first value divides by zero: inf
])
def test_smooth_losses_mistakes(flags, hint):
    with np.errstate(all="ignore"):
        expect_hint(check_smooth_losses, lambda losses, beta=0.98: smooth_losses(losses, beta, **flags), hint)


# ---------------------------------------------------------------- range_test
def range_test(train_step, lrs, beta=0.98, stop_factor=4.0, *, stop=True, raw=False, against_first=False,
               record_last=True, debias=True):
    average, best, first, tried, smoothed = 0.0, math.inf, None, [], []
    for n, lr in enumerate(lrs, start=1):
        loss = train_step(lr)
        average = beta * average + (1 - beta) * loss
        value = average / (1 - beta ** n) if debias else average
        watched = loss if raw else value
        first = watched if first is None else first
        exploding = not math.isfinite(watched) or watched > stop_factor * (first if against_first else best)
        if stop and exploding and not record_last:
            break
        tried.append(lr)
        smoothed.append(value)
        if stop and exploding:
            break
        best = min(best, watched)
    return np.array(tried), np.array(smoothed)


def test_range_test_reference_passes(capsys):
    expect_pass(check_range_test, range_test, capsys)


def test_the_checks_range_test_is_minigrads_lr_find():
    """The same sweep on the same model and batches: lr_find and the check's reference agree."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=64)
    X, y = X.astype(np.float32), y.astype(np.float32)  # the model's float32
    batches = [(mg.tensor(X[i:i + 16]), mg.tensor(y[i:i + 16, None])) for i in range(0, 64, 16)]

    def new_model():
        mg.manual_seed(0)
        return mg.nn.Linear(3, 1)

    model = new_model()
    found = lr_find(model, mg.optim.SGD(model.parameters(), lr=1e-3), batches, F.mse_loss,
                    start_lr=1e-4, end_lr=10.0, num_iter=80)

    model = new_model()
    optimizer = mg.optim.SGD(model.parameters(), lr=1e-3)
    cycle = iter(batches * 20)

    def train_step(lr):
        inputs, target = next(cycle)
        optimizer.param_groups[0]["lr"] = lr
        optimizer.zero_grad()
        loss = F.mse_loss(model(inputs), target)
        loss.backward()
        optimizer.step()
        return loss.item()

    lrs = 1e-4 * (10.0 / 1e-4) ** (np.arange(80) / 79)
    tried, smoothed = _range_test_reference(train_step, lrs)
    assert found.stopped_early and len(tried) < 80  # the sweep reached the exploding part
    np.testing.assert_allclose(tried, found.lrs, rtol=1e-12)
    np.testing.assert_allclose(smoothed, found.losses, rtol=1e-5)


@pytest.mark.parametrize("flags, hint", [
    ({"stop": False}, "the test never stops"),
    ({"raw": True}, "you stop on the raw loss"),
    ({"against_first": True}, "you compare with the first loss"),
    ({"record_last": False}, "the point that triggered the stop is missing"),
    ({"debias": False}, "the smoothed losses are not debiased"),
])
def test_range_test_mistakes(flags, hint):
    expect_hint(check_range_test, lambda step, lrs, beta=0.98, stop_factor=4.0:
                range_test(step, lrs, beta, stop_factor, **flags), hint)


def test_range_test_must_return_a_pair():
    expect_hint(check_range_test, lambda step, lrs, beta=0.98, stop_factor=4.0: range_test(step, lrs)[1],
                "did not return (lrs_tried, smoothed_losses)")


# ---------------------------------------------------------------- suggest_lr
def test_suggest_lr_reference_passes(capsys):
    expect_pass(check_suggest_lr, lambda lrs, s: lrs[np.argmin(s)] / 10, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda lrs, s: lrs[np.argmin(s)], "that is the rate at the lowest loss"),
    (lambda lrs, s: np.min(s) / 10, "you returned a loss"),
    (lambda lrs, s: lrs[np.argmax(s)] / 10, "you took the rate at the highest loss"),
    (lambda lrs, s: lrs[np.argmin(s)] * 10, "multiply by 0.1, do not multiply by 10"),
])
def test_suggest_lr_mistakes(wrong, hint):
    expect_hint(check_suggest_lr, wrong, hint)
