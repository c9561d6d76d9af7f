"""Learning-rate schedules against torch.optim.lr_scheduler (stored fixture) and Hugging Face's formulas."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import SGD, Adam, AdamW
from minigrad.optim import lr_scheduler as S

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.npz"
SCHED_CASES = json.loads(str(np.load(FIXTURE, allow_pickle=False)["sched/configs"]))
# The same functions as tools/make_torch_fixtures_optim.py, under the same names.
LAMBDAS = {"inverse_time": lambda step: 1.0 / (1.0 + 0.1 * step), "half_every_10": lambda step: 0.5 ** (step // 10),
           "shrink_5_percent": lambda step: 0.95}


@pytest.fixture(scope="module")
def torch_runs():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def make_optimizer(name, lrs):
    params = [{"params": [mg.tensor([0.0], requires_grad=True)], "lr": lr} for lr in lrs]
    if name == "SGD_momentum":
        return SGD(params, momentum=0.9)
    return {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[name](params)


class Stacked:
    """Several schedulers stepped one after another on one optimizer: PyTorch's idiom for a warmup."""

    def __init__(self, schedulers):
        self.schedulers = schedulers
        self.optimizer = schedulers[0].optimizer

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


def build(optimizer, spec):
    spec = {k: v for k, v in spec.items() if k not in ("metrics", "resume_at")}
    kind = spec.pop("type")
    if kind in ("LambdaLR", "MultiplicativeLR"):
        fns = spec["lr_lambda"]
        return getattr(S, kind)(optimizer, [LAMBDAS[f] for f in fns] if isinstance(fns, list) else LAMBDAS[fns])
    if kind == "SequentialLR":
        children = [build(optimizer, child) for child in spec["schedulers"]]
        return S.SequentialLR(optimizer, children, milestones=spec["milestones"])
    if kind == "ChainedScheduler":
        return S.ChainedScheduler([build(optimizer, child) for child in spec["schedulers"]], optimizer)
    if kind == "Stacked":
        return Stacked([build(optimizer, child) for child in spec["schedulers"]])
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
    metrics = spec.get("metrics")
    lr_rows, momentum_rows = [scheduler.get_last_lr()], [momenta(optimizer)]
    for step in range(steps):
        if step == spec.get("resume_at"):  # through JSON, as a checkpoint would keep it
            saved_optimizer, saved_scheduler = optimizer.state_dict(), json.loads(json.dumps(scheduler.state_dict()))
            optimizer = make_optimizer(optimizer_name, lrs)
            scheduler = build(optimizer, spec)
            optimizer.load_state_dict(saved_optimizer)
            scheduler.load_state_dict(saved_scheduler)
        optimizer.step()
        scheduler.step(metrics[step]) if metrics is not None else scheduler.step()
        lr_rows.append(scheduler.get_last_lr())
        momentum_rows.append(momenta(optimizer))
    expected = torch_runs[f"sched/{case}/lr"]
    assert len(np.unique(expected)) >= 2  # the schedule really moves
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
        scheduler.optimizer.step()
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


# ---------------------------------------------------------------------- chainable forms, broadly
def closed_form(kind, params, base, step):
    """The lr a schedule gives at ``step`` when it runs alone (the textbook formulas; minigrad's old closed forms)."""
    if kind == "StepLR":
        return base * params["gamma"] ** (step // params["step_size"])
    if kind == "MultiStepLR":
        return base * params["gamma"] ** sum(m <= step for m in params["milestones"])
    if kind == "ExponentialLR":
        return base * params["gamma"] ** step
    if kind == "ConstantLR":
        return base * (params["factor"] if step < params["total_iters"] else 1.0)
    if kind == "LinearLR":
        start, end, total = params["start_factor"], params["end_factor"], params["total_iters"]
        return base * (start + (end - start) * min(step, total) / total)
    if kind == "PolynomialLR":
        return base * (1 - min(step, params["total_iters"]) / params["total_iters"]) ** params["power"]
    if kind == "CosineAnnealingLR":
        eta_min = params["eta_min"]
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * step / params["T_max"])) / 2
    raise AssertionError(kind)


@st.composite
def schedule(draw, eta_min=True):
    kind = draw(st.sampled_from(["StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR",
                                 "CosineAnnealingLR"]))
    factor = st.floats(0.05, 1.0)
    params = {
        "StepLR": lambda: {"step_size": draw(st.integers(1, 6)), "gamma": draw(st.floats(0.1, 0.99))},
        "MultiStepLR": lambda: {"milestones": draw(st.lists(st.integers(0, 20), max_size=4)),
                                "gamma": draw(st.floats(0.1, 0.99))},
        "ExponentialLR": lambda: {"gamma": draw(st.floats(0.5, 0.999))},
        "ConstantLR": lambda: {"factor": draw(factor), "total_iters": draw(st.integers(1, 10))},
        "LinearLR": lambda: {"start_factor": draw(factor), "end_factor": draw(factor),
                             "total_iters": draw(st.integers(1, 10))},
        "PolynomialLR": lambda: {"total_iters": draw(st.integers(1, 12)), "power": draw(st.floats(0.5, 3.0))},
        "CosineAnnealingLR": lambda: {"T_max": draw(st.integers(3, 25)),
                                      "eta_min": draw(st.floats(0.0, 0.01)) if eta_min else 0.0},
    }[kind]()
    return kind, params


def run_alone(kind, params, base, steps):
    optimizer = fresh(base)
    return lrs_of(getattr(S, kind)(optimizer, **params), steps)


@settings(max_examples=150)
@given(spec=schedule(), base=st.floats(1e-4, 1.0), steps=st.integers(1, 30))
def test_each_schedule_alone_gives_its_closed_form(spec, base, steps):
    """Chainable or not, a schedule used alone gives the rates it always gave (warmup code keeps its numbers)."""
    kind, params = spec
    got = run_alone(kind, params, base, steps)
    want = [closed_form(kind, params, base, step) for step in range(steps + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15 * base)


@settings(max_examples=150)
@given(first=schedule(eta_min=False), second=schedule(eta_min=False), base=st.floats(1e-4, 1.0),
       steps=st.integers(1, 30))
def test_stacked_schedules_multiply_their_factors(first, second, base, steps):
    """Two chainable schedulers stepped on one optimizer: the lr is base × one factor × the other (torch's rule)."""
    for kind, params in (first, second):
        if kind == "CosineAnnealingLR":
            steps = min(steps, params["T_max"])  # past T_max torch's cosine steps back up additively
    alone = [np.array(run_alone(kind, params, base, steps)) / base for kind, params in (first, second)]
    optimizer = fresh(base)
    stacked = Stacked([getattr(S, kind)(optimizer, **params) for kind, params in (first, second)])
    np.testing.assert_allclose(lrs_of(stacked, steps), base * alone[0] * alone[1], rtol=1e-9, atol=1e-15 * base)
    optimizer = fresh(base)
    chained = S.ChainedScheduler([getattr(S, kind)(optimizer, **params) for kind, params in (first, second)])
    np.testing.assert_allclose(lrs_of(chained, steps), base * alone[0] * alone[1], rtol=1e-9, atol=1e-15 * base)


def test_warmup_stacked_on_cosine_is_the_issue_example():
    optimizer = fresh(0.05)
    warmup, decay = S.LinearLR(optimizer, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(optimizer, T_max=30)
    optimizer.step()
    warmup.step()
    decay.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.01396165, rel=1e-6)  # torch; 0.0497 without warmup


def test_reduce_lr_on_plateau_validates_and_reads_tensors():
    optimizer = fresh(1.0)
    scheduler = S.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    scheduler.step(mg.tensor(1.0))
    scheduler.step(mg.tensor([2.0]))  # a one-element tensor, as a loss is
    assert scheduler.get_last_lr() == [0.5]
    for kwargs, message in [({"factor": 1.0}, "factor"), ({"mode": "up"}, "mode"),
                            ({"threshold_mode": "relative"}, "threshold_mode"), ({"patience": -1}, "patience"),
                            ({"min_lr": [0.1, 0.2]}, "min_lr has 2 values")]:
        with pytest.raises(ValueError, match=message):
            S.ReduceLROnPlateau(fresh(), **kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda o: S.ConstantLR(o, factor=0.0), "factor"),
    (lambda o: S.ConstantLR(o, factor=1.5), "factor"),
    (lambda o: S.ConstantLR(o, total_iters=0), "total_iters"),  # torch would keep the factor for ever
    (lambda o: S.PolynomialLR(o, total_iters=0), "total_iters"),
    (lambda o: S.PolynomialLR(o, power=-1.0), "power"),
    (lambda o: S.ChainedScheduler([]), "at least one"),
    (lambda o: S.ChainedScheduler([S.StepLR(o, 2), S.StepLR(fresh(), 2)]), "another optimizer"),
    (lambda o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]), "ReduceLROnPlateau"),
    (lambda o: S.SequentialLR(o, [S.ReduceLROnPlateau(o), S.StepLR(o, 2)], milestones=[2]), "ReduceLROnPlateau"),
])
def test_new_schedulers_refuse_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(fresh())
