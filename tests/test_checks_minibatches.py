"""Lesson 3's checks: each common mistake is caught with its hint, and right answers pass."""
import numpy as np
import pytest

from coursekit.checks import check_minibatch_grad, check_minibatch_indices, check_sgd_epoch

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- minibatch_indices
def minibatch_indices(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def indices_shuffle_in_place(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)  # the same draws as rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def indices_in_order(n, batch_size, rng):
    return [np.arange(n)[i:i + batch_size] for i in range(0, n, batch_size)]


def indices_drop_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]


def indices_with_replacement(n, batch_size, rng):
    return [rng.integers(0, n, size=min(batch_size, n - i)) for i in range(0, n, batch_size)]


def indices_array_split(n, batch_size, rng):
    return np.array_split(rng.permutation(n), -(-n // batch_size))


def indices_other_shuffle(n, batch_size, rng):
    order = np.random.default_rng(123).permutation(n)  # ignores the rng it was given
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def indices_duplicate(n, batch_size, rng):
    order = rng.permutation(n)
    order[-1] = order[0]
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def test_minibatch_indices_reference_passes(capsys):
    expect_pass(check_minibatch_indices, minibatch_indices, capsys)
    expect_pass(check_minibatch_indices, indices_shuffle_in_place, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (indices_in_order, "the batches are not shuffled"),
    (indices_drop_last, "the last, smaller batch is missing"),
    (indices_with_replacement, "you drew indices with replacement"),
    (indices_array_split, "np.array_split makes batches of unequal sizes"),
    (indices_other_shuffle, "right batches, different shuffle"),
    (indices_duplicate, "appears 2 times"),
])
def test_minibatch_indices_mistakes(wrong, hint):
    expect_hint(check_minibatch_indices, wrong, hint)


# ---------------------------------------------------------------- minibatch_grad
def minibatch_grad(w, X, y, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb) / len(idx)


def grad_whole_data(w, X, y, idx):
    return 2 * X.T @ (X @ w - y) / len(y)


def grad_divided_by_n(w, X, y, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb) / len(y)


def grad_summed(w, X, y, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb)


def grad_no_two(w, X, y, idx):
    Xb, yb = X[idx], y[idx]
    return Xb.T @ (Xb @ w - yb) / len(idx)


def grad_flipped(w, X, y, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (yb - Xb @ w) / len(idx)


def test_minibatch_grad_reference_passes(capsys):
    expect_pass(check_minibatch_grad, minibatch_grad, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (grad_whole_data, "you used the whole data set"),
    (grad_divided_by_n, "you divided by the size of the whole data set"),
    (grad_summed, "you summed over the batch instead of averaging"),
    (grad_no_two, "the factor 2 from the square is missing"),
    (grad_flipped, "the sign is flipped"),
])
def test_minibatch_grad_mistakes(wrong, hint):
    expect_hint(check_minibatch_grad, wrong, hint)


# ---------------------------------------------------------------- sgd_epoch
def sgd_epoch(w, X, y, lr, batches):
    w = np.array(w, dtype=float)
    for idx in batches:
        w = w - lr * minibatch_grad(w, X, y, idx)
    return w


def epoch_full_batch(w, X, y, lr, batches):
    return w - lr * minibatch_grad(w, X, y, np.arange(len(y)))


def epoch_averaged(w, X, y, lr, batches):
    return w - lr * np.mean([minibatch_grad(w, X, y, idx) for idx in batches], axis=0)


def epoch_stale(w, X, y, lr, batches):
    w0 = np.array(w, dtype=float)
    for idx in batches:
        w = w - lr * minibatch_grad(w0, X, y, idx)
    return w


def epoch_first_batch_only(w, X, y, lr, batches):
    for idx in batches:
        return w - lr * minibatch_grad(w, X, y, idx)


def epoch_uphill(w, X, y, lr, batches):
    for idx in batches:
        w = w + lr * minibatch_grad(w, X, y, idx)
    return w


def epoch_returns_start(w, X, y, lr, batches):
    for idx in batches:
        new_w = w - lr * minibatch_grad(w, X, y, idx)  # noqa: F841 - computed, then forgotten
    return w


def test_sgd_epoch_reference_passes(capsys):
    expect_pass(check_sgd_epoch, sgd_epoch, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (epoch_full_batch, "one update for the whole epoch"),
    (epoch_averaged, "you averaged the batch gradients into one step"),
    (epoch_stale, "all gradients were computed at the starting w"),
    (epoch_first_batch_only, "only the first batch was used"),
    (epoch_uphill, "the update has the wrong sign"),
    (epoch_returns_start, "w did not change"),
])
def test_sgd_epoch_mistakes(wrong, hint):
    expect_hint(check_sgd_epoch, wrong, hint)
