"""Many small models at once, as ``torch.func``: ``stack_module_state``, ``functional_call`` and ``vmap``.

A sweep trains the same network once per setting. Instead of one model after another, stack
them: every weight gets a leading *model axis* (24 learning rates: 24 weight matrices in one
array), and one forward pass, one loss and one ``backward()`` train them all::

    from minigrad.func import functional_call, stack_module_state, vmap

    params, buffers = stack_module_state(models)        # {"0.weight": (S, H, F) leaf tensor, ...}
    def loss_of(params, x, y):                          # one model's loss, written as for one model
        return F.cross_entropy(functional_call(models[0], params, (x,)), y)
    losses = vmap(loss_of, in_dims=(0, None, None))(params, x, y)   # (S,): each model's own loss
    losses.sum().backward()                             # each model's gradient, in one pass

Each model's gradient depends only on its own loss (the models share nothing but the data), so
summing the losses before ``backward()`` hands every model exactly its own gradient. Norms and
clipping per model come from ``minigrad.nn.utils``, called under ``vmap`` as in PyTorch 2.6::

    norms = vmap(get_total_norm)([p.grad for p in params.values()])           # (S,)
    vmap(clip_grads_with_norm_, in_dims=(0, None, 0))(list(params.values()), 1.0, norms)

How it works: inside ``vmap`` a stacked input is a :class:`BatchedTensor`, a tensor whose
``shape`` leaves the model axis out. Its methods (arithmetic, ``@``, activations, reductions,
reshapes, indexing) apply the ordinary minigrad op to the stacked array, with the model axis
kept first, so autograd records the ordinary graph. The few functions that work on raw arrays
(``F.cross_entropy``'s fused form, the clipping helpers) have a rule of their own here.

What it covers: the layers and losses built from those methods (``Linear``, ``Sequential``,
``ReLU``, ``Tanh``, ``Sigmoid``, a recurrent cell written with ``@`` and ``tanh`` or as one
``F.tanh_rnn`` node, ``mse_loss``),
``cross_entropy`` with class targets (no class weights or label smoothing), ``get_total_norm``,
``clip_grads_with_norm_`` and ``clip_grad_value_``. ``in_dims`` entries are ints or None (or
containers of them matching the argument); outputs are batched along ``out_dims``. NumPy or
CuPy arrays (such as ``p.grad``) may be batched inputs too. Not covered, with an error that
says so: nested ``vmap``, ``chunk_size``, random ops (dropout), and any tensor method or
function not listed (``BatchedTensor`` refuses them by name rather than mixing the models up).
"""
from __future__ import annotations

import operator

import numpy as np

from . import _batching, backend
from .nn import functional as F
from .nn import utils as nn_utils
from .nn.module import Module
from .tensor import Tensor, _dims, make_result

__all__ = ["stack_module_state", "functional_call", "vmap", "BatchedTensor"]


# -- stacking and calling modules -------------------------------------------------------------------------------------


def stack_module_state(models):
    """``(params, buffers)``: every parameter of ``models`` stacked along a new leading axis.

    As ``torch.func.stack_module_state``: the models must have the same structure; ``params``
    maps each parameter's name (as in ``named_parameters``) to a new leaf tensor of shape
    ``(len(models), *shape)`` that requires grad; the models are left as they were. minigrad's
    modules have no buffers, so ``buffers`` is an empty dict.
    """
    models = list(models)
    if not models or not all(isinstance(m, Module) for m in models):
        raise ValueError("stack_module_state: expected a non-empty list of minigrad Modules")
    named = [dict(m.named_parameters()) for m in models]
    first = {name: p.shape for name, p in named[0].items()}
    for index, params in enumerate(named[1:], start=1):
        shapes = {name: p.shape for name, p in params.items()}
        if shapes != first:
            raise ValueError(f"stack_module_state: model {index} does not have model 0's parameters: "
                             f"{shapes} against {first}; stack models of one structure")
    stacked = {}
    for name, param in named[0].items():
        xp = param.xp
        stacked[name] = Tensor(xp.stack([params[name].data for params in named])).requires_grad_()
    return stacked, {}


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module`` with the tensors of ``parameter_and_buffer_dicts`` in place of its own parameters.

    As ``torch.func.functional_call``: the module's parameters are swapped for the given
    tensors (by their ``named_parameters`` names) for this call only, then put back; names not
    given keep the module's own (``strict=True`` refuses that). ``args``: a tensor or a tuple.
    """
    dicts = parameter_and_buffer_dicts
    given = {}
    for part in (dicts if isinstance(dicts, (tuple, list)) else (dicts,)):
        given.update(part)
    if strict:
        missing = sorted(set(dict(module.named_parameters())) - set(given))
        if missing:
            raise ValueError(f"functional_call: strict=True but no tensors given for {missing}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    swapped = []
    try:
        for name, value in given.items():
            holder, leaf = _owner(module, name)
            swapped.append((holder, leaf, holder._parameters[leaf]))
            holder._parameters[leaf] = value  # the module's forward reads its attribute: set both
            object.__setattr__(holder, leaf, value)
        return module(*args, **(kwargs or {}))
    finally:
        for holder, leaf, original in reversed(swapped):
            holder._parameters[leaf] = original
            object.__setattr__(holder, leaf, original)


def _owner(module, name):
    """The submodule that holds parameter ``name`` ("0.weight") and the parameter's own name there."""
    owner, _, leaf = name.rpartition(".")
    holder = module
    for part in owner.split(".") if owner else ():
        holder = holder._modules.get(part)
        if holder is None:
            break
    if holder is None or leaf not in holder._parameters:
        raise ValueError(f"functional_call: {type(module).__name__} has no parameter named {name!r}; "
                         f"its parameters are {sorted(dict(module.named_parameters()))}")
    return holder, leaf


# -- vmap ---------------------------------------------------------------------------------------------------------------


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a model axis of its inputs, as ``torch.func.vmap`` (see the module's docstring).

    ``in_dims``: one entry per positional argument (or one for all): the axis of that
    argument that runs over the models, or None for an argument every model shares.
    ``out_dims``: where the model axis goes in the outputs.
    """
    if chunk_size is not None:
        raise NotImplementedError("vmap: chunk_size is not covered in minigrad; leave it None")
    if randomness != "error":
        raise NotImplementedError("vmap: minigrad's vmap covers no random ops, so only randomness='error'")

    def mapped(*args, **kwargs):
        if _batching.depth():
            raise NotImplementedError("vmap: a vmap inside a vmap is not covered in minigrad")
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries but the function got {len(args)} arguments")
        sizes = []
        batched_args = [_batch_inputs(arg, dim, sizes) for arg, dim in zip(args, dims)]
        if not sizes:
            raise ValueError("vmap: no input is batched: give at least one argument an in_dim that is not None")
        if len(set(sizes)) > 1:
            raise ValueError(f"vmap: the batched inputs disagree on the number of models: sizes {sorted(set(sizes))}")
        _batching.enter()
        try:
            out = func(*batched_args, **kwargs)
        finally:
            _batching.leave()
        return _unbatch_outputs(out, out_dims, sizes[0])

    return mapped


def _batch_inputs(arg, dim, sizes):
    if dim is None:  # shared by every model: nothing to look at inside
        return arg
    if isinstance(dim, (tuple, list, dict)):  # a container of in_dims matching the argument's structure
        if isinstance(dim, dict):
            return {key: _batch_inputs(arg[key], dim[key], sizes) for key in arg}
        return type(arg)(_batch_inputs(a, d, sizes) for a, d in zip(arg, dim))
    if isinstance(arg, dict):
        return {key: _batch_inputs(value, dim, sizes) for key, value in arg.items()}
    if isinstance(arg, (tuple, list)):
        return type(arg)(_batch_inputs(a, dim, sizes) for a in arg)
    if not isinstance(dim, int):
        raise ValueError(f"vmap: an in_dim must be an int or None, got {dim!r}")
    if not isinstance(arg, Tensor):
        if not hasattr(arg, "shape"):
            raise ValueError(f"vmap: in_dim {dim} given for a {type(arg).__name__}; only tensors and arrays "
                             "can be batched (give it in_dim None)")
        arg = make_result(arg, (), None)  # an array, such as p.grad: a tensor around it, without a gradient
    if not -arg.ndim <= dim < arg.ndim:
        raise ValueError(f"vmap: in_dim {dim} is out of range for an input of shape {arg.shape}")
    dim %= arg.ndim
    value = arg if dim == 0 else arg.permute(dim, *[d for d in range(arg.ndim) if d != dim])
    sizes.append(value.shape[0])
    return _wrap(value)


def _unbatch_outputs(out, out_dims, size):
    if isinstance(out, (tuple, list)):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(out)
        return type(out)(_unbatch_outputs(o, d, size) for o, d in zip(out, dims))
    if isinstance(out, dict):
        return {key: _unbatch_outputs(value, out_dims, size) for key, value in out.items()}
    if out is None:  # an in-place function (clipping) returns nothing
        return None
    if isinstance(out, BatchedTensor):
        value = out.value
    elif isinstance(out, Tensor):  # the same for every model: repeated along the model axis, as torch
        value = out.reshape(1, *out.shape).expand(size, *out.shape)
    else:
        raise ValueError(f"vmap: the function returned a {type(out).__name__}; return tensors")
    if out_dims == 0:
        return value
    order = list(range(1, value.ndim))
    order.insert(out_dims % value.ndim, 0)
    return value.permute(*order)


# -- the batched tensor --------------------------------------------------------------------------------------------------


def _wrap(value):
    out = BatchedTensor.__new__(BatchedTensor)
    out.value = value
    return out


def _lift(x, rank):
    """A batched tensor's stacked value with axes of size 1 after the model axis, up to logical ``rank``."""
    value = x.value
    extra = rank - (value.ndim - 1)
    return value if extra <= 0 else value.reshape(value.shape[:1] + (1,) * extra + value.shape[1:])


def _rank(x):
    return getattr(x, "ndim", 0)  # a Python number: 0


def _elementwise(a, b, op):
    """``op(a, b)`` with NumPy's broadcasting on the logical shapes: the model axis stays first."""
    rank = max(_rank(a), _rank(b))
    pa = _lift(a, rank) if isinstance(a, BatchedTensor) else a
    pb = _lift(b, rank) if isinstance(b, BatchedTensor) else b
    return _wrap(op(pa, pb))


def _matmul(a, b):
    """``a @ b`` where either or both are batched: a vector takes part as a row (left) or column (right)."""
    row = isinstance(a, BatchedTensor) and a.ndim == 1
    column = isinstance(b, BatchedTensor) and b.ndim == 1
    if not (a.ndim and b.ndim):
        raise RuntimeError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    rank = max(a.ndim + row, b.ndim + column)
    pa = _lift(_wrap(a.value.unsqueeze(1)) if row else a, rank) if isinstance(a, BatchedTensor) else a
    pb = _lift(_wrap(b.value.unsqueeze(-1)) if column else b, rank) if isinstance(b, BatchedTensor) else b
    out = operator.matmul(pa, pb)
    if row:
        out = out.squeeze(-2)
    if column:
        out = out.squeeze(-1)
    return _wrap(out)


def _physical_dims(x, dim):
    return tuple(d + 1 for d in _dims(dim, x.ndim))


class BatchedTensor(Tensor):
    """A tensor inside :func:`vmap`: ``value`` holds every model's tensor, the model axis first.

    ``shape`` and ``ndim`` are one model's; each method applies the ordinary minigrad op to
    ``value`` with the model axis kept first, so gradients flow as they do outside ``vmap``.
    """

    __slots__ = ("value",)

    shape = property(lambda self: self.value.shape[1:])
    ndim = property(lambda self: self.value.ndim - 1)
    dtype = property(lambda self: self.value.dtype)
    device = property(lambda self: self.value.device)
    xp = property(lambda self: self.value.xp)
    requires_grad = property(lambda self: self.value.requires_grad)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(np.prod(self.shape))

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        return f"BatchedTensor(models={self.value.shape[0]}, shape={self.shape}, value={self.value!r})"

    # arithmetic: NumPy's broadcasting on one model's shape
    def __add__(self, other):
        return _elementwise(self, other, operator.add)

    def __radd__(self, other):
        return _elementwise(other, self, operator.add)

    def __sub__(self, other):
        return _elementwise(self, other, operator.sub)

    def __rsub__(self, other):
        return _elementwise(other, self, operator.sub)

    def __mul__(self, other):
        return _elementwise(self, other, operator.mul)

    def __rmul__(self, other):
        return _elementwise(other, self, operator.mul)

    def __truediv__(self, other):
        return _elementwise(self, other, operator.truediv)

    def __rtruediv__(self, other):
        return _elementwise(other, self, operator.truediv)

    def __pow__(self, other):
        return _elementwise(self, other, operator.pow)

    def __neg__(self):
        return _wrap(-self.value)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    matmul = __matmul__

    def __eq__(self, other):
        return _elementwise(self, other, operator.eq)

    def __ne__(self, other):
        return _elementwise(self, other, operator.ne)

    def __lt__(self, other):
        return _elementwise(self, other, operator.lt)

    def __le__(self, other):
        return _elementwise(self, other, operator.le)

    def __gt__(self, other):
        return _elementwise(self, other, operator.gt)

    def __ge__(self, other):
        return _elementwise(self, other, operator.ge)

    __hash__ = Tensor.__hash__

    # one model's axes, shifted past the model axis
    def sum(self, dim=None, keepdim=False):
        return _wrap(self.value.sum(_physical_dims(self, dim), keepdim)) if self.ndim else self

    def mean(self, dim=None, keepdim=False):
        return _wrap(self.value.mean(_physical_dims(self, dim), keepdim)) if self.ndim else self

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return _wrap(self.value.reshape(self.value.shape[0], -1).argmax(1))
        return _wrap(self.value.argmax(_physical_dims(self, dim)[0], keepdim))

    def softmax(self, dim=-1):
        return _wrap(self.value.softmax(_physical_dims(self, dim)[0]))

    def log_softmax(self, dim=-1):
        return _wrap(self.value.log_softmax(_physical_dims(self, dim)[0]))

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _wrap(self.value.reshape(self.value.shape[0], *shape))

    def unsqueeze(self, dim):
        return _wrap(self.value.unsqueeze(dim % (self.ndim + 1) + 1))

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        return _wrap(self.value.squeeze(_physical_dims(self, dim)[0]))

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return _wrap(self.value.permute(0, *(d + 1 for d in _dims(tuple(dims), self.ndim))))

    def transpose(self, dim0, dim1):
        d0, d1 = _physical_dims(self, (dim0, dim1))
        return _wrap(self.value.transpose(d0, d1))

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        advanced = [i for i, part in enumerate(index)
                    if not isinstance(part, (slice, type(None), type(Ellipsis), int))]
        if advanced:  # with index arrays, NumPy keeps their axes in place only if they stand together
            ints = [i for i, part in enumerate(index) if isinstance(part, int)]
            spots = sorted(advanced + ints)
            if spots != list(range(spots[0], spots[-1] + 1)):
                raise NotImplementedError("vmap: index arrays separated by slices are not covered in minigrad")
        return _wrap(self.value[(slice(None),) + index])

    def clamp(self, min=None, max=None):  # noqa: A002 (torch's names)
        return _wrap(self.value.clamp(min, max))


def _entrywise(name):
    """A method of one tensor that works entry by entry: the same op on the whole stack."""
    def method(self):
        return _wrap(getattr(self.value, name)())
    method.__name__ = name
    return method


for _name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "clone", "float", "double"):
    setattr(BatchedTensor, _name, _entrywise(_name))


def _refuse(name):
    def refused(self, *args, **kwargs):
        raise NotImplementedError(
            f"vmap: Tensor.{name} is not covered by minigrad's vmap (it would mix the models up); "
            "see minigrad.func for what is covered")
    return refused


def _refuse_attribute(name):
    return property(lambda self: _refuse(name)(self))


# Everything of Tensor that BatchedTensor does not define is refused by name, not run on the stack.
for _name, _member in list(vars(Tensor).items()):
    if _name in vars(BatchedTensor) or _name in ("__init__", "__slots__", "__doc__", "__module__", "__weakref__",
                                                 "__array_ufunc__", "__dict__", "__class__"):
        continue
    if _name.startswith("__") and _name not in ("__bool__", "__float__", "__int__", "__index__", "__iadd__",
                                                "__isub__", "__imul__", "__itruediv__", "__invert__", "__and__",
                                                "__or__", "__xor__", "__rpow__"):
        continue
    if callable(_member) and not isinstance(_member, property):
        setattr(BatchedTensor, _name, _refuse(_name))
    else:  # data, grad, is_leaf and the like: a batched tensor has no raw array of one model
        setattr(BatchedTensor, _name, _refuse_attribute(_name))
del _name, _member


# -- rules for the functions that work on raw arrays ------------------------------------------------------------------


def _any_batched(*values):
    for value in values:
        if isinstance(value, BatchedTensor):
            return True
        if isinstance(value, (list, tuple)) and any(isinstance(v, BatchedTensor) for v in value):
            return True
    return False


def _cross_entropy_rule(cross_entropy, input, target, weight=None, size_average=None, ignore_index=-100,
                        reduce=None, reduction="mean", label_smoothing=0.0):
    """Each model's cross-entropy: the models' rows as one (models x rows, classes) batch, then reduced per model."""
    if not _any_batched(input, target):
        return cross_entropy(input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing)
    if weight is not None or label_smoothing or size_average is not None or reduce is not None:
        raise NotImplementedError("vmap: cross_entropy with weight, label_smoothing or the deprecated size_average/"
                                  "reduce is not covered in minigrad")
    if not isinstance(input, BatchedTensor) or input.ndim != 2:
        raise NotImplementedError("vmap: cross_entropy is covered for batched logits of shape (N, C) per model")
    logits = input.value
    models, rows, classes = logits.shape
    t = target.value.data if isinstance(target, BatchedTensor) else F._on_device_of(logits, target, "cross_entropy")
    if t.dtype.kind not in "iu" or t.shape[-1:] != (rows,) or t.ndim > 1 + isinstance(target, BatchedTensor):
        raise NotImplementedError(f"vmap: cross_entropy is covered for integer class targets of shape ({rows},) "
                                  f"per model, got {t.dtype} of shape {tuple(t.shape)}")
    flat_t = t.reshape(-1) if t.ndim == 2 or models == 1 else input.xp.tile(t, models)
    flat = logits.reshape(models * rows, classes)
    if reduction == "none":
        return _wrap(F._cross_entropy_fused(flat, flat_t, ignore_index, "none").reshape(models, rows))
    return _wrap(F._cross_entropy_fused(flat, flat_t, ignore_index, reduction, groups=models))


def _per_model_arrays(tensors):
    return [t.value.data for t in ([tensors] if isinstance(tensors, BatchedTensor) else tensors)]


def _per_model_norms(arrays, norm_type):
    """The norm of each model's arrays seen as one long vector: shape (models,)."""
    xp = backend.array_module(arrays[0])
    flats = [a.reshape(a.shape[0], -1) for a in arrays]
    if norm_type == np.inf:
        return xp.max(xp.stack([xp.abs(f).max(axis=1) if f.shape[1] else xp.zeros(f.shape[0]) for f in flats]), 0)
    if norm_type == 2.0:
        return xp.sqrt(sum(xp.einsum("sk,sk->s", f, f) for f in flats))
    return sum((xp.abs(f.astype(xp.float64)) ** norm_type).sum(axis=1) for f in flats) ** (1.0 / norm_type)


def _get_total_norm_rule(get_total_norm, tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if not _any_batched(tensors):
        return get_total_norm(tensors, norm_type, error_if_nonfinite, foreach)
    norm_type = nn_utils._check_norm_type(norm_type)
    norms = _per_model_norms(_per_model_arrays(tensors), norm_type)
    if error_if_nonfinite and not bool(backend.array_module(norms).isfinite(norms).all()):
        raise nn_utils.nonfinite_norm_error(norm_type, "not finite for some models")
    return _wrap(make_result(norms, (), None))


def _per_model(value, like):
    """A per-model number (a batched 0-d tensor) as an array shaped to broadcast over ``like`` (models, ...)."""
    data = value.value.data if isinstance(value, BatchedTensor) else value
    return data.reshape((-1,) + (1,) * (like.ndim - 1)) if hasattr(data, "reshape") else data


def _parameters_of(parameters, name):
    params = [parameters] if isinstance(parameters, BatchedTensor) else list(parameters)
    for p in params:
        if not isinstance(p, BatchedTensor) or not p.value.is_leaf:
            raise NotImplementedError(f"vmap: {name} needs the stacked parameters themselves, batched along dim 0")
    return [p.value for p in params if p.value.grad is not None]


def _clip_grads_with_norm_rule(clip_grads_with_norm_, parameters, max_norm, total_norm, foreach=None):
    if not _any_batched(parameters, max_norm, total_norm):
        return clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    for param in _parameters_of(parameters, "clip_grads_with_norm_"):
        grad = param.grad
        limit, norm = _per_model(max_norm, grad), _per_model(total_norm, grad)
        grad *= nn_utils.clip_coefficient(limit, norm)  # 1.0 where a model needs no clipping: exact


def _clip_grad_value_rule(clip_grad_value_, parameters, clip_value, foreach=None):
    if not _any_batched(parameters, clip_value):
        return clip_grad_value_(parameters, clip_value, foreach)
    for param in _parameters_of(parameters, "clip_grad_value_"):
        grad = param.grad
        limit = _per_model(clip_value, grad)
        param.xp.clip(grad, -limit, limit, out=grad)


def _linear_rule(linear, input, weight, bias=None):
    """A stacked weight (S, out, in) and bias (S, out) against one model's input: one fused node."""
    if not _any_batched(input, weight, bias) or input.ndim < 2:
        return linear(input, weight, bias)
    rank = max(input.ndim, weight.ndim)  # more axes than (rows, in): the weight gets them, after the model axis
    x = _lift(input, rank) if isinstance(input, BatchedTensor) else input
    w = _lift(weight, rank) if isinstance(weight, BatchedTensor) else weight
    b = _lift(bias, rank - 1) if isinstance(bias, BatchedTensor) else bias
    return _wrap(linear(x if isinstance(x, Tensor) else Tensor(x), w, b))


def _tanh_rnn_rule(tanh_rnn, inputs, weight, input_weight=None, bias=None):
    """Stacked inputs and/or weights: the same loop over the physical arrays, the model axis first."""
    if not _any_batched(inputs, weight, input_weight, bias):
        return tanh_rnn(inputs, weight, input_weight, bias)
    # the weights' leading axes line up with the inputs' (..., N, T, I), the bias's too
    rank = max(inputs.ndim, weight.ndim + 1, _rank(input_weight) + 1, _rank(bias) + 2)

    def lifted(x, to):
        return _lift(x, to) if isinstance(x, BatchedTensor) else x
    return _wrap(tanh_rnn(lifted(inputs, rank), lifted(weight, rank - 1), lifted(input_weight, rank - 1),
                          lifted(bias, rank - 2)))


def _dropout_rule(dropout, input, p=0.5, training=True):
    if _any_batched(input) and training and p:
        raise NotImplementedError("vmap: dropout draws random numbers, which minigrad's vmap does not cover; "
                                  "call model.eval() or use p=0")
    return dropout(input, p, training)


_batching.RULES.update({
    F.cross_entropy: _cross_entropy_rule,
    F.dropout: _dropout_rule,
    F.linear: _linear_rule,
    F.tanh_rnn: _tanh_rnn_rule,
    nn_utils.get_total_norm: _get_total_norm_rule,
    nn_utils.clip_grads_with_norm_: _clip_grads_with_norm_rule,
    nn_utils.clip_grad_value_: _clip_grad_value_rule,
})
