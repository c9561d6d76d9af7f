"""Write tests/fixtures/torch_optim.npz: what torch.optim does, for tests that must not need torch.

Run by hand from the repository root, with torch==2.13.0 in a virtualenv of its own
(never in .venv: the tests and benchmarks behave differently when torch is importable)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    PYTHONPATH=. /tmp/torchenv/bin/python tools/make_torch_fixtures_optim.py

Contents (all float64; the configurations are stored as JSON strings so the
tests rebuild exactly what was run here):

* ``problem/*``: a small least-squares problem with a quartic penalty,
  ``loss(W, c) = mean((X W + c − Y)²) + 0.1 Σ W⁴``, and its starting point.
* ``optim/configs`` and ``optim/<case>/W``, ``optim/<case>/c``: 101-point
  trajectories (the start and 100 steps) of every optimizer and option. With
  ``maximize`` the objective is the negated loss (so the path still converges); a
  ``lr_as_tensor`` case passes ``lr`` as a 0-d tensor.
* ``statedict/numbering``: how torch numbers parameters in ``state_dict()`` when a
  group lists a tensor twice (JSON).
* ``sched/configs`` and ``sched/<case>/lr`` (steps × groups) and, for
  OneCycleLR, ``sched/<case>/momentum``: the lr after construction and after
  each ``step()``. Hugging Face's warmup schedules are written with LambdaLR
  and the formulas of transformers' ``optimization.py``. ``Stacked`` is several
  schedulers stepped one after another on one optimizer (PyTorch's way to add a
  warmup); ReduceLROnPlateau is stepped with the spec's ``metrics``; with
  ``resume_at`` the run saves both state dicts after that many steps, builds a
  fresh optimizer and scheduler, loads them and goes on.
* ``clip/*``: two gradients and what ``clip_grad_norm_`` makes of them (total
  norm and clipped gradients) for norms 2, 1 and inf and two thresholds.
"""
import copy
import json
import math
import os
import sys
import warnings

import numpy as np
import torch
from minigrad.utils.files import atomic_write

STEPS = 100
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_optim.npz")

# name -> (optimizer class, kwargs, param groups or None). Param groups give per-group kwargs for W and c.
OPTIM_CASES = {
    "SGD_defaults": ("SGD", {}, None),
    "SGD_plain": ("SGD", {"lr": 0.05}, None),
    "SGD_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, None),
    "SGD_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, None),
    "SGD_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None),
    "SGD_weight_decay": ("SGD", {"lr": 0.05, "weight_decay": 0.1}, None),
    "SGD_nesterov_weight_decay": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
                                  None),
    "SGD_groups": ("SGD", {"lr": 0.05, "momentum": 0.9}, [{"lr": 0.01}, {"lr": 0.1, "momentum": 0.5}]),
    "Adagrad_defaults": ("Adagrad", {}, None),
    "Adagrad_lr": ("Adagrad", {"lr": 0.2}, None),
    "Adagrad_lr_decay": ("Adagrad", {"lr": 0.2, "lr_decay": 0.05}, None),
    "Adagrad_weight_decay": ("Adagrad", {"lr": 0.2, "weight_decay": 0.1}, None),
    "Adagrad_initial_accumulator": ("Adagrad", {"lr": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-3}, None),
    "RMSprop_defaults": ("RMSprop", {}, None),
    "RMSprop_alpha": ("RMSprop", {"lr": 0.01, "alpha": 0.9}, None),
    "RMSprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}, None),
    "RMSprop_momentum": ("RMSprop", {"lr": 0.005, "momentum": 0.9}, None),
    "RMSprop_all": ("RMSprop", {"lr": 0.005, "alpha": 0.95, "eps": 1e-6, "momentum": 0.5, "centered": True,
                                "weight_decay": 0.1}, None),
    "Adam_defaults": ("Adam", {}, None),
    "Adam_lr": ("Adam", {"lr": 0.05}, None),
    "Adam_betas": ("Adam", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6}, None),
    "Adam_l2": ("Adam", {"lr": 0.05, "weight_decay": 0.5}, None),
    "Adam_amsgrad": ("Adam", {"lr": 0.05, "amsgrad": True}, None),
    "Adam_groups": ("Adam", {"lr": 0.05}, [{"lr": 0.01}, {"weight_decay": 0.1}]),
    "AdamW_defaults": ("AdamW", {}, None),
    "AdamW_decay": ("AdamW", {"lr": 0.05, "weight_decay": 0.5}, None),
    "AdamW_amsgrad": ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, None),
    "SGD_maximize": ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}, None),
    "Adagrad_maximize": ("Adagrad", {"lr": 0.2, "weight_decay": 0.1, "maximize": True}, None),
    "RMSprop_maximize": ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1,
                                     "maximize": True}, None),
    "Adam_maximize": ("Adam", {"lr": 0.05, "weight_decay": 0.5, "maximize": True}, None),
    "AdamW_maximize": ("AdamW", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "maximize": True}, None),
    "SGD_lr_tensor": ("SGD", {"lr": 0.05, "momentum": 0.9, "lr_as_tensor": True}, None),
    "Adam_lr_tensor": ("Adam", {"lr": 0.05, "lr_as_tensor": True}, None),
}

# LambdaLR needs a function: the tests define the same ones under the same names.
LAMBDAS = {"inverse_time": lambda step: 1.0 / (1.0 + 0.1 * step), "half_every_10": lambda step: 0.5 ** (step // 10),
           "shrink_5_percent": lambda step: 0.95}

# name -> (optimizer kwargs list per group, scheduler spec, steps)
SCHED_CASES = {
    "LambdaLR": ("SGD", [0.1], {"type": "LambdaLR", "lr_lambda": "inverse_time"}, 40),
    "LambdaLR_per_group": ("SGD", [0.1, 0.02], {"type": "LambdaLR", "lr_lambda": ["inverse_time", "half_every_10"]},
                           40),
    "StepLR": ("SGD", [0.1], {"type": "StepLR", "step_size": 7, "gamma": 0.5}, 60),
    "MultiStepLR": ("SGD", [0.1], {"type": "MultiStepLR", "milestones": [10, 25, 25, 40], "gamma": 0.3}, 60),
    "ExponentialLR": ("SGD", [0.1], {"type": "ExponentialLR", "gamma": 0.95}, 100),
    "CosineAnnealingLR": ("SGD", [0.1], {"type": "CosineAnnealingLR", "T_max": 20, "eta_min": 0.001}, 70),
    "CosineAnnealingLR_groups": ("SGD", [0.1, 0.5], {"type": "CosineAnnealingLR", "T_max": 30}, 30),
    "LinearLR_warmup": ("SGD", [0.1], {"type": "LinearLR", "start_factor": 0.25, "total_iters": 10}, 30),
    "LinearLR_decay": ("SGD", [0.1], {"type": "LinearLR", "start_factor": 1.0, "end_factor": 0.1,
                                      "total_iters": 20}, 30),
    "SequentialLR_warmup_cosine": ("SGD", [0.1], {
        "type": "SequentialLR", "milestones": [5],
        "schedulers": [{"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
                       {"type": "CosineAnnealingLR", "T_max": 30}]}, 40),
    "SequentialLR_three": ("SGD", [0.1, 0.05], {
        "type": "SequentialLR", "milestones": [5, 20],
        "schedulers": [{"type": "LinearLR", "start_factor": 0.2, "total_iters": 5},
                       {"type": "ExponentialLR", "gamma": 0.9},
                       {"type": "StepLR", "step_size": 5, "gamma": 0.5}]}, 40),
    "OneCycleLR_cos_sgd": ("SGD_momentum", [0.1], {"type": "OneCycleLR", "max_lr": 1.0, "total_steps": 50}, 50),
    "OneCycleLR_linear_adam": ("Adam", [0.001], {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 40,
                                                  "anneal_strategy": "linear", "pct_start": 0.25}, 40),
    "OneCycleLR_three_phase": ("SGD_momentum", [0.1, 0.1], {
        "type": "OneCycleLR", "max_lr": [1.0, 0.5], "epochs": 5, "steps_per_epoch": 9, "three_phase": True,
        "div_factor": 10.0, "final_div_factor": 100.0}, 44),
    "OneCycleLR_no_momentum": ("SGD", [0.1], {"type": "OneCycleLR", "max_lr": 0.3, "total_steps": 30,
                                              "cycle_momentum": False}, 29),
    "hf_linear_warmup": ("AdamW", [2e-5], {"type": "hf_linear", "num_warmup_steps": 10, "num_training_steps": 60},
                         70),
    "hf_linear_no_warmup": ("AdamW", [2e-5], {"type": "hf_linear", "num_warmup_steps": 0,
                                              "num_training_steps": 30}, 30),
    "hf_cosine_warmup": ("AdamW", [2e-5], {"type": "hf_cosine", "num_warmup_steps": 10, "num_training_steps": 60},
                         70),
    "hf_cosine_two_cycles": ("AdamW", [1e-4], {"type": "hf_cosine", "num_warmup_steps": 5,
                                               "num_training_steps": 45, "num_cycles": 2.0}, 45),
    # the chainable schedules, alone, stacked, chained and resumed
    "ConstantLR": ("SGD", [0.1], {"type": "ConstantLR", "factor": 0.25, "total_iters": 4}, 10),
    "PolynomialLR": ("SGD", [0.1, 0.3], {"type": "PolynomialLR", "total_iters": 8, "power": 2.0}, 12),
    "MultiplicativeLR": ("SGD", [0.1], {"type": "MultiplicativeLR", "lr_lambda": "shrink_5_percent"}, 20),
    "CosineAnnealingLR_past_T_max": ("SGD", [0.1], {"type": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.01}, 25),
    "stacked_linear_warmup_cosine": ("SGD", [0.05], {"type": "Stacked", "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
        {"type": "CosineAnnealingLR", "T_max": 30}]}, 40),
    "stacked_step_linear": ("SGD", [0.1], {"type": "Stacked", "schedulers": [
        {"type": "StepLR", "step_size": 3, "gamma": 0.5},
        {"type": "LinearLR", "start_factor": 0.2, "total_iters": 6}]}, 15),
    "stacked_three": ("Adam", [0.01, 0.003], {"type": "Stacked", "schedulers": [
        {"type": "ExponentialLR", "gamma": 0.9},
        {"type": "ConstantLR", "factor": 0.5, "total_iters": 3},
        {"type": "MultiStepLR", "milestones": [4, 8], "gamma": 0.5}]}, 12),
    "ChainedScheduler_warmup_cosine": ("SGD", [0.05], {"type": "ChainedScheduler", "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
        {"type": "CosineAnnealingLR", "T_max": 30}]}, 40),
    "ChainedScheduler_groups": ("SGD", [0.1, 0.02], {"type": "ChainedScheduler", "schedulers": [
        {"type": "ConstantLR", "factor": 0.5, "total_iters": 2},
        {"type": "PolynomialLR", "total_iters": 6, "power": 1.5}]}, 10),
    "SequentialLR_constant_polynomial": ("SGD", [0.1], {
        "type": "SequentialLR", "milestones": [4],
        "schedulers": [{"type": "ConstantLR", "factor": 0.5, "total_iters": 4},
                       {"type": "PolynomialLR", "total_iters": 10}]}, 16),
    "ReduceLROnPlateau_min": ("SGD", [0.1], {
        "type": "ReduceLROnPlateau", "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.002,
        "metrics": [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4999, 0.5, 0.5,
                    0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}, 22),
    "ReduceLROnPlateau_max_abs": ("Adam", [0.1, 0.02], {
        "type": "ReduceLROnPlateau", "mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05,
        "threshold_mode": "abs", "min_lr": [0.005, 0.001],
        "metrics": [0.1, 0.2, 0.22, 0.24, 0.5, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58]}, 12),
    "resume_StepLR": ("SGD", [0.1], {"type": "StepLR", "step_size": 3, "gamma": 0.5, "resume_at": 7}, 15),
    "resume_CosineAnnealingLR": ("SGD", [0.1], {"type": "CosineAnnealingLR", "T_max": 12, "eta_min": 0.001,
                                                "resume_at": 5}, 20),
    "resume_stacked": ("SGD", [0.05], {"type": "Stacked", "resume_at": 3, "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
        {"type": "CosineAnnealingLR", "T_max": 20}]}, 20),
    "resume_ChainedScheduler": ("SGD", [0.05], {"type": "ChainedScheduler", "resume_at": 4, "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
        {"type": "ExponentialLR", "gamma": 0.9}]}, 15),
    "resume_SequentialLR": ("SGD", [0.1], {
        "type": "SequentialLR", "milestones": [5], "resume_at": 7,
        "schedulers": [{"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
                       {"type": "PolynomialLR", "total_iters": 10, "power": 2.0}]}, 18),
    "resume_ReduceLROnPlateau": ("SGD", [0.1], {
        "type": "ReduceLROnPlateau", "factor": 0.5, "patience": 1, "cooldown": 2, "resume_at": 4,
        "metrics": [1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]}, 12),
}


def hf_linear(num_warmup_steps, num_training_steps):
    """transformers.optimization._get_linear_schedule_with_warmup_lr_lambda."""
    def factor(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step)
                   / float(max(1, num_training_steps - num_warmup_steps)))
    return factor


def hf_cosine(num_warmup_steps, num_training_steps, num_cycles=0.5):
    """transformers.optimization._get_cosine_schedule_with_warmup_lr_lambda."""
    def factor(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return factor


def make_problem():
    rng = np.random.default_rng(20240613)
    return {"X": rng.normal(size=(8, 2)), "Y": rng.normal(size=(8, 2)),
            "W0": rng.normal(size=(2, 2)), "c0": rng.normal(size=2)}


def run_optimizer(problem, name, kwargs, groups):
    X, Y = torch.tensor(problem["X"]), torch.tensor(problem["Y"])
    W = torch.tensor(problem["W0"], requires_grad=True)
    c = torch.tensor(problem["c0"], requires_grad=True)
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    if kwargs.pop("lr_as_tensor", False):
        kwargs["lr"] = torch.tensor(kwargs["lr"])  # float32, as torch.tensor(0.05) is
    sign = -1.0 if kwargs.get("maximize") else 1.0  # maximize the negated loss: the same valley
    params = [W, c] if groups is None else [{"params": [W], **groups[0]}, {"params": [c], **groups[1]}]
    optimizer = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    Ws, cs = [W.detach().clone().numpy()], [c.detach().clone().numpy()]
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = sign * (((X @ W + c - Y) ** 2).mean() + 0.1 * (W ** 4).sum())
        loss.backward()
        optimizer.step()
        Ws.append(W.detach().clone().numpy())
        cs.append(c.detach().clone().numpy())
    return np.stack(Ws), np.stack(cs)


class Stacked:
    """Several schedulers stepped one after another on one optimizer (not a class of torch: the idiom)."""

    def __init__(self, schedulers):
        self.schedulers = schedulers

    def step(self):
        for scheduler in self.schedulers:
            scheduler.step()

    def get_last_lr(self):
        return self.schedulers[-1].get_last_lr()

    def state_dict(self):
        return [scheduler.state_dict() for scheduler in self.schedulers]

    def load_state_dict(self, states):
        for scheduler, state in zip(self.schedulers, states):
            scheduler.load_state_dict(state)


def build_scheduler(optimizer, spec):
    spec = {k: v for k, v in spec.items() if k not in ("metrics", "resume_at")}
    kind = spec.pop("type")
    S = torch.optim.lr_scheduler
    if kind in ("LambdaLR", "MultiplicativeLR"):
        fns = spec["lr_lambda"]
        return getattr(S, kind)(optimizer, [LAMBDAS[f] for f in fns] if isinstance(fns, list) else LAMBDAS[fns])
    if kind == "SequentialLR":
        children = [build_scheduler(optimizer, child) for child in spec["schedulers"]]
        return S.SequentialLR(optimizer, children, milestones=spec["milestones"])
    if kind == "ChainedScheduler":
        return S.ChainedScheduler([build_scheduler(optimizer, child) for child in spec["schedulers"]], optimizer)
    if kind == "Stacked":
        return Stacked([build_scheduler(optimizer, child) for child in spec["schedulers"]])
    if kind == "hf_linear":
        return S.LambdaLR(optimizer, hf_linear(**spec))
    if kind == "hf_cosine":
        return S.LambdaLR(optimizer, hf_cosine(**spec))
    return getattr(S, kind)(optimizer, **spec)


def make_optimizer(optimizer_name, lrs):
    params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    if optimizer_name == "SGD_momentum":
        return torch.optim.SGD(params, momentum=0.9)
    return getattr(torch.optim, optimizer_name)(params)


def run_scheduler(optimizer_name, lrs, spec, steps):
    optimizer = make_optimizer(optimizer_name, lrs)
    scheduler = build_scheduler(optimizer, spec)
    metrics = spec.get("metrics")
    momentum_key = "betas" if "betas" in optimizer.defaults else "momentum"

    def momenta():
        return [g[momentum_key][0] if momentum_key == "betas" else g[momentum_key] for g in optimizer.param_groups]

    lr_rows, momentum_rows = [scheduler.get_last_lr()], [momenta()]
    for step in range(steps):
        if step == spec.get("resume_at"):  # save, rebuild, load: the schedule must go on as if nothing happened
            saved_optimizer, saved_scheduler = copy.deepcopy(optimizer.state_dict()), copy.deepcopy(
                scheduler.state_dict())
            optimizer = make_optimizer(optimizer_name, lrs)
            scheduler = build_scheduler(optimizer, spec)
            optimizer.load_state_dict(saved_optimizer)
            scheduler.load_state_dict(saved_scheduler)
        optimizer.step()  # no gradients: nothing moves, but torch's ordering check is satisfied
        scheduler.step(metrics[step]) if metrics is not None else scheduler.step()
        lr_rows.append(scheduler.get_last_lr())
        momentum_rows.append(momenta())
    return np.array(lr_rows, dtype=np.float64), np.array(momentum_rows, dtype=np.float64)


def numbering_cases():
    """torch's state_dict numbering when a group lists a tensor twice (torch warns, and allows it)."""
    a, b, c = (torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in (2, 3, 1))
    cases = {
        "SGD": (torch.optim.SGD, [{"params": [a, b, a]}, {"params": [c]}], {"lr": 0.1, "momentum": 0.9}),
        "Adam": (torch.optim.Adam, [{"params": [a]}, {"params": [b, c, b, c]}], {"lr": 0.1}),
        "plain": (torch.optim.Adam, [{"params": [a, b]}, {"params": [c]}], {"lr": 0.1}),
    }
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (cls, groups, kwargs) in cases.items():
            optimizer = cls(groups, foreach=False, **kwargs)
            for p in (a, b, c):
                p.grad = torch.ones_like(p)
            optimizer.step()
            saved = optimizer.state_dict()
            out[name] = {"params": [g["params"] for g in saved["param_groups"]], "state": sorted(saved["state"])}
    return out


def clip_cases():
    """torch.nn.utils.clip_grad_norm_ on two float64 gradients, for several norms and thresholds."""
    rng = np.random.default_rng(7)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5) * 3.0]
    arrays = {"clip/grad0": grads[0], "clip/grad1": grads[1]}
    for norm_type in (2.0, 1.0, float("inf")):
        for max_norm in (0.5, 100.0):
            params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
            for param, grad in zip(params, grads):
                param.grad = torch.tensor(grad)
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
            key = f"clip/{norm_type}/{max_norm}"
            arrays[f"{key}/total"] = np.array(total.item())
            arrays[f"{key}/grad0"], arrays[f"{key}/grad1"] = (p.grad.numpy() for p in params)
    return arrays


def main():
    if torch.__version__.split("+")[0] != "2.13.0":
        sys.exit(f"this fixture is defined against torch 2.13.0, found {torch.__version__}")
    torch.manual_seed(0)
    problem = make_problem()
    arrays = {f"problem/{k}": v for k, v in problem.items()}
    arrays["problem/steps"] = np.array(STEPS)
    for case, (name, kwargs, groups) in OPTIM_CASES.items():
        arrays[f"optim/{case}/W"], arrays[f"optim/{case}/c"] = run_optimizer(problem, name, kwargs, groups)
    arrays["optim/configs"] = np.array(json.dumps(OPTIM_CASES))
    for case, (optimizer_name, lrs, spec, steps) in SCHED_CASES.items():
        lr, momentum = run_scheduler(optimizer_name, lrs, spec, steps)
        arrays[f"sched/{case}/lr"] = lr
        if spec["type"] == "OneCycleLR":
            arrays[f"sched/{case}/momentum"] = momentum
    arrays.update(clip_cases())
    arrays["statedict/numbering"] = np.array(json.dumps(numbering_cases()))
    arrays["sched/configs"] = np.array(json.dumps(SCHED_CASES))
    arrays["torch_version"] = np.array(torch.__version__)
    out = os.path.abspath(OUT)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with atomic_write(out) as f:
        np.savez_compressed(f, **arrays)
    print(f"wrote {out}: {len(arrays)} arrays, {os.path.getsize(out) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
