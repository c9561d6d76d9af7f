"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.

They differ only in weight decay: Adam adds λθ to the gradient (an L2 penalty
that then passes through the adaptive scaling), AdamW shrinks the weights
directly, ``θ ← θ(1 − γλ)``, which is the decay fine-tuning recipes mean.
"""
from . import functional as OF
from .optimizer import Optimizer, check_at_least, check_betas


class Adam(Optimizer):
    """Adam; the update rule is :func:`minigrad.optim.functional.adam` (``weight_decay`` is an L2 penalty)."""

    update_rule = staticmethod(OF.adam)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_at_least("lr", group["lr"], 0.0)
        check_at_least("eps", group["eps"], 0.0)
        check_betas(group["betas"])
        check_at_least("weight_decay", group["weight_decay"], 0.0)

    def _state_names(self, group):
        names = {"step", "exp_avg", "exp_avg_sq"}
        if group["amsgrad"]:
            names.add("max_exp_avg_sq")
        return names


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay; the update rule is :func:`minigrad.optim.functional.adamw`."""

    update_rule = staticmethod(OF.adamw)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
