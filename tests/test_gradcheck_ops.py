"""Every op's backward against finite differences (float64), broadcast shapes drawn by hypothesis."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F


def t(rng, *shape, positive=False, device="cpu"):
    data = rng.standard_normal(shape)
    if positive:
        data = np.abs(data) + 0.5
    return mg.tensor(data, requires_grad=True, device=device)


UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: (a.abs() + 0.5).log(),
    "sqrt": lambda a: (a.abs() + 0.5).sqrt(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
    "clamp": lambda a: a.clamp(min=-0.3, max=0.4),
    "pow": lambda a: a ** 3,
    "rpow": lambda a: 2.0 ** a,
    "sum": lambda a: a.sum(),
    "sum_dim_keepdim": lambda a: a.sum(dim=1, keepdim=True),
    "sum_tuple": lambda a: a.sum(dim=(0, 2)),
    "mean": lambda a: a.mean(dim=-1),
    "var": lambda a: a.var(dim=(1, 2), keepdim=True),
    "max": lambda a: a.max(),
    "max_dim": lambda a: a.max(dim=2, keepdim=True).values,
    "min_dim": lambda a: a.min(dim=0).values,
    "reshape": lambda a: a.reshape(4, 6) * mg.arange(6).float().double(),
    "view_flatten": lambda a: a.view(-1).flatten() * 2,
    "transpose": lambda a: a.transpose(0, 2) * mg.arange(4).double().reshape(4, 1, 1),
    "permute": lambda a: a.permute(1, 2, 0).sum(0) * mg.arange(2).double(),
    "T": lambda a: a.T * mg.arange(2).double(),
    "unsqueeze_squeeze": lambda a: a.unsqueeze(1).squeeze(1).exp(),
    "expand": lambda a: a[:, :1, :].expand(2, 5, 4).tanh(),
    "getitem_slice": lambda a: a[:, 1:, ::2],
    "getitem_int_array": lambda a: a[np.array([1, 1, 0])],
    "getitem_mixed": lambda a: a[0, np.array([2, 0, 2]), 1:3],
    "getitem_bool": lambda a: a[a.data > 0],
    "masked_fill": lambda a: a.masked_fill(a.data > 0.5, -1.0).exp(),
    "softmax": lambda a: a.softmax(dim=1) * mg.arange(24).double().reshape(2, 3, 4),
    "log_softmax": lambda a: a.log_softmax(dim=-1) * mg.arange(24).double().reshape(2, 3, 4),
    "gelu": lambda a: F.gelu(a),
    "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"),
    "layer_norm_plain": lambda a: F.layer_norm(a, (4,)) * mg.arange(4).double(),
    # added for PyTorch parity
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "erf": lambda a: (a * 2).erf(),
    "prod_dim": lambda a: a.prod(dim=1),
    "prod_all": lambda a: (a * 2).prod(),
    "std": lambda a: a.std(dim=(1, 2)),
    "std_all_biased": lambda a: a.std(unbiased=False),
    "logsumexp": lambda a: (a * 3).logsumexp(dim=-1),
    "logsumexp_keepdim": lambda a: a.logsumexp(dim=(0, 2), keepdim=True),
    "clone": lambda a: a.clone() * 2,
    "gather": lambda a: a.gather(2, mg.tensor(np.array([[[0, 3, 3], [1, 1, 0], [2, 0, 1]]] * 2))),
    "min": lambda a: a.min(),
    "min_dim_keepdim": lambda a: a.min(dim=2, keepdim=True).values,
    "leaky_relu": lambda a: F.leaky_relu(a, 0.2),
    "silu": lambda a: F.silu(a),
    "elu": lambda a: F.elu(a, alpha=1.5),
    "softplus": lambda a: F.softplus(a * 3, beta=2.0, threshold=3.0),
    "hardtanh": lambda a: F.hardtanh(a, -0.5, 0.7),
    "relu6": lambda a: F.relu6(a * 4),
    "logsigmoid": lambda a: F.logsigmoid(a * 5),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradients(name, rng):
    assert mg.gradcheck(UNARY[name], [t(rng, 2, 3, 4)])


BINARY = {
    "masked_fill_value": lambda a, b: a.masked_fill(a.data > 0, b.sum()),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "pow": lambda a, b: (a.abs() + 0.5) ** b,
    "maximum": lambda a, b: mg.maximum(a, b),
    "minimum": lambda a, b: mg.minimum(a, b),
    "where": lambda a, b: mg.where(a.data > 0, a, b),
}

shape_strategy = st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: drop leading dims and set some sizes to 1."""
    full = draw(shape_strategy)
    def part():
        keep = draw(st.integers(0, len(full)))
        dims = list(full[len(full) - keep:])
        return tuple(1 if draw(st.booleans()) else n for n in dims)
    return part(), part()


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=broadcastable_pair(), seed=st.integers(0, 2 ** 16))
def test_binary_op_gradients_under_broadcasting(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = t(rng, *shapes[0]), t(rng, *shapes[1])
    assert mg.gradcheck(BINARY[name], [a, b])


@given(batch=st.lists(st.integers(1, 3), max_size=2).map(tuple), m=st.integers(1, 3), k=st.integers(1, 3),
       n=st.integers(1, 3), case=st.sampled_from(["mm", "vec_left", "vec_right", "dot", "broadcast"]),
       seed=st.integers(0, 2 ** 16))
def test_matmul_gradients(batch, m, k, n, case, seed):
    rng = np.random.default_rng(seed)
    shapes = {"mm": (batch + (m, k), batch + (k, n)), "vec_left": ((k,), batch + (k, n)),
              "vec_right": (batch + (m, k), (k,)), "dot": ((k,), (k,)),
              "broadcast": ((1,) + batch + (m, k), (k, n))}[case]
    assert mg.gradcheck(lambda a, b: a @ b, [t(rng, *shapes[0]), t(rng, *shapes[1])])


def test_cat_stack_gradients(rng):
    a, b, c = t(rng, 2, 3), t(rng, 4, 3), t(rng, 2, 3)
    assert mg.gradcheck(lambda a, b, c: mg.cat([a, b], dim=0) * 2 + mg.cat([a, c], dim=1).sum(), [a, b, c])
    assert mg.gradcheck(lambda a, c: mg.stack([a, c], dim=1) * mg.arange(6).double().reshape(1, 2, 3), [a, c])


def test_layer_norm_affine_gradients(rng):
    x, w, b = t(rng, 3, 5), t(rng, 5), t(rng, 5)
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, 5, w, b) * mg.arange(5).double(), [x, w, b])


def test_cross_entropy_gradients(rng):
    logits = t(rng, 6, 4)
    target = np.array([0, 3, -100, 1, 2, 2])
    assert mg.gradcheck(lambda z: F.cross_entropy(z, target), [logits])
    assert mg.gradcheck(lambda z: F.cross_entropy(z, target, reduction="none"), [logits])


LOSSES = {
    "bce": lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
    "bce_weight_none": lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), weight=mg.arange(1, 5).double(),
                                                           reduction="none"),
    "bce_logits": lambda x, y: F.binary_cross_entropy_with_logits(x * 3, y.sigmoid()),
    "bce_logits_weights": lambda x, y: F.binary_cross_entropy_with_logits(
        x * 3, y.sigmoid(), weight=mg.tensor([0.5, 1.0, 2.0, 1.5]).double(), pos_weight=mg.arange(1, 5).double(),
        reduction="sum"),
    "nll_nd_weight": lambda x, y: F.nll_loss(x.reshape(3, 4, 2).log_softmax(dim=1), np.array([[0, 3], [2, 1], [1, 1]]),
                                             weight=mg.arange(1, 5).double(), ignore_index=1),
    "ce_label_smoothing_weight": lambda x, y: F.cross_entropy(x, np.array([0, 3, -100, 1, 2, 2]),
                                                              weight=mg.arange(1, 5).double(), label_smoothing=0.2),
    "ce_prob_targets": lambda x, y: F.cross_entropy(x, y.softmax(dim=1), label_smoothing=0.1),
    "ce_nd_none": lambda x, y: F.cross_entropy(x.reshape(3, 4, 2), np.array([[0, 3], [2, 1], [1, 1]]),
                                               reduction="none", label_smoothing=0.3),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradients_for_input_and_target(name, rng):
    assert mg.gradcheck(LOSSES[name], [t(rng, 6, 4), t(rng, 6, 4)])


REDUCTIONS = {
    "sum": lambda a, dim, keep: a.sum(dim, keep),
    "mean": lambda a, dim, keep: a.mean(dim, keep),
    "var": lambda a, dim, keep: a.var(dim, keepdim=keep, correction=0),
    "std": lambda a, dim, keep: (a.std(dim, keepdim=keep, correction=0) + 1e-3),
    "prod": lambda a, dim, keep: a.prod(dim, keep),
    "logsumexp": lambda a, dim, keep: a.logsumexp(dim, keep),
    "max": lambda a, dim, keep: a.max(dim, keep).values,
    "min": lambda a, dim, keep: a.min(dim, keep).values,
    "softmax": lambda a, dim, keep: a.softmax(dim),
    "log_softmax": lambda a, dim, keep: a.log_softmax(dim),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(shape=shape_strategy, data=st.data(), seed=st.integers(0, 2 ** 16))
def test_reductions_along_any_dim_gradcheck(name, shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    a = t(rng, *shape)
    if name == "std" and shape[dim] == 1:
        return  # a single value has no spread: the gradient of sqrt at 0 is not a finite difference
    assert mg.gradcheck(lambda x: REDUCTIONS[name](x, dim, keep), [a])


ZERO_D = {
    "sum": lambda x, d: x.sum(d), "mean": lambda x, d: x.mean(d), "prod": lambda x, d: x.prod(d),
    "max": lambda x, d: x.max(d).values, "min": lambda x, d: x.min(d).values, "argmax": lambda x, d: x.argmax(d),
    "argmin": lambda x, d: x.argmin(d), "logsumexp": lambda x, d: x.logsumexp(d), "softmax": lambda x, d: x.softmax(d),
    "log_softmax": lambda x, d: x.log_softmax(d), "any": lambda x, d: x.any(d), "all": lambda x, d: x.all(d),
    "squeeze": lambda x, d: x.squeeze(d), "sum_keepdim": lambda x, d: x.sum(d, keepdim=True),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
@given(value=st.floats(-5, 5), dim=st.sampled_from([0, -1]))
def test_zero_d_tensors_take_dim_0_and_minus_1(name, value, dim):
    """As torch: a 0-d tensor reduced over dim 0 or -1 is itself reduced over its one element, and stays 0-d."""
    x = mg.tensor(value, dtype=mg.float64, requires_grad=name not in ("argmax", "argmin", "any", "all"))
    out = ZERO_D[name](x, dim)
    one = ZERO_D[name](mg.tensor([value], dtype=mg.float64), 0)
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy(), one.numpy().reshape(()))
    if out.requires_grad:
        out.backward()
        assert x.grad.shape == ()
    with pytest.raises(IndexError):
        ZERO_D[name](x, 1)


COMPARISONS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
               "ge": np.greater_equal}


@given(shapes=broadcastable_pair(), seed=st.integers(0, 2 ** 16), op=st.sampled_from(sorted(COMPARISONS)),
       scalar=st.booleans())
def test_comparisons_give_bool_tensors_without_gradients(shapes, seed, op, scalar):
    rng = np.random.default_rng(seed)
    a = mg.tensor(rng.integers(-2, 3, shapes[0]).astype(np.float64), requires_grad=True)
    b = float(rng.integers(-2, 3)) if scalar else mg.tensor(rng.integers(-2, 3, shapes[1]).astype(np.float32))
    out = getattr(a, f"__{op}__")(b)
    want = COMPARISONS[op](a.data, b if scalar else b.data.astype(np.float64))
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), want)
    assert getattr(mg, op)(a, b).tolist() == out.tolist()
    assert (out.float().mean().item() == pytest.approx(want.mean())) and out.long().dtype == np.int64


def test_mse_loss_gradients(rng):
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b), [t(rng, 4, 2), t(rng, 4, 2)])


def test_gradcheck_catches_a_wrong_backward(rng):
    class WrongSquare(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x  # should be 2 x

    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(WrongSquare.apply, [t(rng, 3)])


def test_function_with_a_right_backward_passes_gradcheck(rng):
    class Softplus(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (1 + x.exp()).log()

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x.sigmoid()

    x = t(rng, 4)
    assert mg.gradcheck(Softplus.apply, [x])
    assert Softplus.apply(x).requires_grad


def test_gradcheck_requires_float64(rng):
    with pytest.raises(ValueError, match="float64"):
        mg.gradcheck(lambda a: a * 2, [mg.tensor([1.0, 2.0], requires_grad=True)])
