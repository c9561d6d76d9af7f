"""Check an op's backward against central finite differences, in float64.

For an output y = fn(x) and a fixed random direction v, backprop gives
(v . dy/dx_j) for every input element j at once; the finite difference
(v . y(x + eps e_j) - v . y(x - eps e_j)) / (2 eps) must agree element by element.
"""
import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor, float64


class GradcheckError(AssertionError):
    """Raised when an analytical gradient disagrees with finite differences."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """True when ``fn``'s gradients match finite differences, else ``GradcheckError``.

    ``inputs`` is a tensor or a sequence of tensors; those with
    ``requires_grad=True`` are checked and must be float64 (float32 finite
    differences are too coarse to tell a right gradient from a wrong one).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 tensors (.double())")

    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    xp = out.xp
    direction = xp.asarray(np.random.default_rng(seed).standard_normal(out.shape))

    def projected(*args):
        with no_grad():
            return float((fn(*args).data * direction).sum())

    saved = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    try:
        out.backward(direction)
        analytic = {i: (inputs[i].grad if inputs[i].grad is not None else xp.zeros_like(inputs[i].data))
                    for i in checked}
    finally:  # the inputs' own gradients come back, also when backward raises
        for i, grad in zip(checked, saved):
            inputs[i].grad = grad

    for i in checked:
        x = inputs[i].data
        flat = x.reshape(-1)  # a view: nudging it nudges the input
        numeric = np.zeros(flat.size)
        for j in range(flat.size):
            original = float(flat[j])
            try:
                flat[j] = original + eps
                up = projected(*inputs)
                flat[j] = original - eps
                down = projected(*inputs)
            finally:  # the input is never left nudged, also when fn raises
                flat[j] = original
            numeric[j] = (up - down) / (2 * eps)
        got = np.asarray(analytic[i].get() if hasattr(analytic[i], "get") else analytic[i]).reshape(-1)
        bad = np.abs(got - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            j = int(np.argmax(np.abs(got - numeric)))
            position = np.unravel_index(j, x.shape) if x.ndim else ()
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {tuple(x.shape)}): {int(bad.sum())} of {flat.size} "
                f"elements differ. Worst at index {position}: backward gave {got[j]:.6g}, "
                f"finite differences give {numeric[j]:.6g} (atol={atol}, rtol={rtol})."
            )
    return True
