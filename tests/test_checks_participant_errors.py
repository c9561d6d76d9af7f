"""What a check answers when the participant's code hangs, raises, or returns the wrong kind of thing.

Always a ✗ (``CheckFailed``) that names the case and says what to do: never a traceback through
the checker, never a kernel that runs until it is interrupted (issue 14, items 1, 5, 6 and 11).
"""
import math
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
from coursekit.checks import (CheckFailed, check_adam_step, check_clip_grad_norm, check_gd_step,
                              check_gradient_noise, check_momentum_step, check_scale_lr, check_softplus,
                              check_steps_to_tolerance, check_warmup_cosine)
from coursekit.checks import _core
from coursekit.checks._core import Case, call_with_time_limit, run_check


def failure(check, implementation):
    with pytest.raises(CheckFailed) as info:
        check(implementation)
    return str(info.value)


@pytest.fixture
def short_limit(monkeypatch):
    """A half-second limit, so that the tests of endless loops stay quick."""
    monkeypatch.setattr(_core, "CASE_TIME_LIMIT", 0.5)


# ------------------------------------------------------------------ endless loops (item 1)
def steps_to_tolerance_with_a_while_loop(lr, curvature, w0, tol):
    """What exercise 02's text suggests, without the |factor| >= 1 test: never ends on a diverging rate."""
    factor, distance, steps = abs(1.0 - lr * curvature), abs(w0), 0
    while distance > tol:
        distance *= factor
        steps += 1
    return steps


def test_a_while_loop_that_never_ends_is_stopped_and_the_case_named():
    """With the real limit: the check returns, names the diverging case and says to return math.inf."""
    message = failure(check_steps_to_tolerance, steps_to_tolerance_with_a_while_loop)
    assert f"did not finish within {_core.CASE_TIME_LIMIT:g} seconds" in message
    assert "lr=0.3, curvature=10.0" in message  # the first case whose rate diverges
    assert "return math.inf" in message


def test_the_time_limit_is_generous():
    assert _core.CASE_TIME_LIMIT >= 2.0  # a right answer takes milliseconds; a busy 2-core runner is slow


def test_code_that_swallows_exceptions_is_stopped_too(short_limit):
    def stubborn(x):
        while True:
            try:
                x = x + 1
            except Exception:  # noqa: BLE001 - what a participant might write
                pass

    with pytest.raises(CheckFailed, match=r"did not finish within 0\.5 seconds on x=1"):
        run_check("double", stubborn, [Case("x=1", (1.0,))], lambda x: 2 * x)


def test_a_hang_found_while_matching_known_mistakes_is_not_a_crash(short_limit):
    """The first case is wrong (so the known mistakes are compared on every case); the second hangs."""
    def wrong_then_endless(x):
        if x > 1:
            while True:
                pass
        return x + 2

    mistakes = [_core.Mistake("you added 2", lambda x: x + 2), _core.Mistake("you added 1 twice", lambda x: x + 2)]
    with pytest.raises(CheckFailed, match="you added 2"):
        run_check("double", wrong_then_endless, [Case("x=1", (1.0,)), Case("x=2", (2.0,))], lambda x: 2 * x,
                  mistakes)


def test_the_watchdog_never_fires_after_the_function_returned():
    """Many calls ending close to their limit: the exception is raised inside the call or not at all."""
    def busy():
        return sum(range(20_000))

    stray = 0
    for k in range(300):
        try:
            call_with_time_limit(0.0002 * (k % 5), busy)
        except _core._TimeLimitExceeded:
            pass
        try:
            sum(range(2_000))  # a stray exception would land here
        except _core._TimeLimitExceeded:
            stray += 1
    assert stray == 0
    watchdogs = [t for t in threading.enumerate() if t.name == "coursekit check time limit"]
    for watchdog in watchdogs:
        watchdog.join(timeout=5)  # each ends as soon as its call has ended
    assert not [t for t in watchdogs if t.is_alive()]


# ------------------------------------------------------------------ errors in the participant's code (item 5)
def test_a_typo_is_a_check_failure_naming_the_case_and_the_line():
    def gd_step(w, grad, lr):
        return w - lr * gradd  # noqa: F821 - the typo under test

    message = failure(check_gd_step, gd_step)
    assert "NameError: name 'gradd' is not defined" in message
    assert "w=[1, -2], grad=[0.5, 4], lr=0.1" in message
    assert "return w - lr * gradd" in message  # their line, not the checker's
    assert "typo" in message and "_core.py" not in message


def test_reading_the_optimizer_state_before_it_exists_gets_the_hint():
    def momentum_step(param, grad, state, lr=0.01, momentum=0.9):
        buffer = state["momentum_buffer"]
        buffer *= momentum
        buffer += grad
        param -= lr * buffer

    message = failure(check_momentum_step, momentum_step)
    assert "KeyError: 'momentum_buffer'" in message
    assert "state is empty on the first step" in message and "if 'momentum_buffer' not in state" in message


def test_a_function_that_forgets_save_for_backward_gets_a_hint():
    class Softplus(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (1 + x.exp()).log()

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x.sigmoid()

    message = failure(check_softplus, Softplus)
    assert "ctx.save_for_backward(x)" in message and "backward at x =" in message
    assert "AttributeError" not in message


def test_numpy_functions_on_tensors_get_a_hint():
    class Softplus(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.log1p(np.exp(x))

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    assert "tensor methods" in failure(check_softplus, Softplus)


def test_an_unfinished_stub_passes_through_for_the_exercise_to_explain():
    def gd_step(w, grad, lr):
        raise NotImplementedError("move against the gradient")

    with pytest.raises(NotImplementedError, match="move against the gradient"):
        check_gd_step(gd_step)


def test_an_unknown_rule_that_hangs_is_stopped(short_limit):
    def scale_lr(base_lr, base_batch_size, batch_size, rule="linear"):
        ratio = batch_size / base_batch_size
        if rule == "linear":
            return base_lr * ratio
        if rule == "sqrt":
            return base_lr * math.sqrt(ratio)
        while True:
            pass

    assert "rule='cubic'" in failure(check_scale_lr, scale_lr)


# ------------------------------------------------------------------ the wrong kind of result (item 6)
def test_a_per_trial_array_instead_of_one_number_is_explained():
    def gradient_noise(per_example_grads, batch_size, rng, trials=2000):
        full = per_example_grads.mean(axis=0)
        picks = (rng.choice(len(per_example_grads), batch_size, replace=False) for _ in range(trials))
        return np.array([np.sum((per_example_grads[i].mean(axis=0) - full) ** 2) for i in picks])

    message = failure(check_gradient_noise, gradient_noise)
    assert "return one number" in message and "an array of shape (2000,)" in message


def test_a_tensor_of_several_numbers_instead_of_one_is_explained():
    # A one-element tensor is one number (tests/test_outside_checks_float32.py); two are not.
    def clip_grad_norm(grads, max_norm):
        total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
        for g in grads:
            g *= min(1.0, max_norm / total)
        return mg.tensor([total, max_norm])

    message = failure(check_clip_grad_norm, clip_grad_norm)
    assert "return one number" in message and "minigrad Tensor" in message and ".item()" in message


def test_a_tensor_per_step_is_explained():
    def warmup_cosine(step, base_lr, warmup_steps, total_steps):
        return mg.tensor([base_lr, base_lr])

    assert "the learning rate at step 0" in failure(check_warmup_cosine, warmup_cosine)


# ------------------------------------------------------------------ no NumPy warnings beside the hint (item 11)
def test_a_wrong_adam_step_gets_its_hint_without_numpy_warnings():
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if not state:
            state.update(t=0, m=np.zeros_like(param), v=np.zeros_like(param))
        beta1, beta2 = betas
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad ** 2
        m_hat = state["m"] / (1 - beta1 ** state["t"])  # t is still 0: a division by zero
        v_hat = state["v"] / (1 - beta2 ** state["t"])
        state["t"] += 1
        param -= lr * m_hat / (np.sqrt(v_hat) + eps)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would be raised instead of the check's answer
        message = failure(check_adam_step, adam_step)
    assert "count steps from 1" in message
