"""SGD, with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD."""
from . import functional as OF
from .optimizer import Optimizer, check_at_least, check_in_range


class SGD(Optimizer):
    """Stochastic gradient descent; the update rule is :func:`minigrad.optim.functional.sgd`.

    ``lr`` defaults to 1e-3 as in torch 2.x; ``momentum`` around 0.9 is the usual choice.
    """

    update_rule = staticmethod(OF.sgd)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_at_least("lr", group["lr"], 0.0)
        check_at_least("momentum", group["momentum"], 0.0)
        check_in_range("dampening", group["dampening"], 0.0, 1.0, high_inclusive=True)
        check_at_least("weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"Nesterov momentum requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _state_names(self, group):
        return {"momentum_buffer"} if group["momentum"] != 0 else set()
