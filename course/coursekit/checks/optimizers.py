"""Checks for lesson 4, the optimizers.

The participant writes each rule as minigrad's own ``minigrad.optim.functional`` does:
``rule(param, grad, state, **hyperparameters)`` updates ``param`` and ``state`` in place and
returns nothing. The reference is minigrad's function, so there is one source of truth.
"""
from __future__ import annotations

import numpy as np

from minigrad.optim import functional as OF

from ._core import Case, Mistake, fmt, run_check

__all__ = ["check_momentum_step", "check_rmsprop_step", "check_adam_step", "check_adamw_step"]

# A fixed gradient sequence (not all the same sign or size), so every step of a rule is exercised.
GRADS = [np.array([1.0, -2.0]), np.array([0.5, -1.5]), np.array([-0.3, 2.5]), np.array([0.8, 0.1]),
         np.array([1.2, -0.4])]
START = np.array([1.0, -1.0])


def _observe(rule, case):
    """Run the rule on fresh copies through the case's gradients; return param after each step."""
    start, grads, hyper = case.args[0], case.args[1], case.kwargs
    param, state, rows = np.array(start, dtype=float), {}, []
    for grad in grads:
        result = rule(param, np.array(grad, dtype=float), state, **hyper)
        if result is not None and not rows and np.array_equal(param, start):
            return "returned a new array"  # and left param alone: _inspect_in_place explains
        rows.append(param.copy())
    return _in_precision_of(state, np.array(rows))


def _in_precision_of(state, rows):
    """``rows`` in the least precise float dtype of the participant's state: a float32 buffer rounds the
    float64 param it updates too, and the comparison allows for that dtype's rounding (_core.ROUNDING_SLACK)."""
    dtypes = [value.dtype for value in state.values() if getattr(value, "dtype", None) is not None
              and np.dtype(value.dtype).kind == "f"]
    return rows.astype(min(dtypes, key=lambda dtype: np.dtype(dtype).itemsize)) if dtypes else rows


def _inspect_in_place(got, want, case):
    if isinstance(got, str):
        return ("param did not change: you returned a new array. Update param in place "
                "(param -= ...), as minigrad.optim.functional does, and return nothing.")
    got_array = np.asarray(got, dtype=float)
    if got_array.shape == np.shape(want) and np.allclose(got_array, case.args[0]):
        return ("param did not change: `param = param - ...` only rebinds your local name. Update the "
                "caller's array in place: param -= ..., or param[...] = ...")
    return None


def _state_hint(error, case):
    """The commonest slip of a hand-written optimizer: reading its state before the first step filled it."""
    if isinstance(error, KeyError):
        key = error.args[0] if error.args else "..."
        return (f"state is empty on the first step, so state[{key!r}] does not exist yet: create it when it "
                f"is missing, e.g. `if {key!r} not in state: state[{key!r}] = np.zeros_like(param)`.")
    return None


def _run(task, fn, cases, reference, mistakes, inspect=_inspect_in_place):
    run_check(task, fn, cases, reference, mistakes, observe=_observe, inspect=inspect, on_error=_state_hint,
              what="param", row_label=lambda i: f"param after step {i + 1}", rtol=1e-7, atol=1e-10)


def _cases(*hyper_sets, steps=len(GRADS)):
    return [Case(", ".join(f"{k}={fmt(v)}" for k, v in hyper.items()) + f", {steps} steps from param={fmt(START)}",
                 (START, GRADS[:steps]), dict(hyper)) for hyper in hyper_sets]


# ------------------------------------------------------------------ momentum_step(param, grad, state, lr, momentum)
def _momentum_reference(param, grad, state, lr=0.01, momentum=0.9):
    OF.sgd(param, grad, state, lr=lr, momentum=momentum)


def _momentum_variant(ema=False, keep=True, sign=1.0):
    def step(param, grad, state, lr=0.01, momentum=0.9):
        velocity = state.get("v", np.zeros_like(param)) if keep else np.zeros_like(param)
        velocity = momentum * velocity + ((1 - momentum) * grad if ema else grad)
        state["v"] = velocity
        param -= sign * lr * velocity
    return step


MOMENTUM_MISTAKES = [
    Mistake("the update has the wrong sign: subtract lr times the velocity.", _momentum_variant(sign=-1.0)),
    Mistake("the velocity is not remembered between calls, so momentum has no effect: keep it in state "
            "(state['momentum_buffer']) and update it there each step.", _momentum_variant(keep=False)),
    Mistake("you averaged with (1 - momentum)·grad (an exponential moving average, 'dampening'); "
            "PyTorch's momentum adds the whole gradient: v = momentum·v + grad.", _momentum_variant(ema=True)),
]


def check_momentum_step(momentum_step):
    """``momentum_step(param, grad, state, lr, momentum)``: SGD with momentum, PyTorch's way, in place."""
    _run("momentum_step", momentum_step, _cases({"lr": 0.1, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.5}),
         _momentum_reference, MOMENTUM_MISTAKES)


# ------------------------------------------------------------------ rmsprop_step(param, grad, state, lr, alpha, eps)
def _rmsprop_reference(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
    OF.rmsprop(param, grad, state, lr=lr, alpha=alpha, eps=eps)


def _rmsprop_variant(sqrt=True, eps_inside=False, swap=False, keep=True, sign=1.0):
    def step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg = state.get("s", np.zeros_like(param)) if keep else np.zeros_like(param)
        square_avg = (1 - alpha) * square_avg + alpha * grad ** 2 if swap else alpha * square_avg + (1 - alpha) * grad ** 2
        state["s"] = square_avg
        if eps_inside:
            denom = np.sqrt(square_avg + eps)
        else:
            denom = (np.sqrt(square_avg) if sqrt else square_avg) + eps
        param -= sign * lr * grad / denom
    return step


RMSPROP_MISTAKES = [
    Mistake("the update has the wrong sign: subtract lr · grad / (√s + eps).", _rmsprop_variant(sign=-1.0)),
    Mistake("the square root is missing: divide by √s + eps, the root mean square, not by s.",
            _rmsprop_variant(sqrt=False)),
    Mistake("alpha and 1 - alpha are swapped: s = alpha·s + (1 - alpha)·grad², so the average changes slowly.",
            _rmsprop_variant(swap=True)),
    Mistake("the running average is not remembered between calls: keep it in state "
            "(state['square_avg']) and update it there each step.", _rmsprop_variant(keep=False)),
    Mistake("eps is inside the square root; PyTorch adds it after: √s + eps.", _rmsprop_variant(eps_inside=True)),
]


def check_rmsprop_step(rmsprop_step):
    """``rmsprop_step(param, grad, state, lr, alpha, eps)``: RMSProp, PyTorch's way, in place."""
    _run("rmsprop_step", rmsprop_step,
         _cases({"lr": 0.01, "alpha": 0.99, "eps": 1e-8}, {"lr": 0.1, "alpha": 0.9, "eps": 0.1}),
         _rmsprop_reference, RMSPROP_MISTAKES)


# ------------------------------------------------------------------ adam_step(param, grad, state, lr, betas, eps)
def _adam_reference(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    OF.adam(param, grad, state, lr=lr, betas=betas, eps=eps)


def _adam_variant(correct_m=True, correct_v=True, t_offset=0, eps_inside=False, swap_betas=False, keep=True,
                  sign=1.0):
    def step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas[::-1] if swap_betas else betas
        if not keep or not state:
            state.update(t=0, m=np.zeros_like(param), v=np.zeros_like(param))
        state["t"] += 1
        t = state["t"] + t_offset
        state["m"] = m = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = v = beta2 * state["v"] + (1 - beta2) * grad ** 2
        m_hat = m / (1 - beta1 ** t) if correct_m else m
        v_hat = v / (1 - beta2 ** t) if correct_v else v
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        param -= sign * lr * m_hat / denom
    return step


ADAM_MISTAKES = [
    Mistake("the update has the wrong sign: subtract lr · m̂ / (√v̂ + eps).", _adam_variant(sign=-1.0)),
    Mistake("bias correction missing: m and v start at zero, so early on they are far too small; divide them "
            "by (1 - β₁ᵗ) and (1 - β₂ᵗ). Without it the first steps have the wrong size (with the "
            "default betas they come out about 3 times too large).",
            _adam_variant(correct_m=False, correct_v=False)),
    Mistake("only m is bias-corrected: v needs its correction too, v̂ = v / (1 - β₂ᵗ); without it the first "
            "steps are far too large.", _adam_variant(correct_v=False)),
    Mistake("only v is bias-corrected: m needs its correction too, m̂ = m / (1 - β₁ᵗ); without it the first "
            "steps are too small.", _adam_variant(correct_m=False)),
    Mistake("the step count t is off by one: count steps from 1 (increase t before using it), so the first "
            "step divides by 1 - β₁¹.", _adam_variant(t_offset=1)),
    Mistake("the betas are swapped: β₁ (0.9) averages the gradients, β₂ (0.999) the squared gradients.",
            _adam_variant(swap_betas=True)),
    Mistake("m, v and t are not remembered between calls (each step starts afresh): keep them in state.",
            _adam_variant(keep=False)),
    Mistake("eps is inside the square root; PyTorch adds it after: √v̂ + eps.", _adam_variant(eps_inside=True)),
]


def _inspect_adam(got, want, case):
    message = _inspect_in_place(got, want, case)
    if message:
        return message
    if not np.all(np.isfinite(np.asarray(got, dtype=float))):
        return ("the result is inf or NaN at the first step: with t starting at 0, 1 - β₁⁰ = 0 and the "
                "bias correction divides by zero; count steps from 1.")
    return None


def check_adam_step(adam_step):
    """``adam_step(param, grad, state, lr, betas, eps)``: Adam with bias correction, PyTorch's way, in place."""
    cases = _cases({"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8}, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 0.1})
    _run("adam_step", adam_step, cases, _adam_reference, ADAM_MISTAKES, inspect=_inspect_adam)


# ------------------------------------------------------------------ adamw_step(param, grad, state, lr, betas, eps, weight_decay)
def _adamw_reference(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    OF.adamw(param, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def _adamw_variant(mode):
    def step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if mode == "l2":
            grad = grad + weight_decay * param
        elif mode == "no_lr":
            param *= 1 - weight_decay
        elif mode == "grow":
            param *= 1 + lr * weight_decay
        elif mode == "subtract":
            param -= lr * weight_decay
        _adam_reference(param, grad, state, lr=lr, betas=betas, eps=eps)
        if mode == "after":
            param *= 1 - lr * weight_decay
    return step


ADAMW_MISTAKES = [
    Mistake("weight decay was added to the gradient: that is Adam with L2, not AdamW. AdamW shrinks the "
            "weights directly, param *= 1 - lr·weight_decay, and gives Adam the plain gradient.",
            _adamw_variant("l2")),
    Mistake("the decay ignores the learning rate: shrink by 1 - lr·weight_decay, not 1 - weight_decay.",
            _adamw_variant("no_lr")),
    Mistake("the decay has the wrong sign: the weights must shrink, param *= 1 - lr·weight_decay.",
            _adamw_variant("grow")),
    Mistake("you subtracted lr·weight_decay from every weight; decay is proportional to the weight: "
            "param *= 1 - lr·weight_decay.", _adamw_variant("subtract")),
    Mistake("the decay is applied after the Adam step; PyTorch (and minigrad) shrink the weights first, "
            "then take the Adam step.", _adamw_variant("after")),
    Mistake("weight decay is missing: this is plain Adam. Shrink the weights, param *= 1 - lr·weight_decay, "
            "before the Adam step.", _adamw_variant("none")),
]


def check_adamw_step(adamw_step):
    """``adamw_step(param, grad, state, lr, betas, eps, weight_decay)``: AdamW's decoupled decay, in place."""
    cases = _cases({"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.5},
                   {"lr": 0.01, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.01})
    _run("adamw_step", adamw_step, cases, _adamw_reference, ADAMW_MISTAKES)
