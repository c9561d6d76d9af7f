"""Random draws of minigrad moved by a few units in their last digit (see sitecustomize.py)."""
import numpy as np

import minigrad
import minigrad.factories as _factories
import minigrad.nn.init as _init

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def jitter(array):
    """``array`` with each float moved by -3..3 units of its dtype's rounding (0, integers and arrays
    on a GPU untouched: this perturbs what a processor's arithmetic would, on the CPU)."""
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        return array
    bits = np.ascontiguousarray(array).view(_UINT[array.dtype.itemsize]).astype(np.uint64)
    k = ((bits * np.uint64(2654435761)) >> np.uint64(7)) % np.uint64(7)
    return (array * (1 + (k.astype(array.dtype) - 3) * np.finfo(array.dtype).eps)).astype(array.dtype)


def _jittered_fill(fill):
    def filled(tensor, values):
        out = fill(tensor, values)
        out.data[...] = jitter(out.data)
        return out
    return filled


def _jittered(factory):
    def draw(*size, **kwargs):
        out = factory(*size, **kwargs)
        out.data = jitter(out.data)
        return out
    draw.__doc__ = factory.__doc__
    return draw


def install():
    """Jitter every later draw of ``minigrad.nn.init`` and of ``minigrad.randn`` / ``minigrad.rand``."""
    _init._fill = _jittered_fill(_init._fill)
    for name in ("randn", "rand"):
        draw = _jittered(getattr(_factories, name))
        setattr(_factories, name, draw)
        setattr(minigrad, name, draw)
