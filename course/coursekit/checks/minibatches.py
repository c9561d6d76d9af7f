"""Checks for lesson 3, SGD and mini-batches."""
from __future__ import annotations

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.optim import functional as OF

from ._core import Case, Mistake, WrongReturn, describe, run_check

__all__ = ["check_minibatch_indices", "check_minibatch_grad", "check_sgd_epoch"]


# ------------------------------------------------------------------ minibatch_indices(n, batch_size, rng)
def _minibatch_indices_reference(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def _batches_of(order, batch_size):
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


MINIBATCH_INDICES_MISTAKES = [
    Mistake("the batches are not shuffled: draw the order with rng.permutation(n) and cut that into batches.",
            lambda n, b, rng: _batches_of(np.arange(n), b)),
    Mistake("the last, smaller batch is missing: with n not a multiple of batch_size the leftover examples "
            "form one more batch (otherwise they are never trained on).",
            lambda n, b, rng: _minibatch_indices_reference(n, b, rng)[:n // b]),
    Mistake("you drew indices with replacement (some examples twice, some never in the epoch): an epoch "
            "visits every example once, so cut one permutation, rng.permutation(n), into batches.",
            lambda n, b, rng: _batches_of(rng.integers(0, n, size=n), b)),
    Mistake("you drew indices with replacement (some examples twice, some never in the epoch): an epoch "
            "visits every example once, so cut one permutation, rng.permutation(n), into batches.",
            lambda n, b, rng: _batches_of(rng.choice(n, size=n), b)),
    Mistake("np.array_split makes batches of unequal sizes; every batch but the last must have "
            "exactly batch_size indices.",
            lambda n, b, rng: np.array_split(rng.permutation(n), -(-n // b))),
]


def _observe_batches(fn, case):
    n, batch_size, seed = case.args
    batches = fn(n, batch_size, np.random.default_rng(seed))
    if batches is None:
        return None
    if isinstance(batches, (str, bytes, dict, mg.Tensor)) or not hasattr(batches, "__iter__"):
        raise WrongReturn(f"return a list of index arrays, one per batch; your function returned {describe(batches)}")
    return [np.asarray(batch) for batch in batches]


def _inspect_batches(got, want, case):
    n, batch_size, _ = case.args
    if got is None:
        return "your function returned None: return the list of index arrays."
    sizes = [len(b) for b in got]
    everything = np.concatenate(got) if got else np.array([], dtype=int)
    if len(everything) == n and np.array_equal(np.sort(everything), np.arange(n)):
        if all(s == batch_size for s in sizes[:-1]) and 0 < sizes[-1] <= batch_size:
            return ("right batches, different shuffle: use the rng you are given, once per epoch: "
                    "order = rng.permutation(n), then consecutive slices of it (so runs are reproducible).")
    counts = np.bincount(everything.astype(int), minlength=n) if len(everything) else np.zeros(n, int)
    if np.any(counts > 1) or np.any(counts == 0):
        twice = np.flatnonzero(counts > 1)
        never = np.flatnonzero(counts == 0)
        detail = (f"index {twice[0]} appears {counts[twice[0]]} times" if len(twice)
                  else f"index {never[0]} never appears")
        return (f"every index 0..n-1 must appear exactly once in an epoch, but {detail}; cut one "
                "permutation, rng.permutation(n), into batches.")
    return None


def check_minibatch_indices(minibatch_indices):
    """``minibatch_indices(n, batch_size, rng)``: one epoch's batches, a list of index arrays."""
    cases = [Case(f"n={n}, batch_size={b}, rng=np.random.default_rng({seed})", (n, b, seed))
             for n, b, seed in [(10, 5, 0), (10, 4, 1), (7, 3, 2), (5, 8, 3), (64, 16, 4)]]
    run_check("minibatch_indices", minibatch_indices, cases, _minibatch_indices_reference,
              MINIBATCH_INDICES_MISTAKES, observe=_observe_batches, inspect=_inspect_batches,
              what="batches", rtol=0, atol=0)


# ------------------------------------------------------------------ minibatch_grad(w, X, y, idx)
def _minibatch_grad_reference(w, X, y, idx):
    """The gradient of the batch's mean squared error, from minigrad's autograd."""
    w_t = mg.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
    batch_x, batch_y = np.asarray(X, dtype=np.float64)[idx], np.asarray(y, dtype=np.float64)[idx]
    F.mse_loss(mg.tensor(batch_x) @ w_t, mg.tensor(batch_y)).backward()
    return np.asarray(w_t.grad)


def _grad_on(X, y, w, divide_by=None, scale=2.0):
    residual = X @ w - y
    return scale * X.T @ residual / (len(y) if divide_by is None else divide_by)


MINIBATCH_GRAD_MISTAKES = [
    Mistake("you used the whole data set, not the batch: take the rows X[idx] and y[idx] first.",
            lambda w, X, y, idx: _grad_on(X, y, w)),
    Mistake("you divided by the size of the whole data set; the batch loss is a mean over the batch, "
            "so divide by len(idx).", lambda w, X, y, idx: _grad_on(X[idx], y[idx], w, divide_by=len(y))),
    Mistake("you summed over the batch instead of averaging: divide by the batch size, so the step size "
            "does not grow with the batch.", lambda w, X, y, idx: _grad_on(X[idx], y[idx], w, divide_by=1)),
    Mistake("the factor 2 from the square is missing.", lambda w, X, y, idx: _grad_on(X[idx], y[idx], w, scale=1.0)),
    Mistake("the sign is flipped: the residual is X @ w - y.", lambda w, X, y, idx: -_grad_on(X[idx], y[idx], w)),
]


def check_minibatch_grad(minibatch_grad):
    """``minibatch_grad(w, X, y, idx)``: the gradient of mean((X[idx] @ w - y[idx])**2)."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    w = np.array([0.5, -1.0, 0.25])
    cases = [
        Case("12 examples, batch idx=[0, 5, 7]", (w, X, y, np.array([0, 5, 7]))),
        Case("12 examples, batch idx=[11, 2]", (w, X, y, np.array([11, 2]))),
        Case("12 examples, one example idx=[4]", (np.array([1.0, 0.0, -2.0]), X, y, np.array([4]))),
    ]
    run_check("minibatch_grad", minibatch_grad, cases, _minibatch_grad_reference, MINIBATCH_GRAD_MISTAKES,
              what="gradient")


# ------------------------------------------------------------------ sgd_epoch(w, X, y, lr, batches)
def _sgd_epoch_reference(w, X, y, lr, batches):
    w = np.array(w, dtype=float)
    for idx in batches:
        OF.sgd(w, _minibatch_grad_reference(w, X, y, idx), {}, lr=lr)
    return w


def _full_batch_once(w, X, y, lr, batches):
    return w - lr * _minibatch_grad_reference(w, X, y, np.arange(len(y)))


def _mean_of_batch_grads(w, X, y, lr, batches):
    return w - lr * np.mean([_minibatch_grad_reference(w, X, y, idx) for idx in batches], axis=0)


def _grads_at_start(w, X, y, lr, batches):
    grads = [_minibatch_grad_reference(w, X, y, idx) for idx in batches]
    for g in grads:
        w = w - lr * g
    return w


SGD_EPOCH_MISTAKES = [
    Mistake("one update for the whole epoch: SGD takes one step per batch, each with that batch's gradient.",
            _full_batch_once),
    Mistake("you averaged the batch gradients into one step: SGD takes one step per batch.", _mean_of_batch_grads),
    Mistake("all gradients were computed at the starting w; compute each batch's gradient at the current w, "
            "after the previous steps.", _grads_at_start),
    Mistake("only the first batch was used: loop over all the batches.",
            lambda w, X, y, lr, batches: _sgd_epoch_reference(w, X, y, lr, batches[:1])),
    Mistake("the update has the wrong sign: step against the gradient.",
            lambda w, X, y, lr, batches: _sgd_epoch_reference(w, X, y, -lr, batches)),
]


def check_sgd_epoch(sgd_epoch):
    """``sgd_epoch(w, X, y, lr, batches)``: the weights after one SGD step per batch, in order."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 2))
    y = X @ np.array([2.0, -1.0]) + 0.1 * rng.normal(size=10)
    batches = [np.array([3, 0, 7, 1]), np.array([9, 2, 5, 4]), np.array([8, 6])]
    cases = [
        Case("10 examples in batches of 4, 4 and 2, lr=0.1, w=[0, 0]", (np.zeros(2), X, y, 0.1, batches)),
        Case("one example per batch, lr=0.05, w=[1, 1]",
             (np.ones(2), X, y, 0.05, [np.array([i]) for i in (4, 1, 8)])),
    ]

    def inspect(got, want, case):
        if got is not None and np.shape(got) == np.shape(want) and np.allclose(got, case.args[0]):
            return "w did not change: return the weights after the updates."
        return None

    run_check("sgd_epoch", sgd_epoch, cases, _sgd_epoch_reference, SGD_EPOCH_MISTAKES, what="w after the epoch",
              inspect=inspect)

