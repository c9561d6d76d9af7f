"""Adagrad, as torch.optim.Adagrad."""
from . import functional as OF
from .optimizer import Optimizer, check_at_least


class Adagrad(Optimizer):
    """Adagrad; the update rule is :func:`minigrad.optim.functional.adagrad`."""

    update_rule = staticmethod(OF.adagrad)

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_at_least(name, group[name], 0.0)

    def _state_names(self, group):
        return {"step", "sum"}
