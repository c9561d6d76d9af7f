"""``Optimizer``: the base class every optimizer shares, as torch.optim.Optimizer.

An optimizer holds ``param_groups`` (a list of dicts: the group's tensors under
``"params"`` and its hyperparameters, ``"lr"`` included, which schedulers and
users may change between steps) and ``state`` (a dict from each parameter to its
own buffers, filled on its first step). ``step()`` loops over the parameters that
have a gradient and calls the update rule from :mod:`minigrad.optim.functional`.
"""
import math
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from .. import backend
from ..tensor import Tensor


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, or of dicts each holding ``"params"``
    and any hyperparameters that differ from ``defaults`` for that group.
    Subclasses set ``update_rule`` (a function of :mod:`~minigrad.optim.functional`)
    and may override ``_check_hyperparameters`` and ``_state_names``.
    """

    update_rule = None

    def __init__(self, params, defaults):
        self._check_hyperparameters(defaults)
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)  # keyed by the tensor itself (tensors hash by identity)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params should be an iterable of Tensors or of dicts, but got a single Tensor: "
                "wrap it in a list, e.g. SGD([weight], lr=0.1)"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a list or a generator), not a set: "
                            "the order of a set changes between runs, and state_dict() relies on it")
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters, e.g. a new layer to train or one with its own lr."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError("a param group must hold its tensors under the key 'params'")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a param group's 'params' must be an ordered collection (a list), not a set")
        params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize minigrad Tensors, but param {index} of this group "
                                f"is a {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (param {index} of this group): "
                                 "optimize the leaf weights, or .detach() it and set requires_grad=True")
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters (the same tensor twice): "
                          "it is updated twice per step. PyTorch warns the same and will make it an error; "
                          "list each tensor once", UserWarning, stacklevel=3)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        seen = {id(p) for other in self.param_groups for p in other["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise ValueError naming any hyperparameter outside its allowed range."""
        check_at_least("lr", group.get("lr", 0.0), 0.0)

    def _hyper(self, group, names):
        """The group's hyperparameters for the update rule; a tensor lr is read as a NumPy scalar of its
        dtype, so that (as in torch) a float32 lr keeps float32 arithmetic where the rule divides it."""
        hyper = {name: group[name] for name in names}
        lr = hyper.get("lr")
        if isinstance(lr, Tensor):
            hyper["lr"] = backend.to_numpy(lr.data).reshape(())[()]
        return hyper

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set ``.grad`` to None, or fill it with zeros)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; skip those whose ``.grad`` is None.

        ``closure``, if given, re-evaluates the model and returns the loss; it
        is called first and its loss is returned.
        """
        loss = closure() if closure is not None else None
        rule = self.update_rule
        if rule is None:
            raise NotImplementedError(f"{type(self).__name__} must set update_rule or override step()")
        hyper_names = tuple(self.defaults)
        for group in self.param_groups:
            hyper = self._hyper(group, hyper_names)
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                data = param.data
                if grad.shape != data.shape:
                    raise ValueError(f"a parameter of shape {data.shape} has a gradient of shape {grad.shape}")
                rule(data, grad, self.state[param], **hyper)
        return loss

    # ------------------------------------------------------------------ state
    def _state_names(self, group):
        """The state entries a parameter of ``group`` holds after its first step."""
        return None  # unknown: not checked on load

    def state_dict(self):
        """A copy of the optimizer's state, made of NumPy arrays and plain numbers.

        ``{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [indices]}]}``,
        the parameters numbered in the order of ``param_groups`` exactly as torch numbers them
        (each group's numbers start after the previous group's entries; a tensor listed twice in a
        group takes the number of its last place). Arrays are copies on the CPU, so a checkpoint can
        be written as ``.npz``; a tensor ``lr`` is saved as its number.
        """
        index_of = {}
        param_groups = []
        start = 0
        for group in self.param_groups:
            packed = {name: value for name, value in group.items() if name != "params"}
            if isinstance(packed.get("lr"), Tensor):
                packed["lr"] = packed["lr"].item()
            # torch's numbering to the letter: within a group a tensor listed twice takes its last position
            index_of.update({id(param): position for position, param in enumerate(group["params"], start)
                             if id(param) not in index_of})
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            start += len(packed["params"])
            param_groups.append(packed)
        state = {}
        for param, param_state in self.state.items():
            if param_state and id(param) in index_of:
                state[index_of[id(param)]] = {
                    name: backend.to_numpy(value).copy() if hasattr(value, "shape") else value
                    for name, value in param_state.items()
                }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; group counts, sizes, state names and shapes must match."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state dict needs the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        # saved numbers -> this optimizer's tensors, group by group and position by position (as torch)
        param_of = dict(zip(chain.from_iterable(saved["params"] for saved in saved_groups),
                            chain.from_iterable(group["params"] for group in self.param_groups)))
        new_groups = []
        for g, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {g} has {len(group['params'])} parameters, "
                                 f"the loaded one has {len(saved['params'])}")
            missing = sorted(set(self.defaults) - set(saved) - _ADDED_LATER)
            if missing:
                raise ValueError(f"loaded parameter group {g} lacks the hyperparameters {missing} that "
                                 f"{type(self).__name__} needs: was it saved from another optimizer?")
            new_group = {name: _to_python(value) for name, value in saved.items() if name != "params"}
            for name, default in self.defaults.items():  # a checkpoint from before a new option (maximize)
                new_group.setdefault(name, default)
            new_group["params"] = group["params"]
            self._check_hyperparameters(new_group)
            new_groups.append(new_group)
        group_of_index = {}
        for saved, group in zip(saved_groups, new_groups):
            for index in saved["params"]:
                group_of_index[int(index)] = group
        param_of = {int(index): param for index, param in param_of.items()}
        new_state = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            index = int(key)
            if index not in param_of:
                raise ValueError(f"loaded state refers to parameter {index}, but the loaded param_groups number "
                                 f"their parameters {sorted(param_of)}")
            param = param_of[index]
            expected = self._state_names(group_of_index[index])
            if expected is not None and set(saved_state) != expected:
                raise ValueError(
                    f"state of parameter {index} holds {sorted(saved_state)}, but {type(self).__name__} with these "
                    f"hyperparameters keeps {sorted(expected)}: was it saved from another optimizer or setting?")
            restored = {}
            for name, value in saved_state.items():
                if np.ndim(value) == 0:
                    restored[name] = _to_python(value)
                    continue
                if not hasattr(value, "shape"):
                    value = np.asarray(value)
                if tuple(value.shape) != tuple(param.shape):
                    raise ValueError(f"state '{name}' of parameter {index} has shape {tuple(value.shape)}, "
                                     f"the parameter has shape {tuple(param.shape)}")
                xp = backend.array_module(param.data)
                restored[name] = xp.array(backend.to_device(value, param.device), dtype=param.dtype, copy=True)
            new_state[param] = restored
        for group, new_group in zip(self.param_groups, new_groups):
            if isinstance(group.get("lr"), Tensor):  # a tensor lr stays that tensor, with the loaded value
                group["lr"].data[...] = _value_of(new_group["lr"])
                new_group["lr"] = group["lr"]
        self.param_groups[:] = new_groups
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for name in sorted(group):
                if name != "params":
                    lines.append(f"    {name}: {group[name]}")
        lines.append(")")
        return "\n".join(lines)


# Options added after checkpoints were written: a saved group without them gets the default.
_ADDED_LATER = {"maximize"}


def _value_of(value):
    return value.item() if isinstance(value, Tensor) else value


def _to_python(value):
    """Turn NumPy scalars and small arrays read back from a checkpoint into Python numbers and tuples."""
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else tuple(v.item() for v in value.ravel())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return tuple(value)
    return value


# ---------------------------------------------------------------------- checks
def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_at_least(name, value, low):
    if isinstance(value, Tensor) and value.numel() == 1:  # lr may be a 0-d tensor, as in torch
        value = value.item()
    if not _is_number(value) or not value >= low or math.isinf(value):  # `not >=` also rejects NaN
        raise ValueError(f"Invalid {name}: {value!r}. {name} must be a finite number >= {low}")


def check_in_range(name, value, low, high, high_inclusive=False):
    inside = _is_number(value) and low <= value and (value <= high if high_inclusive else value < high)
    if not inside:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(f"Invalid {name}: {value!r}. {name} must be in [{low}, {high}{bracket}")


def check_betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r}. betas must be a pair (beta1, beta2), each in [0, 1)")
    check_in_range("betas[0]", betas[0], 0.0, 1.0)
    check_in_range("betas[1]", betas[1], 0.0, 1.0)
