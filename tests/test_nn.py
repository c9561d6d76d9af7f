"""nn.Module registration, state, layers and their initialisation."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.out = nn.Linear(8, 2, bias=False)
        self.scale = nn.Parameter(mg.ones(1))
        self.not_a_param = mg.ones(3)  # plain tensors are not registered

    def forward(self, x):
        x = self.hidden(x).relu()
        for block in self.blocks:
            x = block(x).tanh()
        return self.out(x) * self.scale


def test_parameters_are_registered_recursively():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.1.weight", "blocks.1.bias", "out.weight"]
    assert model.num_parameters() == 1 + 4 * 8 + 8 + 2 * (64 + 8) + 16
    assert [type(c).__name__ for c in model.children()] == ["Linear", "ModuleList", "Linear"]


def test_train_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.eval()
    assert not any(m.training for m in model.modules())
    x = mg.ones(3, 2)
    np.testing.assert_array_equal(model[1](x).numpy(), x.numpy())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_and_backward_fill_every_parameter():
    model = TwoLayer()
    model(mg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_and_errors():
    mg.manual_seed(0)
    a, b = TwoLayer(), TwoLayer()
    b.load_state_dict(a.state_dict())
    x = mg.randn(3, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    state.pop("out.weight")
    state["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing keys \['out.weight'\], unexpected keys \['extra'\]"):
        b.load_state_dict(state)
    state = a.state_dict()
    state["hidden.bias"] = np.zeros(9)
    with pytest.raises(RuntimeError, match=r"hidden.bias: checkpoint \(9,\) vs model \(8,\)"):
        b.load_state_dict(state)


def test_state_dict_is_a_copy():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    state["weight"][...] = 100
    assert np.abs(model.weight.numpy()).max() < 1


def test_linear_uses_torch_default_initialisation():
    mg.manual_seed(0)
    layer = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (50, 100) and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)  # the std of U(-bound, bound)


def test_linear_input_shape_error():
    with pytest.raises(RuntimeError, match=r"Linear\(4, 2\) got input of shape \(3, 5\)"):
        nn.Linear(4, 2)(mg.zeros(3, 5))


def test_embedding_and_layernorm():
    emb = nn.Embedding(10, 4)
    out = emb(mg.tensor([[1, 2], [2, 9]]))
    assert out.shape == (2, 2, 4)
    out.sum().backward()
    assert emb.weight.grad[2].tolist() == [2.0] * 4 and emb.weight.grad[0].tolist() == [0.0] * 4
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        emb(mg.tensor([10]))
    norm = nn.LayerNorm(4)
    y = norm(mg.randn(3, 4) * 10 + 5).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(-1), 1, atol=1e-3)


def test_dropout_scales_kept_units_and_validates_p():
    mg.manual_seed(0)
    y = nn.Dropout(0.25)(mg.ones(10_000)).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.75], rtol=1e-6)
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(1.5)


def test_module_needs_super_init():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Broken()
