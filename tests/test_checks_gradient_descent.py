"""Lesson 1's checks: each common mistake is caught with its hint, and right answers pass."""
import numpy as np
import pytest

import minigrad as mg
from coursekit.checks import (check_gd_step, check_gradient_descent, check_mse_grad,
                              check_softplus)

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- gd_step
def gd_step(w, grad, lr):
    return w - lr * grad


def gd_step_uphill(w, grad, lr):
    return w + lr * grad


def gd_step_no_lr(w, grad, lr):
    return w - grad


def gd_step_returns_step(w, grad, lr):
    return -lr * grad


def gd_step_divides(w, grad, lr):
    return w - grad / lr


def gd_step_no_return(w, grad, lr):
    w = w - lr * grad  # noqa: F841 - the missing return is the mistake


def test_gd_step_reference_passes(capsys):
    expect_pass(check_gd_step, gd_step, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (gd_step_uphill, "the update has the wrong sign"),
    (gd_step_no_lr, "the learning rate is missing"),
    (gd_step_returns_step, "you returned the step itself"),
    (gd_step_divides, "you divided by the learning rate"),
    (gd_step_no_return, "did you forget the `return` line"),
])
def test_gd_step_mistakes(wrong, hint):
    expect_hint(check_gd_step, wrong, hint)


# ---------------------------------------------------------------- mse_grad
def mse_grad(w, b, X, y):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r.mean()


def mse_grad_no_two(w, b, X, y):
    r = X @ w + b - y
    return X.T @ r / len(y), r.mean()


def mse_grad_sum(w, b, X, y):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()


def mse_grad_flipped(w, b, X, y):
    r = y - (X @ w + b)
    return 2 * X.T @ r / len(y), 2 * r.mean()


def mse_grad_no_bias(w, b, X, y):
    r = X @ w - y
    return 2 * X.T @ r / len(y), 2 * r.mean()


def test_mse_grad_reference_passes(capsys):
    expect_pass(check_mse_grad, mse_grad, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (mse_grad_no_two, "the factor 2 from the square is missing"),
    (mse_grad_sum, "you summed over the examples instead of averaging"),
    (mse_grad_flipped, "the sign is flipped"),
    (mse_grad_no_bias, "the bias b is missing from the prediction"),
])
def test_mse_grad_mistakes(wrong, hint):
    expect_hint(check_mse_grad, wrong, hint)


# ---------------------------------------------------------------- Softplus
def softplus_class(forward, backward):
    """A Function subclass from two plain functions, as a participant would write it."""
    return type("Softplus", (mg.autograd.Function,), {"forward": staticmethod(forward),
                                                      "backward": staticmethod(backward)})


def forward_ok(ctx, x):
    ctx.save_for_backward(x)
    return (1 + x.exp()).log()


def backward_ok(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output * x.sigmoid()


def backward_no_chain(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return x.sigmoid()


def backward_wrong_sigmoid(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output / (1 + x.exp())


def backward_softplus_again(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output * (1 + x.exp()).log()


def backward_exp_only(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output * x.exp()


def backward_negative(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return -grad_output * x.sigmoid()


def forward_no_one(ctx, x):
    ctx.save_for_backward(x)
    return x.exp().log()


def forward_sigmoid(ctx, x):
    ctx.save_for_backward(x)
    return x.sigmoid()


def test_softplus_reference_passes(capsys):
    expect_pass(check_softplus, softplus_class(forward_ok, backward_ok), capsys)


@pytest.mark.parametrize("forward, backward, hint", [
    (forward_ok, backward_no_chain, "backward ignores grad_output"),
    (forward_ok, backward_wrong_sigmoid, "backward uses sigmoid(-x)"),
    (forward_ok, backward_softplus_again, "backward returns softplus(x) itself"),
    (forward_ok, backward_exp_only, "backward returns exp(x)"),
    (forward_ok, backward_negative, "backward has the wrong sign"),
    (forward_no_one, backward_ok, "the 1 + inside the log is missing"),
    (forward_sigmoid, backward_ok, "forward returns sigmoid(x)"),
])
def test_softplus_mistakes(forward, backward, hint):
    expect_hint(check_softplus, softplus_class(forward, backward), hint)


def test_softplus_check_wants_the_class():
    expect_hint(check_softplus, lambda x: x, "a subclass of minigrad.autograd.Function")


# ---------------------------------------------------------------- gradient_descent
def gradient_descent(grad_fn, w0, lr, steps):
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(steps):
        w = gd_step(w, grad_fn(w), lr)
        path.append(w)
    return np.array(path)


def gd_appends_same_array(grad_fn, w0, lr, steps):
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(steps):
        w -= lr * grad_fn(w)
        path.append(w)
    return np.array(path)


def gd_without_start(grad_fn, w0, lr, steps):
    w, path = np.array(w0, dtype=float), []
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        path.append(w)
    return np.array(path).reshape(steps, -1)


def gd_uphill(grad_fn, w0, lr, steps):
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(steps):
        w = w + lr * grad_fn(w)
        path.append(w)
    return np.array(path)


def gd_stale_gradient(grad_fn, w0, lr, steps):
    w = np.array(w0, dtype=float)
    g = grad_fn(w)
    path = [w]
    for _ in range(steps):
        w = w - lr * g
        path.append(w)
    return np.array(path)


def gd_changes_caller_w0(grad_fn, w0, lr, steps):
    w = w0  # not a copy
    path = [w.copy()]
    for _ in range(steps):
        w -= lr * grad_fn(w)
        path.append(w.copy())
    return np.array(path)


def test_gradient_descent_reference_passes(capsys):
    expect_pass(check_gradient_descent, gradient_descent, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (gd_appends_same_array, "every row is the same array"),
    (gd_without_start, "the start point is missing"),
    (gd_uphill, "the update has the wrong sign"),
    (gd_stale_gradient, "the gradient is computed once"),
    (gd_changes_caller_w0, "your function changed the caller's w0"),
])
def test_gradient_descent_mistakes(wrong, hint):
    expect_hint(check_gradient_descent, wrong, hint)
