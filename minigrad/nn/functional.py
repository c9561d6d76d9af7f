"""Neural-network functions with torch.nn.functional's names.

The fused ones (gelu, cross_entropy, layer_norm) write their backward by hand:
one node instead of a dozen keeps training loops fast.
"""
import math

from .. import random
from ..tensor import Tensor, make_result

_GELU_C = math.sqrt(2.0 / math.pi)


def relu(input):
    return input.relu()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def gelu(input, approximate="tanh"):
    """GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate != "tanh":
        raise ValueError("gelu: minigrad implements approximate='tanh' only")
    xp, x = input.xp, input.data
    inner = _GELU_C * (x + 0.044715 * x * x * x)  # x*x*x: far cheaper than a power
    t = xp.tanh(inner)
    data = 0.5 * x * (1 + t)

    def backward(g):
        d_inner = _GELU_C * (1 + 3 * 0.044715 * x * x)
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner),)
    return make_result(data, (input,), backward)


def softmax(input, dim=-1):
    return input.softmax(dim)


def log_softmax(input, dim=-1):
    return input.log_softmax(dim)


def linear(input, weight, bias=None):
    out = input @ weight.T
    return out + bias if bias is not None else out


def dropout(input, p=0.5, training=True):
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return input
    keep = random.generator().random(input.shape) >= p
    mask = input.xp.asarray(keep, dtype=input.dtype) / (1 - p)
    return input * Tensor(mask)


def cross_entropy(input, target, ignore_index=-100, reduction="mean"):
    """Cross-entropy of logits ``input`` (N, C) against integer classes ``target`` (N,).

    Mean over the targets that are not ``ignore_index``; stable for large logits.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    xp = input.xp
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    if input.ndim == 1:
        return cross_entropy(input.reshape(1, -1), t.reshape(1), ignore_index, reduction).reshape(())
    if input.ndim != 2 or t.shape != input.shape[:1]:
        raise ValueError(
            f"cross_entropy: expected logits of shape (N, C) and targets of shape (N,), got {input.shape} "
            f"and {t.shape}; flatten a sequence batch first, e.g. logits.reshape(-1, C), targets.reshape(-1)"
        )
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {t.dtype}")
    n, classes = input.shape
    valid = t != ignore_index
    count = int(valid.sum())
    all_valid = count == n
    safe_t = t if all_valid else xp.where(valid, t, 0)
    if n and (int(safe_t.min()) < 0 or int(safe_t.max()) >= classes):
        raise IndexError(f"cross_entropy: target class out of range [0, {classes}) (ignore_index={ignore_index})")
    logits = input.data
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    rows = xp.arange(n)
    losses = -log_probs[rows, safe_t]
    if not all_valid:
        losses *= valid
    count = max(count, 1) if reduction == "mean" else 1
    data = losses if reduction == "none" else losses.sum() / count

    def backward(g):
        # d loss / d logits = softmax - one_hot(target), for the counted rows
        grad = xp.exp(log_probs)
        grad[rows, safe_t] -= 1
        if reduction == "none":
            scale = g * valid  # per row; ignored rows get 0
            return (grad * scale[:, None],)
        grad *= g / count
        if not all_valid:
            grad *= valid[:, None]
        return (grad,)
    return make_result(data.astype(input.dtype), (input,), backward)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error; the shapes must match (no silent broadcasting)."""
    target = target if isinstance(target, Tensor) else Tensor(input.xp.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise ValueError(
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
    index = input.data if isinstance(input, Tensor) else weight.xp.asarray(input)
    return weight[index]
