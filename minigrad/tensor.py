"""The Tensor: an array that remembers how it was computed, and reverse-mode autodiff.

Read it like micrograd's ``engine.py``, on arrays instead of scalars: every op
computes its output and, right beside it, a ``backward(grad)`` closure that
returns the gradient for each of its inputs. ``Tensor.backward`` visits the
graph in reverse topological order and adds the gradients up.

Arrays come from ``xp``, NumPy or CuPy, so each op is written once for both.
"""
from collections import namedtuple

import numpy as np

from . import backend
from .grad_mode import is_grad_enabled

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_

MaxResult = namedtuple("MaxResult", ["values", "indices"])


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
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
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
    return tuple(out)


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
        if device is None:
            device = backend.device_of(data) if not isinstance(data, (list, tuple, int, float, bool)) else "cpu"
        xp = backend.get_array_module(device)
        if dtype is None and not hasattr(data, "dtype"):
            array = np.asarray(data)
            # Python numbers and lists default to float32 (ints stay int64), as in torch.
            dtype = float32 if array.dtype.kind == "f" else (int64 if array.dtype.kind in "iu" else None)
            data = array
        self.data = xp.asarray(backend.to_device(data, device) if hasattr(data, "dtype") else data, dtype=dtype)
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
            raise TypeError(
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
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        return backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def to(self, device):
        device = backend.normalize_device(device)
        if device == self.device:
            return self
        source = self.device
        return make_result(backend.to_device(self.data, device), (self,),
                           lambda g: (backend.to_device(g, source),))

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def _cast(self, dtype):
        if self.dtype == dtype:
            return self
        source = self.dtype
        return make_result(self.data.astype(dtype), (self,), lambda g: (g.astype(source),))

    def float(self):
        return self._cast(float32)

    def double(self):
        return self._cast(float64)

    def long(self):
        return Tensor(self.data.astype(int64))

    # ----------------------------------------------------------------- autodiff
    def backward(self, grad=None, retain_graph=False):
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Implicit ``grad`` only for a single-element output (a loss); gradients
        accumulate across calls until zeroed.
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
                raise ValueError(f"backward: grad has shape {grad.shape} but the tensor has shape {self.shape}")

        grads = {id(self): grad}
        handed_out = set()  # ids of arrays already stored as some .grad: they must not be shared
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None or node._retains_grad:
                node._accumulate(g, handed_out)
            if node._backward is None:
                continue
            for parent, parent_grad in zip(node._parents, node._backward(g)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.shape:  # a bug in an op's backward, never the user's
                    raise RuntimeError(
                        f"internal error: gradient of shape {parent_grad.shape} for a tensor of shape {parent.shape}"
                    )
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad
            if not retain_graph:
                node._backward = _freed_backward

    def _accumulate(self, g, handed_out):
        if self.grad is not None:
            self.grad += g
            return
        # Keep g itself when nothing else can see it (a fresh array of the right dtype), else a copy:
        # an op may hand one array to several inputs, and .grad is updated in place later.
        if g.dtype != self.dtype or not g.flags.owndata or not g.flags.writeable or id(g) in handed_out:
            g = g.astype(self.dtype, copy=True)
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
            # A Python number takes this tensor's dtype, except a float meeting an integer tensor.
            dtype = float32 if isinstance(other, float) and self.dtype.kind != "f" else self.dtype
            return Tensor(self.xp.asarray(other, dtype=dtype))
        return Tensor(other, device=self.device)

    def _broadcast_op(self, other, op, fn):
        try:
            return fn(self.data, other.data)
        except ValueError as exc:
            raise ValueError(
                f"{op}: shapes {self.shape} and {other.shape} cannot be broadcast together"
            ) from exc

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        a, b = self, self._operand(other, "add")
        data = a._broadcast_op(b, "add", lambda x, y: x + y)
        return make_result(data, (a, b), lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)))

    def __sub__(self, other):
        a, b = self, self._operand(other, "sub")
        data = a._broadcast_op(b, "sub", lambda x, y: x - y)
        return make_result(data, (a, b), lambda g: (_unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)))

    def __mul__(self, other):
        a, b = self, self._operand(other, "mul")
        data = a._broadcast_op(b, "mul", lambda x, y: x * y)

        def backward(g):
            return (_unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                    _unbroadcast(g * a.data, b.shape) if b.requires_grad else None)
        return make_result(data, (a, b), backward)

    def __truediv__(self, other):
        a, b = self, self._operand(other, "div")
        data = a._broadcast_op(b, "div", lambda x, y: x / y)

        def backward(g):
            return (_unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
                    _unbroadcast(-g * data / b.data, b.shape) if b.requires_grad else None)
        return make_result(data, (a, b), backward)

    def __pow__(self, other):
        a, b = self, self._operand(other, "pow")
        data = a._broadcast_op(b, "pow", lambda x, y: x ** y)

        def backward(g):
            xp = a.xp
            ga = _unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape) if a.requires_grad else None
            gb = _unbroadcast(g * data * xp.log(a.data), b.shape) if b.requires_grad else None
            return ga, gb
        return make_result(data, (a, b), backward)

    def __neg__(self):
        return make_result(-self.data, (self,), lambda g: (-g,))

    def __radd__(self, other):
        return self._operand(other, "add") + self

    def __rsub__(self, other):
        return self._operand(other, "sub") - self

    def __rmul__(self, other):
        return self._operand(other, "mul") * self

    def __rtruediv__(self, other):
        return self._operand(other, "div") / self

    def __rpow__(self, other):
        return self._operand(other, "pow") ** self

    def __matmul__(self, other):
        a, b = self, self._operand(other, "matmul")
        a_shape, b_shape = a.data.shape, b.data.shape
        if not a_shape or not b_shape:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}")
        inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
        if a_shape[-1] != inner_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: the last dimension of the first "
                f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} dimension "
                f"of the second ({inner_b})"
            )
        data = a._broadcast_op(b, "matmul", lambda x, y: x @ y)

        def backward(g):
            xp = a.xp
            # Vectors take part as a 1-row (left) or 1-column (right) matrix.
            a2 = a.data if a.ndim > 1 else a.data[None, :]
            b2 = b.data if b.ndim > 1 else b.data[:, None]
            if b.ndim == 1:
                g = g[..., None]
            if a.ndim == 1:
                g = g[..., None, :]
            ga = gb = None
            if a.requires_grad:
                ga = _unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2.shape)
                ga = ga.reshape(a.shape) if a.ndim == 1 else ga
            if b.requires_grad:
                gb = _unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2.shape)
                gb = gb.reshape(b.shape) if b.ndim == 1 else gb
            return ga, gb
        return make_result(data, (a, b), backward)

    def __rmatmul__(self, other):
        return self._operand(other, "matmul") @ self

    def matmul(self, other):
        return self @ other

    # comparisons give boolean tensors without gradients
    def __lt__(self, other):
        return Tensor(self.data < self._operand(other, "lt").data)

    def __le__(self, other):
        return Tensor(self.data <= self._operand(other, "le").data)

    def __gt__(self, other):
        return Tensor(self.data > self._operand(other, "gt").data)

    def __ge__(self, other):
        return Tensor(self.data >= self._operand(other, "ge").data)

    # ----------------------------------------------------------------- elementwise
    def exp(self):
        data = self.xp.exp(self.data)
        return make_result(data, (self,), lambda g: (g * data,))

    def log(self):
        x = self.data
        return make_result(self.xp.log(x), (self,), lambda g: (g / x,))

    def sqrt(self):
        data = self.xp.sqrt(self.data)
        return make_result(data, (self,), lambda g: (g / (2 * data),))

    def tanh(self):
        data = self.xp.tanh(self.data)
        return make_result(data, (self,), lambda g: (g * (1 - data * data),))

    def sigmoid(self):
        data = 0.5 * (1 + self.xp.tanh(0.5 * self.data))  # no overflow for large |x|
        return make_result(data, (self,), lambda g: (g * data * (1 - data),))

    def relu(self):
        x = self.data
        return make_result(self.xp.maximum(x, 0), (self,), lambda g: (g * (x > 0),))

    def abs(self):
        x = self.data
        return make_result(self.xp.abs(x), (self,), lambda g: (g * self.xp.sign(x),))

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both")
        x = self.data
        data = self.xp.clip(x, min, max)
        inside = self.xp.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        return make_result(data, (self,), lambda g: (g * inside,))

    clip = clamp

    def masked_fill(self, mask, value):
        mask = mask.data if isinstance(mask, Tensor) else self.xp.asarray(mask)
        data = self.xp.where(mask, self.xp.asarray(value, dtype=self.dtype), self.data)
        return make_result(data, (self,), lambda g: (_unbroadcast(self.xp.where(mask, 0, g), self.shape),))

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False):
        axes = _dims(dim, self.ndim)
        data = self.data.sum(axis=axes, keepdims=keepdim)
        shape = self.shape
        return make_result(data, (self,),
                           lambda g: (self.xp.broadcast_to(_expand_reduced(g, shape, axes, keepdim), shape),))

    def mean(self, dim=None, keepdim=False):
        axes = _dims(dim, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if self.ndim else 1
        return self.sum(dim, keepdim) / count

    def var(self, dim=None, keepdim=False, correction=1, unbiased=None):
        if unbiased is not None:
            correction = int(unbiased)
        axes = _dims(dim, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if self.ndim else 1
        centred = self - self.mean(dim, keepdim=True)
        return (centred * centred).sum(dim, keepdim) / max(count - correction, 0)

    def max(self, dim=None, keepdim=False):
        """Largest value; with ``dim``, ``(values, indices)`` as in torch."""
        xp = self.xp
        x = self.data
        if dim is None:
            data = x.max()
            winners = x == data
            share = winners / winners.sum()  # ties share the gradient, as torch.amax does
            return make_result(data, (self,), lambda g: (g * share,))
        (axis,) = _dims(dim, self.ndim)
        kept_indices = xp.expand_dims(x.argmax(axis=axis), axis)
        values = xp.take_along_axis(x, kept_indices, axis=axis)

        def backward(g):
            full = xp.zeros_like(x)
            xp.put_along_axis(full, kept_indices, g if keepdim else xp.expand_dims(g, axis), axis=axis)
            return (full,)
        indices = kept_indices
        if not keepdim:
            values, indices = values.squeeze(axis), kept_indices.squeeze(axis)
        return MaxResult(make_result(values, (self,), backward), Tensor(indices))

    def min(self, dim=None, keepdim=False):
        result = (-self).max(dim, keepdim)
        if dim is None:
            return -result
        return MaxResult(-result.values, result.indices)

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor(self.data.argmax())
        return self.max(dim, keepdim).indices

    # ----------------------------------------------------------------- softmax
    def softmax(self, dim=-1):
        shifted = self.data - self.data.max(axis=dim, keepdims=True)  # stable for large logits
        e = self.xp.exp(shifted)
        data = e / e.sum(axis=dim, keepdims=True)
        return make_result(data, (self,), lambda g: (data * (g - (g * data).sum(axis=dim, keepdims=True)),))

    def log_softmax(self, dim=-1):
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
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
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
        (axis,) = _dims(dim, self.ndim)
        if self.shape[axis] != 1:
            return self
        return self.reshape(self.shape[:axis] + self.shape[axis + 1:])

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = _dims(tuple(dims), self.ndim)
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        inverse = tuple(np.argsort(dims))
        return make_result(self.data.transpose(dims), (self,), lambda g: (g.transpose(inverse),))

    def transpose(self, dim0, dim1):
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
        return make_result(self.xp.broadcast_to(self.data, shape), (self,),
                           lambda g: (_unbroadcast(g, source),))

    def __getitem__(self, index):
        index = _raw_index(index)
        data = self.data[index]
        source, xp = self.shape, self.xp

        def backward(g):
            full = xp.zeros(source, dtype=g.dtype)
            if _is_basic_index(index):
                full[index] = g  # slices never repeat an element
            else:
                backend.scatter_add(full, index, g)  # repeated indices must add up
            return (full,)
        return make_result(data, (self,), backward)


def _raw_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _topological_order(root):
    """Nodes that need a gradient, every node after all of its inputs (iterative: no recursion limit)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


# --------------------------------------------------------------------- functions
def tensor(data, requires_grad=False, dtype=None, device=None):
    """Create a tensor, as ``torch.tensor``: float32 for Python floats, arrays keep their dtype."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _same_device(tensors, op):
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise RuntimeError(f"{op}: tensors are on different devices ({', '.join(sorted(devices))}); "
                           "move them with .to(device)")


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    _same_device(tensors, "cat")
    xp = tensors[0].xp
    (axis,) = _dims(dim, tensors[0].ndim)
    try:
        data = xp.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as exc:
        raise ValueError(f"cat: shapes {[t.shape for t in tensors]} differ outside dim {dim}") from exc
    splits = np.cumsum([t.shape[axis] for t in tensors])[:-1].tolist()
    return make_result(data, tuple(tensors), lambda g: tuple(xp.split(g, splits, axis=axis)))


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    _same_device(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    xp = tensors[0].xp
    axis = dim if dim >= 0 else dim + tensors[0].ndim + 1
    data = xp.stack([t.data for t in tensors], axis=axis)
    return make_result(data, tuple(tensors),
                       lambda g: tuple(xp.take(g, i, axis=axis) for i in range(len(tensors))))


def where(condition, input, other):
    """Elementwise ``input`` where ``condition`` holds, else ``other``."""
    base = input if isinstance(input, Tensor) else other
    a, b = base._operand(input, "where"), base._operand(other, "where")
    cond = condition.data if isinstance(condition, Tensor) else base.xp.asarray(condition)
    xp = base.xp
    try:
        data = xp.where(cond, a.data, b.data)
    except ValueError as exc:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be broadcast together") from exc

    def backward(g):
        return (_unbroadcast(xp.where(cond, g, 0), a.shape) if a.requires_grad else None,
                _unbroadcast(xp.where(cond, 0, g), b.shape) if b.requires_grad else None)
    return make_result(data, (a, b), backward)


def maximum(input, other):
    """Elementwise maximum; at ties each side gets half the gradient (as torch)."""
    base = input if isinstance(input, Tensor) else other
    a, b = base._operand(input, "maximum"), base._operand(other, "maximum")
    data = a._broadcast_op(b, "maximum", base.xp.maximum)

    def backward(g):
        share_a = (a.data > b.data) + 0.5 * (a.data == b.data)
        return (_unbroadcast(g * share_a, a.shape) if a.requires_grad else None,
                _unbroadcast(g * (1 - share_a), b.shape) if b.requires_grad else None)
    return make_result(data, (a, b), backward)


def minimum(input, other):
    return -maximum(-_as_tensor(input, other), -_as_tensor(other, input))


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else like._operand(x, "minimum")


def clamp(input, min=None, max=None):
    return input.clamp(min, max)
