"""A strict stand-in for CuPy, for tests on machines without a GPU.

It computes with NumPy but behaves like CuPy wherever CuPy differs from NumPy, so
that code written against ``xp`` fails here the way it would fail on a GPU:

* no implicit conversion to NumPy: ``np.asarray(x)``, ``np.array(x)``, ``float(x)`` of an
  array with dimensions and ``x.tolist()`` raise ``TypeError``; ``x.get()`` copies to the host;
* a NumPy array mixed into an operation with a device array raises ``TypeError``
  (CuPy: "Unsupported type <class 'numpy.ndarray'>"); NumPy and Python scalars are fine;
* reductions and indexing give 0-d arrays where NumPy gives scalars;
* ``x.flags`` has only CuPy's three flags (c_contiguous, f_contiguous, owndata);
* repeated-index accumulation goes through ``scatter_add`` (cupyx.scatter_add).

``installed()`` routes ``device="cuda"`` to it (``minigrad.backend.use_cuda_module``).
"""
import contextlib
import types

import numpy as np

from minigrad import backend

# NumPy names that CuPy does not have: using them on device data must fail here too.
_NOT_IN_CUPY = {"errstate", "seterr", "geterr", "add_docstring", "save", "savez", "load", "frombuffer"}


def _refuse_numpy(value):
    raise TypeError(f"Unsupported type {type(value)}: a NumPy array cannot take part in an operation "
                    "with a device array; move it with xp.asarray(...) first (CuPy raises this too)")


def _unwrap(value, allow_numpy=False):
    """The NumPy array inside a device array; NumPy arrays refused (as CuPy does), containers searched."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray) and not allow_numpy:
        _refuse_numpy(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, allow_numpy) for v in value)
    return value


def _wrap(value):
    """NumPy results as device arrays; NumPy scalars become 0-d arrays, as CuPy's results are."""
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _call(fn, args, kwargs, allow_numpy=False):
    args = _unwrap(args, allow_numpy)
    kwargs = {k: _unwrap(v, allow_numpy) for k, v in kwargs.items()}
    with np.errstate(all="ignore"):  # CuPy never warns about inf or nan
        return _wrap(fn(*args, **kwargs))


class _Flags:
    """CuPy's flags: no ``writeable`` (and no ``writebackifcopy``, ``aligned``...)."""

    def __init__(self, flags):
        self.c_contiguous, self.f_contiguous, self.owndata = flags.c_contiguous, flags.f_contiguous, flags.owndata


class ndarray:  # noqa: N801  (CuPy's name)
    """A device array: NumPy inside, CuPy's rules outside."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array):
        assert isinstance(array, np.ndarray)
        self._a = array

    # CuPy refuses every implicit way to a NumPy array.
    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def tolist(self):
        raise TypeError("strict stand-in: copy to the host first, x.get().tolist() (a device array's tolist "
                        "is a hidden device-to-host copy)")

    def get(self, stream=None):
        return self._a.copy()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o) for o in kwargs["out"])
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in _NOT_IN_CUPY:
            raise TypeError(f"cupy has no {func.__name__}")
        return _call(func, args, kwargs)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "version": 3, "data": (0, False)}

    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: ndarray(self._a.T))

    def __getattr__(self, name):  # the array methods (sum, reshape, astype...), with CuPy's 0-d results
        if name.startswith("__") or name in ("data", "ctypes", "tobytes", "tofile", "dump", "dumps", "base"):
            # no __array_struct__ / __array_interface__: NumPy would read the data through them
            raise AttributeError(f"strict stand-in: a device array has no NumPy {name!r}")
        method = getattr(self._a, name)
        if not callable(method):
            return _wrap(method)
        return lambda *args, **kwargs: _call(method, args, kwargs)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, allow_numpy=True)])  # NumPy index arrays are accepted, as CuPy does

    def __setitem__(self, key, value):
        self._a[_unwrap(key, allow_numpy=True)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __repr__(self):
        return "strict_cupy." + repr(self._a)

    def item(self):
        return self._a.item()

    def __bool__(self):
        return bool(self._a)

    def _scalar(self, convert):
        if self._a.ndim:
            raise TypeError(f"strict stand-in: {convert.__name__}() of a device array with shape {self._a.shape}; "
                            "use .item() of a single element")
        return convert(self._a)

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __index__(self):
        return self._scalar(lambda a: a.__index__())

    def __complex__(self):
        return self._scalar(complex)


def _operator(ufunc, reflected=False, inplace=False):
    def op(self, other):
        if isinstance(other, np.ndarray):
            _refuse_numpy(other)
        if not isinstance(other, (ndarray, np.generic, int, float, bool, complex)):
            return NotImplemented
        if inplace:
            ufunc(self._a, _unwrap(other), out=self._a)
            return self
        pair = (_unwrap(other), self._a) if reflected else (self._a, _unwrap(other))
        with np.errstate(all="ignore"):
            return _wrap(ufunc(*pair))
    return op


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
                      "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
                      "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}.items():
    setattr(ndarray, f"__{_name}__", _operator(_ufunc))
    setattr(ndarray, f"__r{_name}__", _operator(_ufunc, reflected=True))
    setattr(ndarray, f"__i{_name}__", _operator(_ufunc, inplace=True))
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                      "eq": np.equal, "ne": np.not_equal}.items():
    setattr(ndarray, f"__{_name}__", _operator(_ufunc))
for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(ndarray, f"__{_name}__", lambda self, _u=_ufunc: _wrap(_u(self._a)))


# ------------------------------------------------------------------ the module: cupy's functions
def asarray(a, dtype=None, order=None):
    """To the device (a host-to-device copy for NumPy data); a device array of that dtype is returned as it is."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
    return ndarray(np.array(_unwrap(a, allow_numpy=True), dtype=dtype, order=order))


def array(a, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(a, ndarray) and not copy:
        return asarray(a, dtype)
    return ndarray(np.array(_unwrap(a, allow_numpy=True), dtype=dtype, order=order, ndmin=ndmin))


def asnumpy(a):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def get_array_module(*args):
    return __import__(__name__) if any(isinstance(a, ndarray) for a in args) else np


calls = {"scatter_add": 0}  # tests check that repeated-index accumulation took CuPy's path


def scatter_add(a, slices, value):
    """cupyx.scatter_add: ``a[slices] += value`` where repeated indices add up."""
    calls["scatter_add"] += 1
    np.add.at(a._a, _unwrap(slices, allow_numpy=True), _unwrap(value))


class _Namespace(types.SimpleNamespace):
    """A NumPy submodule (linalg, random) whose functions take and give device arrays."""

    def __init__(self, module):
        super().__init__(_module=module)

    def __getattr__(self, name):
        fn = getattr(self._module, name)
        return (lambda *args, **kwargs: _call(fn, args, kwargs)) if callable(fn) else fn


linalg = _Namespace(np.linalg)
random = _Namespace(np.random)


def __getattr__(name):  # every other NumPy function, with device arrays in and out
    if name in _NOT_IN_CUPY or name.startswith("__"):
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    obj = getattr(np, name)
    if isinstance(obj, type) or not callable(obj):  # dtypes (float32), constants (nan, pi, newaxis)
        return obj
    return lambda *args, **kwargs: _call(obj, args, kwargs)


@contextlib.contextmanager
def installed():
    """Inside the block ``device="cuda"`` runs on this stand-in, and it is the default device for new
    tensors (as ``torch.set_default_device("cuda")``): a test's constants go there too."""
    import sys

    previous = backend.use_cuda_module(sys.modules[__name__], scatter_add)
    try:
        backend.set_default_device("cuda")
        yield
    finally:
        backend.set_default_device(None)
        backend.use_cuda_module(*previous)
