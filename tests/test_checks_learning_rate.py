"""Lesson 2's checks: each common mistake is caught with its hint, and right answers pass."""
import math

import numpy as np
import pytest

from coursekit.checks import check_largest_stable_lr, check_lr_regime, check_steps_to_tolerance

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- largest_stable_lr
def largest_stable_lr(H):
    return 2 / np.linalg.eigvalsh(H).max()


def test_largest_stable_lr_reference_passes(capsys):
    expect_pass(check_largest_stable_lr, largest_stable_lr, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda H: 1 / np.linalg.eigvalsh(H).max(), "that is 1 / L"),
    (lambda H: 2 / np.linalg.eigvalsh(H).min(), "you used the smallest curvature"),
    (lambda H: 2 / H.diagonal().max(), "you used the largest diagonal entry"),
    (lambda H: 2 / np.linalg.eigvalsh(H).sum(), "the sum of the eigenvalues"),
    (lambda H: 2 / H.max(), "you used the largest diagonal entry (or entry) of H"),
])
def test_largest_stable_lr_mistakes(wrong, hint):
    expect_hint(check_largest_stable_lr, wrong, hint)


# ---------------------------------------------------------------- lr_regime
def lr_regime(lr, curvature):
    factor = 1 - lr * curvature
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillating"
    return "diverging"


def regime_swapped(lr, curvature):
    x = lr * curvature
    if x <= 2:
        return "monotone"
    return "oscillating" if x < 4 else "diverging"


def regime_halved(lr, curvature):
    if lr <= 0.5 / curvature:
        return "monotone"
    return "oscillating" if lr < 1 / curvature else "diverging"


def regime_two_way(lr, curvature):
    return "monotone" if lr < 2 / curvature else "diverging"


def regime_edge_two(lr, curvature):
    if lr * curvature <= 1:
        return "monotone"
    return "oscillating" if lr * curvature <= 2 else "diverging"


def regime_edge_one(lr, curvature):
    if lr * curvature < 1:
        return "monotone"
    return "oscillating" if lr * curvature < 2 else "diverging"


def test_lr_regime_reference_passes(capsys):
    expect_pass(check_lr_regime, lr_regime, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (regime_swapped, "the boundaries are swapped"),
    (regime_halved, "the boundaries are at 1/(2L) and 1/L"),
    (regime_two_way, "you never answer 'oscillating'"),
    (regime_edge_two, "lr = 2/L exactly counts as 'diverging'"),
    (regime_edge_one, "lr = 1/L exactly counts as 'monotone'"),
])
def test_lr_regime_mistakes(wrong, hint):
    expect_hint(check_lr_regime, wrong, hint)


# ---------------------------------------------------------------- steps_to_tolerance
def steps_by_formula(lr, curvature, w0, tol, rounding=math.ceil, extra=0, never=math.inf, already=0):
    factor = abs(1 - lr * curvature)
    if abs(w0) <= tol:
        return already
    if factor >= 1:
        return never
    if factor == 0:
        return 1
    return rounding(math.log(tol / abs(w0)) / math.log(factor)) + extra


def steps_loop(lr, curvature, w0, tol):
    w, steps = w0, 0
    while abs(w) > tol:
        if abs(1 - lr * curvature) >= 1:
            return math.inf
        w *= 1 - lr * curvature
        steps += 1
    return steps


def test_steps_to_tolerance_reference_passes(capsys):
    expect_pass(check_steps_to_tolerance, steps_loop, capsys)
    expect_pass(check_steps_to_tolerance, steps_by_formula, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda *a: steps_by_formula(*a, rounding=math.floor), "one step short"),
    (lambda *a: steps_by_formula(*a, extra=1), "one step too many"),
    (lambda *a: steps_by_formula(*a, never=-1), "return math.inf"),
    (lambda *a: steps_by_formula(*a, never=None), "return math.inf"),
    (lambda *a: steps_by_formula(*a, already=1), "no step is needed: return 0"),
])
def test_steps_to_tolerance_mistakes(wrong, hint):
    expect_hint(check_steps_to_tolerance, wrong, hint)
