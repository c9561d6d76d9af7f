"""RMSprop, plain, centered and with momentum, as torch.optim.RMSprop."""
from . import functional as OF
from .optimizer import Optimizer, check_at_least, check_in_range


class RMSprop(Optimizer):
    """RMSprop; the update rule is :func:`minigrad.optim.functional.rmsprop`."""

    update_rule = staticmethod(OF.rmsprop)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *,
                 maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        for name in ("lr", "eps", "weight_decay", "momentum"):
            check_at_least(name, group[name], 0.0)
        check_in_range("alpha", group["alpha"], 0.0, 1.0, high_inclusive=True)

    def _state_names(self, group):
        names = {"step", "square_avg"}
        if group["momentum"] > 0:
            names.add("momentum_buffer")
        if group["centered"]:
            names.add("grad_avg")
        return names
