"""Checks for lesson 6, the learning-rate range test (fastai's recipe, as in the lesson).

The participant's loop is the one inside ``minigrad.training.lr_find`` (same sweep, same
debiased smoothing, same stopping rule); the tests check that the reference here and
``lr_find`` agree step for step on a real model.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad.training.lr_finder import suggest_minimum

from ._core import Case, Mistake, as_array, run_check

__all__ = ["check_lr_sweep", "check_smooth_losses", "check_range_test", "check_suggest_lr", "ToyTrainStep",
           "ScriptedLosses"]


# ------------------------------------------------------------------ lr_sweep(lr_min, lr_max, num)
def _lr_sweep_reference(lr_min, lr_max, num):
    return np.geomspace(lr_min, lr_max, num)


LR_SWEEP_MISTAKES = [
    Mistake("the rates are evenly spaced (np.linspace), so almost all of them are large; space them evenly "
            "on a log scale: each one a fixed factor above the previous (np.geomspace).",
            lambda a, b, n: np.linspace(a, b, n)),
    Mistake("np.logspace takes exponents (logspace(-7, 1) gives 1e-7 to 10); pass np.log10 of the rates, "
            "or use np.geomspace(lr_min, lr_max, num).", lambda a, b, n: np.logspace(a, b, n)),
    Mistake("the last rate falls short of lr_max: with num rates there are num - 1 gaps, so the factor is "
            "(lr_max / lr_min) ** (i / (num - 1)).", lambda a, b, n: a * (b / a) ** (np.arange(n) / n)),
    Mistake("the sweep starts one step above lr_min: the first rate must be lr_min itself.",
            lambda a, b, n: a * (b / a) ** (np.arange(1, n + 1) / n)),
]


def check_lr_sweep(lr_sweep):
    """``lr_sweep(lr_min, lr_max, num)``: ``num`` rates from lr_min to lr_max, evenly spaced on a log scale."""
    cases = [Case(f"lr_min={a:g}, lr_max={b:g}, num={n}", (a, b, n))
             for a, b, n in [(1e-7, 10.0, 9), (1e-4, 1.0, 5), (0.01, 0.1, 3)]]
    run_check("lr_sweep", lr_sweep, cases, _lr_sweep_reference, LR_SWEEP_MISTAKES, what="rates", rtol=1e-9)


# ------------------------------------------------------------------ smooth_losses(losses, beta)
def _smooth_reference(losses, beta=0.98):
    average, out = 0.0, []
    for n, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** n))  # debias: the average starts at 0
    return np.array(out)


def _smooth_variant(debias=True, swap=False, offset=0):
    def smooth(losses, beta=0.98):
        average, out = 0.0, []
        for n, loss in enumerate(losses, start=1):
            average = (1 - beta) * average + beta * loss if swap else beta * average + (1 - beta) * loss
            out.append(average / (1 - beta ** (n + offset)) if debias else average)
        return np.array(out)
    return smooth


SMOOTH_MISTAKES = [
    Mistake("the debiasing is missing: the average starts at 0, so the first smoothed values are far too "
            "small; divide by (1 - beta**n) for the n-th loss (n from 1).", _smooth_variant(debias=False)),
    Mistake("beta and 1 - beta are swapped: the average keeps beta of itself and takes 1 - beta of the "
            "new loss.", _smooth_variant(swap=True)),
    Mistake("the debiasing count is off by one: the n-th loss (counting from 1) divides by 1 - beta**n.",
            _smooth_variant(offset=1)),
]


def check_smooth_losses(smooth_losses):
    """``smooth_losses(losses, beta)``: the debiased exponential moving average of the losses."""
    cases = [
        Case("losses=[2, 2, 2, 2] (constant), beta=0.98", (np.array([2.0, 2.0, 2.0, 2.0]), 0.98)),
        Case("losses=[3, 1, 2, 0.5, 4], beta=0.9", (np.array([3.0, 1.0, 2.0, 0.5, 4.0]), 0.9)),
        Case("losses=[1, 5, 2], beta=0.5", (np.array([1.0, 5.0, 2.0]), 0.5)),
    ]
    def inspect(got, want, case):
        values = np.asarray(got, dtype=float) if got is not None else None
        if values is not None and values.shape == np.shape(want) and not np.all(np.isfinite(values)):
            return ("a smoothed value is inf or NaN: count n from 1, so the first loss is divided by "
                    "1 - beta, never by 1 - beta**0 = 0.")
        return None

    run_check("smooth_losses", smooth_losses, cases, _smooth_reference, SMOOTH_MISTAKES, what="smoothed losses",
              row_label=lambda i: f"smoothed loss {i} (after {i + 1} losses)", rtol=1e-9, inspect=inspect)


# ------------------------------------------------------------------ range_test(train_step, lrs, beta, stop_factor)
class ToyTrainStep:
    """A least-squares model trained one step at a time: ``loss = step(lr)``.

    It returns the loss at the weights before the step, as a training loop reports it, then
    steps; with ``batch_size`` each step sees a random mini-batch (noisy losses), otherwise all
    the data. Small rates barely move it, good ones drive the loss down fast, and beyond
    2 / (largest curvature) the loss explodes: the shape a range test looks for.
    """

    def __init__(self, seed=0, n=64, d=4, batch_size=None):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n, d)) * np.array([1.0, 2.0, 0.5, 1.5])[:d]
        self.y = self.X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
        self.w = np.zeros(d)
        self.batch_size, self.rng = batch_size, np.random.default_rng(seed + 100)

    def __call__(self, lr):
        X, y = self.X, self.y
        if self.batch_size is not None:
            idx = self.rng.choice(len(y), self.batch_size, replace=False)
            X, y = X[idx], y[idx]
        residual = X @ self.w - y
        loss = float(np.mean(residual ** 2))
        self.w = self.w - lr * 2 * X.T @ residual / len(y)
        return loss


class ScriptedLosses:
    """A stand-in for training that returns the given losses in turn, whatever the rate."""

    def __init__(self, losses):
        self.losses, self.calls = list(losses), 0

    def __call__(self, lr):
        self.calls += 1
        return self.losses[self.calls - 1]


def _range_test_reference(train_step, lrs, beta=0.98, stop_factor=4.0):
    average, best, tried, smoothed = 0.0, math.inf, [], []
    for n, lr in enumerate(lrs, start=1):
        loss = train_step(lr)
        average = beta * average + (1 - beta) * loss
        value = average / (1 - beta ** n)
        tried.append(lr)
        smoothed.append(value)
        if not math.isfinite(value) or value > stop_factor * best:
            break
        best = min(best, value)
    return np.array(tried), np.array(smoothed)


def _range_variant(stop=True, raw=False, against_first=False, record_last=True, debias=True):
    def range_test(train_step, lrs, beta=0.98, stop_factor=4.0):
        average, best, first, tried, smoothed = 0.0, math.inf, None, [], []
        for n, lr in enumerate(lrs, start=1):
            loss = train_step(lr)
            average = beta * average + (1 - beta) * loss
            value = average / (1 - beta ** n) if debias else average
            watched = loss if raw else value
            first = watched if first is None else first
            reference = first if against_first else best
            stopping = stop and (not math.isfinite(watched) or watched > stop_factor * reference)
            if stopping and not record_last:
                break
            tried.append(lr)
            smoothed.append(value)
            if stopping:
                break
            best = min(best, watched)
        return np.array(tried), np.array(smoothed)
    return range_test


RANGE_TEST_MISTAKES = [
    Mistake("the test never stops: once the smoothed loss exceeds stop_factor times the best so far, the "
            "loss is exploding and every further step is wasted (and may produce inf); break there.",
            _range_variant(stop=False)),
    Mistake("you stop on the raw loss; a single noisy batch can trip that. Compare the smoothed loss "
            "with stop_factor times the best smoothed loss.", _range_variant(raw=True)),
    Mistake("you compare with the first loss; compare with the best (lowest) smoothed loss so far.",
            _range_variant(against_first=True)),
    Mistake("the point that triggered the stop is missing: record it, then break.",
            _range_variant(record_last=False)),
    Mistake("the smoothed losses are not debiased: divide the running average by (1 - beta**n).",
            _range_variant(debias=False)),
]


def check_range_test(range_test):
    """``range_test(train_step, lrs, beta, stop_factor)`` -> (the rates tried, their smoothed losses)."""
    scripted = [10.0, 8.0, 5.0, 2.0, 1.0, 1.5, 3.0, 5.0, 9.0, 30.0, 100.0, 400.0, 1000.0]
    cases = [
        Case("a toy least-squares model, 40 rates from 1e-4 to 10, beta=0.98, stop_factor=4",
             (lambda: ToyTrainStep(0), np.geomspace(1e-4, 10.0, 40), 0.98, 4.0)),
        Case("a toy model on noisy mini-batches, 100 rates from 1e-4 to 10, beta=0.98, stop_factor=4",
             (lambda: ToyTrainStep(2, batch_size=8), np.geomspace(1e-4, 10.0, 100), 0.98, 4.0)),
        Case(f"losses {scripted} in turn, beta=0.5, stop_factor=4",
             (lambda: ScriptedLosses(scripted), np.geomspace(1e-3, 1.0, len(scripted)), 0.5, 4.0)),
        Case("a toy least-squares model, 6 small rates from 1e-5 to 1e-4 (no explosion), beta=0.98",
             (lambda: ToyTrainStep(1), np.geomspace(1e-5, 1e-4, 6), 0.98, 4.0)),
    ]

    def observe(fn, case):
        make_train_step, lrs, beta, stop_factor = case.args
        result = fn(make_train_step(), np.array(lrs), beta=beta, stop_factor=stop_factor)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return "did not return (lrs_tried, smoothed_losses)" if result is not None else None
        return tuple(as_array(r, "(lrs_tried, smoothed_losses), two arrays of numbers") for r in result)

    def inspect(got, want, case):
        if isinstance(got, tuple) and len(got[0]) != len(want[0]):
            return (f"your test tried {len(got[0])} rates; it should stop after {len(want[0])} "
                    "(at the first smoothed loss above stop_factor times the best one, that point included).")
        return None

    run_check("range_test", range_test, cases, _range_test_reference, RANGE_TEST_MISTAKES, observe=observe,
              inspect=inspect, what="(lrs tried, smoothed losses)", rtol=1e-9)


# ------------------------------------------------------------------ suggest_lr(lrs, smoothed)
def _suggest_reference(lrs, smoothed):
    return float(np.asarray(lrs)[suggest_minimum(lrs, smoothed)] / 10)  # minigrad's "minimum" rule


SUGGEST_MISTAKES = [
    Mistake("that is the rate at the lowest loss: there the loss is about to blow up. Take a tenth of it.",
            lambda lrs, s: float(lrs[np.argmin(s)])),
    Mistake("you returned a loss; return the learning rate at the lowest loss, divided by 10.",
            lambda lrs, s: float(np.min(s) / 10)),
    Mistake("you took the rate at the highest loss; take the one at the lowest (np.argmin), divided by 10.",
            lambda lrs, s: float(lrs[np.argmax(s)] / 10)),
    Mistake("multiply by 0.1, do not multiply by 10: the suggestion is a tenth of the rate at the lowest loss.",
            lambda lrs, s: float(lrs[np.argmin(s)] * 10)),
]


def check_suggest_lr(suggest_lr):
    """``suggest_lr(lrs, smoothed)``: a tenth of the rate at the lowest smoothed loss."""
    cases = [
        Case("lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1], smoothed=[2, 1.8, 0.9, 0.5, 1.9]",
             (np.array([1e-4, 1e-3, 1e-2, 1e-1, 1.0]), np.array([2.0, 1.8, 0.9, 0.5, 1.9]))),
        Case("lrs from 1e-6 to 1e-2, minimum at 3e-4",
             (np.array([1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 1e-2]), np.array([4.0, 3.9, 3.0, 1.2, 1.5, 9.0]))),
    ]
    run_check("suggest_lr", suggest_lr, cases, _suggest_reference, SUGGEST_MISTAKES, what="suggested lr", rtol=1e-9)

