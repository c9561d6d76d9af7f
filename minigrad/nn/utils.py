"""Gradient clipping, as torch.nn.utils: call it between ``loss.backward()`` and ``optimizer.step()``."""
import math

from .. import backend
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


def _norm(array, norm_type):
    xp = backend.array_module(array)
    if norm_type == math.inf:
        return float(xp.max(xp.abs(array))) if array.size else 0.0
    if norm_type == 2.0:  # a dot product: no temporary copy of a large gradient (float32 sums, as torch's do)
        flat = array.reshape(-1)
        return math.sqrt(float(xp.dot(flat, flat)))
    return float(xp.sum(xp.abs(array.astype(xp.float64, copy=False)) ** norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is the norm of all gradients seen as one long vector,
    ``‖(‖g₁‖, ‖g₂‖, …)‖``. When it exceeds ``max_norm``, every gradient is
    multiplied by ``max_norm / (total_norm + 1e-6)``, the direction is kept and
    only the length shrinks (PyTorch's formula). Returns the total norm
    *before* clipping, as a Python float: log it to see how often clipping bites.
    ``norm_type`` may be ``float("inf")`` (the largest absolute entry).
    """
    if norm_type in ("inf", "Inf"):
        norm_type = math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not norm_type > 0:
        raise ValueError(f"Invalid norm_type: {norm_type!r}. Use a number > 0 or float('inf')")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm >= 0:
        raise ValueError(f"Invalid max_norm: {max_norm!r}. max_norm must be a number >= 0")
    norm_type, max_norm = float(norm_type), float(max_norm)
    grads = _grads(parameters)
    if not grads:
        return 0.0
    norms = [_norm(grad, norm_type) for grad in grads]
    if norm_type == math.inf:
        total_norm = max(norms)
    else:
        total_norm = math.fsum(n ** norm_type for n in norms) ** (1.0 / norm_type)
    if not math.isfinite(total_norm):
        if error_if_nonfinite:
            raise RuntimeError(f"The total norm of order {norm_type} of the gradients is {total_norm}, so they "
                               "cannot be clipped: the loss or the learning rate has blown up. Set "
                               "error_if_nonfinite=False to clip anyway (the gradients become NaN).")
    clip_coef = min(max_norm / (total_norm + 1e-6), 1.0)
    if clip_coef < 1.0 or math.isnan(clip_coef):
        for grad in grads:
            grad *= clip_coef
    return total_norm


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry into ``[-clip_value, clip_value]`` in place."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, (int, float)) or not clip_value >= 0:
        raise ValueError(f"Invalid clip_value: {clip_value!r}. clip_value must be a number >= 0")
    for grad in _grads(parameters):
        backend.array_module(grad).clip(grad, -clip_value, clip_value, out=grad)
