"""Train many copies of one small network at once: one run per setting, the settings side by side.

A learning-rate sweep trains the same network from the same initial weights on the
same batches, once per rate. Instead of running those trainings one after another,
stack them: every weight gets a leading *setting* axis (24 rates: 24 weight matrices
in one array), every matrix product becomes a batched product (``np.matmul`` over
that axis), and the optimizer's update rule runs once on the stack with a *vector*
of learning rates, one per setting. The update rules are minigrad's own
(``minigrad.optim.functional``): they are written on arrays, so a rate of shape
``(settings, 1, 1)`` broadcasts over the stacked weights. Nothing is shared between
settings but the data, so each run is the run you would get alone, up to the last
digits that a different order of additions changes (the tests check that; where
training is chaotic those differences grow). Stacking is one way to run sweeps of small
models (``torch.func.vmap`` in PyTorch): one small network leaves most of a GPU idle, a
stack of them fills it. (Lesson 8's recurrent network is
stacked the same way, in :func:`coursekit.clipping.train_rnns`.)

The network is the lessons' ``Linear -> ReLU -> Linear`` classifier trained with
cross-entropy; :func:`train_stacked` returns a :class:`StackedRuns`, which hands out
each setting's record as a ``minigrad.training.History`` (what ``fit`` returns) and
its trained weights as a model, so everything downstream (``diagnose``, the lesson's
tables, the widgets) reads them as it reads a ``fit`` run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from minigrad.optim import functional as OF
from minigrad.training.fit import record_divergence
from minigrad.training.history import History
from minigrad.utils.data import TensorDataset

from .threads import single_blas_thread

__all__ = ["loader_batches", "train_stacked", "StackedRuns"]

OPTIMIZERS = ("adam", "adamw", "sgd")


def loader_batches(loader, steps=None):
    """The ``(inputs, targets)`` arrays a ``DataLoader`` yields, epoch after epoch, and where each epoch ends.

    Returns ``(batches, epoch_ends)``: ``steps`` batches (None: one epoch) and the step
    counts at which an epoch ended, as ``fit`` records them. The loader draws its
    shuffles itself, so the batches are exactly those ``fit`` would train on.
    """
    batches, epoch_ends = [], []
    while steps is None and not epoch_ends or steps is not None and len(batches) < steps:
        for inputs, targets in _epoch(loader):
            batches.append((inputs, targets))
            if steps is not None and len(batches) == steps:
                break
        epoch_ends.append(len(batches))
    return batches, epoch_ends


def _epoch(loader):
    """One epoch of ``loader`` as ``(inputs, targets)`` arrays.

    A loader over a ``TensorDataset`` is cut here straight from its arrays, in the order the
    loader would draw (one permutation from its generator per epoch, as ``DataLoader``
    does): the same batches without a tensor per batch, which a run of small batches
    would otherwise spend a fifth of its time making (the tests compare with ``fit``).
    """
    if isinstance(loader.dataset, TensorDataset) and not loader.drop_last and \
            (not loader.shuffle or loader.generator is not None):
        arrays = [np.asarray(t.data) for t in loader.dataset.tensors]
        n, size = len(loader.dataset), loader.batch_size
        order = loader.generator.permutation(n) if loader.shuffle else np.arange(n)
        return [tuple(a[order[start:start + size]] for a in arrays) for start in range(0, n, size)]
    return [(np.asarray(inputs.data), np.asarray(targets.data)) for inputs, targets in loader]


def _weights(model):
    """(W1, b1, W2, b2) of a ``Sequential(Linear, ReLU, Linear)``, as float64 copies."""
    first, last = model[0], model[2]
    return [np.array(p.data, dtype=np.float64) for p in (first.weight, first.bias, last.weight, last.bias)]


def _forward(params, x):
    """Logits (S, B, C) and hidden activations (S, B, H) of every stacked network on the inputs ``x`` (B, F)."""
    w1, b1, w2, b2 = params
    hidden = np.matmul(x, w1.transpose(0, 2, 1))  # (B, F) against (S, F, H): one product per network
    hidden += b1[:, None, :]
    np.maximum(hidden, 0.0, out=hidden)
    logits = np.matmul(hidden, w2.transpose(0, 2, 1))
    logits += b2[:, None, :]
    return logits, hidden


def _cross_entropy(logits, targets):
    """Mean cross-entropy per network (S,), and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=2, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=2, keepdims=True)
    rows = np.arange(len(targets))
    losses = (np.log(total[:, :, 0]) - shifted[:, rows, targets]).sum(axis=1) / len(targets)  # np.mean's sum
    grad = np.divide(exp, total, out=exp)
    grad[:, rows, targets] -= 1.0
    grad /= len(targets)
    return losses, grad


@dataclass
class StackedRuns:
    """The record of ``S`` runs trained side by side (arrays with the setting first).

    ``step_loss`` (S, T): the mini-batch loss of each step (NaN after a run diverged);
    ``step_lr`` (S, T); ``grad_norm`` (S, T): the global gradient norm;
    ``diverged_step`` (S,): the 1-based step at which the loss or the gradient stopped
    being finite (0: never); ``epoch_ends``; ``epoch_train_loss`` and ``epoch_val_loss``
    (S, epochs; val empty without validation data); ``params``: the final weights.
    """

    step_loss: np.ndarray
    step_lr: np.ndarray
    grad_norm: np.ndarray
    diverged_step: np.ndarray
    epoch_ends: list
    batch_sizes: np.ndarray
    epoch_train_loss: np.ndarray
    epoch_val_loss: np.ndarray
    params: list
    seconds: float
    stop_reason: str = "completed"  # or "max_steps", as fit says when max_steps ended the runs
    epoch_scored_loss: np.ndarray = None  # (S, epochs): the loss on ``scored`` after each epoch

    def __len__(self):
        return self.step_loss.shape[0]

    def diverged_at(self, i):
        """The step at which run ``i`` diverged, or None."""
        return int(self.diverged_step[i]) or None

    def history(self, i) -> History:
        """Run ``i`` as the ``History`` that ``fit`` would have recorded (same steps, same epochs, same stop)."""
        history = History()
        diverged = self.diverged_at(i)
        stop = diverged or self.step_loss.shape[1]
        ends = iter(enumerate(self.epoch_ends))
        epoch, end = next(ends)
        for step in range(stop):
            history.record_step(self.step_loss[i, step], self.step_lr[i, step], self.grad_norm[i, step], 0.0)
            if step + 1 == end and step + 1 != diverged:  # fit records no epoch for the one a run diverged in
                history.record_epoch(self.epoch_train_loss[i, epoch],
                                     self.epoch_val_loss[i, epoch] if self.epoch_val_loss.size else None)
                epoch, end = next(ends, (None, None))
        if diverged is not None:  # the history ends at that step, as fit's does
            epoch = int(np.searchsorted(self.epoch_ends, diverged)) + 1
            record_divergence(history, epoch, self.step_loss[i, diverged - 1], self.grad_norm[i, diverged - 1],
                              self.step_lr[i, diverged - 1])
            history.stop_reason = "diverged"
        else:
            history.stop_reason = self.stop_reason
        return history

    def load_into(self, i, model):
        """Copy run ``i``'s final weights into ``model`` (a ``Sequential(Linear, ReLU, Linear)``); returns it."""
        first, last = model[0], model[2]
        for param, stacked in zip((first.weight, first.bias, last.weight, last.bias), self.params):
            param.data[...] = stacked[i]
        return model


@single_blas_thread()
def train_stacked(models, batches, lrs, *, optimizer="adam", betas1=None, weight_decay=None, epoch_ends=None,
                  val=None, scored=None, max_steps=False, momentum=0.0, progress=False, description="training"):
    """Train every model in ``models`` on the same ``batches``, each with its own learning rates, all at once.

    Float64 throughout, as the lessons' models: the stacked products add in another order
    than one network's, so results agree with a run alone to about 1e-15 relative per step;
    where training is chaotic (very high rates) that difference grows step by step.

    ``models``: ``Sequential(Linear, ReLU, Linear)`` networks (their initial weights; left
    untouched). ``batches``: ``(inputs, targets)`` arrays, one per step (see
    :func:`loader_batches`). ``lrs``: the learning rate of every step, shape
    ``(len(models), steps)``, or one rate per model (constant). ``optimizer``: ``"adam"``,
    ``"adamw"`` (torch's defaults; AdamW's weight decay 0.01 unless ``weight_decay``) or
    ``"sgd"`` (with ``momentum``).
    ``betas1`` ``(S, steps)``: Adam's β1 per step where a schedule moves it (one-cycle).
    ``epoch_ends``: the step counts at which epochs end; ``val``: ``(X, y)`` evaluated
    there, and ``scored`` another ``(X, y)`` too (``epoch_scored_loss``; e.g. the whole training
    set). ``max_steps``: True when ``batches`` was cut at a step count (as ``fit``'s
    ``max_steps``; the records then say so). ``progress``: show a progress bar over the steps.

    Like ``fit``, a run whose loss or gradient norm stops being finite is stopped there
    (``diverged_step``); the others go on.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"train_stacked: optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if not models:
        raise ValueError("train_stacked: need at least one model")
    count, steps = len(models), len(batches)
    lrs = np.asarray(lrs, dtype=np.float64)
    lrs = np.repeat(lrs[:, None], steps, axis=1) if lrs.ndim == 1 else lrs
    if lrs.shape != (count, steps):
        raise ValueError(f"train_stacked: lrs must have shape ({count}, {steps}) or ({count},), got {lrs.shape}")
    epoch_ends = [steps] if epoch_ends is None else list(epoch_ends)
    # Every setting's weights in one row of a flat (S, P) array, and (W1, b1, W2, b2) as views
    # into it: the update rule and the gradient norm then run once per step on the whole
    # stack (the update rules work entry by entry, so this changes no number).
    flat, params = _flat_views([np.stack(column) for column in zip(*(_weights(model) for model in models))])
    flat_grad, grads = _flat_views([np.empty_like(p) for p in params])
    state = {}
    decay = (0.01 if weight_decay is None else weight_decay) if optimizer == "adamw" else (weight_decay or 0.0)
    losses, norms = np.full((count, steps), np.nan), np.full((count, steps), np.nan)
    diverged = np.zeros(count, dtype=np.int64)
    sizes = np.array([len(targets) for _, targets in batches])
    val_losses, scored_losses = [], []
    bar = _bar(progress, steps, count, description)
    started = time.perf_counter()
    grad_w1, grad_b1, grad_w2, grad_b2 = grads
    ends = set(epoch_ends)
    with np.errstate(all="ignore"):  # a run that blows up is recorded as diverged, as fit does
        for step, (inputs, targets) in enumerate(batches):
            logits, hidden = _forward(params, inputs)
            loss, grad_logits = _cross_entropy(logits, targets)
            np.matmul(grad_logits.transpose(0, 2, 1), hidden, out=grad_w2)
            grad_logits.sum(axis=1, out=grad_b2)
            grad_hidden = np.matmul(grad_logits, params[2])
            grad_hidden *= hidden > 0
            np.matmul(grad_hidden.transpose(0, 2, 1), inputs, out=grad_w1)
            grad_hidden.sum(axis=1, out=grad_b1)
            norm = np.sqrt(np.einsum("sk,sk->s", flat_grad, flat_grad))
            if diverged.any():  # a run that stopped records nothing more
                alive = diverged == 0
                losses[alive, step], norms[alive, step] = loss[alive], norm[alive]
            else:
                alive = True
                losses[:, step], norms[:, step] = loss, norm
            diverged[alive & ~(np.isfinite(loss) & np.isfinite(norm))] = step + 1
            rate = lrs[:, step, None]
            if optimizer == "sgd":
                OF.sgd(flat, flat_grad, state, lr=rate, momentum=momentum, weight_decay=decay)
            else:
                betas = (0.9 if betas1 is None else betas1[:, step, None], 0.999)
                OF.adam(flat, flat_grad, state, lr=rate, betas=betas, weight_decay=decay,
                        decoupled_weight_decay=optimizer == "adamw")
            if step + 1 in ends and val is not None:
                val_logits, _ = _forward(params, val[0])
                val_losses.append(_cross_entropy(val_logits, val[1])[0])
            if step + 1 in ends and scored is not None:
                scored_logits, _ = _forward(params, scored[0])
                scored_losses.append(_cross_entropy(scored_logits, scored[1])[0])
            if bar is not None:
                bar.update(1)
    if bar is not None:
        done = f"trained {count} runs at once, {steps} steps each"
        bar.close(done if description.startswith("training") else f"{description} {done}")
    epoch_train = np.stack([_epoch_mean(losses, sizes, start, end) for start, end
                            in zip([0] + epoch_ends[:-1], epoch_ends)], axis=1)
    epoch_val = np.stack(val_losses, axis=1) if val_losses else np.empty((count, 0))
    epoch_scored = np.stack(scored_losses, axis=1) if scored_losses else np.empty((count, 0))
    return StackedRuns(losses, lrs, norms, diverged, epoch_ends, sizes, epoch_train, epoch_val, params,
                       time.perf_counter() - started, "max_steps" if max_steps else "completed", epoch_scored)


def _flat_views(arrays):
    """One (S, P) array holding the (S, ...) ``arrays`` side by side, and a view into it shaped as each."""
    count = arrays[0].shape[0]
    flat = np.concatenate([a.reshape(count, -1) for a in arrays], axis=1)
    views, start = [], 0
    for a in arrays:
        size = a[0].size
        views.append(flat[:, start:start + size].reshape(a.shape))
        start += size
    return flat, views


def _epoch_mean(losses, sizes, start, end):
    """The example-weighted mean loss of steps ``start..end`` per run, as fit's epoch training loss."""
    return (losses[:, start:end] * sizes[start:end]).sum(axis=1) / sizes[start:end].sum()


def _bar(enabled, steps, count, description):
    if not enabled:
        return None
    from .progress import TrainingProgress  # a bar while it trains, then one line saying what was trained

    return TrainingProgress(steps, f"{description} {count} runs at once")
