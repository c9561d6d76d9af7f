"""``fit``: the training loop the lessons and the case study share.

One optimizer step is always the same five moves::

    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    clip_grad_norm_(params, max_norm)      # optional
    optimizer.step(); scheduler.step()     # schedule optional

``fit`` adds the bookkeeping around them: it records each step's loss,
learning rate and gradient norm in a ``History``, validates after every epoch,
draws a progress bar, and stops early when told to or when the loss blows up.
"""
import math
import numbers
import time

import numpy as np

from .. import backend
from ..grad_mode import no_grad
from ..nn.utils import clip_grad_norm_
from ..tensor import Tensor
from .history import History

__all__ = ["fit", "evaluate", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """Raised by ``fit(..., raise_on_divergence=True)`` when the loss stops being finite."""


def _split_batch(batch):
    """A batch is ``(inputs..., target)``: everything but the last item goes into the model."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("fit expects batches of the form (inputs, targets): a tuple of at least two "
                         f"tensors, got {type(batch).__name__}"
                         + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    return batch[:-1], batch[-1]


def _batch_size(batch):
    first = batch[0]
    return first.shape[0] if getattr(first, "ndim", 0) else 1


def _loss_value(loss):
    if not hasattr(loss, "item") or not hasattr(loss, "backward"):
        raise TypeError(f"loss_fn must return a minigrad Tensor, got {type(loss).__name__}")
    if getattr(loss, "shape", ()) not in ((), (1,)):
        raise ValueError(f"loss_fn must return a single number (reduction='mean' or 'sum'), "
                         f"got a tensor of shape {loss.shape}")
    return float(loss.item())


def evaluate(model, loader, loss_fn):
    """The mean loss of ``model`` over ``loader`` (per example), in eval mode, without a graph.

    The model is put back into the mode it was in.
    """
    was_training = getattr(model, "training", True)
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            for number, batch in enumerate(loader, 1):
                inputs, target = _split_batch(batch)
                size = _batch_size(batch)
                value = _loss_value(loss_fn(model(*inputs), target))
                if not math.isfinite(value):  # a NaN in the validation data is named, not averaged in
                    _check_finite_batch(batch, value, f"evaluate: the {{name}} of validation batch {number}")
                total += value * size
                count += size
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the validation loader yielded no batches")
    return total / count


def _check_arguments(epochs, max_steps, scheduler, scheduler_interval, clip_grad_norm, early_stopping,
                     val_loader, train_loader):
    if not _is_count(epochs):
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if max_steps is not None and not _is_count(max_steps):
        raise ValueError(f"fit: max_steps must be a positive integer or None, got {max_steps!r}")
    if scheduler_interval not in ("step", "epoch"):
        raise ValueError(f"fit: scheduler_interval must be 'step' or 'epoch', got {scheduler_interval!r}")
    if scheduler is not None and not hasattr(scheduler, "step"):
        raise TypeError(f"fit: scheduler must have a step() method, got {type(scheduler).__name__}")
    if clip_grad_norm is not None and (isinstance(clip_grad_norm, (bool, np.bool_))
                                       or not isinstance(clip_grad_norm, numbers.Real) or not clip_grad_norm > 0):
        raise ValueError(f"fit: clip_grad_norm must be a number > 0 (1.0 is the usual choice) or None, "
                         f"got {clip_grad_norm!r}")
    if early_stopping is not None and val_loader is None:
        raise ValueError("fit: early_stopping watches the validation loss: pass val_loader too")
    try:
        steps_per_epoch = len(train_loader)
    except TypeError:
        steps_per_epoch = None  # a generator: fine, counted as it goes
    if steps_per_epoch == 0:
        raise ValueError("fit: train_loader yields no batches (a dataset smaller than batch_size with "
                         "drop_last=True?)")
    return steps_per_epoch


def _is_count(value):
    """A whole number >= 1: a Python int or a NumPy integer (what len() of an array or np.arange gives), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) and value >= 1


def _progress_bar(enabled, total):
    if not enabled:
        return None
    from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

    return tqdm(total=total, desc="training", unit="step", leave=True)


def fit(model, optimizer, train_loader, loss_fn, epochs=1, *, val_loader=None, scheduler=None,
        scheduler_interval="step", clip_grad_norm=None, early_stopping=None, progress=True, callback=None,
        max_steps=None, raise_on_divergence=False):
    """Train ``model`` and return a ``History`` of the run.

    Args:
        model: a ``minigrad.nn.Module`` (anything with ``__call__``, ``train()``
            and ``eval()``).
        optimizer: a ``minigrad.optim`` optimizer over the model's parameters.
        train_loader: yields batches ``(inputs..., targets)``; each is one step.
        loss_fn: ``loss_fn(model(*inputs), targets)`` -> a scalar Tensor, e.g.
            ``minigrad.nn.functional.cross_entropy``.
        epochs: passes over ``train_loader``.
        val_loader: if given, the mean validation loss is computed after every
            epoch, in eval mode and under ``no_grad``.
        scheduler: a learning-rate scheduler, stepped after every optimizer step
            (``scheduler_interval="step"``, as warmup schedules expect) or after
            every epoch (``"epoch"``).
        clip_grad_norm: clip the global gradient norm to this value (1.0 is the
            usual choice for transformers). The history records the norm
            *before* clipping either way.
        early_stopping: an ``EarlyStopping`` fed the validation loss after every
            epoch; when it says stop, training ends and (with ``restore_best``)
            the best epoch's weights are put back, also when the epochs run out.
        progress: show a progress bar (tqdm; a widget in Jupyter).
        callback: ``callback(history)`` after every step; returning a true
            value (``True``, ``np.bool_(True)``, ``1``) stops training, ``None``
            or a false one goes on.
        max_steps: stop after this many optimizer steps in total.
        raise_on_divergence: raise ``TrainingDiverged`` when the loss or the
            gradient norm stops being finite. By default training stops, the
            history records ``stop_reason="diverged"`` and a message is printed.

    Returns:
        a ``History`` (see ``history.message`` for why it stopped).

    Raises:
        ValueError: a batch holds NaN or infinite values, or the loss is not finite
            at the first step, before any update (no learning rate explains either).
        RuntimeError: none of the optimizer's parameters received a gradient (in a
            notebook: an optimizer made for a model object that was since replaced).
    """
    steps_per_epoch = _check_arguments(epochs, max_steps, scheduler, scheduler_interval, clip_grad_norm,
                                       early_stopping, val_loader, train_loader)
    epochs, max_steps = int(epochs), None if max_steps is None else int(max_steps)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    max_norm = math.inf if clip_grad_norm is None else float(clip_grad_norm)  # inf: only measure
    step_scheduler = scheduler if scheduler_interval == "step" else None
    history = History()
    total = None if steps_per_epoch is None else steps_per_epoch * epochs
    if max_steps is not None:
        total = max_steps if total is None else min(total, max_steps)
    bar = _progress_bar(progress, total)
    stop_reason = None
    model.train()
    # A blow-up is detected and reported below; NumPy's overflow warnings would only add noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for epoch in range(1, epochs + 1):
                loss_sum, example_count = 0.0, 0
                for batch in train_loader:
                    started = time.perf_counter()
                    loss, lr, grad_norm = _train_step(model, optimizer, loss_fn, batch, params, max_norm,
                                                      step_scheduler)
                    history.record_step(loss, lr, grad_norm, time.perf_counter() - started)
                    if grad_norm is None or not math.isfinite(grad_norm):
                        if not math.isfinite(loss):  # bad data, or broken from the start: not the learning rate
                            check_non_finite_loss(loss, batch, history.num_steps, "fit")
                        stop_reason = "diverged"
                        _diverged(history, epoch, loss, grad_norm, lr, raise_on_divergence)
                        break
                    loss_sum += loss * _batch_size(batch)
                    example_count += _batch_size(batch)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(epoch=epoch, loss=f"{loss:.4g}", lr=f"{lr:.3g}", refresh=False)
                    if callback is not None and _callback_says_stop(callback, history):
                        stop_reason = "callback"
                        break
                    if max_steps is not None and history.num_steps >= max_steps:
                        stop_reason = "max_steps"
                        break
                if stop_reason == "diverged":
                    break
                if example_count == 0:
                    raise ValueError(f"fit: train_loader yielded no batches in epoch {epoch} "
                                     "(an exhausted generator? pass a DataLoader)")
                val_loss = evaluate(model, val_loader, loss_fn) if val_loader is not None else None
                history.record_epoch(loss_sum / example_count, val_loss)
                if bar is not None and val_loss is not None:
                    bar.set_postfix(epoch=epoch, loss=f"{history.step_loss[-1]:.4g}", val=f"{val_loss:.4g}")
                if scheduler is not None and scheduler_interval == "epoch":
                    scheduler.step()
                if stop_reason is None and early_stopping is not None and early_stopping.step(val_loss, model):
                    stop_reason = "early_stopping"
                if stop_reason is not None:
                    break
        finally:
            if bar is not None:
                bar.close()
    _finish(history, stop_reason or "completed", early_stopping, model)
    if stop_reason == "diverged":
        print(history.message)
    return history


def _callback_says_stop(callback, history):
    """Whether ``callback(history)`` asks to stop: its answer read as an ``if`` reads it."""
    answer = callback(history)
    try:
        return bool(answer)
    except (ValueError, TypeError, RuntimeError):  # NumPy's and minigrad's "truth value is ambiguous"
        name = getattr(callback, "__qualname__", None) or repr(callback)
        shape = f" of shape {tuple(answer.shape)}" if hasattr(answer, "shape") else ""
        raise TypeError(f"fit: the callback {name} returned a {type(answer).__name__}{shape}, which is neither "
                        f"true nor false: return True to stop training, False or None to go on (for a test on "
                        f"several values, reduce it to one: (x < 0.1).all() or .any())") from None


def _train_step(model, optimizer, loss_fn, batch, params, max_norm, scheduler):
    """One optimizer step: returns (loss, lr used, gradient norm before clipping).

    When the loss or the gradient norm is not finite nothing is updated (the
    weights stay as they were) and the norm comes back None or non-finite.
    """
    inputs, target = _split_batch(batch)
    lr = optimizer.param_groups[0]["lr"]
    optimizer.zero_grad()
    loss = loss_fn(model(*inputs), target)
    value = _loss_value(loss)
    if not math.isfinite(value):
        return value, lr, None
    if loss.requires_grad:
        loss.backward()
    if not any(param.grad is not None for param in params):
        raise RuntimeError(no_gradient_message(model, params, "fit"))
    grad_norm = clip_grad_norm_(params, max_norm) if max_norm != math.inf else _grad_norm(params)
    if math.isfinite(grad_norm):
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return value, lr, grad_norm


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


def _check_finite_batch(batch, value, where):
    """Raise ValueError naming the part of ``batch`` that holds NaN or infinite values, if one does."""
    inputs, target = _split_batch(batch)
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
    _check_finite_batch(batch, value, f"{caller}: the {{name}} of step {step}")
    if step == 1:
        raise ValueError(f"{caller}: the loss is already {value} at step 1, before any update, so the learning rate "
                         f"is not the cause. Check the model's output and the loss function (a log of 0, a division "
                         f"by 0, huge initial weights)")


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


def record_divergence(history, epoch, value, grad_norm, lr):
    """Mark ``history`` as diverged at its last recorded step, with the message ``fit`` gives."""
    step = history.num_steps
    what = f"the loss became {value}" if not math.isfinite(value) else f"the gradient norm became {grad_norm}"
    history.diverged_step = step
    history.message = (f"Training diverged at step {step} (epoch {epoch}): {what}. The learning rate ({lr:.3g}) "
                       f"is most likely too high: try one 3-10x smaller, a warmup, or gradient clipping.")


def _diverged(history, epoch, value, grad_norm, lr, raise_on_divergence):
    record_divergence(history, epoch, value, grad_norm, lr)
    if raise_on_divergence:
        history.stop_reason = "diverged"
        raise TrainingDiverged(history.message)


def _finish(history, stop_reason, early_stopping, model):
    history.stop_reason = stop_reason
    if early_stopping is not None and stop_reason != "diverged":
        restored = early_stopping.restore(model)
        if restored is not None:
            history.restored_epoch = restored
    messages = {
        "completed": f"Finished {history.num_epochs} epochs ({history.num_steps} steps).",
        "max_steps": f"Stopped after max_steps={history.num_steps} steps.",
        "callback": f"Stopped by the callback after {history.num_steps} steps.",
        "early_stopping": (f"Early stopping after epoch {history.num_epochs}: the validation loss had not "
                           f"improved since epoch {getattr(early_stopping, 'best_epoch', None)}."
                           if getattr(early_stopping, "best_epoch", None) is not None else
                           f"Early stopping after epoch {history.num_epochs}: the validation loss was never "
                           f"a finite number (NaN or infinite at every epoch)."),
    }
    if stop_reason in messages:
        history.message = messages[stop_reason]
    if history.restored_epoch is not None:
        history.message += f" Restored the weights of epoch {history.restored_epoch}."
