"""minigrad.func: stack_module_state, functional_call and vmap, as torch.func.

The reference for every stacked result is the same computation one model at a time (what
``torch.vmap`` promises: ``vmap(f)(x)[i] == f(x[i])``). Float64 throughout; where the stack
adds in another order than one model does (a batched matrix product), values agree to 1e-12
relative, far above float64's rounding (1e-16) and far below any difference a bug makes.
Each test runs on the CPU, on a CUDA GPU where there is one, and on the strict CuPy stand-in.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.func import BatchedTensor, functional_call, stack_module_state, vmap
from minigrad.nn import functional as F
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from minigrad.training import fit
from minigrad.utils.data import DataLoader, TensorDataset

RTOL = 1e-12


def mlp(seed, device, activation=nn.ReLU):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7, dtype=mg.float64), activation(), nn.Linear(7, 3, dtype=mg.float64)).to(device)


class Cell(nn.Module):
    """A tanh recurrent network written with minigrad ops: the shape of lesson 8's network."""

    def __init__(self, seed, device):
        super().__init__()
        mg.manual_seed(seed)
        self.input = nn.Parameter(mg.randn(2, 4, dtype=mg.float64).to(device))
        self.recurrent = nn.Parameter(mg.randn(4, 4, dtype=mg.float64).to(device) * 0.5)
        self.output = nn.Linear(4, 1, dtype=mg.float64).to(device)

    def forward(self, x):
        h = mg.zeros(x.shape[0], 4, dtype=mg.float64, device=x.device)
        for t in range(x.shape[1]):
            h = (x[:, t] @ self.input + h @ self.recurrent).tanh()
        return self.output(h).reshape(x.shape[0])


def data(device, rows=6, features=5, seed=0):
    rng = np.random.default_rng(seed)
    return (mg.tensor(rng.standard_normal((rows, features)), device=device),
            mg.tensor(rng.integers(0, 3, rows), device=device))


def numpy(x):
    return x.numpy() if isinstance(x, mg.Tensor) else mg.tensor(x).numpy()


def test_stack_module_state_stacks_copies_as_leaves(device):
    models = [mlp(seed, device) for seed in range(3)]
    params, buffers = stack_module_state(models)
    assert buffers == {} and list(params) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, stacked in params.items():
        assert stacked.shape == (3,) + dict(models[0].named_parameters())[name].shape
        assert stacked.is_leaf and stacked.requires_grad and stacked.device == device
        for i, model in enumerate(models):
            np.testing.assert_array_equal(numpy(stacked)[i], numpy(dict(model.named_parameters())[name]))
    params["0.bias"].data[...] = 0.0  # a copy: the models keep their weights
    assert np.abs(numpy(models[0][0].bias)).sum() > 0


def test_stack_module_state_refuses_models_of_another_structure(device):
    with pytest.raises(ValueError, match="model 1 does not have model 0's parameters"):
        stack_module_state([mlp(0, device), nn.Linear(5, 3).to(device)])
    with pytest.raises(ValueError, match="non-empty list of minigrad Modules"):
        stack_module_state([])


def test_functional_call_uses_the_given_tensors_and_puts_the_module_back(device):
    model, other = mlp(0, device), mlp(1, device)
    x, _ = data(device)
    swapped = functional_call(model, dict(other.named_parameters()), (x,))
    np.testing.assert_allclose(numpy(swapped), numpy(other(x)), rtol=RTOL)
    np.testing.assert_allclose(numpy(functional_call(model, {}, x)), numpy(model(x)), rtol=RTOL)
    assert model[0].weight is dict(model.named_parameters())["0.weight"] is model[0]._parameters["weight"]
    with pytest.raises(ValueError, match="no parameter named '1.weight'"):
        functional_call(model, {"1.weight": other[0].weight}, (x,))
    with pytest.raises(ValueError, match="strict=True but no tensors given"):
        functional_call(model, {"0.weight": other[0].weight}, (x,), strict=True)


@pytest.mark.parametrize("activation", [nn.ReLU, nn.Tanh, nn.Sigmoid])
def test_vmapped_losses_and_one_backward_give_every_model_its_own_gradient(device, activation):
    models = [mlp(seed, device, activation) for seed in range(4)]
    params, _ = stack_module_state(models)
    x, y = data(device)

    def loss_of(p, x, y):
        return F.cross_entropy(functional_call(models[0], p, (x,)), y)
    losses = vmap(loss_of, in_dims=(0, None, None))(params, x, y)
    assert losses.shape == (4,) and not isinstance(losses, BatchedTensor)
    losses.sum().backward()
    for i, model in enumerate(models):
        alone = F.cross_entropy(model(x), y)
        alone.backward()
        assert numpy(losses)[i] == pytest.approx(alone.item(), rel=RTOL)
        for name, p in model.named_parameters():
            np.testing.assert_allclose(numpy(params[name].grad)[i], numpy(p.grad), rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_vmapped_losses_reduce_per_model(device, reduction):
    models = [mlp(seed, device) for seed in range(3)]
    params, _ = stack_module_state(models)
    x, y = data(device)
    targets = mg.tensor(np.random.default_rng(1).standard_normal((6, 3)), device=device)
    for loss, target in ((F.cross_entropy, y), (F.mse_loss, targets)):
        out = vmap(lambda p: loss(functional_call(models[0], p, x), target, reduction=reduction))(params)
        for i, model in enumerate(models):
            np.testing.assert_allclose(numpy(out)[i], numpy(loss(model(x), target, reduction=reduction)), rtol=RTOL)


def test_per_model_targets_and_ignored_classes(device):
    models = [mlp(seed, device) for seed in range(2)]
    params, _ = stack_module_state(models)
    x, _ = data(device)
    y = mg.tensor(np.array([[0, 1, 2, -100, 1, 0], [-100] * 6]), device=device)  # model 1: every target ignored
    out = numpy(vmap(lambda p, y: F.cross_entropy(functional_call(models[0], p, x), y))(params, y))
    assert out[0] == pytest.approx(F.cross_entropy(models[0](x), y[0]).item(), rel=RTOL) and math.isnan(out[1])


def test_an_ensemble_trains_as_the_models_trained_one_by_one_with_fit(device):
    """Adam works entry by entry, so one Adam over the stacked weights is every model's own Adam."""
    models = [mlp(seed, device) for seed in range(3)]
    x, y = data(device, rows=24)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    params, _ = stack_module_state(models)
    optimizer = optim.Adam(params.values(), lr=0.05)
    step_losses = vmap(lambda p, x, y: F.cross_entropy(functional_call(models[0], p, (x,)), y),
                       in_dims=(0, None, None))
    for _ in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            step_losses(params, xb, yb).sum().backward()
            optimizer.step()
    for i, model in enumerate(models):
        fit(model, optim.Adam(model.parameters(), lr=0.05), loader, F.cross_entropy, epochs=3, progress=False)
        for name, p in model.named_parameters():
            np.testing.assert_allclose(numpy(params[name])[i], numpy(p), rtol=1e-10, atol=1e-13)


def test_a_recurrent_network_and_per_model_clipping(device):
    models = [Cell(seed, device) for seed in range(4)]
    params, _ = stack_module_state(models)
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((5, 7, 2)), device=device)  # 5 sequences of 7 steps, 2 numbers a step
    y = mg.tensor(rng.standard_normal(5), device=device)
    losses = vmap(lambda p, x, y: F.mse_loss(functional_call(models[0], p, (x,)), y), in_dims=(0, None, None))
    losses(params, x, y).sum().backward()
    weights = list(params.values())
    norms = vmap(get_total_norm)([w.grad for w in weights])
    limits = np.array([0.01, math.inf, 0.1, 1e6])  # clipped, never clipped, clipped, far above the norm
    vmap(clip_grads_with_norm_)(weights, mg.tensor(limits, device=device), norms)
    vmap(clip_grad_value_, in_dims=(0, None))(weights, 0.004)
    for i, model in enumerate(models):
        F.mse_loss(model(x), y).backward()
        norm = clip_grad_norm_(model.parameters(), limits[i])
        clip_grad_value_(model.parameters(), 0.004)
        assert numpy(norms)[i] == pytest.approx(norm, rel=RTOL)
        for name, p in model.named_parameters():
            np.testing.assert_allclose(numpy(params[name].grad)[i], numpy(p.grad), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_per_model_norms_of_every_order(device, norm_type, rng):
    grads = [rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 5))]
    per_model = numpy(vmap(get_total_norm, in_dims=(0, None))([mg.tensor(g, device=device) for g in grads],
                                                              norm_type))
    for i in range(3):
        assert per_model[i] == pytest.approx(get_total_norm([g[i] for g in grads], norm_type), rel=RTOL)


FUNCTIONS = {  # one model's computation, with tensors a (4, 3), b (3,), c (2, 4, 3) and shared w (3, 2), v (3,)
    "broadcast add": lambda a, b, c, w, v: a + b,
    "shared first": lambda a, b, c, w, v: v * a - 1.5 / (a.abs() + 1),
    "rank 3 with rank 1": lambda a, b, c, w, v: (c * b).sum(dim=(0, 2)),
    "matrix @ shared": lambda a, b, c, w, v: a @ w,
    "shared @ vector": lambda a, b, c, w, v: w.T @ b,
    "vector @ vector": lambda a, b, c, w, v: b @ v + b @ b,
    "batched @ batched": lambda a, b, c, w, v: c @ a.T,
    "reductions": lambda a, b, c, w, v: a.mean(0) + a.sum(1, keepdim=True).exp().mean(),
    "reshape, index, transpose": lambda a, b, c, w, v: a.reshape(2, 6)[:, 1:4].transpose(0, 1).tanh()[-1],
    "softmax": lambda a, b, c, w, v: a.log_softmax(dim=1) + a.softmax(-1) * a.sigmoid(),
    "unsqueeze, squeeze": lambda a, b, c, w, v: (b.unsqueeze(0) * a).unsqueeze(-1).squeeze(2).relu(),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vmap_of_tensor_methods_is_a_loop_over_the_models(device, name, rng):
    f = FUNCTIONS[name]
    stacked = [mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
               for shape in ((5, 4, 3), (5, 3), (5, 2, 4, 3))]
    shared = [mg.tensor(rng.standard_normal(shape), device=device) for shape in ((3, 2), (3,))]
    out = vmap(f, in_dims=(0, 0, 0, None, None))(*stacked, *shared)
    (out * out).sum().backward()
    grads = [None if t.grad is None else numpy(t.grad) for t in stacked]
    for i in range(5):
        own = [mg.tensor(numpy(t)[i], requires_grad=True, device=device) for t in stacked]
        alone = f(*own, *shared)
        np.testing.assert_allclose(numpy(out)[i], numpy(alone), rtol=RTOL, atol=1e-14)
        (alone * alone).sum().backward()
        for grad, t in zip(grads, own):
            assert (grad is None) == (t.grad is None)  # an input the function does not use gets none
            if grad is not None:
                np.testing.assert_allclose(grad[i], numpy(t.grad), rtol=1e-10, atol=1e-14)


def test_in_dims_and_out_dims_move_the_model_axis(device, rng):
    x = mg.tensor(rng.standard_normal((3, 4)), device=device)
    out = vmap(lambda row: row * 2, in_dims=1, out_dims=1)(x)  # columns are the models
    np.testing.assert_allclose(numpy(out), numpy(x) * 2)
    same = vmap(lambda a, b: b, in_dims=(0, None))(x, mg.tensor(np.ones(2), device=device))
    assert same.shape == (3, 2)  # an output that is the same for every model is repeated, as in torch


def test_vmap_says_what_it_does_not_cover(device, rng):
    x = mg.tensor(rng.standard_normal((3, 4)), device=device)
    for f, message in [(lambda a: a.data, "Tensor.data is not covered"),
                       (lambda a: a.item(), "Tensor.item is not covered"),
                       (lambda a: mg.cat([a, a]), "Tensor.data is not covered"),
                       (lambda a: vmap(lambda b: b)(a), "a vmap inside a vmap"),
                       (lambda a: F.dropout(a, 0.5), "dropout draws random numbers")]:
        with pytest.raises(NotImplementedError, match=message):
            vmap(f)(x)
    with pytest.raises(ValueError, match="disagree on the number of models"):
        vmap(lambda a, b: a + b)(x, mg.tensor(np.ones((2, 4)), device=device))
    with pytest.raises(ValueError, match="only tensors and arrays can be batched"):
        vmap(lambda a, n: a * n)(x, 3)
    with pytest.raises(ValueError, match="no input is batched"):
        vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(NotImplementedError, match="label_smoothing"):
        vmap(lambda a: F.cross_entropy(a, mg.tensor([0, 1, 2, 0]), label_smoothing=0.1))(
            mg.tensor(rng.standard_normal((2, 4, 3)), device=device))


def test_tanh_rnn_is_the_loop_of_minigrad_ops_as_one_node(device, rng):
    """F.tanh_rnn computes what ``h = (u[:, t] + h @ w).tanh()`` computes step by step, with the same
    additions in the same order: forward and gradients agree to the last bit, alone and under vmap."""
    u = mg.tensor(rng.standard_normal((3, 5, 4)), requires_grad=True, device=device)
    w = mg.tensor(rng.standard_normal((4, 4)) * 0.5, requires_grad=True, device=device)
    stacked = mg.tensor(rng.standard_normal((6, 4, 4)) * 0.5, requires_grad=True, device=device)

    def loop(u, w):
        h = mg.zeros(3, 4, dtype=mg.float64, device=device)
        for t in range(5):
            h = (u[:, t] + h @ w).tanh()
        return h
    assert mg.gradcheck(F.tanh_rnn, [u, w])
    grads = []
    for f in (F.tanh_rnn, loop):
        out = f(u, w)
        (out * out).sum().backward()
        grads.append((numpy(out), numpy(u.grad), numpy(w.grad)))
        u.grad = w.grad = None
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(numpy(vmap(lambda w: F.tanh_rnn(u, w))(stacked)),
                                  numpy(vmap(lambda w: loop(u, w))(stacked)))
    with pytest.raises(RuntimeError, match=r"expected inputs \(..., N, T, H\)"):
        F.tanh_rnn(u, mg.tensor(np.ones((3, 3)), device=device))


def test_tanh_rnn_with_an_input_weight_projects_each_step_inside_the_node(device, rng):
    """With ``input_weight`` and ``bias`` (PyTorch's RNN cell), F.tanh_rnn computes each step's input term
    itself: the forward is the precomputed form's to the last bit (the same products and sums, in the same
    order), the gradients agree to rounding (the input weight's is summed step by step instead of over
    all steps at once: about 1e-15 relative), alone and under vmap; gradcheck holds; bad shapes are named."""
    x = mg.tensor(rng.standard_normal((6, 5, 2)), requires_grad=True, device=device)
    w_in = mg.tensor(rng.standard_normal((2, 4)), requires_grad=True, device=device)
    b = mg.tensor(rng.standard_normal(4), requires_grad=True, device=device)
    w = mg.tensor(rng.standard_normal((4, 4)) * 0.5, requires_grad=True, device=device)
    results = []
    for f in (lambda: F.tanh_rnn(x @ w_in + b, w), lambda: F.tanh_rnn(x, w, w_in, b)):
        out = f()
        (out * out).sum().backward()
        results.append([numpy(out)] + [numpy(t.grad) for t in (x, w_in, b, w)])
        for t in (x, w_in, b, w):
            t.grad = None
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for precomputed, inside in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(inside, precomputed, rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(lambda x, w, w_in, b: F.tanh_rnn(x, w, w_in, b),
                        [x[:2, :3], w, w_in, b])
    stacked_in = mg.tensor(rng.standard_normal((3, 2, 4)), device=device)
    stacked_b = mg.tensor(rng.standard_normal((3, 4)), device=device)
    np.testing.assert_array_equal(numpy(vmap(lambda w_in, b: F.tanh_rnn(x, w, w_in, b))(stacked_in, stacked_b)),
                                  numpy(vmap(lambda w_in, b: F.tanh_rnn(x @ w_in + b, w))(stacked_in, stacked_b)))
    with pytest.raises(RuntimeError, match=r"expected inputs \(..., N, T, I\), a weight \(..., H, H\), an input_weight"):
        F.tanh_rnn(x, w, mg.tensor(np.ones((3, 4)), device=device))


@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5)])
def test_fused_linear_is_the_composite_ops_to_the_last_bit(device, rng, shape):
    """F.linear is one node, but adds in the order of ``x @ W.T + b``: a chaotic run (lesson 9's run at a
    too-high rate) must not change when a model's linear layers become fused."""
    x = mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
    w = mg.tensor(rng.standard_normal((6, 5)), requires_grad=True, device=device)
    b = mg.tensor(rng.standard_normal(6), requires_grad=True, device=device)
    results = []
    for f in (lambda: F.linear(x, w, b), lambda: x @ w.T + b):
        x.grad = w.grad = b.grad = None
        out = f()
        (out * out).sum().backward()
        results.append([numpy(out), numpy(x.grad), numpy(w.grad), numpy(b.grad)])
    for fused, composite in zip(*results):
        np.testing.assert_array_equal(fused, composite)
