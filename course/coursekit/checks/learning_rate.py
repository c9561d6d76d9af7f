"""Checks for lesson 2, the learning rate."""
from __future__ import annotations

import math

import numpy as np

from ._core import Case, Mistake, run_check

__all__ = ["check_largest_stable_lr", "check_lr_regime", "check_steps_to_tolerance"]


def _rotated(eigenvalues, angle):
    """A symmetric matrix with these eigenvalues, its axes turned by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return rotation @ np.diag(eigenvalues) @ rotation.T


# ------------------------------------------------------------------ largest_stable_lr(H)
def _largest_stable_lr_reference(H):
    return 2.0 / float(np.linalg.eigvalsh(np.asarray(H, dtype=float)).max())


LARGEST_STABLE_LR_MISTAKES = [
    Mistake("that is 1 / L, the rate that reaches the bottom of the steepest direction in one step; "
            "gradient descent still converges (oscillating) up to 2 / L.",
            lambda H: 1.0 / np.linalg.eigvalsh(H).max()),
    Mistake("you used the smallest curvature; the steepest direction (the largest eigenvalue L) "
            "is the first to blow up, so the limit is 2 / L with L the largest eigenvalue.",
            lambda H: 2.0 / np.linalg.eigvalsh(H).min()),
    Mistake("you used the largest diagonal entry (or entry) of H; when the valley is turned, the "
            "curvatures are the eigenvalues of H (np.linalg.eigvalsh), not its entries.",
            lambda H: 2.0 / np.max(np.diag(H))),
    Mistake("you used the sum of the eigenvalues (the trace); the limit depends only on the largest one.",
            lambda H: 2.0 / np.trace(H)),
]


def check_largest_stable_lr(largest_stable_lr):
    """``largest_stable_lr(H)``: the learning rate above which gradient descent on 0.5·wᵀHw diverges."""
    cases = [
        Case("H = diag(1, 10) (the valley of the lesson)", (np.diag([1.0, 10.0]),)),
        Case("H = diag(4) in 1-D", (np.array([[4.0]]),)),
        Case("H with curvatures 2 and 50, turned by 30 degrees", (_rotated([2.0, 50.0], math.pi / 6),)),
        Case("H with curvatures 0.5, 3 and 8 in 3-D",
             (np.array([[3.0, 0.0, 0.0], [0.0, 4.25, 3.75], [0.0, 3.75, 4.25]]),)),
    ]
    run_check("largest_stable_lr", largest_stable_lr, cases, _largest_stable_lr_reference,
              LARGEST_STABLE_LR_MISTAKES, what="learning rate", rtol=1e-6)


# ------------------------------------------------------------------ lr_regime(lr, curvature)
def _lr_regime_reference(lr, curvature):
    factor = 1.0 - lr * curvature  # each step multiplies the distance to the minimum by this
    if factor >= 0:
        return "monotone"
    if factor > -1:
        return "oscillating"
    return "diverging"


def _regime_from_thresholds(low, high):
    def regime(lr, curvature):
        x = lr * curvature
        return "monotone" if x <= low else ("oscillating" if x < high else "diverging")
    return regime


LR_REGIME_MISTAKES = [
    Mistake("the boundaries are swapped: up to lr = 1/L the distance shrinks without changing sign "
            "(monotone); between 1/L and 2/L it flips sign each step but shrinks (oscillating); "
            "from 2/L on it does not shrink (diverging).", _regime_from_thresholds(2.0, 4.0)),
    Mistake("the boundaries are at 1/(2L) and 1/L; they are at 1/L and 2/L (the factor 1 - lr·L "
            "turns negative at 1/L and passes -1 at 2/L).", _regime_from_thresholds(0.5, 1.0)),
    Mistake("you never answer 'oscillating': between 1/L and 2/L the factor 1 - lr·L is negative but "
            "above -1, so the path flips sides while it converges.", _regime_from_thresholds(2.0, 2.0)),
    Mistake("lr = 2/L exactly counts as 'diverging' (the distance never shrinks: the path bounces "
            "between w0 and -w0 forever); only lr below 2/L is 'oscillating'.",
            lambda lr, c: "oscillating" if 1 < lr * c <= 2 else _lr_regime_reference(lr, c)),
    Mistake("lr = 1/L exactly counts as 'monotone' (the factor is 0: one step lands on the minimum).",
            lambda lr, c: "oscillating" if lr * c == 1 else _lr_regime_reference(lr, c)),
]


def check_lr_regime(lr_regime):
    """``lr_regime(lr, curvature)`` names what gradient descent does on a 1-D quadratic."""
    cases = [Case(f"lr={lr}, curvature={c}", (lr, c)) for lr, c in [
        (0.01, 10.0), (0.05, 10.0), (0.1, 10.0), (0.15, 10.0), (0.2, 10.0), (0.3, 10.0),
        (0.4, 4.0), (0.25, 4.0), (1.0, 1.0), (1.5, 1.0), (2.0, 1.0), (2.5, 1.0), (0.001, 100.0),
    ]]
    run_check("lr_regime", lr_regime, cases, _lr_regime_reference, LR_REGIME_MISTAKES, what="regime")


# ------------------------------------------------------------------ steps_to_tolerance(lr, curvature, w0, tol)
def _steps_to_tolerance_reference(lr, curvature, w0, tol):
    """Steps of w ← (1 − lr·c)·w until |w| ≤ tol, counted by running them (inf if it never gets there)."""
    factor, w, steps = 1.0 - lr * curvature, abs(w0), 0
    if w <= tol:
        return 0
    if abs(factor) >= 1:
        return math.inf
    while w > tol:
        w *= abs(factor)
        steps += 1
    return steps


def _steps_formula(rounding, offset=0):
    def steps(lr, c, w0, tol):
        factor = abs(1 - lr * c)
        if abs(w0) <= tol:
            return 0
        if factor >= 1:
            return math.inf
        if factor == 0:
            return 1
        return rounding(math.log(tol / abs(w0)) / math.log(factor)) + offset
    return steps


STEPS_MISTAKES = [
    Mistake("one step short: you rounded down; the number of steps must be the first whole number "
            "that gets within tol (round up, math.ceil).", _steps_formula(math.floor)),
    Mistake("one step too many: after n steps the distance is |w0|·|1 - lr·c|ⁿ; count the first n "
            "that reaches tol, not one more.", _steps_formula(math.ceil, 1)),
    Mistake("when w0 is already within tol, no step is needed: return 0.",
            lambda lr, c, w0, tol: 1 if abs(w0) <= tol else _steps_to_tolerance_reference(lr, c, w0, tol)),
]


def check_steps_to_tolerance(steps_to_tolerance):
    """``steps_to_tolerance(lr, curvature, w0, tol)``: gradient-descent steps until |w| ≤ tol (math.inf if never)."""
    cases = [Case(f"lr={lr}, curvature={c}, w0={w0}, tol={tol}", (lr, c, w0, tol)) for lr, c, w0, tol in [
        (0.1, 1.0, 1.0, 0.01),     # factor 0.9: slow, monotone
        (0.01, 1.0, 5.0, 1e-3),    # factor 0.99: very slow
        (0.15, 10.0, 1.0, 1e-4),   # factor -0.5: oscillating but converging
        (0.3, 10.0, 1.0, 1e-4),    # factor -2: diverging
        (0.1, 10.0, -3.0, 1e-6),   # factor 0: one step
        (0.05, 10.0, 2.0, 1e-3),   # factor 0.5
        (0.5, 1.0, 0.001, 0.01),   # already there
        (0.2, 10.0, 1.0, 1e-2),    # factor -1: bounces forever
    ]]
    never = ("this learning rate never gets there (|1 - lr·curvature| ≥ 1: the distance never shrinks), so "
             "return math.inf.")

    def inspect(got, want, case):
        if want == math.inf:
            return never
        if got is None:
            return "your function returned None: did you forget the `return` line?"
        return None

    def on_timeout(case):
        if _steps_to_tolerance_reference(*case.args) == math.inf:
            return (f"{never} A loop that waits for |w| ≤ tol never ends here: check |1 - lr·curvature| ≥ 1 "
                    f"before the loop.")
        return None

    run_check("steps_to_tolerance", steps_to_tolerance, cases, _steps_to_tolerance_reference, STEPS_MISTAKES,
              what="number of steps", rtol=0, atol=0, inspect=inspect, on_timeout=on_timeout)
