"""Train many copies of one small network at once: one run per setting, the settings side by side.

A learning-rate sweep trains the same network from the same initial weights on the same
batches, once per rate. Here the copies train together through minigrad's own autograd, in
``torch.func``'s shape (:mod:`minigrad.func`): ``stack_module_state`` gives every weight a
leading model axis, ``vmap`` over ``functional_call`` gives each copy's loss, one
``backward()`` each copy's gradient, ``vmap(get_total_norm)`` each copy's gradient norm, and
the optimizer's update rule (``minigrad.optim.functional``) runs once on the stack with a
*vector* of learning rates. Nothing is shared between copies but the data, so each run is the
run ``fit`` gives alone, up to the last digits that a different order of additions changes
(the tests check that; where training is chaotic those differences grow).

The network is the lessons' ``Linear -> ReLU -> Linear`` classifier trained with
cross-entropy; :func:`train_stacked` returns a :class:`StackedRuns`, which hands out each
setting's record as a ``minigrad.training.History`` (what ``fit`` returns) and its trained
weights as a model, so everything downstream (``diagnose``, the lesson's tables, the widgets)
reads them as it reads a ``fit`` run.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad.func import functional_call, stack_module_state, vmap
from minigrad.nn import functional as F
from minigrad.nn.utils import get_total_norm
from minigrad.optim import functional as OF
from minigrad.training.fit import record_divergence
from minigrad.training.history import History
from minigrad.utils.data import TensorDataset

from .allocator import keep_freed_memory
from .threads import halves, side_by_side, single_blas_thread

__all__ = ["loader_batches", "train_stacked", "StackedRuns", "stacked_step", "flat_views"]

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


def stacked_loss(model):
    """Each stacked copy's mean cross-entropy: ``losses(params, inputs, targets)`` gives shape (copies,).

    The minigrad lines of a sweep, as one would write them with ``torch.func``.
    """
    def loss_of(params, inputs, targets):
        return F.cross_entropy(functional_call(model, params, (inputs,)), targets)
    return vmap(loss_of, in_dims=(0, None, None))


@dataclass
class StackedRuns:
    """The record of ``S`` runs trained side by side (arrays with the setting first).

    ``step_loss`` (S, T): the mini-batch loss of each step (NaN after a run diverged);
    ``step_lr`` (S, T); ``grad_norm`` (S, T): the global gradient norm;
    ``diverged_step`` (S,): the 1-based step at which the loss or the gradient stopped
    being finite (0: never); ``epoch_ends``; ``epoch_train_loss`` and ``epoch_val_loss``
    (S, epochs; val empty without validation data); ``params``: the final stacked weights (as
    ``stack_module_state`` names them); ``model``: the network they fit (the first copy's).
    """

    step_loss: np.ndarray
    step_lr: np.ndarray
    grad_norm: np.ndarray
    diverged_step: np.ndarray
    epoch_ends: list
    batch_sizes: np.ndarray
    epoch_train_loss: np.ndarray
    epoch_val_loss: np.ndarray
    params: dict
    seconds: float
    stop_reason: str = "completed"  # or "max_steps", as fit says when max_steps ended the runs
    epoch_scored_loss: np.ndarray = None  # (S, epochs): the loss on ``scored`` after each epoch
    model: object = None

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
        """Copy run ``i``'s final weights into ``model`` (a network of the same structure); returns it."""
        return model.load_state_dict({name: stacked.data[i] for name, stacked in self.params.items()})

    def evaluate(self, X, y):
        """Every run's mean cross-entropy on ``(X, y)``, shape (S,), and its logits, shape (S, N, classes)."""
        with mg.no_grad(), single_blas_thread(), np.errstate(all="ignore"):  # more threads only wait here
            logits = vmap(functional_call, in_dims=(None, 0, None))(self.model, self.params, (mg.tensor(X),))
            return vmap(F.cross_entropy, in_dims=(0, None))(logits, mg.tensor(y)).data, logits.data  # one forward


@single_blas_thread()  # once, around every thread: BLAS's thread count is one setting for the whole process
def train_stacked(models, batches, lrs, *, optimizer="adam", betas1=None, weight_decay=None, epoch_ends=None,
                  val=None, scored=None, max_steps=False, momentum=0.0, progress=False, description="training",
                  between_steps=None):
    """Train every model in ``models`` on the same ``batches``, each with its own learning rates, all at once.

    Float64 throughout, as the lessons' models: the stacked products add in another order
    than one network's, so results agree with a run alone to about 1e-15 relative per step;
    where training is chaotic (very high rates) that difference grows step by step.

    ``models``: networks of one structure, such as the lessons' ``Sequential(Linear, ReLU,
    Linear)`` (their initial weights; left untouched). ``batches``: ``(inputs, targets)`` arrays, one per step (see
    :func:`loader_batches`). ``lrs``: the learning rate of every step, shape
    ``(len(models), steps)``, or one rate per model (constant). ``optimizer``: ``"adam"``,
    ``"adamw"`` (torch's defaults; AdamW's weight decay 0.01 unless ``weight_decay``) or
    ``"sgd"`` (with ``momentum``).
    ``betas1`` ``(S, steps)``: Adam's β1 per step where a schedule moves it (one-cycle).
    ``epoch_ends``: the step counts at which epochs end; ``val``: ``(X, y)`` evaluated
    there, and ``scored`` another ``(X, y)`` too (``epoch_scored_loss``; e.g. the whole training
    set). ``max_steps``: True when ``batches`` was cut at a step count (as ``fit``'s
    ``max_steps``; the records then say so). ``progress``: show a progress bar over the steps.
    ``between_steps``: called before every step (by each thread), e.g. to let a widget answer a move
    first (:class:`coursekit.run_cache.RunCache`).

    Like ``fit``, a run whose loss or gradient norm stops being finite is stopped there
    (``diverged_step``); the others go on.

    A large stack trains as two halves on two threads where the machine has two cores or more
    (:func:`coursekit.threads.halves`): NumPy lets go of Python's lock inside its array work, so the halves
    run side by side, and each run's numbers are the same to the last digit (a copy's
    arithmetic never involves another copy).
    """
    _check_arguments(models, batches, lrs, optimizer)
    lrs = _rates(lrs, len(models), len(batches))
    groups = halves(len(models))
    # functional_call swaps a module's weights while it runs: each thread gets its own copies, made
    # before any thread starts (a list holding one model S times is copied as one model S times).
    model_groups = [models[groups[0]]] + [copy.deepcopy(models[part]) for part in groups[1:]]

    def train(index, part):
        return _train_group(model_groups[index], batches, lrs[part], optimizer,
                            None if betas1 is None else betas1[part], weight_decay, epoch_ends, val, scored,
                            max_steps, momentum, progress and not index, description, between_steps)

    parts = side_by_side(train, groups)
    return parts[0] if len(parts) == 1 else _joined(parts, models[0])


def _joined(parts, model):
    """One StackedRuns from the records of consecutive slices of the stack."""
    first = parts[0]

    def stacked(name):
        return np.concatenate([getattr(part, name) for part in parts])
    params = {name: mg.Tensor(np.concatenate([part.params[name].data for part in parts])) for name in first.params}
    return StackedRuns(stacked("step_loss"), stacked("step_lr"), stacked("grad_norm"), stacked("diverged_step"),
                       first.epoch_ends, first.batch_sizes, stacked("epoch_train_loss"), stacked("epoch_val_loss"),
                       params, max(part.seconds for part in parts), first.stop_reason, stacked("epoch_scored_loss"),
                       model)


def _check_arguments(models, batches, lrs, optimizer):
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"train_stacked: optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if not models:
        raise ValueError("train_stacked: need at least one model")


def _rates(lrs, count, steps):
    lrs = np.asarray(lrs, dtype=np.float64)
    lrs = np.repeat(lrs[:, None], steps, axis=1) if lrs.ndim == 1 else lrs
    if lrs.shape != (count, steps):
        raise ValueError(f"train_stacked: lrs must have shape ({count}, {steps}) or ({count},), got {lrs.shape}")
    return lrs


def _train_group(models, batches, lrs, optimizer, betas1, weight_decay, epoch_ends, val, scored, max_steps,
                 momentum, progress, description, between_steps=None):
    """:func:`train_stacked` on one thread (``lrs`` already of shape (S, steps))."""
    count, steps = len(models), len(batches)
    epoch_ends = [steps] if epoch_ends is None else list(epoch_ends)
    keep_freed_memory()  # each step's arrays reuse the last step's memory, not fresh pages
    template = models[0]
    params, _ = stack_module_state(models)  # every weight with a leading axis, one slot per setting
    flat, flat_grad = flat_views(params.values())
    losses_of = stacked_loss(template)
    state = {}
    decay = (0.01 if weight_decay is None else weight_decay) if optimizer == "adamw" else (weight_decay or 0.0)
    losses, norms = np.full((count, steps), np.nan), np.full((count, steps), np.nan)
    diverged = np.zeros(count, dtype=np.int64)
    sizes = np.array([len(targets) for _, targets in batches])
    val_losses, scored_losses = [], []
    bar = _bar(progress, steps, count, description)
    started = time.perf_counter()
    ends = set(epoch_ends)
    with np.errstate(all="ignore"):  # a run that blows up is recorded as diverged, as fit does
        for step, (inputs, targets) in enumerate(batches):
            if between_steps is not None:
                between_steps()
            loss, norm = stacked_step(losses_of, params, flat_grad, mg.Tensor(inputs), mg.Tensor(targets))
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
            with mg.no_grad():
                if step + 1 in ends and val is not None:
                    val_losses.append(losses_of(params, mg.Tensor(val[0]), mg.Tensor(val[1])).data)
                if step + 1 in ends and scored is not None:
                    scored_losses.append(losses_of(params, mg.Tensor(scored[0]), mg.Tensor(scored[1])).data)
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
                       time.perf_counter() - started, "max_steps" if max_steps else "completed", epoch_scored,
                       template)


def stacked_step(losses_of, params, flat_grad, *data):
    """One step's forward and backward for every stacked copy: ``(losses, grad_norms)``, arrays of shape (S,).

    The stacked counterpart of ``minigrad.training.train_step`` up to the update:
    ``losses_of(params, *data)`` gives each copy's loss (a ``vmap`` of its loss); ``flat_grad``
    is the (S, P) array the stacked gradients are views of (:func:`flat_views`), zeroed here and
    filled by one ``backward()`` (each copy's gradient depends on its own loss only), so row s
    holds copy s's whole gradient and its norm is the norm before any clipping. Clipping and the
    update (a rule run once on the whole stack) are the caller's.
    """
    flat_grad[...] = 0.0
    step_losses = losses_of(params, *data)
    step_losses.sum().backward()
    return step_losses.data, _norms_of(flat_grad).data


_norms_of = vmap(get_total_norm)


def flat_views(params):
    """Two flat (S, P) float64 arrays, weights and gradients, with each stacked parameter's data and grad as views.

    The update rule then runs once per step on the whole stack (it works entry by entry: no
    number changes), and ``backward()`` adds into the gradients given (as
    ``zero_grad(set_to_none=False)`` leaves them).
    """
    params = list(params)
    count = params[0].shape[0]
    flat = np.concatenate([np.asarray(p.data, dtype=np.float64).reshape(count, -1) for p in params], axis=1)
    flat_grad = np.zeros_like(flat)
    start = 0
    for p in params:
        size = p.data[0].size
        p.data = flat[:, start:start + size].reshape(p.shape)
        p.grad = flat_grad[:, start:start + size].reshape(p.shape)
        start += size
    return flat, flat_grad


def _epoch_mean(losses, sizes, start, end):
    """The example-weighted mean loss of steps ``start..end`` per run, as fit's epoch training loss."""
    return (losses[:, start:end] * sizes[start:end]).sum(axis=1) / sizes[start:end].sum()


def _bar(enabled, steps, count, description):
    if not enabled:
        return None
    from .progress import TrainingProgress  # a bar while it trains, then one line saying what was trained

    return TrainingProgress(steps, f"{description} {count} runs at once")
