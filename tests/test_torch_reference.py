"""minigrad against PyTorch: forward values and gradients from tests/fixtures/torch_core.npz.

The fixture is written by tools/make_torch_fixtures_core.py (torch 2.13.0); these
tests need only NumPy.
"""
import pathlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

FIXTURE = np.load(pathlib.Path(__file__).parent / "fixtures" / "torch_core.npz", allow_pickle=False)

# The same expressions as the fixture script, written with minigrad.
CASES = {
    "add_broadcast": lambda a, b: a + b,
    "sub_broadcast": lambda a, b: a - b,
    "mul_broadcast": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 1.0),
    "pow_scalar": lambda a: a.abs() ** 1.5,
    "pow_tensor": lambda a, b: (a.abs() + 0.5) ** b,
    "rsub_rdiv": lambda a: 2.0 - 3.0 / (a.abs() + 1.0),
    "matmul_2d": lambda a, b: a @ b,
    "matmul_batched_broadcast": lambda a, b: a @ b,
    "matmul_vec_mat": lambda a, b: a @ b,
    "matmul_mat_vec": lambda a, b: a @ b,
    "matmul_vec_vec": lambda a, b: a @ b,
    "exp_log_sqrt": lambda a: (a.exp() + 1).log() + (a.abs() + 0.1).sqrt(),
    "tanh_sigmoid": lambda a: a.tanh() * a.sigmoid(),
    "relu_abs": lambda a: a.relu() + a.abs(),
    "clamp": lambda a: a.clamp(-0.5, 0.7),
    "maximum": lambda a, b: mg.maximum(a, b),
    "sum_dims": lambda a: a.sum(dim=(0, 2), keepdim=True) * a.sum(dim=1).mean(),
    "mean_var": lambda a: a.mean(dim=1) + a.var(dim=1),
    "var_all": lambda a: a.var(),
    "max_dim": lambda a: a.max(dim=1).values,
    "reshape_transpose_permute": lambda a: a.reshape(6, 4).T.reshape(4, 3, 2).permute(2, 0, 1).transpose(0, 2),
    "getitem_slices": lambda a: a[1:4, ::2],
    "getitem_repeated": lambda a: a[mg.tensor([0, 2, 2, 4, 0])],
    "cat_stack": lambda a, b: mg.cat([a, b], dim=0).sum(0) * mg.stack([a[0], b[1]], dim=1).sum(1),
    "where": lambda a, b: mg.where(a > 0, a, b * 2),
    "softmax": lambda a: (a * 100).softmax(dim=-1),
    "log_softmax": lambda a: (a * 100).log_softmax(dim=0),
    "gelu": lambda a: F.gelu(a * 3, approximate="tanh"),  # GPT-2's form; torch's default is below (gelu_erf)
    "layer_norm": lambda a, w, b: F.layer_norm(a, (6,), w, b),
    "mse_loss": lambda a, b: F.mse_loss(a, b),
}

# The fixture script's NEW_CASES: the ops and losses added for PyTorch parity.
T = mg.tensor
TARGET6 = [0, 3, -100, 1, 2, 2]
TARGET_ND = [[0, 2, 1, 1], [2, 2, 0, 1]]
TARGET_ND2 = [[[0, 1], [2, 0], [1, 1], [0, 2]], [[2, 2], [1, 0], [0, 0], [1, 2]]]
GATHER_INDEX = [[0, 0, 3], [2, 1, 1], [3, 3, 0]]
CASES.update({
    "gelu_erf": lambda a: F.gelu(a * 3),
    "leaky_relu": lambda a: F.leaky_relu(a, 0.2),
    "silu": lambda a: F.silu(a * 3),
    "elu": lambda a: F.elu(a * 2, alpha=1.5),
    "softplus": lambda a: F.softplus(a * 4, beta=2.0, threshold=5.0),
    "hardtanh": lambda a: F.hardtanh(a, -0.5, 0.7),
    "relu6": lambda a: F.relu6(a * 5),
    "logsigmoid": lambda a: F.logsigmoid(a * 20),
    "sin_cos": lambda a: a.sin() * a.cos() + (a * 3).cos(),
    "erf": lambda a: (a * 2).erf(),
    "prod_dim": lambda a: a.prod(dim=1),
    "prod_all": lambda a: a.prod(),
    "std_dim": lambda a: a.std(dim=1),
    "std_biased_all": lambda a: a.std(unbiased=False),
    "std_correction_keepdim": lambda a: a.std(dim=0, correction=0, keepdim=True),
    "var_positional_unbiased": lambda a: a.var(1, False),
    "logsumexp": lambda a: (a * 50).logsumexp(dim=1),
    "logsumexp_dims_keepdim": lambda a: a.logsumexp(dim=(0, 2), keepdim=True),
    "min_dim": lambda a: a.min(dim=1).values,
    "min_max_all": lambda a: a.min() * a.max(),
    "minimum": lambda a, b: mg.minimum(a, b),
    "clone": lambda a: a.clone() * 2,
    "gather": lambda a: a.gather(1, T(GATHER_INDEX)),
    "gather_dim0": lambda a: a.gather(0, T(GATHER_INDEX).T),
    "masked_fill": lambda a, v: a.masked_fill(a > 0.3, v) * 2,
    "where_scalar": lambda a: mg.where(a > 0, a, 0.5),
    "bce": lambda a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
    "bce_weight_sum": lambda a, b, w: F.binary_cross_entropy(a.sigmoid(), b.sigmoid(), weight=w.detach().abs(),
                                                             reduction="sum"),
    "bce_logits": lambda a, b: F.binary_cross_entropy_with_logits(a * 5, b.sigmoid()),
    "bce_logits_weights_none": lambda a, b, w, p: F.binary_cross_entropy_with_logits(
        a * 5, b.sigmoid(), weight=w.detach().abs(), pos_weight=p.detach().abs() * 3, reduction="none"),
    "nll": lambda a: F.nll_loss(a.log_softmax(dim=1), T(TARGET6)),
    "nll_weight_sum": lambda a, w: F.nll_loss(a.log_softmax(dim=1), T(TARGET6), weight=w.detach().abs(),
                                              reduction="sum"),
    "nll_nd_weight": lambda a, w: F.nll_loss(a.log_softmax(dim=1), T(TARGET_ND), weight=w.detach().abs()),
    "ce_weight": lambda a, w: F.cross_entropy(a * 3, T(TARGET6), weight=w.detach().abs()),
    "ce_label_smoothing": lambda a: F.cross_entropy(a * 3, T(TARGET6), label_smoothing=0.1),
    "ce_label_smoothing_weight": lambda a, w: F.cross_entropy(a * 3, T(TARGET6), weight=w.detach().abs(),
                                                              label_smoothing=0.2),
    "ce_label_smoothing_none": lambda a: F.cross_entropy(a, T(TARGET6), label_smoothing=0.3, reduction="none"),
    "ce_prob_targets": lambda a, b: F.cross_entropy(a * 3, b.softmax(dim=1)),
    "ce_prob_targets_smoothing_weight": lambda a, b, w: F.cross_entropy(a, b.softmax(dim=1), weight=w.detach().abs(),
                                                                        label_smoothing=0.3, reduction="sum"),
    "ce_prob_targets_nd_none": lambda a, b: F.cross_entropy(a, b.softmax(dim=1), reduction="none"),
    "ce_nd": lambda a: F.cross_entropy(a * 3, T(TARGET_ND2)),
    "ce_nd_none_smoothing": lambda a: F.cross_entropy(a, T(TARGET_ND), reduction="none", label_smoothing=0.1),
    "ce_1d": lambda a: F.cross_entropy(a * 3, T(2)),
    "ce_sum": lambda a: F.cross_entropy(a, T(TARGET6), reduction="sum"),
    "ce_all_ignored": lambda a: F.cross_entropy(a, T([-100, -100, -100])),
})


def _inputs(name, device):
    count = sum(1 for key in FIXTURE.files if key.startswith(f"{name}/in"))
    return [mg.tensor(FIXTURE[f"{name}/in{i}"], requires_grad=True, device=device) for i in range(count)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradients_match_torch(name, device):
    inputs = _inputs(name, device)
    out = CASES[name](*inputs)
    assert out.shape == FIXTURE[f"{name}/out"].shape and out.dtype == FIXTURE[f"{name}/out"].dtype
    np.testing.assert_allclose(out.numpy(), FIXTURE[f"{name}/out"], rtol=1e-10, atol=1e-12)
    out.backward(mg.tensor(FIXTURE[f"{name}/direction"], device=device))
    for i, t in enumerate(inputs):
        grad = mg.backend.to_numpy(t.grad) if t.grad is not None else np.zeros(t.shape)
        np.testing.assert_allclose(grad, FIXTURE[f"{name}/grad{i}"], rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name}: gradient of input {i}")


def test_every_fixture_case_is_checked():
    fixture_cases = {key.split("/")[0] for key in FIXTURE.files if key.endswith("/direction")}
    assert fixture_cases == set(CASES)


def test_cross_entropy_with_ignore_index_matches_torch(device):
    logits = mg.tensor(FIXTURE["ce/logits"], requires_grad=True, device=device)
    loss = F.cross_entropy(logits, mg.tensor(FIXTURE["ce/target"], device=device), ignore_index=-100)
    loss.backward()
    np.testing.assert_allclose(loss.item(), FIXTURE["ce/loss"], rtol=1e-12)
    np.testing.assert_allclose(mg.backend.to_numpy(logits.grad), FIXTURE["ce/grad"], rtol=1e-9, atol=1e-14)


def test_small_mlp_matches_torch(device):
    params = {n: mg.tensor(FIXTURE[f"mlp/{n}"], requires_grad=True, device=device) for n in ("w1", "b1", "w2", "b2")}
    x, y = mg.tensor(FIXTURE["mlp/x"], device=device), FIXTURE["mlp/y"]
    hidden = (x @ params["w1"] + params["b1"]).tanh()
    loss = F.cross_entropy(hidden @ params["w2"] + params["b2"], mg.tensor(y, device=device))
    loss.backward()
    np.testing.assert_allclose(loss.item(), FIXTURE["mlp/loss"], rtol=1e-12)
    for name, t in params.items():
        np.testing.assert_allclose(mg.backend.to_numpy(t.grad), FIXTURE[f"mlp/grad_{name}"], rtol=1e-9, atol=1e-14)
