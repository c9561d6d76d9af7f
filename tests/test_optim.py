"""Optimizers against torch.optim (a stored fixture: torch is not needed), and their contract."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from minigrad.optim import functional as OF
from minigrad.optim import lr_scheduler as S

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.npz"
CLASSES = {"SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}


@pytest.fixture(scope="module")
def torch_runs():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


OPTIM_CASES = json.loads(str(np.load(FIXTURE, allow_pickle=False)["optim/configs"]))


def loss_fn(W, c, X, Y):
    return ((X @ W + c - Y) ** 2).mean() + 0.1 * (W ** 4).sum()


def make_problem(runs):
    X, Y = mg.tensor(runs["problem/X"]), mg.tensor(runs["problem/Y"])
    W = nn.Parameter(mg.tensor(runs["problem/W0"].copy()))
    c = mg.tensor(runs["problem/c0"].copy(), requires_grad=True)  # a plain tensor works too
    return X, Y, W, c


def build(name, kwargs, groups, W, c):
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    if kwargs.pop("lr_as_tensor", False):
        kwargs["lr"] = mg.tensor(kwargs["lr"])  # a 0-d float32 tensor, as the fixture's torch.tensor(lr)
    params = [W, c] if groups is None else [{"params": [W], **groups[0]}, {"params": [c], **groups[1]}]
    return CLASSES[name](params, **kwargs)


def run(optimizer, X, Y, W, c, steps):
    sign = -1.0 if optimizer.defaults.get("maximize") else 1.0  # as the fixture: maximize the negated loss
    Ws, cs = [W.data.copy()], [c.data.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        (loss_fn(W, c, X, Y) * sign).backward()
        optimizer.step()
        Ws.append(W.data.copy())
        cs.append(c.data.copy())
    return np.stack(Ws), np.stack(cs)


# ---------------------------------------------------------------------- torch fixtures
@pytest.mark.parametrize("case", sorted(OPTIM_CASES))
def test_trajectory_matches_torch(torch_runs, case):
    name, kwargs, groups = OPTIM_CASES[case]
    X, Y, W, c = make_problem(torch_runs)
    assert W.dtype == np.float64
    optimizer = build(name, kwargs, groups, W, c)
    Ws, cs = run(optimizer, X, Y, W, c, int(torch_runs["problem/steps"]))
    expected_W, expected_c = torch_runs[f"optim/{case}/W"], torch_runs[f"optim/{case}/c"]
    assert not np.allclose(expected_W[-1], expected_W[0])  # the fixture really moves
    np.testing.assert_allclose(Ws, expected_W, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(cs, expected_c, rtol=1e-6, atol=1e-12)


def test_fixture_options_change_the_path(torch_runs):
    """Each option in the fixture leads somewhere else than the plain rule: they are all exercised."""
    plain = {"SGD": "SGD_plain", "Adagrad": "Adagrad_lr", "RMSprop": "RMSprop_defaults", "Adam": "Adam_lr",
             "AdamW": "Adam_lr"}
    for case, (name, _, _) in OPTIM_CASES.items():
        if case != plain[name] and not case.endswith(("defaults", "lr_tensor")):
            assert not np.allclose(torch_runs[f"optim/{case}/W"], torch_runs[f"optim/{plain[name]}/W"]), case


def test_state_dict_numbers_parameters_as_torch():
    """A group listing a tensor twice (torch warns and allows it): the numbers torch gives, and a round trip."""
    numbering = json.loads(str(np.load(FIXTURE, allow_pickle=False)["statedict/numbering"]))
    a, b, c = (mg.tensor(np.zeros(n), requires_grad=True) for n in (2, 3, 1))
    cases = {"SGD": (SGD, [{"params": [a, b, a]}, {"params": [c]}], {"lr": 0.1, "momentum": 0.9}),
             "Adam": (Adam, [{"params": [a]}, {"params": [b, c, b, c]}], {"lr": 0.1}),
             "plain": (Adam, [{"params": [a, b]}, {"params": [c]}], {"lr": 0.1})}
    for name, (cls, groups, kwargs) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimizer = cls(groups, **kwargs)
        for p in (a, b, c):
            p.grad = np.ones(p.shape)
        optimizer.step()
        saved = optimizer.state_dict()
        assert [g["params"] for g in saved["param_groups"]] == numbering[name]["params"], name
        assert sorted(saved["state"]) == numbering[name]["state"], name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh = cls([{"params": list(g["params"])} for g in groups], **kwargs)
        fresh.load_state_dict(saved)  # the saved numbers map back onto the same tensors
        for p in (a, b, c):
            for key, value in optimizer.state[p].items():
                np.testing.assert_array_equal(fresh.state[p][key], value)


def test_maximize_climbs_and_lr_may_be_a_tensor():
    for cls in CLASSES.values():
        x = mg.tensor([1.0], requires_grad=True)
        optimizer = cls([x], lr=mg.tensor(0.1), maximize=True)
        for _ in range(3):
            optimizer.zero_grad()
            (-(x - 3.0) ** 2).sum().backward()  # the maximum is at 3
            optimizer.step()
        assert 1.0 < x.item() < 3.0 + 1e-9, cls.__name__
    lr = mg.tensor(0.5)
    optimizer = SGD([mg.tensor([1.0], requires_grad=True)], lr=lr)
    S.StepLR(optimizer, step_size=1, gamma=0.1).step()
    assert optimizer.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)  # updated in place, as torch
    saved = optimizer.state_dict()
    assert saved["param_groups"][0]["lr"] == pytest.approx(0.05) and isinstance(saved["param_groups"][0]["lr"], float)
    with pytest.raises(ValueError, match="lr"):
        SGD([mg.tensor([1.0], requires_grad=True)], lr=mg.tensor(-0.1))


def test_defaults_match_torch():
    W = mg.tensor([1.0], requires_grad=True)
    assert SGD([W]).defaults == dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                                     maximize=False)
    assert Adagrad([W]).defaults == dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                                         eps=1e-10, maximize=False)
    assert RMSprop([W]).defaults == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                                         centered=False, maximize=False)
    assert Adam([W]).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                                      maximize=False)
    assert AdamW([W]).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                                       maximize=False)


# ---------------------------------------------------------------------- functional rules
def grad_2d(theta):
    """Gradient of the ill-conditioned bowl 0.1 x² + 2 y² (d2l's example)."""
    return np.array([0.2 * theta[0], 4.0 * theta[1]])


@pytest.mark.parametrize("name, rule, kwargs", [
    ("SGD", OF.sgd, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", OF.adagrad, dict(lr=0.5, lr_decay=0.01, weight_decay=0.01)),
    ("RMSprop", OF.rmsprop, dict(lr=0.05, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adam", OF.adam, dict(lr=0.2, amsgrad=True, weight_decay=0.01)),
    ("AdamW", OF.adamw, dict(lr=0.2, weight_decay=0.1)),
])
def test_functional_rule_is_the_class_rule(name, rule, kwargs):
    """The trajectory engine's path (raw 2-vectors) equals the optimizer class's path, bit for bit."""
    theta, state = np.array([-5.0, -2.0]), {}
    weight = mg.tensor(np.array([-5.0, -2.0]), requires_grad=True)
    optimizer = CLASSES[name]([weight], **kwargs)
    for _ in range(50):
        grad = grad_2d(theta)
        grad_before = grad.copy()
        rule(theta, grad, state, **kwargs)
        np.testing.assert_array_equal(grad, grad_before)  # the rule never touches the gradient
        weight.grad = grad_2d(weight.data)
        optimizer.step()
        np.testing.assert_array_equal(theta, weight.data)
    assert np.linalg.norm(theta) < np.linalg.norm([-5.0, -2.0])


def test_functional_state_is_filled_on_first_call():
    state = {}
    OF.adam(np.zeros(2), np.ones(2), state, lr=0.1, amsgrad=True)
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"} and state["step"] == 1
    state = {}
    OF.sgd(np.zeros(2), np.ones(2), state, lr=0.1)
    assert state == {}  # plain SGD keeps no state


def test_float32_parameters_stay_float32():
    weight = mg.tensor([1.0, -2.0], requires_grad=True)
    for cls in CLASSES.values():
        optimizer = cls([weight], lr=0.1, weight_decay=0.1)
        weight.grad = np.array([0.5, 0.5], dtype=np.float32)
        optimizer.step()
        assert weight.data.dtype == np.float32
        assert all(v.dtype == np.float32 for v in optimizer.state[weight].values() if hasattr(v, "dtype"))


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize("cls, kwargs, message", [
    (SGD, dict(lr=-0.1), r"lr: -0\.1.*>= 0"),
    (SGD, dict(lr=float("nan")), "lr"),
    (SGD, dict(momentum=-0.5), "momentum"),
    (SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (SGD, dict(dampening=1.5), r"dampening.*\[0.0, 1.0\]"),
    (SGD, dict(nesterov=True), "Nesterov momentum requires momentum > 0"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "dampening = 0"),
    (Adagrad, dict(lr_decay=-0.1), "lr_decay"),
    (Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (Adagrad, dict(eps=-1e-10), "eps"),
    (RMSprop, dict(alpha=1.5), r"alpha.*\[0.0, 1.0\]"),
    (RMSprop, dict(momentum=-0.1), "momentum"),
    (RMSprop, dict(eps=-1.0), "eps"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\].*\[0.0, 1.0\)"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (Adam, dict(betas=(0.9,)), "pair"),
    (Adam, dict(eps=-1e-8), "eps"),
    (Adam, dict(lr="0.1"), "lr"),
    (AdamW, dict(weight_decay=-0.01), "weight_decay"),
])
def test_invalid_hyperparameters_raise(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([mg.tensor([1.0], requires_grad=True)], **kwargs)


def test_invalid_group_hyperparameter_raises():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="lr"):
        SGD([{"params": [a]}, {"params": [b], "lr": -1.0}], lr=0.1)


def test_invalid_params_raise():
    weight = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(weight, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ndarray"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):  # torch warns too (and numbers them its way)
        SGD([weight, weight], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [weight]}, {"params": [weight]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([weight * 2], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        SGD({weight}, lr=0.1)


def test_gradient_of_the_wrong_shape_raises():
    weight = mg.tensor([1.0, 2.0], requires_grad=True)
    weight.grad = np.ones(1, dtype=np.float32)
    with pytest.raises(ValueError, match=r"shape \(2,\) has a gradient of shape \(1,\)"):
        SGD([weight], lr=0.1).step()


# ---------------------------------------------------------------------- behaviour
def test_param_groups_use_their_own_lr():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    optimizer = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    a.grad, b.grad = np.ones(1, np.float32), np.ones(1, np.float32)
    optimizer.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.5], rtol=1e-6)
    optimizer.param_groups[0]["lr"] = 0.0  # what schedulers do
    optimizer.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.0], atol=1e-7)


def test_add_param_group_fills_defaults():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    optimizer = Adam([a], lr=0.01)
    optimizer.add_param_group({"params": b, "lr": 0.1})
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999) and optimizer.param_groups[1]["lr"] == 0.1
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})


def test_step_skips_parameters_without_grad_and_returns_closure_loss():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    optimizer = Adam([a, b], lr=0.1)
    a.grad = np.ones(2, np.float32)
    assert optimizer.step(closure=lambda: 42.0) == 42.0
    np.testing.assert_array_equal(b.data, [3.0])
    assert b not in optimizer.state and optimizer.state[a]["step"] == 1
    assert not np.allclose(a.data, [1.0, 2.0])


def test_zero_grad():
    model = nn.Linear(3, 2)
    optimizer = SGD(model.parameters(), lr=0.1)
    model(mg.randn(4, 3)).sum().backward()
    grad = model.weight.grad
    optimizer.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not grad.any()
    optimizer.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_adamw_decays_weights_adam_penalises_gradient():
    """With a zero gradient AdamW only shrinks θ by (1 − γλ); Adam's L2 term moves θ a full adaptive step."""
    a, b = mg.tensor(np.array([2.0, -4.0]), requires_grad=True), mg.tensor(np.array([2.0, -4.0]), requires_grad=True)
    adamw, adam = AdamW([a], lr=0.1, weight_decay=0.5), Adam([b], lr=0.1, weight_decay=0.5)
    a.grad, b.grad = np.zeros(2), np.zeros(2)
    adamw.step()
    adam.step()
    np.testing.assert_allclose(a.data, np.array([2.0, -4.0]) * (1 - 0.1 * 0.5), rtol=1e-12)
    np.testing.assert_allclose(b.data, [2.0 - 0.1, -4.0 + 0.1], rtol=1e-6)  # m̂/√v̂ = sign(λθ)


def test_adamw_without_decay_is_adam():
    a, b = mg.tensor(np.array([2.0, -4.0]), requires_grad=True), mg.tensor(np.array([2.0, -4.0]), requires_grad=True)
    adamw, adam = AdamW([a], lr=0.1, weight_decay=0.0), Adam([b], lr=0.1)
    for step in range(5):
        a.grad = b.grad = np.array([1.0, step - 2.0])
        adamw.step()
        adam.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_round_trip_continues_identically(torch_runs, tmp_path):
    X, Y, W, c = make_problem(torch_runs)
    optimizer = Adam([{"params": [W]}, {"params": [c], "lr": 0.02}], lr=0.05, amsgrad=True)
    run(optimizer, X, Y, W, c, 10)
    saved = optimizer.state_dict()
    assert saved["param_groups"][0]["params"] == [0] and saved["param_groups"][1]["params"] == [1]
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert all(isinstance(v, np.ndarray) for k, v in saved["state"][0].items() if k != "step")
    # Through .npz and back, as a checkpoint would do it.
    np.savez(tmp_path / "state.npz", **{f"{i}/{k}": v for i, s in saved["state"].items() for k, v in s.items()})
    with np.load(tmp_path / "state.npz", allow_pickle=False) as data:
        flat = {key: data[key] for key in data.files}
    W2, c2 = nn.Parameter(mg.tensor(W.data.copy())), mg.tensor(c.data.copy(), requires_grad=True)
    resumed = Adam([{"params": [W2]}, {"params": [c2]}], lr=1.0)
    resumed.load_state_dict({"state": {i: {k: flat[f"{i}/{k}"] for k in s} for i, s in saved["state"].items()},
                             "param_groups": saved["param_groups"]})
    assert resumed.param_groups[1]["lr"] == 0.02 and resumed.param_groups[0]["amsgrad"] is True
    assert resumed.state[W2]["step"] == 10 and isinstance(resumed.state[W2]["step"], int)
    original = run(optimizer, X, Y, W, c, 10)
    continued = run(resumed, X, Y, W2, c2, 10)
    np.testing.assert_array_equal(original[0], continued[0])
    np.testing.assert_array_equal(original[1], continued[1])


def test_state_dict_is_a_copy():
    weight = mg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = SGD([weight], lr=0.1, momentum=0.9)
    weight.grad = np.ones(2, np.float32)
    optimizer.step()
    saved = optimizer.state_dict()
    optimizer.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0, 1.0])


def test_load_state_dict_mismatches_are_named():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    sgd = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = np.ones(2, np.float32), np.ones(1, np.float32)
    sgd.step()
    saved = sgd.state_dict()
    with pytest.raises(ValueError, match="group 0 has 1 parameters, the loaded one has 2"):
        SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"lacks the hyperparameters \['amsgrad', 'betas', 'eps'\]"):
        Adam([a, b]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"momentum_buffer.*keeps \[\]"):
        SGD([a, b], lr=0.1).load_state_dict({**saved, "param_groups": [{**saved["param_groups"][0],
                                                                          "momentum": 0.0}]})
    c, d = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 1 has shape \(1,\).*\(2,\)"):
        SGD([c, d], lr=0.1, momentum=0.9).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        sgd.load_state_dict({"state": {}})


def test_step_stats_of_a_real_step_give_effective_lr_and_update_ratio():
    def stats_of_one_step(optimizer_class, grad, **hyper):
        weight = mg.tensor(np.array([3.0, -4.0]), requires_grad=True)
        optimizer = optimizer_class([weight], **hyper)
        weight.grad = np.array(grad)
        before = weight.data.copy()
        optimizer.step()
        return OF.step_stats(before, weight.data, weight.grad)

    stats = stats_of_one_step(SGD, [1.0, 2.0], lr=0.1)
    np.testing.assert_allclose(stats.effective_lr, [0.1, 0.1])
    np.testing.assert_allclose(stats.update_to_weight, 0.1 * np.sqrt(5) / 5.0)
    stats = stats_of_one_step(Adam, [0.01, 100.0], lr=0.1)
    # First Adam step: Δθ = −γ g / (|g| + ε), so each coordinate got γ / (|g| + ε): tiny gradients get huge lrs.
    np.testing.assert_allclose(stats.effective_lr, 0.1 / (np.abs([0.01, 100.0]) + 1e-8), rtol=1e-9)
    np.testing.assert_allclose(stats.update_to_weight, 0.1 * np.sqrt(2) / 5.0, rtol=1e-6)


def test_step_stats_on_two_vectors():
    before, grad = np.array([1.0, 0.0]), np.array([2.0, 0.0])
    after = before.copy()
    OF.sgd(after, grad, {}, lr=0.25)
    stats = OF.step_stats(before, after, grad)
    np.testing.assert_array_equal(stats.effective_lr[:1], [0.25])
    assert np.isnan(stats.effective_lr[1])  # 0/0: this coordinate had no gradient and did not move
    assert stats.update_to_weight == pytest.approx(0.5)
    assert OF.step_stats(np.zeros(2), np.ones(2), np.ones(2)).update_to_weight == float("inf")


def test_base_optimizer_without_rule():
    class Custom(Optimizer):
        pass

    weight = mg.tensor([1.0], requires_grad=True)
    weight.grad = np.ones(1, np.float32)
    with pytest.raises(NotImplementedError, match="update_rule"):
        Custom([weight], {"lr": 0.1}).step()


def test_repr_lists_groups():
    text = repr(AdamW([mg.tensor([1.0], requires_grad=True)], lr=2e-5))
    assert text.startswith("AdamW (") and "lr: 2e-05" in text and "weight_decay: 0.01" in text


@pytest.mark.parametrize("case", ["SGD_nesterov_weight_decay", "RMSprop_all", "Adam_amsgrad", "AdamW_decay"])
def test_optimizers_follow_torch_on_every_device(torch_runs, device, case):
    """Same code path on CuPy arrays (where a GPU is present): the first 20 steps match torch."""
    name, kwargs, groups = OPTIM_CASES[case]
    X, Y, W, c = (t.to(device) for t in make_problem(torch_runs))
    W, c = nn.Parameter(W), c.detach().requires_grad_(True)
    optimizer = build(name, kwargs, groups, W, c)
    for step in range(1, 21):
        optimizer.zero_grad()
        loss_fn(W, c, X, Y).backward()
        optimizer.step()
        np.testing.assert_allclose(W.numpy(), torch_runs[f"optim/{case}/W"][step], rtol=1e-6, atol=1e-12)
    assert W.device == device
    saved = optimizer.state_dict()
    assert all(isinstance(v, (np.ndarray, int)) for v in saved["state"][0].values())
