"""Neural-network functions with torch.nn.functional's names.

The fused ones (gelu, the activations, the losses, layer_norm) write their
backward by hand, right beside the forward: one node instead of a dozen keeps
training loops fast. Gradients at the kinks follow torch (leaky_relu and elu
take the left slope at 0; hardtanh and relu6 pass no gradient at their bounds).
"""
import math

import numpy as np

from .. import random
from .._batching import batchable
from ..tensor import Tensor, _erf, _unbroadcast, make_result

_GELU_C = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def relu(input):
    return input.relu()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def gelu(input, approximate="none"):
    """GELU: x Φ(x) = 0.5 x (1 + erf(x / sqrt(2))), torch's default.

    ``approximate="tanh"``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's form
    (within 5e-4 of the exact one).
    """
    if approximate == "none":
        xp, x = input.xp, input.data
        cdf = 0.5 * (1 + _erf(xp, x * _INV_SQRT_2))
        data = x * cdf

        def backward(g):
            return (g * (cdf + x * (_INV_SQRT_2PI * xp.exp(-0.5 * x * x))).astype(x.dtype, copy=False),)
        return make_result(data, (input,), backward)
    if approximate != "tanh":
        raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    xp, x = input.xp, input.data
    inner = _GELU_C * (x + 0.044715 * x * x * x)  # x*x*x: far cheaper than a power
    t = xp.tanh(inner)
    data = 0.5 * x * (1 + t)

    def backward(g):
        d_inner = _GELU_C * (1 + 3 * 0.044715 * x * x)
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner),)
    return make_result(data, (input,), backward)


def leaky_relu(input, negative_slope=0.01):
    """x for x > 0, ``negative_slope`` x otherwise (the gradient at 0 is ``negative_slope``, as torch)."""
    x = input.data
    positive = x > 0
    data = input.xp.where(positive, x, x * negative_slope)
    return make_result(data, (input,), lambda g: (input.xp.where(positive, g, g * negative_slope),))


def silu(input):
    """x sigmoid(x) (also called swish)."""
    xp, x = input.xp, input.data
    s = 0.5 * (1 + xp.tanh(0.5 * x))
    return make_result(x * s, (input,), lambda g: (g * (s * (1 + x * (1 - s))),))


def elu(input, alpha=1.0):
    """x for x > 0, alpha (exp(x) - 1) otherwise (the gradient at 0 is alpha, as torch)."""
    xp, x = input.xp, input.data
    positive = x > 0
    with np.errstate(over="ignore"):
        e = xp.exp(xp.where(positive, 0, x))  # no overflow on the side that is not used
    data = xp.where(positive, x, alpha * (e - 1))
    return make_result(data, (input,), lambda g: (xp.where(positive, g, g * (alpha * e)),))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch)."""
    xp, x = input.xp, input.data
    linear = x * beta > threshold
    z = xp.exp(xp.where(linear, 0, x * beta))
    data = xp.where(linear, x, xp.log1p(z) / beta)
    return make_result(data, (input,), lambda g: (xp.where(linear, g, g * z / (z + 1)),))


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """x clipped to [min_val, max_val]; no gradient at or beyond the bounds (as torch)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be above max_val ({max_val})")
    xp, x = input.xp, input.data
    inside = (x > min_val) & (x < max_val)
    data = xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)
    return make_result(data, (input,), lambda g: (g * inside,))


def relu6(input):
    """min(max(x, 0), 6): hardtanh between 0 and 6."""
    return hardtanh(input, 0.0, 6.0)


def logsigmoid(input):
    """log(sigmoid(x)), stable for large |x|: min(x, 0) - log(1 + exp(-|x|))."""
    xp, x = input.xp, input.data
    e = xp.exp(-xp.abs(x))
    data = xp.minimum(x, 0) - xp.log1p(e)
    # d/dx = 1 - sigmoid(x) = sigmoid(-x), written with e = exp(-|x|) so that it never overflows
    return make_result(data, (input,), lambda g: (g * xp.where(x < 0, 1 / (1 + e), e / (1 + e)),))


def softmax(input, dim=-1):
    return input.softmax(dim)


def log_softmax(input, dim=-1):
    return input.log_softmax(dim)


@batchable
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` as one node: its backward gives ``weight`` its gradient in its own layout.

    ``weight`` (out, in) may carry leading axes of stacked models, ``(S, out, in)``, with
    ``input`` (N, in) or (S, N, in) and ``bias`` (S, out): what ``vmap`` hands it.
    """
    if input.ndim < 2 or weight.ndim < 2 or not isinstance(input, Tensor) or input.dtype != weight.dtype:
        out = input @ weight.T  # a single vector, or a dtype the composite ops explain better
        return out + bias if bias is not None else out
    x, w = input.data, weight.data
    if x.shape[-1] != w.shape[-1]:
        raise RuntimeError(f"linear: input of shape {input.shape} does not fit weight of shape {weight.shape}: "
                           f"the input's last dimension must be {w.shape[-1]}")
    data = x @ w.swapaxes(-1, -2)
    if bias is not None:
        b = bias.data[..., None, :]  # (..., 1, out): the same bias for every row
        data += b
    parents = (input, weight) if bias is None else (input, weight, bias)

    def backward(g):
        # One model's weight: in the order of additions of ``(input @ weight.T) + bias`` as separate ops, so its
        # numbers are those of the composite ops to the last digit (chaotic runs, such as lesson 9's, amplify any
        # other). A stack's weights (vmap): straight into their own layout, which saves a strided copy.
        gx = _unbroadcast(g @ w, x.shape) if input.requires_grad else None
        gw = None
        if weight.requires_grad and w.ndim == 2:
            gw = _unbroadcast(x.swapaxes(-1, -2) @ g, w.shape[::-1]).swapaxes(-1, -2)
        elif weight.requires_grad:
            gw = _unbroadcast(g.swapaxes(-1, -2) @ x, w.shape)
        gb = None
        if bias is not None and bias.requires_grad:
            gb = _unbroadcast(g, bias.shape) if bias.ndim == 1 else _unbroadcast(g, b.shape).reshape(bias.shape)
        return (gx, gw, gb)[:len(parents)]
    return make_result(data, parents, backward)


@batchable
def tanh_rnn(inputs, weight, input_weight=None, bias=None):
    """The last state of the recurrence ``h_t = tanh(u_t + h_{t-1} @ weight)``, ``h_{-1} = 0``.

    Without ``input_weight``: ``inputs`` (..., N, T, H) holds each step's input term ``u_t``
    (e.g. ``x @ W_in``, all steps in one product). With ``input_weight`` (..., I, H) and
    optionally ``bias`` (..., H), as PyTorch's ``nn.RNN`` cell (weights stored (in, out)):
    ``inputs`` (..., N, T, I) is the sequence itself and ``u_t = inputs[..., t, :] @ input_weight
    + bias`` is computed step by step inside the node, so no (..., N, T, H) array of input terms
    is made, and the input weight's gradient is summed step by step. ``weight`` (..., H, H).
    Returns ``h_{T-1}`` (..., N, H). One node, as PyTorch's fused RNN kernels: its backward is
    backpropagation through time, written out beside the forward, instead of 4 nodes per step
    (the sequence loop is where a recurrent network spends its time). Leading axes broadcast,
    so a stack of models (``vmap``) runs in the same loop.
    """
    xp = inputs.xp
    x, w = inputs.data, weight.data
    projected = input_weight is not None
    w_in = input_weight.data if projected else None
    b = bias.data if bias is not None else None
    width = x.shape[-1] if x.ndim else 0
    if (x.ndim < 3 or w.ndim < 2 or w.shape[-1] != w.shape[-2]
            or (w_in.shape[-2:] != (width, w.shape[-1]) if projected else width != w.shape[-1])
            or (b is not None and (not projected or b.shape[-1:] != w.shape[-1:]))):
        expected = ("inputs (..., N, T, I), a weight (..., H, H), an input_weight (..., I, H) and a bias (..., H)"
                    if projected or b is not None else "inputs (..., N, T, H) and a weight (..., H, H)")
        got = ", ".join(str(a.shape) for a in (inputs, weight, input_weight, bias) if a is not None)
        raise RuntimeError(f"tanh_rnn: expected {expected}, got {got}")
    steps = x.shape[-2]
    lead = np.broadcast_shapes(x.shape[:-3], w.shape[:-2], *([w_in.shape[:-2]] if projected else []),
                               *([b.shape[:-1]] if b is not None else []))

    def term(t):  # step t's input term, in the order of ``x_t @ W_in + b`` as separate ops
        if not projected:
            return x[..., t, :]
        u = x[..., t, :] @ w_in
        return u if b is None else u + b[..., None, :]

    states = [xp.zeros(lead + (x.shape[-3], w.shape[-1]), dtype=w.dtype)]  # h_{-1}, then every h_t
    for t in range(steps):
        states.append(xp.tanh(term(t) + states[-1] @ w))
    parents = (inputs, weight) + ((input_weight,) if projected else ()) + ((bias,) if b is not None else ())

    def backward(g):
        step_grads = [None] * steps if inputs.requires_grad else None  # stacked once at the end (a strided
        grad_w = xp.zeros(lead + w.shape[-2:], dtype=w.dtype)           # write per step is slow)
        grad_w_in = xp.zeros(lead + w_in.shape[-2:], dtype=w.dtype) if projected and input_weight.requires_grad \
            else None
        grad_b = xp.zeros(lead + b.shape[-1:], dtype=w.dtype) if b is not None and bias.requires_grad else None
        w_t = w.swapaxes(-1, -2)
        for t in range(steps - 1, -1, -1):
            g = g * (1 - states[t + 1] * states[t + 1])  # through tanh: the gradient at step t's pre-activation
            grad_w += states[t].swapaxes(-1, -2) @ g
            if grad_w_in is not None:
                grad_w_in += x[..., t, :].swapaxes(-1, -2) @ g
            if grad_b is not None:
                grad_b += g.sum(axis=-2)
            if step_grads is not None:
                step_grads[t] = g @ w_in.swapaxes(-1, -2) if projected else g
            g = g @ w_t
        grads = [None if step_grads is None else _unbroadcast(xp.stack(step_grads, axis=-2), x.shape),
                 _unbroadcast(grad_w, w.shape)]
        if projected:
            grads.append(None if grad_w_in is None else _unbroadcast(grad_w_in, w_in.shape))
        if b is not None:
            grads.append(None if grad_b is None else _unbroadcast(grad_b, b.shape))
        return tuple(grads)
    return make_result(states[-1], parents, backward)


@batchable
def dropout(input, p=0.5, training=True):
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return input
    keep = random.generator().random(input.shape) >= p
    mask = input.xp.asarray(keep, dtype=input.dtype) / (1 - p)
    return input * Tensor(mask)


_REDUCTIONS = ("mean", "sum", "none")
_BCE_EPSILON = float(np.float32(1e-12))  # torch's clamp of x (1 - x) in binary_cross_entropy's gradient (a float)


def _check_loss_args(name, reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        raise ValueError(f"{name}: size_average and reduce are deprecated (also in torch): use reduction="
                         "'mean', 'sum' or 'none'")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _on_device_of(input, value, name, dtype=None):
    """The array of a target or index ``value``, on ``input``'s device: lists and NumPy arrays are moved there;
    a tensor on another device is refused, as torch does (CuPy would fail on it with a less helpful error)."""
    if not isinstance(value, Tensor):
        return input.xp.asarray(value, dtype=dtype)
    if type(value.data) is not type(input.data):
        raise RuntimeError(f"{name}: expected all tensors on the same device, got {input.device} and "
                           f"{value.device}; move one with .to(device)")
    return value.data


def _as_target(input, target):
    data = _on_device_of(input, target, "target", input.dtype)
    return target if isinstance(target, Tensor) else Tensor(data)


def _class_targets(name, input, target):
    """Integer class targets as an array, checked against logits of shape (N, C, d1, ...) or (C,)."""
    t = _on_device_of(input, target, name)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: targets must be integer class indices (int64), got dtype {t.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        hint = (f"expected logits of shape (N, C) (or (N, C, d1, ...), classes along dim 1) and targets of shape "
                f"(N,) (or (N, d1, ...)), got {input.shape} and {t.shape}; for a sequence batch either flatten "
                "(logits.reshape(-1, C), targets.reshape(-1)) or put the classes on dim 1")
        if input.ndim > 1 and t.shape[:1] != input.shape[:1]:  # torch's class for this one
            raise ValueError(f"{name}: input batch_size ({input.shape[0]}) does not match target batch_size "
                             f"({t.shape[0] if t.ndim else 'none'}): {hint}")
        raise RuntimeError(f"{name}: {hint}")
    return t


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C), (N, C, d1, ...) or (C,) at classes ``target``.

    ``weight`` (C,) weighs each class; ``mean`` divides by the summed weight of the
    targets that are not ``ignore_index`` (nan when there are none, as torch).
    """
    _check_loss_args("nll_loss", reduction, size_average, reduce)
    if input.ndim == 0:
        raise RuntimeError("nll_loss: input needs a class dimension, got a 0-d tensor")
    xp = input.xp
    t = _class_targets("nll_loss", input, target)
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    # (M, C) rows, one per target: the class dim moved last
    x = input.data.reshape(1, -1) if input.ndim == 1 else xp.moveaxis(input.data, 1, -1).reshape(-1, classes)
    flat_t = t.reshape(-1)
    valid = flat_t != ignore_index
    safe_t = xp.where(valid, flat_t, 0)
    if safe_t.size and (int(safe_t.min()) < 0 or int(safe_t.max()) >= classes):
        raise IndexError(f"nll_loss: target class out of range [0, {classes}) (ignore_index={ignore_index})")
    w = valid.astype(x.dtype) if weight is None else weight.data.astype(x.dtype)[safe_t] * valid
    rows = xp.arange(len(flat_t))
    losses = -w * x[rows, safe_t]
    if reduction == "none":
        data = losses.reshape(t.shape)
    else:
        total = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            data = losses.sum() / total if reduction == "mean" else losses.sum()

    def backward(g):
        if reduction == "none":
            scale = -w * g.reshape(-1)
        elif reduction == "mean":
            scale = -w * (g / total) if total != 0 else xp.zeros_like(w)
        else:
            scale = -w * g
        grad = xp.zeros_like(x)
        grad[rows, safe_t] = scale
        if input.ndim == 1:
            return (grad.reshape(input.shape),)
        moved = grad.reshape(input.shape[:1] + input.shape[2:] + (classes,))
        return (xp.moveaxis(moved, -1, 1),)
    return make_result(xp.asarray(data, dtype=x.dtype), (input,), backward)


@batchable
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` against ``target``, as torch.nn.functional.cross_entropy.

    Logits of shape (N, C), (N, C, d1, ...) (classes along dim 1) or (C,). Targets are
    integer classes of shape (N,), (N, d1, ...) or (), or class probabilities of the
    logits' shape. ``weight`` (C,) weighs each class, ``label_smoothing`` mixes the
    target with the uniform distribution, ``ignore_index`` skips targets (integer
    targets only); ``mean`` averages over the (weighted) targets. Stable for large logits.
    """
    t = _on_device_of(input, target, "cross_entropy")
    if (weight is None and label_smoothing == 0.0 and size_average is None and reduce is None and t.ndim == 1
            and input.data.ndim == 2 and t.dtype.kind in "iu" and t.shape[0] == input.data.shape[0]
            and reduction in _REDUCTIONS):  # the training loops' case, checked in as few steps as possible
        return _cross_entropy_fused(input, t, ignore_index, reduction)
    _check_loss_args("cross_entropy", reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if t.dtype.kind == "f":
        return _cross_entropy_probabilities(input, _as_target(input, target), weight, reduction, label_smoothing)
    t = _class_targets("cross_entropy", input, t)
    if input.ndim == 0:
        raise RuntimeError("cross_entropy: input needs a class dimension, got a 0-d tensor")
    log_probs = input.log_softmax(dim=1 if input.ndim > 1 else 0)
    nll = nll_loss(log_probs, t, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # torch: (1 - ε) nll + ε / C · (−Σ_c w_c log p_c), ignored targets left out, 'mean' divided as nll's
    xp, class_dim = input.xp, (1 if input.ndim > 1 else 0)
    classes = input.shape[class_dim]
    valid = t != ignore_index
    shape = [1] * input.ndim
    shape[class_dim] = classes
    weighted = log_probs if weight is None else log_probs * weight.reshape(shape)
    smooth = -weighted.sum(dim=class_dim) * Tensor(valid.astype(input.dtype))
    if reduction == "mean":
        safe_t = xp.where(valid, t, 0)
        total = valid.sum() if weight is None else (weight.data[safe_t] * valid).sum()
        smooth = smooth.sum() / float(total)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    """torch's cross-entropy with class probabilities as targets (any float target of the logits' shape)."""
    if target.shape != input.shape:
        raise RuntimeError(f"cross_entropy: probability targets must have the logits' shape {input.shape}, "
                           f"got {target.shape} (or pass integer class indices)")
    if input.ndim == 0:
        raise RuntimeError("cross_entropy: input needs a class dimension, got a 0-d tensor")
    class_dim = 1 if input.ndim > 1 else 0
    classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    products = input.log_softmax(dim=class_dim) * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = classes
        products = products * weight.reshape(shape)
    if reduction == "none":
        return -products.sum(dim=class_dim)
    total = -products.sum()
    return total / (input.numel() // classes) if reduction == "mean" else total


def _cross_entropy_fused(input, t, ignore_index, reduction, groups=None):
    """Logits (N, C) and integer targets (N,): one node, the backward written out (the training loops' path).

    ``groups``: the N rows are that many equal blocks (one per model of a stack, for ``vmap``),
    and a 'mean' or 'sum' reduces each block: the result has shape (groups,).
    """
    xp = input.xp
    n, classes = input.shape
    low, high = (int(t.min()), int(t.max())) if n else (0, 0)
    if 0 <= low and high < classes and not low <= ignore_index <= high:
        valid, count, safe_t = None, n, t  # the usual case, every target counts: two reductions checked it
    else:
        valid = t != ignore_index
        count = int(xp.count_nonzero(valid))
        safe_t = xp.where(valid, t, 0)
        if n and (int(safe_t.min()) < 0 or int(safe_t.max()) >= classes):
            raise IndexError(f"cross_entropy: target class out of range [0, {classes}) (ignore_index={ignore_index})")
    logits = input.data
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    rows = xp.arange(n)
    losses = -log_probs[rows, safe_t]
    if valid is not None:
        losses *= valid
    if groups is not None and reduction != "none":
        data = losses.reshape(groups, -1).sum(axis=1)
        counts = n // groups if valid is None else valid.reshape(groups, -1).sum(axis=1)
        if reduction == "mean" and valid is None:
            data /= counts
        elif reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # a block with every target ignored: nan
                data = data / counts
    elif reduction == "none":
        data = losses
    elif reduction == "sum":
        data = losses.sum()
    else:
        data = losses.sum() / count if count else xp.asarray(np.nan)  # every target ignored: nan, as torch

    def backward(g):
        # d loss / d logits = softmax - one_hot(target), for the counted rows
        grad = xp.exp(log_probs)
        grad[rows, safe_t] -= 1
        if groups is not None and reduction != "none":
            if reduction == "sum":
                scale = g
            else:
                scale = g / counts if valid is None else xp.where(counts > 0, g / xp.maximum(counts, 1), 0)
            grad *= xp.repeat(scale, n // groups)[:, None]
            if valid is not None:
                grad *= valid[:, None]
            return (grad,)
        if reduction == "none":
            scale = g if valid is None else g * valid  # per row; ignored rows get 0
            grad *= scale[:, None]  # (grad is this backward's own array)
            return (grad,)
        if count == 0:
            return (xp.zeros_like(grad),)
        grad *= g / count if reduction == "mean" else g
        if valid is not None:
            grad *= valid[:, None]
        return (grad,)
    return make_result(xp.asarray(data, dtype=input.dtype), (input,), backward)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """−w (t log x + (1 − t) log(1 − x)) for probabilities ``input`` in [0, 1]; each log is clamped at −100 (torch)."""
    _check_loss_args("binary_cross_entropy", reduction, size_average, reduce)
    target = _as_target(input, target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: target shape {target.shape} differs from input shape {input.shape}; "
                         "give both the same shape")
    xp, x, y = input.xp, input.data, target.data
    if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                           "(probabilities; for logits use binary_cross_entropy_with_logits)")
    w = _elementwise_weight("binary_cross_entropy", weight, input)
    with np.errstate(divide="ignore"):
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
    data, upstream = _reduce_elementwise(-(y * log_x + (1 - y) * log_1mx), w, x.dtype, reduction)

    def backward(g):
        scale = upstream(g)
        gx = gy = None
        if input.requires_grad:
            gx = (scale * (x - y) / xp.maximum((1 - x) * x, _BCE_EPSILON)).astype(x.dtype, copy=False)
        if target.requires_grad:
            gy = (scale * (log_1mx - log_x)).astype(y.dtype, copy=False)
        return gx, gy
    return make_result(data, (input, target), backward)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of logits: −w (p t log σ(x) + (1 − t) log σ(−x)), stable for large |x|.

    ``pos_weight`` (broadcast along the last dim, one per class) weighs the positive targets.
    """
    _check_loss_args("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    target = _as_target(input, target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} differs from input shape "
                         f"{input.shape}; give both the same shape")
    xp, x, y = input.xp, input.data, target.data
    w = _elementwise_weight("binary_cross_entropy_with_logits", weight, input)
    p = _elementwise_weight("binary_cross_entropy_with_logits", pos_weight, input, "pos_weight")
    e = xp.exp(-xp.abs(x))
    log_sig = xp.minimum(x, 0) - xp.log1p(e)  # log σ(x)
    log_sig_neg = log_sig - x  # log σ(−x)
    positive = y if p is None else p * y
    data, upstream = _reduce_elementwise(-(positive * log_sig + (1 - y) * log_sig_neg), w, x.dtype, reduction)

    def backward(g):
        scale = upstream(g)
        sigmoid = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        gx = gy = None
        if input.requires_grad:
            gx = (scale * (sigmoid * (positive + 1 - y) - positive)).astype(x.dtype, copy=False)
        if target.requires_grad:
            gy = (scale * (log_sig_neg - (log_sig if p is None else p * log_sig))).astype(y.dtype, copy=False)
        return gx, gy
    return make_result(data, (input, target), backward)


def _reduce_elementwise(losses, w, dtype, reduction):
    """Weight (``w`` or None), cast and reduce per-element losses. Returns ``(data, upstream)``:
    ``upstream(g)`` is what each element's loss receives of the output gradient ``g``."""
    if w is not None:
        losses = losses * w
    losses = losses.astype(dtype, copy=False)
    count = max(losses.size, 1)
    data = losses if reduction == "none" else (losses.sum() / count if reduction == "mean" else losses.sum())
    if reduction == "mean" and losses.size == 0:  # the mean of no losses is nan, as torch's
        data = data * np.nan

    def upstream(g):
        scale = g / count if reduction == "mean" else g
        return scale if w is None else scale * w

    return data, upstream


def _elementwise_weight(name, weight, input, what="weight"):
    """``weight`` as an array that broadcasts to the input's shape (None stays None)."""
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else input.xp.asarray(weight, dtype=input.dtype)
    try:
        fits = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}: {what} of shape {tuple(w.shape)} does not broadcast to the input's shape "
                           f"{input.shape}")
    return w


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error; the shapes must match (torch broadcasts them with a warning, minigrad refuses)."""
    _check_loss_args("mse_loss", reduction, size_average, reduce)
    target = target if isinstance(target, Tensor) else Tensor(input.xp.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise RuntimeError(
            f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
            "broadcasting here would silently compare every prediction with every target"
        )
    diff = input - target
    squared = diff * diff
    if reduction == "mean":
        return squared.mean()
    if reduction == "sum":
        return squared.sum()
    if reduction == "none":
        return squared
    raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.shape[-len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input shape {input.shape} does not end with {normalized_shape}")
    xp, x = input.xp, input.data
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1.0 / xp.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * inv_std

    def backward(g):
        # d x / d x_hat for a normalisation: (g - mean(g) - x_hat * mean(g * x_hat)) / std
        g_hat = g * weight.data if weight is not None else g
        gx = inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                        - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))
        lead = tuple(range(x.ndim - len(normalized_shape)))
        gw = (g * x_hat).sum(axis=lead) if weight is not None and weight.requires_grad else None
        gb = g.sum(axis=lead) if bias is not None and bias.requires_grad else None
        return tuple(v for v, keep in ((gx, True), (gw, weight is not None), (gb, bias is not None)) if keep)

    data = x_hat
    if weight is not None:
        data = data * weight.data
    if bias is not None:
        data = data + bias.data
    parents = tuple(t for t in (input, weight, bias) if t is not None)
    return make_result(data, parents, backward)


def embedding(input, weight):
    return weight[_on_device_of(weight, input, "embedding")]
