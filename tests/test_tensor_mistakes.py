"""The tensor core, the way participants slip (issue 14): kept losses, odd inputs, in-place updates."""
import gc
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim


# ------------------------------------------------------------------ backward frees the graph (item 3)
def test_a_kept_loss_does_not_keep_its_graph_alive():
    x = mg.tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    hidden = (x * 2).tanh()
    probe = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    loss.backward()
    gc.collect()
    assert probe() is None  # the loss no longer reaches its intermediate results
    assert loss.item() > 0 and x.grad.shape == (4, 3)


def test_retain_graph_keeps_it_for_a_second_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * x
    probe = weakref.ref(hidden)
    loss = hidden.sum()
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert probe() is not None
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_backward_through_a_graph_freed_by_another_loss_says_what_to_do():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    shared = x * x
    first, second = shared.sum(), (shared * 2).sum()
    first.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        second.backward()


def test_keeping_300_loss_tensors_costs_next_to_nothing():
    """The issue's loop, shortened: a 64-256-10 network at batch 512, keeping ``loss`` instead of ``loss.item()``.

    Before backward freed the graph each kept loss held about 1.6 MB of arrays (about 48 MB here).
    """
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((512, 64)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 10, 512))
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    losses = []

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss)

    step()  # optimizer state and caches exist before measuring
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            step()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1e6, f"{grown / 1e6:.1f} MB kept by 30 loss tensors"


# ------------------------------------------------------------------ what tensor() takes (item 8)
def test_tensor_accepts_a_range_as_torch_does():
    t = mg.tensor(range(5))
    assert t.tolist() == [0, 1, 2, 3, 4] and t.dtype == np.int64 and t.device == "cpu"


@pytest.mark.parametrize("data, name", [(None, "None"), ((i for i in range(3)), "a generator"),
                                        ({"a": 1}, "a dict"), ("abc", "a str"), ({1, 2}, "a set")])
def test_tensor_refuses_other_objects_naming_their_type(data, name):
    with pytest.raises(TypeError, match=f"cannot make a tensor from {name}") as info:
        mg.tensor(data)
    assert "CuPy" not in str(info.value) and "cuda" not in str(info.value)


def test_a_list_of_tensors_is_stacked_without_its_graph():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    t = mg.tensor([w * 2, mg.tensor([3.0, 4.0])])
    assert t.shape == (2, 2) and t.dtype == np.float32 and not t.requires_grad
    assert t.tolist() == [[2.0, 4.0], [3.0, 4.0]]
    assert mg.tensor([mg.tensor(1.0), 2.0]).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"tensors of one shape, got \[\(2,\), \(3,\)\]"):
        mg.tensor([mg.zeros(2), mg.zeros(3)])


def test_ragged_lists_are_named_as_such():
    with pytest.raises(ValueError, match="different lengths"):
        mg.tensor([[1.0, 2.0], [3.0]])


# ------------------------------------------------------------------ in-place operators (item 10)
def test_the_manual_update_idiom_updates_the_weight_in_place():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    same, data = w, w.data
    (w * w).sum().backward()
    with mg.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.data is data and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    w.grad = None
    (w * w).sum().backward()  # the next step works: w is still the leaf the optimizer would update
    np.testing.assert_allclose(w.grad, [1.6, 3.2])


def test_an_in_place_change_of_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation.*no_grad"):
        w -= 1.0
    assert w.tolist() == [1.0, 2.0]


def test_in_place_operators_on_plain_tensors():
    x = mg.zeros(3)
    view = x
    x += 1
    x *= mg.tensor([1.0, 2.0, 3.0])
    x /= 2
    x -= 0.5
    assert view is x and x.tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        x += mg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="int64"):
        counts = mg.tensor([1, 2])
        counts /= 2


def test_in_place_operators_inside_a_graph_make_a_new_tensor():
    """As before: ``running += loss`` keeps working (a new tensor, the graph stays right)."""
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    running = 0.0
    for _ in range(2):
        loss = (w * w).sum()
        running += loss
    running.backward()
    np.testing.assert_allclose(w.grad, [4.0, 8.0])
    plain = mg.zeros(2)
    alias = plain
    plain += w
    assert plain.requires_grad and alias.tolist() == [0.0, 0.0]


# ------------------------------------------------------------------ smaller ones (item 11)
def test_linear_with_zero_inputs_works_as_in_torch():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        layer = nn.Linear(0, 3)
    assert layer(mg.zeros(2, 0)).tolist() == [[0.0] * 3] * 2


def test_sqrt_at_zero_gives_an_infinite_gradient_without_a_warning():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.sqrt().sum().backward()
    assert x.grad[0] == np.inf and x.grad[1] == pytest.approx(0.25)


def test_a_custom_function_that_forgets_save_for_backward_is_told_what_to_do():
    class Square(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    with pytest.raises(RuntimeError, match=r"forward never called ctx.save_for_backward.*ctx.save_for_backward\(x\)"):
        Square.apply(mg.tensor([1.0], requires_grad=True)).sum().backward()


def test_a_custom_function_returning_a_wrong_gradient_is_named():
    class Broken(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output  # shape () for an input of shape (3,)

    with pytest.raises(RuntimeError, match=r"Function Broken returned an invalid gradient at index 0: got shape "
                                           r"\(\) but expected \(3,\)"):
        Broken.apply(mg.tensor([1.0, 2.0, 3.0], requires_grad=True)).backward()

    class Number(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad_output):
            return 1.0

    with pytest.raises(TypeError, match="Number.backward returned a float as gradient 0: return a Tensor"):
        Number.apply(mg.tensor(1.0, requires_grad=True)).backward()


def test_gradcheck_leaves_its_inputs_as_they_were_when_fn_raises():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    x.grad = np.array([5.0, 5.0])
    calls = []

    def fails_on_the_third_call(t):
        calls.append(1)
        if len(calls) == 3:  # while x[0] is nudged down for the finite difference
            raise ValueError("a bug in fn")
        return t * 2

    with pytest.raises(ValueError, match="a bug in fn"):
        mg.gradcheck(fails_on_the_third_call, [x])
    assert x.tolist() == [1.0, 2.0] and x.grad.tolist() == [5.0, 5.0]

    class BadBackward(mg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, grad_output):
            raise ArithmeticError("a bug in backward")

    with pytest.raises(ArithmeticError):
        mg.gradcheck(BadBackward.apply, [x])
    assert x.grad.tolist() == [5.0, 5.0]
