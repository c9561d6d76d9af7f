"""``EarlyStopping``: stop when the validation loss stops improving, keep the best weights."""
import copy
import math

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Watch a validation score once per epoch; say when to stop.

    Args:
        patience: how many epochs in a row without improvement end training
            (patience 2: the best epoch, then two worse ones, then stop; 0 stops
            at the first epoch that does not improve).
        min_delta: an epoch counts as an improvement only if it beats the best
            score by more than this.
        restore_best: keep a copy of the model's weights at the best epoch and
            put them back when training stops (``fit`` also restores them when
            the epochs run out).
        mode: ``"min"`` for losses, ``"max"`` for scores such as accuracy.

    ``step(score, model)`` returns True when training should stop. Epochs are
    counted from 1: ``best_epoch`` is the number of the ``step`` call that
    brought the best score. A NaN score never counts as an improvement.
    """

    def __init__(self, patience=5, min_delta=0.0, restore_best=True, mode="min"):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0 (epochs), got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' (losses) or 'max' (accuracies), got {mode!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.restore_best = bool(restore_best)
        self.mode = mode
        self.reset()

    def reset(self):
        self.best_score = None
        self.best_epoch = None
        self.best_state = None
        self.epoch = 0
        self.num_bad_epochs = 0
        self.stopped = False

    def is_improvement(self, score):
        if not math.isfinite(score):
            return False
        if self.best_score is None:
            return True
        if self.mode == "min":
            return score < self.best_score - self.min_delta
        return score > self.best_score + self.min_delta

    def step(self, score, model=None):
        """Record this epoch's ``score``; return True when training should stop."""
        try:
            score = float(score.item() if hasattr(score, "item") else score)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"EarlyStopping.step: score must be a number, got {type(score).__name__}") from exc
        self.epoch += 1
        if self.is_improvement(score):
            self.best_score, self.best_epoch = score, self.epoch
            self.num_bad_epochs = 0
            if self.restore_best and model is not None:
                self.best_state = _copy_state(model.state_dict())
            self.stopped = False
        else:
            self.num_bad_epochs += 1
            self.stopped = self.num_bad_epochs >= self.patience  # as Keras and Lightning count
        if self.stopped and model is not None:
            self.restore(model)
        return self.stopped

    def restore(self, model):
        """Load the best epoch's weights into ``model``; return that epoch, or None if nothing changed.

        Nothing changes without ``restore_best``, before any improvement, or when
        the best epoch is the latest one (the model already holds its weights).
        """
        if not self.restore_best or self.best_state is None or self.best_epoch == self.epoch:
            return None
        model.load_state_dict(_copy_state(self.best_state))
        return self.best_epoch

    def state_dict(self):
        return {"best_score": self.best_score, "best_epoch": self.best_epoch, "epoch": self.epoch,
                "num_bad_epochs": self.num_bad_epochs}

    def __repr__(self):
        best = "none yet" if self.best_score is None else f"{self.best_score:.4g} at epoch {self.best_epoch}"
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}; "
                f"best {best}, {self.num_bad_epochs} epochs without improvement)")


def _copy_state(state):
    """A deep copy of a state dict, so later training steps cannot change it."""
    return {name: (value.copy() if hasattr(value, "copy") and hasattr(value, "shape") else copy.deepcopy(value))
            for name, value in state.items()}
