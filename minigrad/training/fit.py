"""``fit``: the training loop the lessons and the case study share.

Each batch is one :func:`~minigrad.training.step.train_step` (zero_grad, forward,
backward, optional clipping, optimizer and scheduler step). ``fit`` adds the
bookkeeping around it: it records each step's loss, learning rate and gradient
norm in a ``History``, validates after every epoch, draws a progress bar, and
stops early when told to or when the loss blows up. Its events: ``before_step``
(after the backward pass and the clipping, before the update, handed to
``train_step``) and ``callback`` (after every step, may stop training).
"""
import math
import time

import numpy as np

from ..grad_mode import no_grad
from ..utils.checks import is_count
from .history import History
from .step import batch_size, check_clip_grad_norm, check_finite_batch, check_non_finite_loss, loss_value, \
    split_batch, train_step

__all__ = ["fit", "evaluate", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """Raised by ``fit(..., raise_on_divergence=True)`` when the loss stops being finite."""


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
                inputs, target = split_batch(batch)
                size = batch_size(batch)
                value = loss_value(loss_fn(model(*inputs), target))
                if not math.isfinite(value):  # a NaN in the validation data is named, not averaged in
                    check_finite_batch(batch, value, f"evaluate: the {{name}} of validation batch {number}")
                total += value * size
                count += size
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the validation loader yielded no batches")
    return total / count


def _check_arguments(epochs, max_steps, scheduler, scheduler_interval, clip_grad_norm, early_stopping,
                     val_loader, train_loader, callback, before_step):
    if not is_count(epochs):
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if max_steps is not None and not is_count(max_steps):
        raise ValueError(f"fit: max_steps must be a positive integer or None, got {max_steps!r}")
    if scheduler_interval not in ("step", "epoch"):
        raise ValueError(f"fit: scheduler_interval must be 'step' or 'epoch', got {scheduler_interval!r}")
    if scheduler is not None and not hasattr(scheduler, "step"):
        raise TypeError(f"fit: scheduler must have a step() method, got {type(scheduler).__name__}")
    check_clip_grad_norm(clip_grad_norm, "fit")
    for name, event in (("callback", callback), ("before_step", before_step)):
        if event is not None and not callable(event):
            raise TypeError(f"fit: {name} must be a function (or None), got {type(event).__name__}")
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


def _progress_bar(enabled, total):
    if not enabled:
        return None
    from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

    return tqdm(total=total, desc="training", unit="step", leave=True)


def fit(model, optimizer, train_loader, loss_fn, epochs=1, *, val_loader=None, scheduler=None,
        scheduler_interval="step", clip_grad_norm=None, early_stopping=None, progress=True, callback=None,
        max_steps=None, raise_on_divergence=False, before_step=None):
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
        before_step: ``before_step(params)`` after the backward pass and the
            clipping, just before each optimizer step that updates the weights:
            to read or change the gradients (``train_step``'s event).
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
                                       early_stopping, val_loader, train_loader, callback, before_step)
    epochs, max_steps = int(epochs), None if max_steps is None else int(max_steps)
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
                    step = train_step(model, optimizer, loss_fn, batch, clip_grad_norm=clip_grad_norm,
                                      scheduler=step_scheduler, before_step=before_step, caller="fit")
                    loss, lr, grad_norm = step.loss, step.lr, step.grad_norm
                    history.record_step(loss, lr, grad_norm, time.perf_counter() - started)
                    if not step.updated:
                        if not math.isfinite(loss):  # bad data, or broken from the start: not the learning rate
                            check_non_finite_loss(loss, batch, history.num_steps, "fit")
                        stop_reason = "diverged"
                        _diverged(history, epoch, loss, grad_norm, lr, raise_on_divergence)
                        break
                    loss_sum += loss * batch_size(batch)
                    example_count += batch_size(batch)
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
