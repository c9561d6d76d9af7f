"""The Tensor: an array that remembers how it was computed, and reverse-mode autodiff.

Read it like micrograd's ``engine.py``, on arrays instead of scalars: every op
computes its output and, right beside it, a ``backward(grad)`` closure that
returns the gradient for each of its inputs. ``Tensor.backward`` visits the
graph in reverse topological order and adds the gradients up.

Arrays come from ``xp``, NumPy or CuPy, so each op is written once for both.
"""
import operator
from collections import namedtuple
from collections.abc import Iterator

import numpy as np

from . import backend
from .grad_mode import is_grad_enabled

float32, float64, int32, int64, bool_ = np.float32, np.float64, np.int32, np.int64, np.bool_

MaxResult = namedtuple("MaxResult", ["values", "indices"])

# ------------------------------------------------------------------ dtype promotion, as torch
# torch's categories: bool < integer < floating point. Within a category NumPy's promotion agrees
# with torch's; across categories torch takes the higher one's dtype (int64 with float32 is float32,
# where NumPy says float64). Ops with operands of one dtype, nearly all of them, never get here.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_types(a, b):
    """``torch.promote_types`` for NumPy dtypes."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _result_dtype(a, b):
    """The dtype torch computes ``a op b`` in: a 0-d tensor yields to a dimensioned one of its category or higher.

    (Python numbers are weaker still: ``Tensor._operand`` has already given them their dtype.)
    """
    x, y = a.data.dtype, b.data.dtype
    if (a.data.ndim == 0) == (b.data.ndim == 0):
        return _promote_types(x, y)
    dim, zero = (x, y) if b.data.ndim == 0 else (y, x)
    return dim if _CATEGORY[dim.kind] >= _CATEGORY[zero.kind] else _promote_types(dim, zero)


def _promote_pair(a, b, floating=False):
    """Both operands cast (differentiably) to their common dtype; ``floating``: float32 if that is not a float."""
    dtype = _result_dtype(a, b)
    if floating and dtype.kind not in "fc":
        dtype = np.dtype(float32)
    return a._cast(dtype), b._cast(dtype)


def _floating(t):
    """``t`` if it is floating point, else ``t`` as float32 (torch's float ops take integer input so)."""
    return t if t.data.dtype.kind in "fc" else t._cast(float32)


def _needs_float(t, op):
    if t.data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): needs a floating-point tensor, this one is {t.dtype}: "
                           f"call .float() first, e.g. (pred == y).float().{op}()")


def _freed_backward(grad):
    raise RuntimeError(
        "Trying to backward through the graph a second time: its intermediate results "
        "were freed after the first .backward(). Recompute the forward pass, or call "
        ".backward(retain_graph=True) the first time."
    )


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back to the input's ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:  # leading dims the input did not have, as a bias (C,) added to a batch (N, C)
        grad = grad.sum(axis=tuple(range(extra)))
        if grad.shape == shape:
            return grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _dims(dim, ndim):
    """Normalise ``dim`` (None, int or tuple) to a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimensions")
        out.append(d % max(ndim, 1))
    return tuple(out) if ndim else ()  # a 0-d tensor takes dim 0 or -1, as torch, and has no axis to reduce


def _expand_reduced(grad, shape, axes, keepdim):
    """Broadcast the gradient of a reduction back over the reduced axes."""
    if not keepdim and axes:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return grad


def make_result(data, parents, backward):
    """Wrap an op's output; record the graph only when some input needs a gradient."""
    out = Tensor.__new__(Tensor)
    out.data = np.asarray(data) if isinstance(data, np.generic) else data  # NumPy reductions give scalars
    out.grad = None
    out._retains_grad = False
    needs_grad = False
    for p in parents:  # a plain loop: this runs for every op, any() costs a generator
        needs_grad = needs_grad or p.requires_grad
    if needs_grad and is_grad_enabled():
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
    return out


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``data`` and ``grad`` are raw arrays of the tensor's device (NumPy or CuPy):
    optimizers update ``p.data`` in place from ``p.grad``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # numpy_array * tensor defers to Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data.data
        elif not _is_array(data):
            data = _array_from_python(data)
            if dtype is None:  # Python numbers and lists default to float32 (ints stay int64), as in torch.
                dtype = float32 if data.dtype.kind == "f" else (int64 if data.dtype.kind in "iu" else None)
        if device is None:
            device = backend.device_of(data)
        xp = backend.get_array_module(device)
        self.data = xp.asarray(backend.to_device(data, device), dtype=dtype)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- attributes
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    device = property(lambda self: backend.device_of(self.data))
    xp = property(lambda self: backend.array_module(self.data))
    is_leaf = property(lambda self: self._backward is None)

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self):
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4, prefix="tensor(")
        extras = ""
        if self.dtype not in (float32, int64, bool_):
            extras += f", dtype={self.dtype}"
        if self.device != "cpu":
            extras += f", device='{self.device}'"
        if self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, this one is {self.dtype}: "
                "create it with dtype=minigrad.float32 or call .float() first"
            )
        if not self.is_leaf:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use .detach() first")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on a non-leaf tensor after backward (for inspecting a graph)."""
        self._retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        return backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or cast to ``dtype``: ``x.to("cuda")``, ``x.to(minigrad.float64)``."""
        if dtype is None and _is_dtype(device):
            device, dtype = None, device
        out = self if dtype is None else self._cast(np.dtype(dtype))
        if device is None:
            return out
        device = backend.normalize_device(device)
        if device == out.device:
            return out
        source = out.device
        return make_result(backend.to_device(out.data, device), (out,),
                           lambda g: (backend.to_device(g, source),))

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def _cast(self, dtype):
        if self.dtype == dtype:
            return self
        data = self.data.astype(dtype)
        if data.dtype.kind not in "fc":  # integers and bools carry no gradient
            return make_result(data, (), None)
        source = self.dtype
        return make_result(data, (self,), lambda g: (g.astype(source),))

    def float(self):
        return self._cast(float32)

    def double(self):
        return self._cast(float64)

    def long(self):
        return self._cast(int64)

    def int(self):
        return self._cast(int32)

    def bool(self):
        return self._cast(bool_)

    # ----------------------------------------------------------------- autodiff
    def backward(self, grad=None, retain_graph=False):
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Implicit ``grad`` only for a single-element output (a loss); gradients
        accumulate across calls until zeroed. As in torch, the graph is freed on the
        way (a kept loss holds no intermediate arrays): a second backward through it
        raises, unless the first one was given ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "this tensor does not require grad and has no graph: create the inputs "
                "with requires_grad=True (and do not compute it under minigrad.no_grad())"
            )
        xp = self.xp
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient works only for a single-element output (a loss); "
                    f"this tensor has shape {self.shape}: reduce it (e.g. .sum() or .mean()) "
                    f"or pass grad= an array of shape {self.shape}"
                )
            grad = xp.ones_like(self.data)
        else:
            grad = xp.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)  # a copy
            if grad.shape != self.shape:
                raise RuntimeError(f"backward: grad has shape {grad.shape} but the tensor has shape {self.shape}")

        # Tensors are keys by identity (``__hash__`` is object's: two tensors never meet in ``==``), no id() needed.
        grads = {self: grad}
        handed_out = set()  # ids of arrays already stored as some .grad: they must not be shared
        # As torch: an infinite or NaN gradient (sqrt at 0, log at 0) is a value, not a warning.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for node in reversed(_topological_order(self)):
                g = grads.pop(node, None)
                backward, parents = node._backward, node._parents
                if backward is not None and not retain_graph:
                    # Free the graph as torch does: a kept loss must not keep every intermediate array.
                    node._backward, node._parents = _freed_backward, ()
                if g is None:
                    continue
                if backward is None or node._retains_grad:
                    node._accumulate(g, handed_out)
                if backward is None:  # the root itself is a leaf
                    continue
                for parent, parent_grad in zip(parents, backward(g)):
                    if parent_grad is None or not parent.requires_grad:
                        continue
                    if parent_grad.shape != parent.data.shape:  # a bug in an op's backward, never the user's
                        raise RuntimeError(f"internal error: gradient of shape {parent_grad.shape} "
                                           f"for a tensor of shape {parent.shape}")
                    grads[parent] = grads[parent] + parent_grad if parent in grads else parent_grad
            # What is left are the leaves' gradients, each summed over all its uses: add them to .grad.
            for leaf, g in grads.items():
                leaf._accumulate(g, handed_out)

    def _accumulate(self, g, handed_out):
        if self.grad is not None:
            self.grad += g
            return
        # Keep g itself when nothing else can see it (a fresh array of the right dtype), else a copy:
        # an op may hand one array to several inputs, and .grad is updated in place later. (A view, such as
        # broadcast_to's read-only one, does not own its data; CuPy's flags have no "writeable".)
        if g.dtype != self.data.dtype or not g.flags.owndata or id(g) in handed_out:
            g = g.astype(self.data.dtype, copy=True)
        handed_out.add(id(g))
        self.grad = g

    # ----------------------------------------------------------------- helpers
    def _operand(self, other, op):
        """Turn the other side of a binary op into a Tensor on this tensor's device."""
        if isinstance(other, Tensor):
            if type(other.data) is not type(self.data):
                raise RuntimeError(
                    f"{op}: tensors are on different devices, {self.device} and {other.device}; "
                    "move one with .to(device)"
                )
            return other
        if isinstance(other, (int, float, bool)):
            # A Python number is weaker than any tensor (torch's rule): it takes this tensor's dtype,
            # unless it is of a higher category: an int meeting a bool tensor is int64, a float
            # meeting a bool or integer tensor is float32 (the default float dtype).
            dtype = self.data.dtype
            if isinstance(other, float):
                if dtype.kind not in "fc":
                    dtype = float32
            elif dtype.kind == "b" and not isinstance(other, bool):
                dtype = int64
            return Tensor(self.xp.asarray(other, dtype=dtype))
        return Tensor(other, device=self.device)

    def _broadcast_op(self, other, op, fn):
        try:
            return fn(self.data, other.data)
        except ValueError as exc:
            raise RuntimeError(
                f"{op}: shapes {self.shape} and {other.shape} cannot be broadcast together"
            ) from exc
        except TypeError as exc:  # NumPy refuses e.g. bool - bool; torch raises RuntimeError
            raise RuntimeError(f"{op} is not supported for {self.dtype} and {other.dtype} tensors "
                               f"({exc}); convert them first, e.g. .int() or .float()") from exc

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        a, b = self, self._operand(other, "add")
        if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
            a, b = _promote_pair(a, b)
        data = a._broadcast_op(b, "add", operator.add)
        return make_result(data, (a, b), lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)))

    def __sub__(self, other):
        if isinstance(other, bool):
            _refuse_bool_sub()
        a, b = self, self._operand(other, "sub")
        if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
            if a.data.dtype.kind == "b" or b.data.dtype.kind == "b":
                _refuse_bool_sub()  # (bool - bool fails in NumPy, below, as a RuntimeError too)
            a, b = _promote_pair(a, b)
        data = a._broadcast_op(b, "sub", operator.sub)
        return make_result(data, (a, b), lambda g: (_unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)))

    def __mul__(self, other):
        a, b = self, self._operand(other, "mul")
        if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
            a, b = _promote_pair(a, b)
        data = a._broadcast_op(b, "mul", operator.mul)

        def backward(g):
            return (_unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                    _unbroadcast(g * a.data, b.shape) if b.requires_grad else None)
        return make_result(data, (a, b), backward)

    def __truediv__(self, other):
        a, b = self, self._operand(other, "div")
        if a.data.dtype is not b.data.dtype or a.data.dtype.kind not in "fc":  # int / int is float32, as torch
            a, b = _promote_pair(a, b, floating=True)
        data = a._broadcast_op(b, "div", operator.truediv)

        def backward(g):
            return (_unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
                    _unbroadcast(-g * data / b.data, b.shape) if b.requires_grad else None)
        return make_result(data, (a, b), backward)

    def __pow__(self, other):
        a, b = self, self._operand(other, "pow")
        if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
            a, b = _promote_pair(a, b)
        if a.data.dtype.kind == "b":
            if isinstance(other, Tensor):
                raise NotImplementedError("pow: bool ** bool is not supported (as in torch): convert with .int() first")
            data = a._broadcast_op(b, "pow", lambda x, y: x | ~y)  # x ** True is x, x ** False is True
        elif a.data.dtype.kind in "biu" and (b.data < 0).any():
            if not isinstance(other, Tensor):
                raise RuntimeError(f"pow: integers to negative integer powers are not allowed (an {a.dtype} tensor "
                                   f"** {other}): make the tensor floating point first, e.g. x.float() ** {other}")
            data = _int_pow_negative(a, b)
        else:
            with np.errstate(divide="ignore"):  # 0 ** -1 is inf, as in torch, without a warning
                data = a._broadcast_op(b, "pow", operator.pow)

        def backward(g):
            # torch's conventions at 0: d/dx x**0 = 0 (even at x = 0), d/dy 0**y = 0 for y >= 0.
            xp, x, y = a.xp, a.data, b.data
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = gb = None
                if a.requires_grad:
                    ga = _unbroadcast(xp.where(y == 0, 0, g * y * x ** (y - 1)), a.shape)
                if b.requires_grad:
                    gb = _unbroadcast(xp.where((x == 0) & (y >= 0), 0, g * data * xp.log(x)), b.shape)
            return ga, gb
        return make_result(data, (a, b), backward)

    def __neg__(self):
        return make_result(-self.data, (self,), lambda g: (-g,))

    def __radd__(self, other):
        return self._operand(other, "add") + self

    def __rsub__(self, other):
        if isinstance(other, bool):
            _refuse_bool_sub()
        return self._operand(other, "sub") - self

    def __rmul__(self, other):
        return self._operand(other, "mul") * self

    def __rtruediv__(self, other):
        return self._operand(other, "div") / self

    def __rpow__(self, other):
        return self._operand(other, "pow") ** self

    # In-place operators write into this tensor's array, as torch's do: ``with no_grad(): w -= lr * w.grad``.
    def __iadd__(self, other):
        return self._inplace(other, "add", Tensor.__add__)

    def __isub__(self, other):
        return self._inplace(other, "subtract", Tensor.__sub__)

    def __imul__(self, other):
        return self._inplace(other, "multiply", Tensor.__mul__)

    def __itruediv__(self, other):
        return self._inplace(other, "divide", Tensor.__truediv__)

    def _inplace(self, other, ufunc, op):
        recording = is_grad_enabled()
        if self.requires_grad and self.is_leaf and recording:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                               "Update weights inside `with minigrad.no_grad():`, as an optimizer does")
        other = self._operand(other, ufunc)
        if (self.requires_grad and not self.is_leaf) or (other.requires_grad and recording):
            # Part of a graph whose backward may need the old values: a new tensor, x = x + y.
            return op(self, other)
        try:
            getattr(self.xp, ufunc)(self.data, other.data, out=self.data, casting="same_kind")
        except TypeError as exc:  # NumPy's UFuncTypeError: e.g. a float result into an integer tensor
            raise RuntimeError(f"in-place {ufunc}: the result can't be cast to the desired output type "
                               f"{self.dtype}; convert this tensor first, e.g. x = x.float()") from exc
        except ValueError as exc:
            raise RuntimeError(f"in-place {ufunc}: the output keeps this tensor's shape {self.shape}, which the "
                               f"other operand's shape {other.shape} cannot be broadcast to") from exc
        return self

    def __matmul__(self, other):
        a, b = self, self._operand(other, "matmul")
        a_shape, b_shape = a.data.shape, b.data.shape
        if not a_shape or not b_shape:
            raise RuntimeError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}")
        if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:  # torch does not promote here
            raise RuntimeError(f"matmul: both operands need the same dtype, got {a.dtype} and {b.dtype}: "
                               f"convert one, e.g. x.float() for float32 weights")
        inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
        if a_shape[-1] != inner_b:
            raise RuntimeError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: the last dimension of the first "
                f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} dimension "
                f"of the second ({inner_b})"
            )
        data = a._broadcast_op(b, "matmul", operator.matmul)

        def backward(g):
            if len(a_shape) == 2 and len(b_shape) == 2:  # two matrices, the usual case: dA = g Bᵀ, dB = Aᵀ g
                return (g @ b.data.T if a.requires_grad else None,
                        a.data.T @ g if b.requires_grad else None)
            # Vectors take part as a 1-row (left) or 1-column (right) matrix.
            a2 = a.data if len(a_shape) > 1 else a.data[None, :]
            b2 = b.data if len(b_shape) > 1 else b.data[:, None]
            if len(b_shape) == 1:
                g = g[..., None]
            if len(a_shape) == 1:
                g = g[..., None, :]
            ga = gb = None
            if a.requires_grad:  # (the array method swapaxes: NumPy's function of that name costs more)
                ga = _unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape)
                ga = ga.reshape(a_shape) if len(a_shape) == 1 else ga
            if b.requires_grad:
                gb = _unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape)
                gb = gb.reshape(b_shape) if len(b_shape) == 1 else gb
            return ga, gb
        return make_result(data, (a, b), backward)

    def __rmatmul__(self, other):
        return self._operand(other, "matmul") @ self

    def matmul(self, other):
        return self @ other

    # ----------------------------------------------------------------- comparisons and logic
    # Boolean tensors without gradients; the operands are promoted first, as in torch.
    def _compare(self, other, op, fn):
        if not isinstance(other, (Tensor, int, float, bool, list, tuple)) and not hasattr(other, "dtype"):
            return NotImplemented  # x == None is False, as in torch
        b = self._operand(other, op)
        x, y = self.data, b.data
        if x.dtype is not y.dtype and x.dtype != y.dtype:
            dtype = _result_dtype(self, b)
            x, y = x.astype(dtype, copy=False), y.astype(dtype, copy=False)
        try:
            return make_result(fn(x, y), (), None)
        except ValueError as exc:
            raise RuntimeError(f"{op}: shapes {self.shape} and {b.shape} cannot be broadcast together") from exc

    def __eq__(self, other):
        return self._compare(other, "eq", lambda x, y: x == y)

    def __ne__(self, other):
        return self._compare(other, "ne", lambda x, y: x != y)

    def __lt__(self, other):
        return self._compare(other, "lt", lambda x, y: x < y)

    def __le__(self, other):
        return self._compare(other, "le", lambda x, y: x <= y)

    def __gt__(self, other):
        return self._compare(other, "gt", lambda x, y: x > y)

    def __ge__(self, other):
        return self._compare(other, "ge", lambda x, y: x >= y)

    __hash__ = object.__hash__  # tensors stay dict keys by identity (optimizer state), as in torch

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def _logical(self, other, op, fn):
        b = self._operand(other, op)
        if self.data.dtype.kind not in "biu" or b.data.dtype.kind not in "biu":
            raise RuntimeError(f"{op}: needs bool or integer tensors, got {self.dtype} and {b.dtype}")
        return self._compare(b, op, fn)

    def __and__(self, other):
        return self._logical(other, "and", lambda x, y: x & y)

    def __or__(self, other):
        return self._logical(other, "or", lambda x, y: x | y)

    def __xor__(self, other):
        return self._logical(other, "xor", lambda x, y: x ^ y)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise RuntimeError(f"~ (bitwise not) needs a bool or integer tensor, this one is {self.dtype}")
        return make_result(~self.data, (), None)

    def logical_not(self):
        return make_result(self.xp.logical_not(self.data), (), None)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {'no values' if self.data.size == 0 else 'more than one value'} "
                               f"is ambiguous (shape {self.shape}): use .any() or .all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "biu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index, "
                            f"this one is {self.dtype} of shape {self.shape}")
        return int(self.item())

    def isnan(self):
        return make_result(self.xp.isnan(self.data), (), None)

    def isinf(self):
        return make_result(self.xp.isinf(self.data), (), None)

    def isfinite(self):
        return make_result(self.xp.isfinite(self.data), (), None)

    # ----------------------------------------------------------------- elementwise
    # Each float op takes integer input as float32 (torch's default float dtype).
    def exp(self):
        t = _floating(self)
        data = t.xp.exp(t.data)
        return make_result(data, (t,), lambda g: (g * data,))

    def log(self):
        t = _floating(self)
        x = t.data
        return make_result(t.xp.log(x), (t,), lambda g: (g / x,))

    def sqrt(self):
        t = _floating(self)
        data = t.xp.sqrt(t.data)
        return make_result(data, (t,), lambda g: (g / (2 * data),))

    def tanh(self):
        t = _floating(self)
        data = t.xp.tanh(t.data)
        return make_result(data, (t,), lambda g: (g * (1 - data * data),))

    def sigmoid(self):
        t = _floating(self)
        data = 0.5 * (1 + t.xp.tanh(0.5 * t.data))  # no overflow for large |x|
        return make_result(data, (t,), lambda g: (g * data * (1 - data),))

    def sin(self):
        t = _floating(self)
        x = t.data
        return make_result(t.xp.sin(x), (t,), lambda g: (g * t.xp.cos(x),))

    def cos(self):
        t = _floating(self)
        x = t.data
        return make_result(t.xp.cos(x), (t,), lambda g: (g * -t.xp.sin(x),))

    def erf(self):
        """The error function; its derivative is 2/sqrt(pi) exp(-x^2)."""
        t = _floating(self)
        x = t.data
        return make_result(_erf(t.xp, x), (t,), lambda g: (g * (_TWO_OVER_SQRT_PI * t.xp.exp(-x * x)).astype(x.dtype),))

    def clone(self):
        """A copy of the data that stays in the graph (gradients pass through unchanged)."""
        return make_result(self.data.copy(), (self,), lambda g: (g,))

    def relu(self):
        x = self.data
        return make_result(self.xp.maximum(x, 0), (self,), lambda g: (g * (x > 0),))

    def abs(self):
        x = self.data
        return make_result(self.xp.abs(x), (self,), lambda g: (g * self.xp.sign(x),))

    def clamp(self, min=None, max=None):
        """Clip into [min, max] (numbers or tensors); the gradient passes where min <= x <= max, as torch."""
        if min is None and max is None:
            raise RuntimeError("clamp: give min, max or both")
        low, high = (v.data if isinstance(v, Tensor) else v for v in (min, max))
        t = self
        if t.data.dtype.kind not in "fc" and any(isinstance(v, float) or getattr(v, "dtype", np.dtype(int64)).kind == "f"
                                                for v in (low, high) if v is not None):
            t = t._cast(float32)  # an integer tensor clipped to float bounds is float32, as in torch
        x = t.data
        data = t.xp.clip(x, low, high).astype(x.dtype, copy=False)
        inside = t.xp.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return make_result(data, (t,), lambda g: (g * inside,))

    clip = clamp

    def masked_fill(self, mask, value):
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True; ``value``: a number or 0-d tensor."""
        xp = self.xp
        mask = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        if mask.dtype != bool:
            raise RuntimeError(f"masked_fill: the mask must be a bool tensor, got {mask.dtype}: compare first, e.g. x > 0")
        parents = (self,)
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
            parents = (self, value)
            value = value.data
        data = xp.where(mask, xp.asarray(value, dtype=self.dtype), self.data)
        if data.shape != self.shape:
            raise RuntimeError(f"masked_fill: a mask of shape {mask.shape} does not broadcast to shape {self.shape}")

        def backward(g):
            grads = (xp.where(mask, 0, g) if self.requires_grad else None,)
            if len(parents) == 2:
                grads += (xp.where(mask, g, 0).sum().astype(parents[1].dtype),)
            return grads
        return make_result(data, parents, backward)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False):
        axes = _dims(dim, self.ndim)
        data = self.data.sum(axis=axes, keepdims=keepdim)
        shape = self.shape
        return make_result(data, (self,),
                           lambda g: (self.xp.broadcast_to(_expand_reduced(g, shape, axes, keepdim), shape),))

    def mean(self, dim=None, keepdim=False):
        _needs_float(self, "mean")
        axes = _dims(dim, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if self.ndim else 1
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of no values is nan (0 / 0), as torch's: no warning
                return self.sum(dim, keepdim) / count
        return self.sum(dim, keepdim) / count

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance over ``dim``; ``correction=1`` (or ``unbiased=True``, the default) divides by n - 1.

        Positional arguments as torch: ``x.var(0, False)`` is the biased variance along dim 0.
        """
        _needs_float(self, "var")
        if correction is None:
            correction = 1 if unbiased is None else int(unbiased)
        axes = _dims(dim, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if self.ndim else 1
        centred = self - self.mean(dim, keepdim=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # n <= correction gives nan, as torch
            return (centred * centred).sum(dim, keepdim) / max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation: ``var(...).sqrt()``; where it is 0 the gradient is 0 (torch's convention)."""
        _needs_float(self, "std")
        variance = self.var(dim, unbiased, keepdim, correction=correction)
        xp = self.xp
        data = xp.sqrt(variance.data)

        def backward(g):
            with np.errstate(divide="ignore", invalid="ignore"):
                return (xp.where(data == 0, 0, g / (2 * data)).astype(data.dtype, copy=False),)
        return make_result(data, (variance,), backward)

    def _extreme(self, dim, keepdim, largest):
        """max or min: the value (ties share the gradient) or, with ``dim``, ``(values, indices)``."""
        xp, x = self.xp, self.data
        if dim is None:
            if x.size == 0:
                raise RuntimeError(f"{'max' if largest else 'min'}(): the tensor is empty; give a dim to reduce")
            data = x.max() if largest else x.min()

            def backward(g):
                winners = x == data  # ties share the gradient evenly, as torch.amax / torch.max() do
                return ((g / int(winners.sum())) * winners,)
            return make_result(data, (self,), backward)
        if self.ndim == 0:
            _dims(dim, 0)
            return MaxResult(self.clone(), make_result(xp.zeros((), dtype=int64), (), None))
        (axis,) = _dims(dim, self.ndim)
        kept_indices = xp.expand_dims(x.argmax(axis=axis) if largest else x.argmin(axis=axis), axis)
        values = xp.take_along_axis(x, kept_indices, axis=axis)

        def backward(g):
            full = xp.zeros_like(x)
            xp.put_along_axis(full, kept_indices, g if keepdim else xp.expand_dims(g, axis), axis=axis)
            return (full,)
        indices = kept_indices
        if not keepdim:
            values, indices = values.squeeze(axis), kept_indices.squeeze(axis)
        return MaxResult(make_result(values, (self,), backward), make_result(indices, (), None))

    def max(self, dim=None, keepdim=False):
        """Largest value; with ``dim``, ``(values, indices)`` as in torch."""
        return self._extreme(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        """Smallest value; with ``dim``, ``(values, indices)`` as in torch."""
        return self._extreme(dim, keepdim, False)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (in the flattened tensor when ``dim`` is None)."""
        if dim is None:
            index = self.xp.asarray(self.data.argmax(), dtype=int64)
            return make_result(index.reshape((1,) * self.ndim) if keepdim else index, (), None)
        return self.max(dim, keepdim).indices

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest value (in the flattened tensor when ``dim`` is None)."""
        if dim is None:
            index = self.xp.asarray(self.data.argmin(), dtype=int64)
            return make_result(index.reshape((1,) * self.ndim) if keepdim else index, (), None)
        return self.min(dim, keepdim).indices

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over ``dim``, without overflow; its gradient is the softmax."""
        t = _floating(self)
        xp, x = t.xp, t.data
        axes = _dims(dim, t.ndim)
        m = x.max(axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        m = xp.where(xp.isinf(m), 0, m)  # all -inf (or an inf) along a row: shift by 0
        with np.errstate(divide="ignore"):
            kept = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        data = kept if keepdim else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])

        def backward(g):
            return ((g if keepdim else g.reshape(kept.shape)) * xp.exp(x - kept),)
        return make_result(data, (t,), backward)

    def prod(self, dim=None, keepdim=False):
        """Product of the elements (over one ``dim``); the gradient is right where some are 0."""
        xp, x = self.xp, self.data
        if dim is None:
            data = x.prod()

            def backward(g):
                return (_prod_backward(xp, x.reshape(-1), data.reshape(1), g.reshape(1), 0).reshape(x.shape),)
            return make_result(data, (self,), backward)
        (axis,) = _dims(dim, self.ndim) or (None,)
        if axis is None:  # a 0-d tensor
            return self.clone()
        data = x.prod(axis=axis, keepdims=keepdim)

        def backward(g):
            kept = data if keepdim else xp.expand_dims(data, axis)
            return (_prod_backward(xp, x, kept, g if keepdim else xp.expand_dims(g, axis), axis),)
        return make_result(data, (self,), backward)

    def any(self, dim=None, keepdim=False):
        axes = _dims(dim, self.ndim)
        return make_result(self.xp.asarray(self.data.any(axis=axes, keepdims=keepdim)), (), None)

    def all(self, dim=None, keepdim=False):
        axes = _dims(dim, self.ndim)
        return make_result(self.xp.asarray(self.data.all(axis=axes, keepdims=keepdim)), (), None)

    def gather(self, dim, index):
        """``out[i][j] = self[i][index[i][j]]`` for ``dim=1`` (and likewise for any dim), as torch.gather."""
        xp, x = self.xp, self.data
        if isinstance(index, Tensor):
            _same_device((self, index), "gather")
        idx = index.data if isinstance(index, Tensor) else xp.asarray(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): the index must be an integer (int64) tensor, got {idx.dtype}")
        if idx.ndim != x.ndim and not (x.ndim == 0 and idx.ndim <= 1):
            raise RuntimeError(f"gather(): index {tuple(idx.shape)} and input {self.shape} need the same number "
                               "of dimensions")
        (axis,) = _dims(dim, self.ndim) or (0,)
        if x.ndim == 0:
            x = x.reshape(1)
        for d, n in enumerate(idx.shape):
            if d != axis and n > x.shape[d]:
                raise RuntimeError(f"gather(): index {tuple(idx.shape)} is larger than input {self.shape} in "
                                   f"dimension {d}")
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[axis]):
            raise RuntimeError(f"gather(): index out of range for dimension {axis} with size {x.shape[axis]}")
        positions = tuple(idx if d == axis else xp.arange(n).reshape([-1 if e == d else 1 for e in range(idx.ndim)])
                          for d, n in enumerate(idx.shape))
        data = x[positions]
        source = self.shape

        def backward(g):
            full = xp.zeros(x.shape, dtype=g.dtype)
            backend.scatter_add(full, positions, g.reshape(idx.shape))  # repeated indices add up
            return (full.reshape(source),)
        return make_result(data, (self,), backward)

    # ----------------------------------------------------------------- softmax
    def softmax(self, dim=-1):
        if self.data.dtype.kind not in "fc":
            raise NotImplementedError(f"softmax: needs a floating-point tensor, this one is {self.dtype}: "
                                      "call .float() first")
        if self.data.ndim == 0:  # torch allows dim 0 or -1 on a 0-d tensor: softmax of one value is 1
            dim = _dims(dim, 0)
        shifted = self.data - self.data.max(axis=dim, keepdims=True)  # stable for large logits
        e = self.xp.exp(shifted)
        data = e / e.sum(axis=dim, keepdims=True)
        return make_result(data, (self,), lambda g: (data * (g - (g * data).sum(axis=dim, keepdims=True)),))

    def log_softmax(self, dim=-1):
        if self.data.dtype.kind not in "fc":
            raise NotImplementedError(f"log_softmax: needs a floating-point tensor, this one is {self.dtype}: "
                                      "call .float() first")
        if self.data.ndim == 0:
            dim = _dims(dim, 0)
        xp = self.xp
        shifted = self.data - self.data.max(axis=dim, keepdims=True)
        data = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        return make_result(data, (self,), lambda g: (g - xp.exp(data) * g.sum(axis=dim, keepdims=True),))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)
        except ValueError as exc:
            raise RuntimeError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self.data.size} elements) into {tuple(shape)}") from exc
        source = self.shape
        return make_result(data, (self,), lambda g: (g.reshape(source),))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def unsqueeze(self, dim):
        dim = dim if dim >= 0 else dim + self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = _dims(dim, self.ndim)
        if not axes or self.shape[axes[0]] != 1:  # a 0-d tensor, or a dim that is not of size 1: unchanged
            return self
        return self.reshape(self.shape[:axes[0]] + self.shape[axes[0] + 1:])

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = _dims(tuple(dims), self.ndim)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        inverse = tuple(np.argsort(dims))
        return make_result(self.data.transpose(dims), (self,), lambda g: (g.transpose(inverse),))

    def transpose(self, dim0, dim1):
        if self.ndim == 0:
            _dims((dim0, dim1), 0)
            return self
        d0, d1 = _dims((dim0, dim1), self.ndim)
        return make_result(self.xp.swapaxes(self.data, d0, d1), (self,),
                           lambda g: (self.xp.swapaxes(g, d0, d1),))

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    def expand(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = tuple(n if n != -1 else self.shape[i - len(shape) + self.ndim] for i, n in enumerate(shape))
        source = self.shape
        try:
            data = self.xp.broadcast_to(self.data, shape)
        except ValueError as exc:
            raise RuntimeError(f"expand: a tensor of shape {source} cannot be expanded to {shape} "
                               "(only dims of size 1 can grow)") from exc
        return make_result(data, (self,), lambda g: (_unbroadcast(g, source),))

    def __getitem__(self, index):
        # torch applies integer indices first and then the advanced ones (NumPy treats them together,
        # which moves the dims of x[0, :, idx] into another order).
        first, index = _integers_first(_raw_index(index))
        data = (self.data if first is None else self.data[first])[index]
        source, xp = self.shape, self.xp

        def backward(g):
            full = xp.zeros(source, dtype=g.dtype)
            target = full if first is None else full[first]  # a view: writing into it writes into full
            if _is_basic_index(index):
                target[index] = g  # slices never repeat an element
            else:
                backend.scatter_add(target, index, g)  # repeated indices must add up
            return (full,)
        return make_result(data, (self,), backward)


# W. J. Cody's rational approximations of erf and erfc (Math. Comp. 23, 1969; netlib specfun CALERF),
# accurate to double precision; NumPy has no erf, and the same code runs on CuPy.
_TWO_OVER_SQRT_PI = 1.1283791670955126
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
          8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
          2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
          3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
          6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
          2.33520497626869185e-3)


def _erf(xp, x):
    """erf(x) elementwise, computed in float64 and returned in ``x``'s dtype."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf and nan pass through the branches
        z = x.astype(np.float64)
        y = xp.abs(z)
        # |x| <= 0.5: erf(x) = x P(x^2) / Q(x^2)
        ysq = y * y
        num, den = _ERF_A[4] * ysq, ysq
        for i in range(3):
            num, den = (num + _ERF_A[i]) * ysq, (den + _ERF_B[i]) * ysq
        small = z * (num + _ERF_A[3]) / (den + _ERF_B[3])
        # 0.5 < |x| <= 4: erfc(|x|) = exp(-x^2) P(|x|) / Q(|x|)
        num, den = _ERF_C[8] * y, y
        for i in range(7):
            num, den = (num + _ERF_C[i]) * y, (den + _ERF_D[i]) * y
        mid = (num + _ERF_C[7]) / (den + _ERF_D[7])
        # |x| > 4: erfc(|x|) = exp(-x^2) / |x| (1/sqrt(pi) + P(1/x^2) / (x^2 Q(1/x^2)))
        inv = 1.0 / ysq
        num, den = _ERF_P[5] * inv, inv
        for i in range(4):
            num, den = (num + _ERF_P[i]) * inv, (den + _ERF_Q[i]) * inv
        large = (0.5641895835477563 - inv * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / y
        erfc = xp.where(y <= 4.0, mid, large)
        # exp(-y^2) as exp(-r^2) exp(-(y - r)(y + r)) with r = y rounded down to 1/16: no cancellation in y^2
        r = xp.trunc(y * 16.0) / 16.0
        erfc = erfc * xp.exp(-r * r) * xp.exp(-(y - r) * (y + r))
        erfc = xp.where(y >= 26.6, 0.0, erfc)
        big = xp.where(z < 0, erfc - 1.0, 1.0 - erfc)
        return xp.where(y <= 0.5, small, xp.where(xp.isnan(z), z, big)).astype(x.dtype)


def _prod_backward(xp, x, result, g, axis):
    """Gradient of a product along ``axis`` (``result`` and ``g`` keep that axis): each element gets the
    product of the others, computed without dividing by zero where some element is 0 (torch's method)."""
    if not (x == 0).any():
        return g * (result / x)

    def along(part):  # x[..., part, ...] with ``part`` on ``axis``
        return x[(slice(None),) * axis + (part,)]
    ones = xp.ones_like(along(slice(0, 1)))
    before = xp.cumprod(xp.concatenate([ones, along(slice(None, -1))], axis=axis), axis=axis)
    after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(along(slice(1, None)), axis=axis)], axis=axis),
                               axis=axis), axis=axis)
    return g * (before * after)


def _refuse_bool_sub():
    raise RuntimeError("subtraction (the - operator) with a bool tensor or a Python bool is not supported, as in "
                       "torch: to invert a mask use ~mask or mask.logical_not(); for arithmetic convert with .int()")


def _int_pow_negative(a, b):
    """Integer ``a ** b`` where some exponents are negative: 1 and -1 keep their powers, the rest give 0 (torch)."""
    xp, x, y = a.xp, a.data, b.data
    try:
        x, y = xp.broadcast_arrays(x, y)
    except ValueError as exc:
        raise RuntimeError(f"pow: shapes {a.shape} and {b.shape} cannot be broadcast together") from exc
    positive = x ** xp.maximum(y, 0)
    odd = (y % 2) == 1
    reciprocal = xp.where(x == 1, 1, xp.where(x == -1, xp.where(odd, -1, 1), 0)).astype(positive.dtype)
    return xp.where(y < 0, reciprocal, positive)


def _is_dtype(value):
    """True for a dtype (``minigrad.float32``, ``numpy.dtype('int64')``), False for a device name."""
    return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic))


def _raw_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_int_index(part):
    if isinstance(part, (bool, np.bool_)):
        return False
    return isinstance(part, (int, np.integer)) or (getattr(part, "ndim", None) == 0 and part.dtype.kind in "iu")


def _integers_first(index):
    """Split ``index`` into (integer selections, the rest) when integers meet advanced (array) indices, else (None, index)."""
    if not isinstance(index, tuple):
        return None, index
    if not any(_is_int_index(p) for p in index):
        return None, index
    if not any(isinstance(p, list) or getattr(p, "ndim", 0) > 0 for p in index):
        return None, index
    first, rest = [], []
    for p in index:
        if p is None:
            rest.append(p)
        elif p is Ellipsis:
            first.append(p)
            rest.append(p)
        elif _is_int_index(p):
            first.append(int(p))
        else:
            ndim = getattr(p, "ndim", 1) if getattr(p, "dtype", None) == bool else 1  # a bool mask spans its dims
            first.extend([slice(None)] * ndim)
            rest.append(p)
    return tuple(first), tuple(rest)


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _topological_order(root):
    """The root and the op results below it, every node after all of its inputs (iterative: no recursion limit).

    Leaves (weights, inputs) are left out: nothing comes after them, ``backward`` adds their gradients at the end.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._parents:
            if parent._backward is not None and parent not in visited:  # an op result (it requires grad)
                stack.append((parent, False))
    return order


# --------------------------------------------------------------------- functions
def tensor(data, requires_grad=False, dtype=None, device=None):
    """Create a tensor, as ``torch.tensor``: float32 for Python floats, arrays keep their dtype.

    ``data`` is a number, a (nested) list or tuple of numbers, a ``range``, an array, or a
    list of tensors of one shape (their values are stacked, without their graph). Without ``device``,
    a tensor or a GPU array keeps its device and anything else goes to the default device
    (``minigrad.get_default_device()``: the CPU unless set). A NumPy array is copied, as torch.tensor
    copies: training the tensor in place never changes the array it was made from.
    """
    if isinstance(data, np.ndarray):
        data = np.array(data, dtype=dtype)
    if device is None and not isinstance(data, Tensor) and (isinstance(data, (np.ndarray, np.generic))
                                                             or not _is_array(data)):
        device = backend.get_default_device()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor that shares ``array``'s memory, as ``torch.from_numpy`` (``tensor`` copies)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return make_result(array, (), None)  # this very array, no graph (Tensor(array) would check its device first)


def _is_array(data):
    """A NumPy or CuPy array (or NumPy scalar): stored as it is."""
    return isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "__cuda_array_interface__")


def _array_from_python(data):
    """A NumPy array of Python data, or an error that names what was passed."""
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        if len({item.shape for item in data if isinstance(item, Tensor)}) > 1:
            raise ValueError(f"tensor(): a list of tensors needs tensors of one shape, got "
                             f"{[getattr(item, 'shape', type(item).__name__) for item in data]}")
        data = [backend.to_numpy(item.data) if isinstance(item, Tensor) else item for item in data]  # no graph
    try:
        array = np.asarray(data)
    except ValueError as exc:  # NumPy: "inhomogeneous shape"
        raise ValueError(f"tensor(): the nested lists have different lengths, so they do not form a "
                         f"rectangular array ({exc})") from None
    if array.dtype.kind not in "biufc":
        what = "None" if data is None else f"a {type(data).__name__}"
        hint = " (make an iterator a list first: list(...))" if isinstance(data, Iterator) else ""
        raise TypeError(f"tensor(): cannot make a tensor from {what}: pass a number, a (nested) list or tuple "
                        f"of numbers, a range or a NumPy array{hint}")
    return array


def _same_device(tensors, op):
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise RuntimeError(f"{op}: tensors are on different devices ({', '.join(sorted(devices))}); "
                           "move them with .to(device)")


def _common_dtype(tensors):
    dtype = tensors[0].data.dtype
    for t in tensors[1:]:
        dtype = _promote_types(dtype, t.data.dtype)
    return dtype


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: needs at least one tensor")
    _same_device(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: tensor {i} is 0-d and has no dim to join along; "
                               "use stack, or reshape it to shape (1,) first")
    dtype = _common_dtype(tensors)
    tensors = [t._cast(dtype) for t in tensors]
    xp = tensors[0].xp
    (axis,) = _dims(dim, tensors[0].ndim)
    try:
        data = xp.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as exc:
        raise RuntimeError(f"cat: shapes {[t.shape for t in tensors]} differ outside dim {dim}") from exc
    splits = np.cumsum([t.shape[axis] for t in tensors])[:-1].tolist()
    return make_result(data, tuple(tensors), lambda g: tuple(xp.split(g, splits, axis=axis)))


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: needs at least one tensor")
    _same_device(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    dtype = _common_dtype(tensors)
    tensors = [t._cast(dtype) for t in tensors]
    xp = tensors[0].xp
    (axis,) = _dims(dim, tensors[0].ndim + 1)
    data = xp.stack([t.data for t in tensors], axis=axis)
    return make_result(data, tuple(tensors),
                       lambda g: tuple(xp.take(g, i, axis=axis) for i in range(len(tensors))))


def _scalar_pair(input, other, like):
    """Two Python numbers as 0-d tensors of their common dtype (float32 if either is a float, as torch)."""
    if any(isinstance(v, float) for v in (input, other)):
        dtype = float32
    elif all(isinstance(v, bool) for v in (input, other)):
        dtype = bool_
    else:
        dtype = int64
    xp = backend.array_module(like)
    return Tensor(xp.asarray(input, dtype=dtype)), Tensor(xp.asarray(other, dtype=dtype))


def where(condition, input, other):
    """Elementwise ``input`` where the boolean ``condition`` holds, else ``other`` (tensors or numbers)."""
    if isinstance(condition, Tensor):
        cond = condition.data
    else:
        cond = condition if hasattr(condition, "dtype") else np.asarray(condition)  # NumPy or CuPy array
    if cond.dtype != bool:
        raise RuntimeError(f"where: the condition must be a bool tensor, got {cond.dtype}: compare first, e.g. x > 0")
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        base = input if isinstance(input, Tensor) else other
        a, b = base._operand(input, "where"), base._operand(other, "where")
        if a.data.dtype != b.data.dtype:
            a, b = _promote_pair(a, b)
        if not isinstance(condition, Tensor):
            cond = backend.to_device(cond, base.device)
    else:
        a, b = _scalar_pair(input, other, cond)
    xp = a.xp
    try:
        data = xp.where(cond, a.data, b.data)
    except ValueError as exc:
        raise RuntimeError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be broadcast together") from exc

    def backward(g):
        return (_unbroadcast(xp.where(cond, g, 0), a.shape) if a.requires_grad else None,
                _unbroadcast(xp.where(cond, 0, g), b.shape) if b.requires_grad else None)
    return make_result(data, (a, b), backward)


def _extreme_pair(input, other, op, largest):
    """maximum / minimum; at ties each side gets half the gradient (as torch)."""
    base = input if isinstance(input, Tensor) else other
    a, b = base._operand(input, op), base._operand(other, op)
    if a.data.dtype != b.data.dtype:
        a, b = _promote_pair(a, b)
    xp = base.xp
    data = a._broadcast_op(b, op, xp.maximum if largest else xp.minimum)

    def backward(g):
        x, y = a.data, b.data
        shared = xp.where(x == y, g / 2, g)
        a_loses, b_loses = (x < y, x > y) if largest else (x > y, x < y)
        return (_unbroadcast(xp.where(a_loses, 0, shared), a.shape) if a.requires_grad else None,
                _unbroadcast(xp.where(b_loses, 0, shared), b.shape) if b.requires_grad else None)
    return make_result(data, (a, b), backward)


def maximum(input, other):
    """Elementwise maximum; at ties each side gets half the gradient (as torch)."""
    return _extreme_pair(input, other, "maximum", True)


def minimum(input, other):
    """Elementwise minimum; at ties each side gets half the gradient (as torch)."""
    return _extreme_pair(input, other, "minimum", False)


def clamp(input, min=None, max=None):
    return input.clamp(min, max)
