"""``train_step``: one optimizer step, the one every training loop here takes.

The step is always the same five moves::

    optimizer.zero_grad()
    loss = loss_fn(model(*inputs), targets)
    loss.backward()
    clip_grad_norm_(params, max_norm)      # optional; the norm is measured either way
    optimizer.step(); scheduler.step()     # schedule optional

``fit`` and ``lr_find`` call it once per batch, and so does any loop that needs
something they do not record: ``before_step(params)`` runs after the backward
pass and the clipping, just before the update (fastai's ``before_step`` event),
where a loop can read or change the gradients (clip by value, sum squared
gradients).
"""
import math
import numbers
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import backend
from ..nn.utils import clip_grad_norm_
from ..tensor import Tensor

__all__ = ["train_step", "StepResult"]


@dataclass(frozen=True)
class StepResult:
    """What one step did: its ``loss``, the ``lr`` it used (first parameter group) and
    ``grad_norm``, the global L2 norm of the gradient before clipping (None when the
    loss was not finite, so there was no backward pass).
    """

    loss: float
    lr: float
    grad_norm: Optional[float]

    @property
    def updated(self) -> bool:
        """Whether the weights moved: only a finite loss with a finite gradient norm updates them."""
        return self.grad_norm is not None and math.isfinite(self.grad_norm)


def train_step(model, optimizer, loss_fn, batch, *, clip_grad_norm=None, scheduler=None,
               before_step: Optional[Callable] = None, caller="train_step") -> StepResult:
    """One optimizer step on ``batch = (inputs..., targets)``; returns a :class:`StepResult`.

    ``clip_grad_norm``: clip the global gradient norm to this value (None: only
    measure it; ``grad_norm`` is the norm before clipping either way).
    ``scheduler``: stepped after the optimizer. ``before_step``: called as
    ``before_step(params)`` after the backward pass and the clipping, just before
    the update; what it does to the gradients reaches the update but not
    ``grad_norm``. ``caller``: the name error messages give (``fit`` and
    ``lr_find`` pass theirs).

    When the loss or the gradient norm is not finite the step is skipped: no
    ``before_step``, no update, no scheduler step (the weights stay as they were;
    the gradients are left as the backward pass and the clipping made them).
    ``StepResult.updated`` says whether the step was taken.
    """
    max_norm = check_clip_grad_norm(clip_grad_norm, caller)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    inputs, target = split_batch(batch, caller)
    lr = optimizer.param_groups[0]["lr"]
    optimizer.zero_grad()
    loss = loss_fn(model(*inputs), target)
    value = loss_value(loss)
    if not math.isfinite(value):
        return StepResult(value, lr, None)
    if loss.requires_grad:
        loss.backward()
    if not any(param.grad is not None for param in params):
        raise RuntimeError(no_gradient_message(model, params, caller))
    grad_norm = clip_grad_norm_(params, max_norm) if max_norm != math.inf else _grad_norm(params)
    if math.isfinite(grad_norm):
        if before_step is not None:
            before_step(params)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return StepResult(value, lr, grad_norm)


def check_clip_grad_norm(clip_grad_norm, caller):
    """``clip_grad_norm`` as the float ``clip_grad_norm_`` takes (inf for None: measure only)."""
    if clip_grad_norm is None:
        return math.inf
    if isinstance(clip_grad_norm, (bool, np.bool_)) or not isinstance(clip_grad_norm, numbers.Real) \
            or not clip_grad_norm > 0:
        raise ValueError(f"{caller}: clip_grad_norm must be a number > 0 (1.0 is the usual choice) or None, "
                         f"got {clip_grad_norm!r}")
    return float(clip_grad_norm)


def split_batch(batch, caller="fit"):
    """A batch is ``(inputs..., target)``: everything but the last item goes into the model."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(f"{caller} expects batches of the form (inputs, targets): a tuple of at least two "
                         f"tensors, got {type(batch).__name__}"
                         + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    return batch[:-1], batch[-1]


def batch_size(batch):
    first = batch[0]
    return first.shape[0] if getattr(first, "ndim", 0) else 1


def loss_value(loss):
    """The loss as a Python float, after checking it is a scalar minigrad Tensor."""
    if not hasattr(loss, "item") or not hasattr(loss, "backward"):
        raise TypeError(f"loss_fn must return a minigrad Tensor, got {type(loss).__name__}")
    if getattr(loss, "shape", ()) not in ((), (1,)):
        raise ValueError(f"loss_fn must return a single number (reduction='mean' or 'sum'), "
                         f"got a tensor of shape {loss.shape}")
    return float(loss.item())


def _grad_norm(params):
    """The global L2 norm of the gradients, as ``clip_grad_norm_`` reports it, at the cost of one dot each.

    (Recording it must not slow training: a dot product reads each gradient once
    and allocates nothing.) An overflow falls back on the float64 computation.
    """
    total = 0.0
    for param in params:
        grad = param.grad
        if grad is not None:
            flat = grad.reshape(-1)
            total += float(backend.array_module(grad).vdot(flat, flat))
    if not math.isfinite(total):
        return clip_grad_norm_(params, math.inf)
    return math.sqrt(total)


def no_gradient_message(model, params, caller):
    """Why none of the optimizer's parameters got a gradient, and what to do."""
    own = {id(p) for p in model.parameters()} if hasattr(model, "parameters") else set()
    if own and not own & {id(p) for p in params}:
        return (f"{caller}: the optimizer holds none of this model's parameters, so nothing would train. In a "
                "notebook this happens when the model cell is run again after the optimizer was made: the "
                "optimizer still updates the old model. Create the optimizer again from this model, e.g. "
                "optimizer = optim.Adam(model.parameters())")
    return (f"{caller}: none of the optimizer's parameters received a gradient: the loss does not depend on them, "
            "so nothing would train. Check that they require grad (not frozen), that the model's forward does "
            "not detach or run under no_grad, and that the optimizer was made from this model's parameters")


def check_finite_batch(batch, value, where):
    """Raise ValueError naming the part of ``batch`` that holds NaN or infinite values, if one does."""
    inputs, target = split_batch(batch)
    named = [(f"input {i}" if len(inputs) > 1 else "inputs", x) for i, x in enumerate(inputs)]
    for name, part in named + [("targets", target)]:
        array = part.data if isinstance(part, Tensor) else part
        if hasattr(array, "dtype") and array.dtype.kind == "f":
            bad = int(array.size) - int(backend.array_module(array).isfinite(array).sum())
            if bad:
                raise ValueError(f"{where.format(name=name)} hold {bad} NaN or infinite value(s) out of {array.size}, "
                                 f"so the loss is {value} whatever the model does. Clean the data first: drop or "
                                 f"fill the missing values (e.g. np.nan_to_num, or a column's mean)")


def check_non_finite_loss(value, batch, step, caller):
    """Raise ValueError when a non-finite loss is not the learning rate's doing.

    Either the batch itself holds NaN or infinite values (the loss cannot be finite,
    whatever the rate), or it is the first step (no update has happened yet).
    """
    check_finite_batch(batch, value, f"{caller}: the {{name}} of step {step}")
    if step == 1:
        raise ValueError(f"{caller}: the loss is already {value} at step 1, before any update, so the learning rate "
                         f"is not the cause. Check the model's output and the loss function (a log of 0, a division "
                         f"by 0, huge initial weights)")
