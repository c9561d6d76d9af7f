"""The GPT-style model: shapes, causality, tied weights, generation, and gradients by finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.gpt import GPT, GPTConfig


def tiny(dtype=np.float64, **overrides):
    mg.manual_seed(0)
    cfg = dict(vocab_size=7, block_size=5, n_layer=2, n_head=2, n_embd=4, dropout=0.0, tie_weights=True)
    cfg.update(overrides)
    model = GPT(GPTConfig(**cfg))
    for p in model.parameters():  # float64 so finite differences can tell right from wrong
        p.data = p.data.astype(dtype)
    return model


def test_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="divisible by n_head"):
        GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=3, n_embd=8)
    with pytest.raises(ValueError, match="n_layer"):
        GPTConfig(vocab_size=10, block_size=8, n_layer=0, n_head=2, n_embd=8)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8, dropout=1.0)


def test_forward_shapes_and_loss_matches_cross_entropy():
    model = tiny()
    idx = np.array([[1, 2, 3, 4], [0, 6, 5, 1]])
    targets = np.array([[2, 3, 4, -100], [6, 5, 1, 2]])
    logits, loss = model(idx, targets)
    assert logits.shape == (2, 4, 7)
    logp = logits.data - np.log(np.exp(logits.data).sum(-1, keepdims=True))
    keep = targets != -100
    manual = -logp[keep, targets[keep]].mean()
    assert loss.item() == pytest.approx(manual, rel=1e-10)


def test_attention_is_causal():
    model = tiny()
    a = np.array([[1, 2, 3, 4, 5]])
    b = a.copy()
    b[0, 3:] = [0, 6]  # change only the future of positions 0..2
    la, lb = model(a).data, model(b).data
    np.testing.assert_allclose(la[0, :3], lb[0, :3], rtol=0, atol=1e-12)
    assert not np.allclose(la[0, 3:], lb[0, 3:])


def test_tied_and_separate_heads():
    tied, separate = tiny(tie_weights=True), tiny(tie_weights=False)
    assert tied.lm_head.weight is tied.wte.weight
    assert separate.lm_head.weight is not separate.wte.weight
    assert separate.num_parameters() - tied.num_parameters() == 7 * 4
    names = [n for n, _ in tied.named_parameters()]
    assert "lm_head.weight" not in names  # listed once, under the embedding


def test_rejects_sequences_longer_than_block_size():
    model = tiny()
    with pytest.raises(ValueError, match="block_size"):
        model(np.zeros((1, 6), dtype=np.int64))
    with pytest.raises(TypeError, match="integer"):
        model(np.zeros((1, 3)))


def test_gradients_match_finite_differences_every_parameter():
    model = tiny()
    params = list(model.parameters())
    idx = np.array([[1, 2, 3, 4, 5], [6, 0, 2, 2, 1]])
    targets = np.array([[2, 3, 4, 5, 6], [0, 2, 2, 1, -100]])

    def loss_fn(*_):
        return model(idx, targets)[1]

    assert mg.gradcheck(loss_fn, params, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradients_untied_head_random_direction_on_logits():
    model = tiny(tie_weights=False, n_layer=1)
    idx = np.array([[3, 1, 4, 1]])
    assert mg.gradcheck(lambda *_: model(idx), list(model.parameters()), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_catches_a_broken_gradient():
    """The check above can fail: scale one parameter's gradient and it must."""
    model = tiny(n_layer=1)
    idx = np.array([[1, 2, 3]])
    params = list(model.parameters())
    weight = model.h[0].mlp.c_fc.weight

    def loss_fn(*_):
        out = model(idx).sum()
        # a custom op whose backward is wrong by a factor of 2 for one weight
        return out + _double_grad(weight).sum()

    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(loss_fn, params, eps=1e-6, atol=1e-6, rtol=1e-4)


class _Doubled(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return grad * 2.0


def _double_grad(x):
    return _Doubled.apply(x)


def test_generate_shapes_determinism_and_top_k():
    model = tiny(dtype=np.float32)
    start = np.array([[1], [2]])
    mg.manual_seed(3)
    a = model.generate(start, 6, temperature=0.9, top_k=3)
    mg.manual_seed(3)
    b = model.generate(start, 6, temperature=0.9, top_k=3)
    assert a.shape == (2, 7) and a.dtype == np.int64
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.data[:, :1], start)
    # top_k=1 is greedy decoding: always the most likely next token
    greedy = model.generate(start, 3, top_k=1).data
    for t in range(1, 4):
        window = greedy[:, max(0, t - 5):t]
        np.testing.assert_array_equal(greedy[:, t], model(window).data[:, -1].argmax(-1))
    assert model.training  # generate leaves the mode as it found it
    with pytest.raises(ValueError, match="temperature"):
        model.generate(start, 2, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(start, 2, top_k=0)


def test_dropout_only_in_training_mode():
    model = tiny(dtype=np.float32, dropout=0.5)
    idx = np.array([[1, 2, 3, 4]])
    mg.manual_seed(1)
    a = model(idx).data
    b = model(idx).data
    assert not np.allclose(a, b)
    model.eval()
    np.testing.assert_array_equal(model(idx).data, model(idx).data)


def test_training_steps_lower_the_loss():
    """A few AdamW steps on one repeated batch must fit it: the model can learn at all."""
    model = tiny(dtype=np.float32, n_embd=16)
    idx = np.array([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]])
    targets = np.roll(idx, -1, axis=1)
    opt = mg.optim.AdamW(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        opt.zero_grad()
        _, loss = model(idx, targets)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.25 * first
