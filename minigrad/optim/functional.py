"""The update rules, each written once as a function on raw arrays.

Every rule updates ``param`` and its ``state`` dict **in place**: ``state``
starts as ``{}`` and is filled on the first call, exactly like the per-parameter
state of the optimizer classes, which do nothing but loop over their parameters
calling these functions. The lessons call them directly on small float64 NumPy
arrays (a 2-vector per step is a few microseconds), free of any Tensor overhead::

    from minigrad.optim import functional as OF
    theta, state = np.array([-5.0, -2.0]), {}
    for _ in range(100):
        OF.adam(theta, grad_f(theta), state, lr=0.1)

Hyperparameters have torch.optim's names, defaults and arithmetic. The maths in
each docstring uses θ for ``param``, g for ``grad``, γ for ``lr``, λ for
``weight_decay`` and t for the step count (starting at 1). The functions never
modify ``grad``. They work on NumPy and CuPy arrays alike: ``xp`` is the array
module of ``param``. They do not validate hyperparameters (the classes do), so
the trajectory engine pays nothing for checks it has already made. Each takes
``maximize=True`` (as torch.optim): the gradient's sign is flipped first, so the
rule climbs the objective instead of descending it.
"""
from typing import NamedTuple

import numpy as np

from ..backend import array_module


def sgd(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
        maximize=False):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    .. code-block:: text

        g ← g + λ θ                      if λ ≠ 0
        b ← g                            on the first step, if momentum μ ≠ 0
        b ← μ b + (1 − τ) g              afterwards        (τ: dampening)
        g ← g + μ b   if nesterov, else   g ← b
        θ ← θ − γ g

    State: ``momentum_buffer`` (b), only when ``momentum != 0``.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param  # a new array: the caller's gradient stays as it was
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad.copy()
        else:
            buf *= momentum
            buf += grad if dampening == 0 else (1 - dampening) * grad
        grad = grad + momentum * buf if nesterov else buf
    param -= lr * grad


def adagrad(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
            eps=1e-10, maximize=False):
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients.

    .. code-block:: text

        g ← g + λ θ                      if λ ≠ 0
        γ̃ ← γ / (1 + (t − 1) η)           (η: lr_decay)
        s ← s + g²                        (s starts at initial_accumulator_value)
        θ ← θ − γ̃ g / (√s + ε)

    State: ``step`` (t), ``sum`` (s).
    """
    if maximize:
        grad = -grad
    xp = array_module(param)
    if not state:
        state["step"] = 0
        state["sum"] = xp.full_like(param, initial_accumulator_value)
    state["step"] = step = state["step"] + 1
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state["sum"]
    state_sum += grad * grad
    std = xp.sqrt(state_sum)
    std += eps
    param -= clr * grad / std


def rmsprop(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
            maximize=False):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    .. code-block:: text

        g ← g + λ θ                      if λ ≠ 0
        v ← α v + (1 − α) g²
        v̄ ← v − ḡ²,  ḡ ← α ḡ + (1 − α) g    if centered (ḡ: the mean gradient), else v̄ ← v
        b ← μ b + g / (√v̄ + ε)           if momentum μ > 0:  θ ← θ − γ b
        θ ← θ − γ g / (√v̄ + ε)           otherwise

    State: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b) if μ > 0,
    ``grad_avg`` (ḡ) if centered.
    """
    if maximize:
        grad = -grad
    xp = array_module(param)
    if not state:
        state["step"] = 0
        state["square_avg"] = xp.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if centered:
            state["grad_avg"] = xp.zeros_like(param)
    state["step"] += 1
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = state["square_avg"]
    square_avg *= alpha
    square_avg += (1 - alpha) * grad * grad
    if centered:
        grad_avg = state["grad_avg"]
        grad_avg += (1 - alpha) * (grad - grad_avg)  # torch's lerp: ḡ + (1 − α)(g − ḡ)
        avg = square_avg - grad_avg * grad_avg
        xp.sqrt(avg, out=avg)
    else:
        avg = xp.sqrt(square_avg)
    avg += eps
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf *= momentum
        buf += grad / avg
        param -= lr * buf
    else:
        param -= lr * grad / avg


def adam(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
         decoupled_weight_decay=False, maximize=False):
    """Adam: momentum (m) divided by a running root mean square (v), both bias-corrected.

    .. code-block:: text

        θ ← θ (1 − γ λ)                  if λ ≠ 0 and decoupled_weight_decay (AdamW)
        g ← g + λ θ                      if λ ≠ 0 otherwise (an L2 penalty: Adam)
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        v_max ← max(v_max, v)             if amsgrad, and v_max replaces v below
        m̂ ← m / (1 − β₁ᵗ)
        v̂ ← v / (1 − β₂ᵗ)
        θ ← θ − γ m̂ / (√v̂ + ε)

    With the L2 penalty the decay passes through v and is scaled down for
    coordinates with large gradients; decoupled decay shrinks every weight by
    the same factor. State: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v),
    ``max_exp_avg_sq`` (v_max) if amsgrad.
    """
    if maximize:
        grad = -grad
    xp = array_module(param)
    if not state:
        state["step"] = 0
        state["exp_avg"] = xp.zeros_like(param)
        state["exp_avg_sq"] = xp.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
    state["step"] = step = state["step"] + 1
    beta1, beta2 = betas
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    if amsgrad:
        exp_avg_sq = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    # √v̂ + ε, computed as torch does: (√v / √(1 − β₂ᵗ)) + ε, in one scratch array.
    denom = xp.sqrt(exp_avg_sq)
    denom /= bias_correction2 ** 0.5
    denom += eps
    # θ ← θ − (γ / (1 − β₁ᵗ)) m / denom, reusing the scratch array for the step.
    step_size = lr / bias_correction1
    xp.divide(exp_avg, denom, out=denom)
    denom *= step_size
    param -= denom


def adamw(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
          maximize=False):
    """AdamW: Adam with decoupled weight decay.

    .. code-block:: text

        θ ← θ (1 − γ λ)
        then Adam's update without the L2 term:  θ ← θ − γ m̂ / (√v̂ + ε)

    State as :func:`adam`.
    """
    adam(param, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
         decoupled_weight_decay=True, maximize=maximize)


class StepStats(NamedTuple):
    """What one step did to one parameter, for the lessons.

    ``effective_lr``: |Δθ| / |g| per coordinate, the learning rate each
    coordinate actually got (for plain SGD it is γ everywhere; adaptive methods
    give each coordinate its own). NaN where g and Δθ are both 0, inf where
    g = 0 but the weight still moved (momentum, weight decay).

    ``update_to_weight``: ‖Δθ‖ / ‖θ‖ with θ before the step; around 1e-3 is the
    usual healthy range, much larger means the step is rewriting the weights.
    """

    effective_lr: object
    update_to_weight: float


def step_stats(param_before, param_after, grad):
    """Compute :class:`StepStats` from a parameter before and after one step and its gradient."""
    xp = array_module(param_before)
    update = param_after - param_before
    with np.errstate(divide="ignore", invalid="ignore"):
        effective_lr = xp.abs(update) / xp.abs(grad)
        weight_norm = float(xp.linalg.norm(param_before.ravel()))
        update_norm = float(xp.linalg.norm(update.ravel()))
        update_to_weight = update_norm / weight_norm if weight_norm > 0 else (0.0 if update_norm == 0 else float("inf"))
    return StepStats(effective_lr, update_to_weight)
