"""Devices and array modules.

Every op is written once against ``xp``, the array module of its data: NumPy on
the CPU, CuPy on an NVIDIA GPU (Chainer's idiom). CuPy is imported only when a
tensor is first asked to live on ``"cuda"``.
"""
import os

import numpy as np

DEVICES = ("cpu", "cuda")
_cupy = None  # the array module of "cuda": CuPy, imported on first use
_cuda_scatter_add = None  # cupyx.scatter_add, imported with it

CUPY_HINT = (
    "device='cuda' needs CuPy and an NVIDIA GPU. Install the extra that matches your "
    "CUDA driver: pip install 'minigrad-course[gpu]' (cupy-cuda12x, CUDA 12.x) or "
    "pip install 'cupy-cuda13x[ctk]' (CUDA 13.x). Run on device='cpu' otherwise."
)


def normalize_device(device):
    """Return ``"cpu"`` or ``"cuda"``; ``None`` means the CPU."""
    if device is None:
        return "cpu"
    name = str(device)
    if name.startswith("cuda"):  # "cuda:0" is accepted; minigrad uses one GPU
        name = "cuda"
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    return name


_default_device = None  # set_default_device(...), or the MINIGRAD_DEVICE environment variable read on first use


def get_default_device():
    """Where new tensors go when no device is given (``tensor``, ``zeros``, layers' weights...).

    ``set_default_device("cuda")`` in code, or the environment variable ``MINIGRAD_DEVICE=cuda``
    (read here, and only here, once) switches a whole notebook or script to the GPU; unset, it is ``"cpu"``.
    """
    if _default_device is None:
        set_default_device(_device_from_environment())
    return _default_device


def _device_from_environment():
    value = os.environ.get("MINIGRAD_DEVICE", "").strip()
    if not value:
        return "cpu"
    try:
        return normalize_device(value)
    except ValueError:
        raise ValueError(f"MINIGRAD_DEVICE={value!r} is not a device: set it to 'cpu' or 'cuda' "
                         "(or leave it unset for the CPU)") from None


def set_default_device(device):
    """Make ``device`` the default for new tensors, as ``torch.set_default_device``; ``None`` reads
    ``MINIGRAD_DEVICE`` again (the CPU when it is unset). Asking for ``"cuda"`` without a GPU says what to install."""
    global _default_device
    if device is not None:
        device = normalize_device(device)
        if device == "cuda":
            cupy_module()
    _default_device = device


def cupy_module():
    """Import CuPy on first use, with an error that says what to install."""
    global _cupy, _cuda_scatter_add
    if _cupy is None:
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError(f"CuPy is not installed. {CUPY_HINT}") from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken
            raise RuntimeError(f"CuPy found no usable CUDA driver ({exc}). {CUPY_HINT}") from exc
        if count == 0:
            raise RuntimeError(f"CuPy found no GPU. {CUPY_HINT}")
        import cupyx

        _cupy, _cuda_scatter_add = cupy, cupyx.scatter_add
    return _cupy


def use_cuda_module(module, scatter_add):
    """For tests: run ``device="cuda"`` on ``module`` (tests/strict_cupy.py, a strict CuPy stand-in).

    Returns the previous pair, to restore; ``(None, None)`` goes back to importing CuPy on first use.
    """
    global _cupy, _cuda_scatter_add
    previous = (_cupy, _cuda_scatter_add)
    _cupy, _cuda_scatter_add = module, scatter_add
    return previous


def cuda_is_available():
    """True when a CUDA GPU can be used (never raises)."""
    try:
        cupy_module()
    except RuntimeError:
        return False
    return True


def get_array_module(device):
    """``numpy`` for ``"cpu"``, ``cupy`` for ``"cuda"``."""
    return np if normalize_device(device) == "cpu" else cupy_module()


def array_module(array):
    """The module an array belongs to (cheap: no import of CuPy for NumPy arrays)."""
    return np if isinstance(array, (np.ndarray, np.generic)) else cupy_module()


def device_of(array):
    return "cpu" if isinstance(array, (np.ndarray, np.generic)) else "cuda"


def to_device(array, device):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    device = normalize_device(device)
    if device == device_of(array):
        return array
    if device == "cpu":
        return array.get()
    return cupy_module().asarray(array)


def to_numpy(array):
    return array if isinstance(array, np.ndarray) else np.asarray(to_device(array, "cpu"))


def scatter_add(target, indices, values):
    """``target[indices] += values`` where repeated indices add up (np.add.at)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, indices, values)
    else:
        _cuda_scatter_add(target, indices, values)  # CuPy's ``+=`` on repeated indices keeps only one of them
    return target
