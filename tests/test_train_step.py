"""``train_step``: the one optimizer step that ``fit``, ``lr_find`` and coursekit's training loops take."""
import ast
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.utils import clip_grad_value_
from minigrad.optim import SGD, lr_scheduler
from minigrad.training import StepResult, fit, lr_find, train_step
from minigrad.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent


def linear_problem(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((n, 1))
    mg.manual_seed(seed)
    model = nn.Linear(3, 1, dtype=mg.float64)
    return model, mg.tensor(x), mg.tensor(y)


def test_one_step_is_zero_grad_forward_backward_update():
    model, x, y = linear_problem()
    twin, _, _ = linear_problem()
    opt, twin_opt = SGD(model.parameters(), lr=0.1), SGD(twin.parameters(), lr=0.1)
    result = train_step(model, opt, F.mse_loss, (x, y))
    twin_opt.zero_grad()
    loss = F.mse_loss(twin(x), y)
    loss.backward()
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in twin.parameters()))
    twin_opt.step()
    assert isinstance(result, StepResult) and result.updated
    assert result.loss == loss.item() and result.lr == 0.1
    assert result.grad_norm == pytest.approx(norm, rel=1e-12)  # a different order of additions
    for ours, theirs in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_before_step_sees_the_gradients_clipped_by_norm_and_its_changes_reach_the_update():
    model, x, y = linear_problem()
    opt = SGD(model.parameters(), lr=0.1)
    before = [p.data.copy() for p in model.parameters()]
    seen = []

    def clamp(params):
        seen.append(math.sqrt(sum(float((p.grad ** 2).sum()) for p in params)))
        clip_grad_value_(params, 1e-3)

    result = train_step(model, opt, F.mse_loss, (x, y), clip_grad_norm=0.5, before_step=clamp)
    assert result.grad_norm > 0.5 and seen == [pytest.approx(0.5)]  # clipped by norm before the event
    moved = [np.abs(p.data - b).max() for p, b in zip(model.parameters(), before)]
    assert max(moved) == pytest.approx(0.1 * 1e-3)  # the update used the clamped gradient


def test_a_scheduler_steps_after_the_update_and_the_lr_reported_is_the_one_used():
    model, x, y = linear_problem()
    opt = SGD(model.parameters(), lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert train_step(model, opt, F.mse_loss, (x, y), scheduler=scheduler).lr == 0.1
    assert train_step(model, opt, F.mse_loss, (x, y), scheduler=scheduler).lr == 0.05


def test_a_non_finite_loss_or_gradient_updates_nothing_and_skips_the_event():
    model, x, y = linear_problem()
    opt = SGD(model.parameters(), lr=0.1)
    weights = [p.data.copy() for p in model.parameters()]
    events = []
    nan_target = mg.tensor(np.full((64, 1), np.nan))
    result = train_step(model, opt, F.mse_loss, (x, nan_target), before_step=events.append)
    assert math.isnan(result.loss) and result.grad_norm is None and not result.updated
    def root_loss(out, target):  # finite (0) at a zero output, but its gradient there is 0/0
        return ((out - target).abs() ** 0.5).mean()

    with np.errstate(divide="ignore", invalid="ignore"):
        result = train_step(model, opt, root_loss, (x, model(x).detach()), before_step=events.append)
    assert result.loss == 0.0 and math.isnan(result.grad_norm)
    assert events == [] and not result.updated
    for ours, before in zip(model.parameters(), weights):
        np.testing.assert_array_equal(ours.data, before)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "1"])
def test_clip_grad_norm_is_checked(bad):
    model, x, y = linear_problem()
    with pytest.raises(ValueError, match="train_step: clip_grad_norm must be a number > 0"):
        train_step(model, SGD(model.parameters(), lr=0.1), F.mse_loss, (x, y), clip_grad_norm=bad)


def test_fit_hands_before_step_to_every_step():
    model, x, y = linear_problem()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    calls = []
    history = fit(model, SGD(model.parameters(), lr=0.05), loader, F.mse_loss, epochs=2, progress=False,
                  before_step=lambda params: calls.append(len(params)))
    assert calls == [2] * history.num_steps == [2] * 8


def test_fit_and_lr_find_take_their_steps_with_train_step(monkeypatch):
    fit_module, finder_module = (sys.modules[f"minigrad.training.{name}"] for name in ("fit", "lr_finder"))

    counted = []

    def counting(*args, **kwargs):
        counted.append(kwargs.get("caller"))
        return train_step(*args, **kwargs)

    monkeypatch.setattr(fit_module, "train_step", counting)
    monkeypatch.setattr(finder_module, "train_step", counting)
    model, x, y = linear_problem()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    fit(model, SGD(model.parameters(), lr=0.05), loader, F.mse_loss, epochs=1, progress=False)
    lr_find(model, SGD(model.parameters(), lr=0.05), loader, F.mse_loss, num_iter=10, end_lr=1.0)
    assert counted == ["fit"] * 4 + ["lr_find"] * 10


def _functions_writing_a_step_out(path):
    """Functions in ``path`` that call ``.backward()`` and ``.step()`` themselves: a training step written out."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = {call.func.attr for call in ast.walk(node)
                     if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)}
            if {"backward", "step"} <= calls:
                found.append(f"{path.relative_to(ROOT)}:{node.name}")
    return found


def test_no_training_loop_writes_the_step_out_again():
    """No function in coursekit or minigrad.training but train_step calls backward() and an optimizer's
    step() itself. (The stacked loops, which update through minigrad.optim.functional's rules, are held
    to sweep.stacked_step by tests/test_coursekit_floors.py.)"""
    sources = sorted((ROOT / "course" / "coursekit").rglob("*.py")) + sorted((ROOT / "minigrad" / "training").glob("*.py"))
    found = [name for path in sources for name in _functions_writing_a_step_out(path)]
    assert found == ["minigrad/training/step.py:train_step"]


def test_lr_find_stops_when_a_gradient_stops_being_finite():
    """A finite loss with a NaN gradient leaves the weights alone: the sweep must stop there, as fit
    does, rather than sweep on with frozen weights and suggest a rate from a flat curve."""
    model, x, y = linear_problem()
    target = model(x).detach()  # the loss below is 0 at the start, its gradient 0/0

    def root_loss(out, target):
        return ((out - target).abs() ** 0.5).mean()

    loader = DataLoader(TensorDataset(x, target), batch_size=64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = lr_find(model, SGD(model.parameters(), lr=0.05), loader, root_loss, num_iter=50)
    assert len(result.lrs) == 1 and result.stopped_early
    assert result.suggestion is None


@pytest.mark.parametrize("event", ["callback", "before_step"])
def test_fit_names_an_event_that_is_not_a_function(event):
    model, x, y = linear_problem()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    with pytest.raises(TypeError, match=f"fit: {event} must be a function"):
        fit(model, SGD(model.parameters(), lr=0.05), loader, F.mse_loss, progress=False, **{event: 1})
