"""Checks for lesson 1, gradient descent from scratch."""
from __future__ import annotations

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.optim import functional as OF

from ._core import Case, Mistake, as_array, fail, fmt, participant_call, passed, run_check, same, shown

__all__ = ["check_gd_step", "check_mse_grad", "check_softplus", "check_gradient_descent"]


# ------------------------------------------------------------------ gd_step(w, grad, lr) -> new w
def _gd_step_reference(w, grad, lr):
    w = np.array(w, dtype=float)
    OF.sgd(w, np.asarray(grad, dtype=float), {}, lr=lr)  # minigrad's own update rule
    return w


GD_STEP_MISTAKES = [
    Mistake("the update has the wrong sign: the gradient points uphill, so step against it "
            "(subtract lr times the gradient).", lambda w, g, lr: w + lr * g),
    Mistake("the learning rate is missing: the step should be lr times the gradient.", lambda w, g, lr: w - g),
    Mistake("you divided by the learning rate; multiply the gradient by it.", lambda w, g, lr: w - g / lr),
    Mistake("you returned the step itself; return the new parameters, w minus the step.", lambda w, g, lr: -lr * g),
    Mistake("the parameters did not move: return w minus lr times the gradient.", lambda w, g, lr: w),
]


def check_gd_step(gd_step):
    """``gd_step(w, grad, lr)`` returns the parameters after one gradient-descent step."""
    cases = [
        Case("w=[1, -2], grad=[0.5, 4], lr=0.1", (np.array([1.0, -2.0]), np.array([0.5, 4.0]), 0.1)),
        Case("w=[3], grad=[-2], lr=0.25", (np.array([3.0]), np.array([-2.0]), 0.25)),
        Case("w=[0, 0, 1], grad=[1, -1, 2], lr=0.5", (np.array([0.0, 0.0, 1.0]), np.array([1.0, -1.0, 2.0]), 0.5)),
    ]
    run_check("gd_step", gd_step, cases, _gd_step_reference, GD_STEP_MISTAKES, what="new w")


# ------------------------------------------------------------------ mse_grad(w, b, X, y) -> (dw, db)
def _mse_grad_reference(w, b, X, y):
    """The gradient of mean((X @ w + b - y)**2), from minigrad's autograd."""
    w_t = mg.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
    b_t = mg.tensor(np.asarray(b, dtype=np.float64), requires_grad=True)
    loss = F.mse_loss(mg.tensor(np.asarray(X, dtype=np.float64)) @ w_t + b_t, mg.tensor(np.asarray(y, np.float64)))
    loss.backward()
    return np.asarray(w_t.grad), float(b_t.grad)


def _mse_variant(scale=1.0, sign=1.0, with_b=True, mean=True):
    def grad(w, b, X, y):
        residual = sign * (X @ w + (b if with_b else 0.0) - y)
        n = len(y) if mean else 1
        return scale * 2 * X.T @ residual / n, scale * 2 * residual.sum() / n
    return grad


MSE_GRAD_MISTAKES = [
    Mistake("the factor 2 from the square is missing: d(r²)/dr = 2r.", _mse_variant(scale=0.5)),
    Mistake("you summed over the examples instead of averaging: divide by the number of examples "
            "(the loss is a mean).", _mse_variant(mean=False)),
    Mistake("the sign is flipped: the residual is prediction minus target (X @ w + b - y), "
            "or equivalently put a minus in front if you use y - prediction.", _mse_variant(sign=-1.0)),
    Mistake("the bias b is missing from the prediction: predict X @ w + b.", _mse_variant(with_b=False)),
]


def check_mse_grad(mse_grad):
    """``mse_grad(w, b, X, y)`` returns ``(dw, db)``, the gradient of mean((X @ w + b - y)**2)."""
    rng = np.random.default_rng(1)
    X3, y3 = rng.normal(size=(6, 3)), rng.normal(size=6)
    cases = [
        Case("w=[1], b=0, X=[[1], [2]], y=[1, 1]", (np.array([1.0]), 0.0, np.array([[1.0], [2.0]]), np.array([1.0, 1.0]))),
        Case("w=[0.5, -1], b=0.5, X = 4 examples by 2 features",
             (np.array([0.5, -1.0]), 0.5, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]),
              np.array([1.0, 0.0, -1.0, 2.0]))),
        Case("w=[0.3, -0.2, 0.1], b=-0.4, a random X of 6 examples by 3 features", (np.array([0.3, -0.2, 0.1]), -0.4, X3, y3)),
    ]
    run_check("mse_grad", mse_grad, cases, _mse_grad_reference, MSE_GRAD_MISTAKES, what="(dw, db)")


# ------------------------------------------------------------------ Softplus as an autograd Function
SOFTPLUS_POINTS = np.array([-6.0, -2.0, -0.5, 0.0, 0.3, 1.5, 4.0])
SOFTPLUS_UPSTREAM = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.25])  # not all ones: tests the chain rule


def _softplus_forward(op, x):
    out = op.apply(mg.tensor(np.array(x, dtype=np.float64), requires_grad=True))
    if not isinstance(out, mg.Tensor):
        fail("softplus", f"forward must return a minigrad Tensor, got {type(out).__name__}.")
    return as_array(out.numpy(), "a Tensor of numbers")  # its dtype kept: a float32 forward gets float32's tolerance


def _softplus_backward(op, x, upstream):
    x_t = mg.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = op.apply(x_t)
    out.backward(np.array(upstream, dtype=np.float64))
    if x_t.grad is None:
        return None
    grad, precision = as_array(x_t.grad, "a gradient of numbers"), out.numpy().dtype
    # x.grad is float64 like x, whatever backward computed in: a float32 forward's dtype stands for both
    return grad.astype(precision) if precision.kind == "f" and precision.itemsize < grad.itemsize else grad


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


SOFTPLUS_FORWARD_MISTAKES = [
    (lambda x: x, "forward returns x: the 1 + inside the log is missing, softplus(x) = log(1 + exp(x))."),
    (lambda x: np.exp(x), "forward returns exp(x): take log(1 + exp(x))."),
    (lambda x: np.log1p(np.exp(-x)), "forward computes log(1 + exp(-x)): the sign inside exp is flipped."),
    (lambda x: _sigmoid(x), "forward returns sigmoid(x), which is softplus's derivative, not softplus."),
]
SOFTPLUS_BACKWARD_MISTAKES = [
    (lambda x, g: _sigmoid(x), "backward ignores grad_output: by the chain rule, multiply the local derivative "
                               "sigmoid(x) by grad_output."),
    (lambda x, g: g * _sigmoid(-x), "backward uses sigmoid(-x) = 1/(1 + exp(x)); the derivative of "
                                    "log(1 + exp(x)) is exp(x)/(1 + exp(x)) = sigmoid(x)."),
    (lambda x, g: g * np.logaddexp(0, x), "backward returns softplus(x) itself; its derivative is sigmoid(x)."),
    (lambda x, g: g * np.exp(x), "backward returns exp(x) (the derivative of the inner function only); "
                                 "divide by 1 + exp(x) as well."),
    (lambda x, g: -g * _sigmoid(x), "backward has the wrong sign: softplus is increasing, so its "
                                    "derivative sigmoid(x) is positive."),
]


def _softplus_error_hint(error):
    if isinstance(error, mg.GradcheckError):
        return "your backward disagrees with finite differences of your forward: check it away from x = 0 too."
    if "saved_tensors" in str(error):
        return "backward needs x: keep it in forward with ctx.save_for_backward(x)."
    if "__array_ufunc__" in str(error):
        return ("NumPy functions (np.exp, np.log) do not take minigrad Tensors: build the formula from tensor "
                "methods, e.g. (1 + x.exp()).log() in forward and grad_output * x.sigmoid() in backward.")
    return None


def check_softplus(Softplus):
    """``Softplus``: a ``minigrad.autograd.Function`` with forward log(1 + exp(x)) and its backward."""
    task = "softplus"
    if not (isinstance(Softplus, type) and issubclass(Softplus, mg.autograd.Function)):
        fail(task, f"pass your class itself (check_softplus(Softplus)), a subclass of "
                   f"minigrad.autograd.Function; got {fmt(Softplus)}.")
    x, upstream = SOFTPLUS_POINTS, SOFTPLUS_UPSTREAM
    want = np.logaddexp(0.0, x)
    got = participant_call(task, f"forward at x = {fmt(x)}", _softplus_forward, Softplus, x,
                           on_error=_softplus_error_hint)
    if not same(got, want, rtol=1e-6, atol=1e-9):
        hint = next((h for f, h in SOFTPLUS_FORWARD_MISTAKES if same(got, f(x), rtol=1e-6, atol=1e-9)), None)
        want_text, got_text = shown(want, got)
        fail(task, f"forward is wrong at x = {fmt(x)}.\n  expected: {want_text}\n  got:      {got_text}\n  "
                   + (f"Likely mistake: {hint}" if hint else "Hint: softplus(x) = log(1 + exp(x))."))
    want_grad = upstream * _sigmoid(x)
    got_grad = participant_call(task, f"backward at x = {fmt(x)}", _softplus_backward, Softplus, x, upstream,
                                on_error=_softplus_error_hint)
    if got_grad is None:
        fail(task, "x.grad is None after backward: backward must return the gradient with respect to x.")
    if not same(got_grad, want_grad, rtol=1e-6, atol=1e-9):
        hint = next((h for f, h in SOFTPLUS_BACKWARD_MISTAKES if same(got_grad, f(x, upstream), rtol=1e-6, atol=1e-9)),
                    None)
        want_text, got_text = shown(want_grad, got_grad)
        fail(task, f"backward is wrong at x = {fmt(x)} with grad_output = {fmt(upstream)}.\n"
                   f"  expected x.grad: {want_text}\n  got x.grad:      {got_text}\n  "
                   + (f"Likely mistake: {hint}" if hint else
                      "Hint: the derivative of log(1 + exp(x)) is sigmoid(x); multiply it by grad_output."))
    if got.dtype != np.float64:  # finite differences of a float32 forward are too coarse for gradcheck
        passed(task, f"forward and backward are right (in {got.dtype}; gradcheck needs a float64 forward, so it "
                     f"was skipped).")
        return
    # Cannot fail after the checks above, unless backward is numerically unstable.
    participant_call(task, "gradcheck at 9 points in [-3, 3]", mg.gradcheck, Softplus.apply,
                     [mg.tensor(np.linspace(-3.0, 3.0, 9), requires_grad=True)], on_error=_softplus_error_hint)
    passed(task, "forward and backward are right, and gradcheck agrees.")


# ------------------------------------------------------------------ gradient_descent(grad_fn, w0, lr, steps)
def _gradient_descent_reference(grad_fn, w0, lr, steps):
    w, path = np.array(w0, dtype=float), [np.array(w0, dtype=float)]
    for _ in range(steps):
        OF.sgd(w, grad_fn(w), {}, lr=lr)
        path.append(w.copy())
    return np.array(path)


def _gd_aliased(grad_fn, w0, lr, steps):
    w, path = np.array(w0, dtype=float), []
    path.append(w)
    for _ in range(steps):
        w -= lr * grad_fn(w)
        path.append(w)  # the same array every time: all rows end up equal
    return np.array(path)


def _gd_without_start(grad_fn, w0, lr, steps):
    return _gradient_descent_reference(grad_fn, w0, lr, steps)[1:]


def _gd_uphill(grad_fn, w0, lr, steps):
    return _gradient_descent_reference(lambda w: -grad_fn(w), w0, lr, steps)


def _gd_gradient_at_start(grad_fn, w0, lr, steps):
    w, path, g0 = np.array(w0, dtype=float), [np.array(w0, dtype=float)], grad_fn(np.array(w0, dtype=float))
    for _ in range(steps):
        w = w - lr * g0
        path.append(w)
    return np.array(path)


GRADIENT_DESCENT_MISTAKES = [
    Mistake("every row is the same array: you stored w and then changed it in place (w -= ...), "
            "which changes the stored rows too; store w.copy(), or build a new array each step "
            "(w = w - lr * g).", _gd_aliased),
    Mistake("the start point is missing: the first row must be w0, then one row per step "
            "(steps + 1 rows in all).", _gd_without_start),
    Mistake("the update has the wrong sign: the path climbs the loss; step against the gradient.", _gd_uphill),
    Mistake("the gradient is computed once, at the start; recompute it at the current w in every step.",
            _gd_gradient_at_start),
]


def _quadratic_grad(w):
    return np.array([1.0, 10.0]) * w  # gradient of 0.5 * (w1² + 10 w2²)


def _cubic_grad(w):
    return w ** 3 - 1.0  # gradient of sum(w⁴/4 - w): not a quadratic, so the gradient changes along the path


def check_gradient_descent(gradient_descent):
    """``gradient_descent(grad_fn, w0, lr, steps)`` returns the path, an array of steps + 1 rows."""
    cases = [
        Case("the valley 0.5·(w1² + 10·w2²) from w0=[2, 1], lr=0.05, 5 steps", (_quadratic_grad, np.array([2.0, 1.0]), 0.05, 5)),
        Case("the loss sum(w⁴/4 - w) from w0=[0, 2], lr=0.1, 4 steps", (_cubic_grad, np.array([0.0, 2.0]), 0.1, 4)),
        Case("w0=[3], lr=0.1, 0 steps (just the start)", (lambda w: 2 * w, np.array([3.0]), 0.1, 0)),
    ]

    def inspect(got, want, case):
        shape = np.shape(got) if got is not None else None
        if shape is not None and len(shape) == 1 and shape[0] == np.size(want) and np.ndim(want) == 2:
            return "return a 2-D array, one row per point (np.array(list_of_points)), not one flat vector."
        return None

    def observe(fn, case):
        grad_fn, w0, lr, steps = case.args
        start = np.array(w0, dtype=float)
        w0_copy = start.copy()
        path = fn(grad_fn, w0_copy, lr, steps)
        if fn is not _gradient_descent_reference and not np.array_equal(w0_copy, start) and steps > 0:
            fail("gradient_descent", f"your function changed the caller's w0 (now {fmt(w0_copy)}, was {fmt(start)}): "
                                     "start from a copy, w = np.array(w0, dtype=float).")
        return as_array(path, "the path: an array with one row per point (steps + 1 rows)")

    run_check("gradient_descent", gradient_descent, cases, _gradient_descent_reference, GRADIENT_DESCENT_MISTAKES,
              observe=observe, what="path", row_label=lambda i: f"row {i} (the point after {i} steps)",
              inspect=inspect)
