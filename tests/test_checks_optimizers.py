"""Lesson 4's checks: each common mistake is caught with its hint, and right answers pass."""
import numpy as np
import pytest

from coursekit.checks import check_adam_step, check_adamw_step, check_momentum_step, check_rmsprop_step

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- momentum
def momentum_step(param, grad, state, lr=0.01, momentum=0.9):
    v = state.get("momentum_buffer")
    v = grad.copy() if v is None else momentum * v + grad
    state["momentum_buffer"] = v
    param -= lr * v


def momentum_lr_in_buffer(param, grad, state, lr=0.01, momentum=0.9):
    # v = μ v + lr g; θ -= v: the same numbers as PyTorch's form while lr is constant
    state["v"] = momentum * state.get("v", 0.0) + lr * grad
    param -= state["v"]


def momentum_uphill(param, grad, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + grad
    param += lr * state["v"]


def momentum_forgotten(param, grad, state, lr=0.01, momentum=0.9):
    v = np.zeros_like(param)  # a fresh velocity every call
    v = momentum * v + grad
    param -= lr * v


def momentum_ema(param, grad, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + (1 - momentum) * grad
    param -= lr * state["v"]


def momentum_rebinds(param, grad, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + grad
    param = param - lr * state["v"]  # noqa: F841 - rebinding is the mistake


def momentum_returns(param, grad, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + grad
    return param - lr * state["v"]


def test_momentum_reference_passes(capsys):
    expect_pass(check_momentum_step, momentum_step, capsys)
    expect_pass(check_momentum_step, momentum_lr_in_buffer, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (momentum_uphill, "the update has the wrong sign"),
    (momentum_forgotten, "the velocity is not remembered between calls"),
    (momentum_ema, "you averaged with (1 - momentum)·grad"),
    (momentum_rebinds, "only rebinds your local name"),
    (momentum_returns, "you returned a new array"),
])
def test_momentum_mistakes(wrong, hint):
    expect_hint(check_momentum_step, wrong, hint)


# ---------------------------------------------------------------- RMSProp
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, *, sqrt=True, eps_inside=False, swap=False,
                 remember=True, sign=1.0):
    s = state.get("square_avg", np.zeros_like(param)) if remember else np.zeros_like(param)
    s = (1 - alpha) * s + alpha * grad ** 2 if swap else alpha * s + (1 - alpha) * grad ** 2
    state["square_avg"] = s
    denom = np.sqrt(s + eps) if eps_inside else (np.sqrt(s) if sqrt else s) + eps
    param -= sign * lr * grad / denom


def with_flags(rule, **flags):
    def wrong(param, grad, state, **settings):
        rule(param, grad, state, **settings, **flags)
    return wrong


def test_rmsprop_reference_passes(capsys):
    expect_pass(check_rmsprop_step, rmsprop_step, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"sign": -1.0}, "the update has the wrong sign"),
    ({"sqrt": False}, "the square root is missing"),
    ({"swap": True}, "alpha and 1 - alpha are swapped"),
    ({"remember": False}, "the running average is not remembered between calls"),
    ({"eps_inside": True}, "eps is inside the square root"),
])
def test_rmsprop_mistakes(flags, hint):
    expect_hint(check_rmsprop_step, with_flags(rmsprop_step, **flags), hint)


# ---------------------------------------------------------------- Adam
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, *, correct_m=True, correct_v=True,
              start_t=0, count_first=True, eps_inside=False, swap=False, remember=True, sign=1.0):
    beta1, beta2 = betas[::-1] if swap else betas
    if not state or not remember:
        state.update(t=start_t, m=np.zeros_like(param), v=np.zeros_like(param))
    if count_first:
        state["t"] += 1
    t = state["t"]
    state["m"] = m = beta1 * state["m"] + (1 - beta1) * grad
    state["v"] = v = beta2 * state["v"] + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t) if correct_m else m
    v_hat = v / (1 - beta2 ** t) if correct_v else v
    denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    param -= sign * lr * m_hat / denom
    if not count_first:
        state["t"] += 1


def test_adam_reference_passes(capsys):
    expect_pass(check_adam_step, adam_step, capsys)


@pytest.mark.parametrize("flags, hint", [
    ({"sign": -1.0}, "the update has the wrong sign"),
    ({"correct_m": False, "correct_v": False}, "bias correction missing"),
    ({"correct_v": False}, "only m is bias-corrected"),
    ({"correct_m": False}, "only v is bias-corrected"),
    ({"start_t": 1}, "the step count t is off by one"),
    ({"swap": True}, "the betas are swapped"),
    ({"remember": False}, "m, v and t are not remembered between calls"),
    ({"eps_inside": True}, "eps is inside the square root"),
])
def test_adam_mistakes(flags, hint):
    expect_hint(check_adam_step, with_flags(adam_step, **flags), hint)


def test_adam_counting_from_zero_is_explained():
    # t used before it is increased: 1 - β⁰ = 0 and the first step divides by zero
    with np.errstate(all="ignore"):
        expect_hint(check_adam_step, with_flags(adam_step, count_first=False),
                    "the bias correction divides by zero; count steps from 1")


# ---------------------------------------------------------------- AdamW
def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    param *= 1 - lr * weight_decay
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)


def adamw_as_l2(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    adam_step(param, grad + weight_decay * param, state, lr=lr, betas=betas, eps=eps)


def adamw_without_lr(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    param *= 1 - weight_decay
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)


def adamw_growing(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    param *= 1 + lr * weight_decay
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)


def adamw_subtracting(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    param -= lr * weight_decay
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)


def adamw_decay_after(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)
    param *= 1 - lr * weight_decay


def adamw_no_decay(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)


def test_adamw_reference_passes(capsys):
    expect_pass(check_adamw_step, adamw_step, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (adamw_as_l2, "weight decay was added to the gradient: that is Adam with L2, not AdamW"),
    (adamw_without_lr, "the decay ignores the learning rate"),
    (adamw_growing, "the decay has the wrong sign"),
    (adamw_subtracting, "decay is proportional to the weight"),
    (adamw_decay_after, "the decay is applied after the Adam step"),
    (adamw_no_decay, "weight decay is missing: this is plain Adam"),
])
def test_adamw_mistakes(wrong, hint):
    expect_hint(check_adamw_step, wrong, hint)
