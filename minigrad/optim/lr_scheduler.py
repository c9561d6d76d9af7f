"""Learning-rate schedules, as torch.optim.lr_scheduler, plus Hugging Face's warmup schedules.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups. Create it
after the optimizer (construction sets each group's ``initial_lr`` and the lr
of step 0, as torch does), then call ``scheduler.step()`` once after each
``optimizer.step()``::

    optimizer = AdamW(model.parameters(), lr=2e-5)
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=100, num_training_steps=1000)
    for batch in loader:
        ...
        optimizer.step()
        scheduler.step()

Each schedule is computed in closed form from ``base_lrs`` and ``last_epoch``
(the number of ``step()`` calls so far): the values equal torch's recursive
forms to rounding. Combine schedules with :class:`SequentialLR` (stepping two
schedulers on one optimizer does not multiply their factors as in torch).
Every ``state_dict()`` holds only numbers, strings, lists and dicts.
"""
import copy
import math
import types
from bisect import bisect_right

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
           "SequentialLR", "OneCycleLR", "get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup"]


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"Invalid {name}: {value!r}. {name} must be an integer >= {low}")


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise ValueError(f"Invalid {name}: {value!r}. {name} must be a finite number > 0")


def _per_group(name, optimizer, value):
    """One value per param group: a list of the right length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} has {len(value)} values, but the optimizer has "
                             f"{len(optimizer.param_groups)} param groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class: subclasses define ``get_lr()``, the lrs at ``self.last_epoch``."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"Invalid last_epoch: {last_epoch!r}. It must be -1 (start) or the index of "
                             "the last step when resuming")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{index}] when resuming a "
                                   "scheduler with last_epoch >= 0: load the optimizer's state_dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self.step()

    def get_lr(self):
        """The learning rate of each param group at step ``last_epoch``."""
        raise NotImplementedError

    def step(self):
        """Advance one step and write the new lrs into the optimizer's param groups."""
        self._step_count += 1
        self.last_epoch += 1
        self._apply_lrs()

    def _update_lr(self, epoch):
        """Jump to step ``epoch`` (SequentialLR uses it to restart a scheduler at 0)."""
        self.last_epoch = epoch
        self._apply_lrs()

    def _apply_lrs(self):
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lrs the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(step)``; ``lr_lambda`` is one function or one per param group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.lr_lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function of the step (or a list of them), got {fn!r}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        # Functions are not saved (as in torch); callable objects save their attributes.
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(getattr(fn, "__dict__", {}))
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (step // step_size)``: decay by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_int("step_size", step_size, 1)
        _check_positive("gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (number of milestones <= step)``."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        for milestone in milestones:
            _check_int("milestone", milestone, 0)
        _check_positive("gamma", gamma)
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** bisect_right(self.milestones, self.last_epoch) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = initial_lr * gamma ** step``."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _check_positive("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (initial_lr − eta_min) (1 + cos(π step / T_max)) / 2``: half a cosine over ``T_max`` steps.

    Past ``T_max`` the cosine goes on (the lr climbs back), as in torch.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_int("T_max", T_max, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)) or not eta_min >= 0:
            raise ValueError(f"Invalid eta_min: {eta_min!r}. eta_min must be a number >= 0")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` steps, then hold it."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if isinstance(start_factor, bool) or not isinstance(start_factor, (int, float)) or not 0 < start_factor <= 1:
            raise ValueError(f"Invalid start_factor: {start_factor!r}. start_factor must be in (0, 1]")
        if isinstance(end_factor, bool) or not isinstance(end_factor, (int, float)) or not 0 <= end_factor <= 1:
            raise ValueError(f"Invalid end_factor: {end_factor!r}. end_factor must be in [0, 1]")
        _check_int("total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at each of ``milestones`` (e.g. warmup, then cosine)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler")
        for index, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"SequentialLR: schedulers[{index}] is a {type(scheduler).__name__}, not a scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{index}] ({type(scheduler).__name__}) belongs to "
                                 "another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        for milestone in milestones:
            _check_int("milestone", milestone, 1)
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR milestones must be strictly increasing, got {milestones}")
        self.optimizer = optimizer
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        # Each scheduler's constructor took a step; undo them and start the first one afresh, as torch does.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler.last_epoch -= 1
        index = bisect_right(milestones, 0)
        schedulers[index]._initial_step()
        self._last_lr = schedulers[index].get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # its first step starts now
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(copy.deepcopy(state))
        for scheduler, scheduler_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(scheduler_state)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up from ``max_lr / div_factor`` to ``max_lr``, then anneal far below the start.

    Momentum (SGD's ``momentum`` or Adam's ``beta1``) moves the opposite way
    between ``max_momentum`` and ``base_momentum`` when ``cycle_momentum``.
    Call ``step()`` once per batch; stepping past ``total_steps`` is an error.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            _check_int("total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            _check_int("epochs", epochs, 1)
            _check_int("steps_per_epoch", steps_per_epoch, 1)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if isinstance(pct_start, bool) or not isinstance(pct_start, (int, float)) or not 0 <= pct_start <= 1:
            raise ValueError(f"Invalid pct_start: {pct_start!r}. pct_start must be in [0, 1]")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"Invalid anneal_strategy: {anneal_strategy!r}. Use 'cos' or 'linear'")
        _check_positive("div_factor", div_factor)
        _check_positive("final_div_factor", final_div_factor)
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        warmup_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                {"end_step": warmup_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": warmup_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        for value in max_lrs:
            _check_positive("max_lr", value)
        if last_epoch == -1:
            for group, group_max_lr in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = group_max_lr / div_factor
                group["max_lr"] = group_max_lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"cycle_momentum=True needs an optimizer with momentum or betas; "
                                 f"{type(optimizer).__name__} has neither: pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            max_momenta = _per_group("max_momentum", optimizer, max_momentum)
            base_momenta = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, max_momenta, base_momenta):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _phase_values(self, group):
        """The (lr, momentum) of ``group`` at step ``last_epoch``."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR was stepped {step} times, but total_steps is {self.total_steps}: "
                             "create it with the number of batches you will train for")
        start_step = 0.0
        for index, phase in enumerate(self._schedule_phases):
            end_step = phase["end_step"]
            if step <= end_step or index == len(self._schedule_phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                momentum = None
                if self.cycle_momentum:
                    momentum = self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                return lr, momentum
            start_step = end_step

    def get_lr(self):
        return [self._phase_values(group)[0] for group in self.optimizer.param_groups]

    def _apply_lrs(self):
        for group in self.optimizer.param_groups:
            lr, momentum = self._phase_values(group)
            group["lr"] = lr
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


# ---------------------------------------------------------------------- Hugging Face's schedules
class _LinearWarmupDecay:
    """The lr factor of ``get_linear_schedule_with_warmup`` (a class so its settings are saved)."""

    def __init__(self, num_warmup_steps, num_training_steps):
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps

    def __call__(self, step):
        if step < self.num_warmup_steps:
            return float(step) / float(max(1, self.num_warmup_steps))
        return max(0.0, float(self.num_training_steps - step)
                   / float(max(1, self.num_training_steps - self.num_warmup_steps)))


class _CosineWarmupDecay:
    """The lr factor of ``get_cosine_schedule_with_warmup``."""

    def __init__(self, num_warmup_steps, num_training_steps, num_cycles):
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        self.num_cycles = num_cycles

    def __call__(self, step):
        if step < self.num_warmup_steps:
            return float(step) / float(max(1, self.num_warmup_steps))
        progress = float(step - self.num_warmup_steps) / float(max(1, self.num_training_steps - self.num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(self.num_cycles) * 2.0 * progress)))


def _check_warmup(num_warmup_steps, num_training_steps):
    _check_int("num_training_steps", num_training_steps, 1)
    _check_int("num_warmup_steps", num_warmup_steps, 0)
    if num_warmup_steps > num_training_steps:
        raise ValueError(f"num_warmup_steps ({num_warmup_steps}) is larger than num_training_steps "
                         f"({num_training_steps}): warmup is usually 5-10% of training")


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    """Hugging Face's schedule: lr rises linearly from 0 to the optimizer's lr over ``num_warmup_steps``,
    then falls linearly to 0 at ``num_training_steps`` (the lr of step 0 is 0)."""
    _check_warmup(num_warmup_steps, num_training_steps)
    return LambdaLR(optimizer, _LinearWarmupDecay(num_warmup_steps, num_training_steps), last_epoch)


def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1):
    """Hugging Face's schedule: linear warmup from 0, then a cosine from the optimizer's lr down to 0
    (``num_cycles=0.5``: half a cosine over the remaining steps)."""
    _check_warmup(num_warmup_steps, num_training_steps)
    _check_positive("num_cycles", num_cycles)
    return LambdaLR(optimizer, _CosineWarmupDecay(num_warmup_steps, num_training_steps, num_cycles), last_epoch)
