"""Gradient clipping against torch.nn.utils (stored fixture) and its contract."""
import math
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.npz"


@pytest.fixture(scope="module")
def torch_runs():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files if key.startswith("clip/")}


def with_grads(*grads):
    params = []
    for grad in grads:
        param = mg.tensor(np.zeros_like(grad), requires_grad=True)
        param.grad = np.array(grad, copy=True)
        params.append(param)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch_runs, norm_type, max_norm):
    params = with_grads(torch_runs["clip/grad0"], torch_runs["clip/grad1"])
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    key = f"clip/{norm_type}/{max_norm}"
    assert isinstance(total, float)
    assert total == pytest.approx(float(torch_runs[f"{key}/total"]), rel=1e-12)
    np.testing.assert_allclose(params[0].grad, torch_runs[f"{key}/grad0"], rtol=1e-12)
    np.testing.assert_allclose(params[1].grad, torch_runs[f"{key}/grad1"], rtol=1e-12)


def test_clip_grad_norm_returns_norm_before_clipping_and_rescales():
    params = with_grads(np.array([3.0, 0.0]), np.array([[4.0]]))
    grad0 = params[0].grad
    assert clip_grad_norm_(params, max_norm=1.0) == pytest.approx(5.0)
    assert params[0].grad is grad0  # in place
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad, [3.0 * scale, 0.0])
    np.testing.assert_allclose(params[1].grad, [[4.0 * scale]])
    # Below the threshold nothing changes.
    assert clip_grad_norm_(params, max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(params[0].grad, [3.0 * scale, 0.0])


def test_clip_grad_norm_inf():
    params = with_grads(np.array([1.0, -6.0]), np.array([2.0]))
    assert clip_grad_norm_(params, max_norm=3.0, norm_type="inf") == 6.0
    np.testing.assert_allclose(params[0].grad, np.array([1.0, -6.0]) * 3.0 / (6.0 + 1e-6))


def test_clip_grad_norm_accepts_one_tensor_and_skips_missing_grads():
    (param,) = with_grads(np.array([0.0, 2.0]))
    assert clip_grad_norm_(param, 1.0) == pytest.approx(2.0)
    no_grad = mg.tensor([5.0], requires_grad=True)
    assert clip_grad_norm_([no_grad], 1.0) == 0.0
    assert clip_grad_norm_([no_grad, param], 1.0) == pytest.approx(1.0, rel=1e-5)
    assert no_grad.grad is None


def test_clip_grad_norm_float32_model():
    model = mg.nn.Linear(4, 3)
    (model(mg.randn(8, 4)) * 100.0).sum().backward()
    before = math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total == pytest.approx(before, rel=1e-6)
    after = math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-5)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_clip_grad_norm_nonfinite():
    params = with_grads(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="learning rate"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    params = with_grads(np.array([np.nan, 1.0]))
    assert math.isnan(clip_grad_norm_(params, 1.0))
    assert np.isnan(params[0].grad).all()  # as torch: NaN spreads to every gradient


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_norm=-1.0), "max_norm"),
    (dict(max_norm=1.0, norm_type=0), "norm_type"),
    (dict(max_norm=1.0, norm_type="two"), "norm_type"),
])
def test_clip_grad_norm_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clip_grad_norm_(with_grads(np.ones(2)), **kwargs)


def test_clip_grad_norm_rejects_non_tensors():
    with pytest.raises(TypeError, match="ndarray"):
        clip_grad_norm_([np.ones(2)], 1.0)


def test_clip_grad_value():
    params = with_grads(np.array([-3.0, 0.5, 2.0]), np.array([10.0]))
    grad0 = params[0].grad
    assert clip_grad_value_(params, 1.0) is None
    assert params[0].grad is grad0
    np.testing.assert_array_equal(params[0].grad, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(params[1].grad, [1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(params, -1.0)


def test_reachable_from_nn():
    assert mg.nn.utils.clip_grad_norm_ is clip_grad_norm_


def test_clipping_on_every_device(torch_runs, device):
    params = [t.to(device) for t in with_grads(torch_runs["clip/grad0"], torch_runs["clip/grad1"])]
    for param, grad in zip(params, (torch_runs["clip/grad0"], torch_runs["clip/grad1"])):
        param.grad = mg.tensor(grad, device=device).data
    total = clip_grad_norm_(params, 0.5)
    assert total == pytest.approx(float(torch_runs["clip/2.0/0.5/total"]), rel=1e-12)
    np.testing.assert_allclose(mg.tensor(params[0].grad).numpy(), torch_runs["clip/2.0/0.5/grad0"], rtol=1e-12)
    clip_grad_value_(params, 0.01)
    assert float(abs(params[1].grad).max()) <= 0.01
