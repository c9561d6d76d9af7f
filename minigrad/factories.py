"""Tensor factories with torch's names and defaults (float32 unless told otherwise)."""
import numpy as np

from . import backend, random
from .tensor import Tensor, float32, int64


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _new(array, dtype, device, requires_grad):
    array = array.astype(dtype or float32, copy=False)
    device = backend.get_default_device() if device is None else backend.normalize_device(device)
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _new(np.zeros(_size(size)), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _new(np.ones(_size(size)), dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """``size`` filled with ``fill_value``; the dtype follows the value (bool, int64 or float32), as torch."""
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else (int64 if isinstance(fill_value, int) else None)
    return _new(np.full(_size((size,)), fill_value), dtype, device, requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _new(np.zeros(t.shape), dtype or t.dtype, t.device, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _new(np.ones(t.shape), dtype or t.dtype, t.device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    all_ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = dtype or (int64 if all_ints else float32)
    return _new(np.arange(start, end, step), dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal samples from minigrad's seeded generator."""
    return _new(random.generator().standard_normal(_size(size)), dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1) from minigrad's seeded generator."""
    return _new(random.generator().random(_size(size)), dtype, device, requires_grad)


def randint(low, high, size, dtype=None, device=None):
    return _new(random.generator().integers(low, high, size=_size((size,))), dtype or int64, device, False)
