"""``History``: what a training run recorded, step by step and epoch by epoch.

Steps and epochs are counted from 1 in messages and in ``best_epoch`` (the 7th
epoch is epoch 7); the lists themselves are ordinary Python lists, so epoch
``e`` sits at index ``e - 1``.
"""
import math
from dataclasses import dataclass, field, fields

import numpy as np

from .smoothing import smooth

__all__ = ["History"]


@dataclass
class History:
    """A training run's record, filled in by ``fit`` (or by hand in your own loop).

    Per optimizer step: ``step_loss`` (the mini-batch loss), ``step_lr`` (the
    learning rate that step used, of the first parameter group), ``step_grad_norm``
    (the global L2 norm of the gradients *before* any clipping) and
    ``step_time`` (seconds). Per epoch: ``epoch_train_loss`` (the mean training
    loss over the epoch's examples), ``epoch_val_loss`` (empty without a
    validation set) and ``epoch_end_step`` (how many steps had run when the
    epoch ended, to draw epoch values on a step axis).

    ``stop_reason`` says why training ended: ``"completed"``, ``"diverged"``,
    ``"early_stopping"``, ``"max_steps"`` or ``"callback"``; ``message`` says it
    in words. ``diverged_step`` is the step whose loss (or gradient) stopped
    being finite; ``restored_epoch`` the epoch whose weights early stopping put
    back into the model (None: the model keeps its last weights).
    """

    step_loss: list = field(default_factory=list)
    step_lr: list = field(default_factory=list)
    step_grad_norm: list = field(default_factory=list)
    step_time: list = field(default_factory=list)
    epoch_train_loss: list = field(default_factory=list)
    epoch_val_loss: list = field(default_factory=list)
    epoch_end_step: list = field(default_factory=list)
    stop_reason: str = None
    message: str = ""
    diverged_step: int = None
    restored_epoch: int = None

    # ---------------------------------------------------------------- recording
    def record_step(self, loss, lr=None, grad_norm=None, time=None):
        # Convert everything first: a value that is not a number must not leave the lists of unequal length.
        values = [float(loss)] + [None if x is None else float(x) for x in (lr, grad_norm, time)]
        for column, value in zip((self.step_loss, self.step_lr, self.step_grad_norm, self.step_time), values):
            column.append(value)

    def record_epoch(self, train_loss, val_loss=None):
        train_loss, val_loss = float(train_loss), None if val_loss is None else float(val_loss)
        self.epoch_train_loss.append(train_loss)
        if val_loss is not None:
            self.epoch_val_loss.append(val_loss)
        self.epoch_end_step.append(self.num_steps)

    # ---------------------------------------------------------------- handy views
    @property
    def losses(self):
        """The per-step training losses (an alias of ``step_loss``)."""
        return self.step_loss

    @property
    def lrs(self):
        return self.step_lr

    @property
    def grad_norms(self):
        return self.step_grad_norm

    @property
    def train_losses(self):
        """The per-epoch training losses."""
        return self.epoch_train_loss

    @property
    def val_losses(self):
        return self.epoch_val_loss

    @property
    def num_steps(self):
        return len(self.step_loss)

    @property
    def num_epochs(self):
        """Epochs that finished (a run stopped mid-epoch counts the partial one)."""
        return len(self.epoch_train_loss)

    @property
    def diverged(self):
        return self.stop_reason == "diverged"

    @property
    def final_loss(self):
        """The last finite training loss of a step (None before the first step)."""
        finite = [x for x in self.step_loss if math.isfinite(x)]
        return finite[-1] if finite else None

    @property
    def best_epoch(self):
        """The epoch (counted from 1) with the lowest validation loss, or None."""
        values = [v if math.isfinite(v) else math.inf for v in self.epoch_val_loss]
        if not values or min(values) == math.inf:
            return None
        return int(np.argmin(values)) + 1

    @property
    def best_val_loss(self):
        epoch = self.best_epoch
        return None if epoch is None else self.epoch_val_loss[epoch - 1]

    @property
    def total_time(self):
        return float(sum(t for t in self.step_time if t is not None))

    def smoothed_losses(self, beta=0.9):
        """Per-step losses smoothed by a debiased exponential moving average.

        This is what a training dashboard plots: ``avg = beta*avg + (1-beta)*loss``,
        divided by ``1 - beta**n`` so the first values are not pulled to zero
        (:func:`minigrad.training.smoothing.smooth`).
        """
        return smooth(self.step_loss, beta).tolist()

    # ---------------------------------------------------------------- export
    def to_dict(self):
        """Plain lists, numbers and strings (JSON-ready; a checkpoint can store it)."""
        return {f.name: (list(getattr(self, f.name)) if isinstance(getattr(self, f.name), list)
                         else getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data):
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise KeyError(f"History.from_dict: unknown keys {unknown}")
        return cls(**{k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in data.items()})

    def plot(self, ax=None, smooth=0.9):
        """Draw the step losses (faint), their smoothed curve and the epoch losses.

        Returns the matplotlib Axes; the step axis is shared by step and epoch values.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        steps = np.arange(1, self.num_steps + 1)
        if self.num_steps:
            ax.plot(steps, self.step_loss, color="C0", alpha=0.3, lw=1, label="step loss")
            if smooth:
                ax.plot(steps, self.smoothed_losses(smooth), color="C0", lw=2, label="smoothed")
        ends = self.epoch_end_step[:len(self.epoch_train_loss)]
        if self.epoch_train_loss:
            ax.plot(ends, self.epoch_train_loss, "o-", color="C1", label="train (epoch)")
        if self.epoch_val_loss:
            ax.plot(ends[:len(self.epoch_val_loss)], self.epoch_val_loss, "s-", color="C2", label="validation")
        if self.diverged_step is not None:
            ax.axvline(self.diverged_step, color="C3", ls="--", lw=1, label="diverged")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.legend(loc="best", fontsize="small")
        return ax

    def __repr__(self):
        parts = [f"{self.num_steps} steps", f"{self.num_epochs} epochs"]
        if self.final_loss is not None:
            parts.append(f"final loss {self.final_loss:.4g}")
        if self.best_epoch is not None:
            parts.append(f"best validation loss {self.best_val_loss:.4g} at epoch {self.best_epoch}")
        if self.stop_reason:
            parts.append(f"stopped: {self.stop_reason}")
        return f"History({', '.join(parts)})"
