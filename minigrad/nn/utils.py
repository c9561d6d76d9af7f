"""Gradient clipping, as torch.nn.utils: call it between ``loss.backward()`` and ``optimizer.step()``.

As in PyTorch (2.6 and later), clipping by norm is two steps that can be called apart:
``get_total_norm`` measures, ``clip_grads_with_norm_`` scales by a norm it is given, and
``clip_grad_norm_`` does both. Inside ``minigrad.func.vmap`` the two steps work per model of a
stack (``minigrad/func.py`` holds those rules), so a sweep clips every model with its own norm.
"""
import math
import numbers

from .. import backend
from .._batching import batchable
from ..tensor import Tensor


def _grads(parameters):
    """The gradients of a tensor or an iterable of tensors, skipping those without one."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for index, param in enumerate(parameters):
        if not isinstance(param, Tensor):
            raise TypeError(f"clipping needs minigrad Tensors, but item {index} is a {type(param).__name__}")
        if param.grad is not None:
            grads.append(param.grad)
    return grads


def _is_flag(value):
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # Python's or NumPy's bool: not a number here


def _check_norm_type(norm_type):
    if norm_type in ("inf", "Inf"):
        norm_type = math.inf
    if _is_flag(norm_type) or not isinstance(norm_type, numbers.Real) or not norm_type > 0:
        raise ValueError(f"Invalid norm_type: {norm_type!r}. Use a number > 0 or float('inf')")
    return float(norm_type)


def _check_max_norm(max_norm):
    if _is_flag(max_norm) or not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"Invalid max_norm: {max_norm!r}. max_norm must be a number >= 0")
    return float(max_norm)


def _norm(array, norm_type):
    xp = backend.array_module(array)
    if norm_type == math.inf:
        return float(xp.max(xp.abs(array))) if array.size else 0.0
    if norm_type == 2.0:  # a dot product: no temporary copy of a large gradient (float32 sums, as torch's do)
        flat = array.reshape(-1)
        return math.sqrt(float(xp.dot(flat, flat)))
    return float(xp.sum(xp.abs(array.astype(xp.float64, copy=False)) ** norm_type) ** (1.0 / norm_type))


@batchable
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of ``tensors`` seen as one long vector, ``‖(‖g₁‖, ‖g₂‖, …)‖``, as a Python float.

    ``tensors``: gradients (the arrays in ``p.grad``) or tensors, as
    ``torch.nn.utils.get_total_norm([p.grad for p in params])``. ``norm_type`` may be
    ``float("inf")`` (the largest absolute entry). ``foreach`` is accepted and ignored.
    """
    norm_type = _check_norm_type(norm_type)
    arrays = [t.data if isinstance(t, Tensor) else t for t in ([tensors] if _is_one(tensors) else tensors)]
    if not arrays:
        return 0.0
    norms = [_norm(array, norm_type) for array in arrays]
    total = max(norms) if norm_type == math.inf else math.fsum(n ** norm_type for n in norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise nonfinite_norm_error(norm_type, total)
    return total


def nonfinite_norm_error(norm_type, total):
    return RuntimeError(f"The total norm of order {norm_type} of the gradients is {total}, so they "
                        "cannot be clipped: the loss or the learning rate has blown up. Set "
                        "error_if_nonfinite=False to clip anyway (the gradients become NaN).")


def _is_one(tensors):
    return isinstance(tensors, Tensor) or hasattr(tensors, "shape")


def clip_coefficient(max_norm, total_norm):
    """What the gradients are multiplied by: ``max_norm / (total_norm + 1e-6)``, at most 1 (PyTorch's formula).

    Works on numbers and on arrays of per-model norms alike; NaN stays NaN.
    """
    coef = max_norm / (total_norm + 1e-6)
    return min(coef, 1.0) if isinstance(coef, float) else backend.array_module(coef).fmin(coef, 1.0)


@batchable
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` by :func:`clip_coefficient` of a norm measured before.

    As ``torch.nn.utils.clip_grads_with_norm_``: nothing changes when ``total_norm`` is at most
    ``max_norm``; otherwise every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``,
    so the direction is kept and only the length shrinks.
    """
    coef = clip_coefficient(_check_max_norm(max_norm), float(total_norm))
    if coef < 1.0 or math.isnan(coef):
        for grad in _grads(parameters):
            grad *= coef


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is the norm of all gradients seen as one long vector,
    ``‖(‖g₁‖, ‖g₂‖, …)‖`` (:func:`get_total_norm`). When it exceeds ``max_norm``, every
    gradient is multiplied by ``max_norm / (total_norm + 1e-6)`` (:func:`clip_grads_with_norm_`):
    the direction is kept and only the length shrinks. Returns the total norm *before*
    clipping, as a Python float: log it to see how often clipping bites.
    ``norm_type`` may be ``float("inf")`` (the largest absolute entry).
    """
    norm_type, max_norm = _check_norm_type(norm_type), _check_max_norm(max_norm)
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)  # a generator is read twice
    grads = _grads(parameters)
    if not grads:
        return 0.0
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


@batchable
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into ``[-clip_value, clip_value]`` in place."""
    if _is_flag(clip_value) or not isinstance(clip_value, numbers.Real) or not clip_value >= 0:
        raise ValueError(f"Invalid clip_value: {clip_value!r}. clip_value must be a number >= 0")
    clip_value = float(clip_value)
    for grad in _grads(parameters):
        backend.array_module(grad).clip(grad, -clip_value, clip_value, out=grad)
