"""Tensor creation, the backward engine's rules, and the errors a user meets."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def test_dtypes_follow_torch():
    assert mg.tensor(1.5).dtype == np.float32
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.tensor(np.zeros(3)).dtype == np.float64  # float64 arrays stay float64
    assert mg.zeros(2, 3).dtype == np.float32
    assert mg.arange(5).dtype == np.int64 and mg.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert (mg.arange(4) * 0.5).tolist() == [0.0, 0.5, 1.0, 1.5]  # an int tensor times a float is not truncated
    assert (mg.tensor([1.0, 2.0]) * 3).dtype == np.float32


def test_attributes(device):
    x = mg.ones(2, 3, device=device, requires_grad=True)
    assert (x.shape, x.ndim, x.device, x.requires_grad, x.grad) == ((2, 3), 2, device, True, None)
    assert x.sum().item() == 6.0
    assert isinstance(x.numpy(), np.ndarray)
    d = x.detach()
    assert not d.requires_grad and d.data is x.data


def test_backward_accumulates_until_zeroed():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_reused_node_gets_every_contribution():
    a = mg.tensor(3.0, requires_grad=True)
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.backward()
    assert a.grad == pytest.approx(24.0)


def test_deep_chain_has_no_recursion_limit():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-3)


def test_backward_needs_a_gradient_for_non_scalars():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-element output.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(mg.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_backward_twice_through_a_freed_graph_says_what_to_do():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_array_equal(x.grad, [2 + 4, 4 + 8])


def test_backward_without_graph_is_explained():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        mg.tensor([1.0]).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating-point.*int64"):  # torch's class
        mg.tensor([1, 2], requires_grad=True)


def test_no_grad_as_context_and_decorator():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert not (x * 2).requires_grad

    @mg.no_grad()
    def double(v):
        return v * 2

    assert not double(x).requires_grad
    assert (x * 2).requires_grad and mg.is_grad_enabled()


def test_non_leaf_grad_is_kept_only_when_asked():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    k = x * 3
    (h * k).sum().backward()
    np.testing.assert_array_equal(h.grad, [3.0, 6.0])
    assert k.grad is None


def test_matmul_shape_error_names_both_shapes_and_the_op():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\)"):
        mg.zeros(3, 4) @ mg.zeros(5, 2)


def test_broadcast_error_names_both_shapes_and_the_op():
    with pytest.raises(RuntimeError, match=r"add: shapes \(3, 4\) and \(3,\) cannot be broadcast"):
        mg.zeros(3, 4) + mg.zeros(3)


def test_reshape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*\(4,\)"):
        mg.zeros(2, 3).reshape(4)


def test_cross_entropy_shape_and_dtype_errors():
    with pytest.raises(ValueError, match=r"\(N, C\).*\(4, 3\).*\(5,\)"):
        F.cross_entropy(mg.zeros(4, 3), np.zeros(5, dtype=int))
    with pytest.raises(RuntimeError, match="probability targets must have the logits' shape"):
        F.cross_entropy(mg.zeros(4, 3), np.zeros(4))  # float targets are probabilities, as in torch
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(mg.zeros(2, 3), np.array([0, 3]))


def test_mse_loss_refuses_silent_broadcasting():
    with pytest.raises(RuntimeError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(mg.zeros(4, 1), mg.zeros(4))


def test_softmax_and_cross_entropy_are_stable_for_huge_logits():
    logits = mg.tensor([[1000.0, 0.0, -1000.0], [500.0, 500.0, 0.0]], requires_grad=True)
    probs = logits.softmax(dim=-1).numpy()
    assert np.isfinite(probs).all() and probs[1, 0] == pytest.approx(0.5)
    loss = F.cross_entropy(logits, np.array([2, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad).all()
    assert np.isfinite(logits.log_softmax(dim=-1).numpy()).all()


def test_repeated_indices_add_up():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_max_with_dim_returns_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])


def test_manual_seed_reproduces_random_numbers():
    mg.manual_seed(7)
    a = mg.randn(3, 2).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(a, mg.randn(3, 2).numpy())
    with pytest.raises(ValueError, match="non-negative integer"):
        mg.manual_seed(-1)


def test_numpy_array_on_the_left_defers_to_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0], dtype=np.float32) * x
    assert isinstance(y, mg.Tensor) and y.requires_grad


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.zeros(2, device="tpu")


@pytest.mark.skipif(mg.cuda_is_available(), reason="checks the message shown where CUDA is missing")
def test_cuda_without_gpu_says_what_to_install():
    with pytest.raises(RuntimeError, match="cupy-cuda12x"):
        mg.zeros(2, device="cuda")


@pytest.mark.skipif(not mg.cuda_is_available(), reason="no CUDA GPU with CuPy on this machine")
def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        mg.zeros(2) + mg.zeros(2, device="cuda")


@pytest.mark.skipif(not mg.cuda_is_available(), reason="no CUDA GPU with CuPy on this machine")
def test_to_moves_data_and_gradients_back():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("cuda") * 2).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0] and isinstance(x.grad, np.ndarray)


def test_zero_to_a_negative_power_is_inf_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch gives inf silently; so must we
        out = mg.tensor([0.0, 2.0]) ** -1.0
    assert np.isinf(out.numpy()[0]) and out.numpy()[1] == 0.5
