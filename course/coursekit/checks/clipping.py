"""Checks for lesson 8, gradient clipping.

The participant works on a list of gradient arrays (one per parameter). The references are
minigrad's ``clip_grad_norm_`` and ``clip_grad_value_``, run on tensors holding copies of them.
"""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_

from ._core import Case, Mistake, as_number, run_check

__all__ = ["check_global_grad_norm", "check_clip_grad_norm", "check_clip_grad_value"]


def _as_parameters(grads):
    """Tensors whose .grad are copies of ``grads`` (what minigrad's clipping functions take)."""
    params = []
    for grad in grads:
        param = mg.tensor(np.zeros_like(grad), requires_grad=True)
        param.grad = np.array(grad, dtype=float)
        params.append(param)
    return params


def _grads_cases():
    return [
        ("two gradients, [3, 4] and [[12]] (total norm 13)", [np.array([3.0, 4.0]), np.array([[12.0]])]),
        ("three gradients of total norm about 0.37 (small)",
         [np.array([0.1, -0.2]), np.array([[0.05, 0.1], [0.2, -0.15]]), np.array([0.1])]),
        ("one gradient [-30, 40, 0] (norm 50)", [np.array([-30.0, 40.0, 0.0])]),
    ]


# ------------------------------------------------------------------ global_grad_norm(grads)
def _global_norm_reference(grads):
    return clip_grad_norm_(_as_parameters(grads), max_norm=math.inf)


GLOBAL_NORM_MISTAKES = [
    Mistake("you added up the norms of the separate gradients; the total norm treats all of them as one "
            "long vector: the square root of the sum of all squared entries.",
            lambda grads: float(sum(np.linalg.norm(g) for g in grads))),
    Mistake("the square root is missing: the norm is the square root of the sum of squares.",
            lambda grads: float(sum(np.sum(g ** 2) for g in grads))),
    Mistake("you took the largest of the separate norms; the total norm covers all gradients together.",
            lambda grads: float(max(np.linalg.norm(g) for g in grads))),
    Mistake("only the first gradient counts here; include every parameter's gradient.",
            lambda grads: float(np.linalg.norm(grads[0]))),
    Mistake("you summed absolute values (an L1 norm); clipping uses the L2 norm, the square root of the "
            "sum of squares.", lambda grads: float(sum(np.sum(np.abs(g)) for g in grads))),
]


def check_global_grad_norm(global_grad_norm):
    """``global_grad_norm(grads)``: the L2 norm of all the gradients seen as one vector."""
    cases = [Case(label, (grads,)) for label, grads in _grads_cases()]
    run_check("global_grad_norm", global_grad_norm, cases, _global_norm_reference, GLOBAL_NORM_MISTAKES,
              what="total norm", rtol=1e-9)


# ------------------------------------------------------------------ clip_grad_norm(grads, max_norm)
def _observe_in_place(fn, case):
    """(returned value, the gradients after the call), run on copies of the case's gradients."""
    grads = [np.array(g, dtype=float) for g in case.args[0]]
    returned = fn(grads, case.args[1])
    return as_number(returned, "one number, the total norm before clipping"), [g.copy() for g in grads]


def _clip_norm_reference(grads, max_norm):
    params = _as_parameters(grads)
    total = clip_grad_norm_(params, max_norm)
    for grad, param in zip(grads, params):
        grad[...] = param.grad  # the participant's contract: clip the given arrays in place
    return total


def _total(grads):
    return math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))


def _clip_norm_variant(mode):
    def clip(grads, max_norm):
        total = _total(grads)
        if mode == "per_tensor":
            for g in grads:
                norm = float(np.linalg.norm(g))
                if norm > max_norm:
                    g *= max_norm / norm
            return total
        if mode == "value":
            for g in grads:
                np.clip(g, -max_norm, max_norm, out=g)
            return total
        scale = max_norm / total  # "always": even when that scales up
        if mode == "normalize":
            scale = 1.0 / total if total > max_norm else 1.0
        elif mode != "always":
            scale = min(1.0, scale)
        for g in grads:
            g *= scale
        return _total(grads) if mode == "after" else total
    return clip


CLIP_NORM_MISTAKES = [
    Mistake("each gradient was clipped on its own; clip by the total norm of all of them, scaling every "
            "gradient by the same factor (the direction of the whole update is kept).",
            _clip_norm_variant("per_tensor")),
    Mistake("small gradients were scaled up: clipping only ever shrinks. Scale by "
            "min(1, max_norm / total_norm).", _clip_norm_variant("always")),
    Mistake("you clipped every entry into [-max_norm, max_norm]: that is clipping by value. Clipping by norm "
            "scales all gradients by max_norm / total_norm when the total norm is too large.",
            _clip_norm_variant("value")),
    Mistake("the gradients were scaled to norm 1; scale them to norm max_norm (multiply by max_norm / total_norm).",
            _clip_norm_variant("normalize")),
    Mistake("you returned the norm after clipping; return the total norm before clipping (it is what you "
            "log to see how often clipping bites).", _clip_norm_variant("after")),
]


def _inspect_clip(got, want, case):
    returned, grads = got
    if returned is None and want[0] is not None:
        return "your function returned None: return the total norm before clipping."
    if same_arrays(grads, case.args[0]) and not same_arrays(want[1], case.args[0]):
        return ("the gradients did not change: scale the arrays in the list in place (g *= scale), "
                "not new arrays bound to a local name.")
    return None


def same_arrays(left, right):
    return len(left) == len(right) and all(np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(left, right))


def check_clip_grad_norm(clip_grad_norm):
    """``clip_grad_norm(grads, max_norm)`` clips the list of arrays in place, returns the norm before."""
    mixed = ("two gradients, [6, 8] and [0.5] (total norm about 10)", [np.array([6.0, 8.0]), np.array([0.5])])
    cases = [Case(f"{label}, max_norm={m}", (grads, m))
             for (label, grads), m in zip([mixed] + _grads_cases() + [_grads_cases()[0]], [5.0, 5.0, 1.0, 1.0, 20.0])]
    run_check("clip_grad_norm", clip_grad_norm, cases, _clip_norm_reference, CLIP_NORM_MISTAKES,
              observe=_observe_in_place, inspect=_inspect_clip, what="(norm returned, gradients after)",
              rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------ clip_grad_value(grads, clip_value)
def _clip_value_reference(grads, clip_value):
    params = _as_parameters(grads)
    clip_grad_value_(params, clip_value)
    for grad, param in zip(grads, params):
        grad[...] = param.grad


def _clip_value_variant(low_factor):
    def clip(grads, clip_value):
        for g in grads:
            np.clip(g, None if low_factor is None else low_factor * clip_value, clip_value, out=g)
    return clip


CLIP_VALUE_MISTAKES = [
    Mistake("only the upper bound is applied: large negative entries must be clipped too, into "
            "[-clip_value, clip_value].", _clip_value_variant(None)),
    Mistake("the lower bound is 0, so every negative entry became 0; the range is [-clip_value, clip_value].",
            _clip_value_variant(0.0)),
    Mistake("you scaled by the norm: that is clipping by norm. Clipping by value clamps each entry on its own.",
            lambda grads, c: _clip_by_norm_silently(grads, c)),
]


def _clip_by_norm_silently(grads, clip_value):
    _clip_norm_variant("right")(grads, clip_value)


def _observe_value(fn, case):
    grads = [np.array(g, dtype=float) for g in case.args[0]]
    fn(grads, case.args[1])
    return [g.copy() for g in grads]


def check_clip_grad_value(clip_grad_value):
    """``clip_grad_value(grads, clip_value)`` clamps every entry into [-clip_value, clip_value], in place."""
    cases = [Case(f"{label}, clip_value={c}", (grads, c)) for (label, grads), c in zip(_grads_cases(), [5.0, 0.12, 10.0])]

    def inspect(got, want, case):
        if same_arrays(got, case.args[0]):
            return ("the gradients did not change: clip the arrays in the list in place "
                    "(np.clip(g, -c, c, out=g) or g[...] = ...).")
        return None

    run_check("clip_grad_value", clip_grad_value, cases, _clip_value_reference, CLIP_VALUE_MISTAKES,
              observe=_observe_value, inspect=inspect, what="gradients after", rtol=1e-9)
