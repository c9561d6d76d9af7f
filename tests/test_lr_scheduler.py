"""Learning-rate schedules against torch.optim.lr_scheduler (stored fixture) and Hugging Face's formulas."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, Adam, AdamW
from minigrad.optim import lr_scheduler as S

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.npz"
SCHED_CASES = json.loads(str(np.load(FIXTURE, allow_pickle=False)["sched/configs"]))
# The same functions as tools/make_torch_fixtures_optim.py, under the same names.
LAMBDAS = {"inverse_time": lambda step: 1.0 / (1.0 + 0.1 * step), "half_every_10": lambda step: 0.5 ** (step // 10)}


@pytest.fixture(scope="module")
def torch_runs():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def make_optimizer(name, lrs):
    params = [{"params": [mg.tensor([0.0], requires_grad=True)], "lr": lr} for lr in lrs]
    if name == "SGD_momentum":
        return SGD(params, momentum=0.9)
    return {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[name](params)


def build(optimizer, spec):
    spec = dict(spec)
    kind = spec.pop("type")
    if kind == "LambdaLR":
        fns = spec["lr_lambda"]
        return S.LambdaLR(optimizer, [LAMBDAS[f] for f in fns] if isinstance(fns, list) else LAMBDAS[fns])
    if kind == "SequentialLR":
        children = [build(optimizer, child) for child in spec["schedulers"]]
        return S.SequentialLR(optimizer, children, milestones=spec["milestones"])
    if kind == "hf_linear":
        return S.get_linear_schedule_with_warmup(optimizer, **spec)
    if kind == "hf_cosine":
        return S.get_cosine_schedule_with_warmup(optimizer, **spec)
    return getattr(S, kind)(optimizer, **spec)


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


@pytest.mark.parametrize("case", sorted(SCHED_CASES))
def test_schedule_matches_torch(torch_runs, case):
    optimizer_name, lrs, spec, steps = SCHED_CASES[case]
    optimizer = make_optimizer(optimizer_name, lrs)
    scheduler = build(optimizer, spec)
    lr_rows, momentum_rows = [scheduler.get_last_lr()], [momenta(optimizer)]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lr_rows.append(scheduler.get_last_lr())
        momentum_rows.append(momenta(optimizer))
    expected = torch_runs[f"sched/{case}/lr"]
    assert len(np.unique(expected)) > 2  # the schedule really moves
    np.testing.assert_allclose(lr_rows, expected, rtol=1e-6, atol=1e-12 * max(lrs))
    assert [g["lr"] for g in optimizer.param_groups] == lr_rows[-1]
    if f"sched/{case}/momentum" in torch_runs:
        np.testing.assert_allclose(momentum_rows, torch_runs[f"sched/{case}/momentum"], rtol=1e-6)


def fresh(lr=0.1, cls=SGD, **kwargs):
    return cls([mg.tensor([0.0], requires_grad=True)], lr=lr, **kwargs)


def lrs_of(scheduler, steps):
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


def test_construction_sets_initial_lr_and_step_zero():
    optimizer = fresh(0.1)
    scheduler = S.LinearLR(optimizer, start_factor=0.5, total_iters=4)
    assert optimizer.param_groups[0]["initial_lr"] == 0.1
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05) and scheduler.last_epoch == 0
    scheduler = S.get_linear_schedule_with_warmup(fresh(0.1), num_warmup_steps=5, num_training_steps=10)
    assert scheduler.get_last_lr() == [0.0]  # HF: the first step runs at lr 0


def test_hf_linear_schedule_values():
    values = lrs_of(S.get_linear_schedule_with_warmup(fresh(1.0), 2, 6), 8)
    np.testing.assert_allclose(values, [0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0])


def test_hf_cosine_schedule_values():
    values = lrs_of(S.get_cosine_schedule_with_warmup(fresh(1.0), 2, 6), 6)
    expected = [0.0, 0.5] + [0.5 * (1 + math.cos(math.pi * k / 4)) for k in range(5)]
    np.testing.assert_allclose(values, expected, atol=1e-15)


def test_get_last_lr_is_a_copy():
    scheduler = S.StepLR(fresh(), step_size=2)
    scheduler.get_last_lr().append(1.0)
    assert len(scheduler.get_last_lr()) == 1


def test_one_cycle_refuses_to_step_past_total_steps():
    scheduler = S.OneCycleLR(fresh(), max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="stepped 4 times, but total_steps is 3"):
        scheduler.step()


def test_one_cycle_needs_momentum_to_cycle_it():
    from minigrad.optim import Adagrad
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        S.OneCycleLR(fresh(cls=Adagrad), max_lr=1.0, total_steps=10)
    S.OneCycleLR(fresh(cls=Adagrad), max_lr=1.0, total_steps=10, cycle_momentum=False)


def test_cosine_continues_past_t_max_like_torch():
    values = lrs_of(S.CosineAnnealingLR(fresh(1.0), T_max=4), 8)
    np.testing.assert_allclose(values[4], 0.0, atol=1e-15)
    np.testing.assert_allclose(values[8], 1.0)  # a full period later the lr is back up


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=3, gamma=0.5),
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=4), S.ExponentialLR(o, 0.9)], milestones=[4]),
    lambda o: S.get_cosine_schedule_with_warmup(o, 3, 20),
])
def test_state_dict_round_trip_resumes_the_schedule(make):
    optimizer = fresh(0.2, momentum=0.9)
    scheduler = make(optimizer)
    lrs_of(scheduler, 7)
    saved_opt, saved = optimizer.state_dict(), scheduler.state_dict()
    json.dumps(saved)  # plain numbers, strings, lists and dicts: fits in a checkpoint
    rest = lrs_of(scheduler, 10)[1:]

    optimizer2 = fresh(0.2, momentum=0.9)
    scheduler2 = make(optimizer2)
    optimizer2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    assert scheduler2.last_epoch == 7
    assert lrs_of(scheduler2, 10)[1:] == rest


@pytest.mark.parametrize("make, message", [
    (lambda o: S.StepLR(o, step_size=0), "step_size"),
    (lambda o: S.StepLR(o, step_size=2.5), "step_size"),
    (lambda o: S.StepLR(o, step_size=2, gamma=-0.1), "gamma"),
    (lambda o: S.MultiStepLR(o, milestones=[3, -1]), "milestone"),
    (lambda o: S.ExponentialLR(o, gamma=0.0), "gamma"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=-1.0), "eta_min"),
    (lambda o: S.LinearLR(o, start_factor=0.0), r"start_factor.*\(0, 1\]"),
    (lambda o: S.LinearLR(o, end_factor=1.5), "end_factor"),
    (lambda o: S.LinearLR(o, total_iters=0), "total_iters"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]), "one milestone fewer"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 2), S.StepLR(o, 2)], milestones=[5, 3]),
     "strictly increasing"),
    (lambda o: S.SequentialLR(o, [S.StepLR(fresh(), 2), S.StepLR(o, 2)], milestones=[3]), "another optimizer"),
    (lambda o: S.SequentialLR(o, [], milestones=[]), "at least one"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0), "total_steps OR"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), "pct_start"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10), "max_lr has 2 values"),
    (lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 1.0, lambda e: 1.0]), "lr_lambda has 2 values"),
    (lambda o: S.get_linear_schedule_with_warmup(o, 20, 10), "num_warmup_steps"),
    (lambda o: S.get_cosine_schedule_with_warmup(o, -1, 10), "num_warmup_steps"),
    (lambda o: S.get_cosine_schedule_with_warmup(o, 1, 10, num_cycles=0), "num_cycles"),
])
def test_invalid_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(fresh(momentum=0.9))


def test_scheduler_needs_an_optimizer_and_initial_lr_to_resume():
    with pytest.raises(TypeError, match="not an Optimizer"):
        S.StepLR(object(), step_size=2)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(fresh(), step_size=2, last_epoch=5)
