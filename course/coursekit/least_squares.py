"""The least-squares losses lessons 1 and 3 descend: a bowl whose every property is known exactly.

:class:`LeastSquares` is a linear model's mean squared error on fixed data, computed with minigrad
(so its gradient is minigrad's autograd); :func:`lesson1_problems` builds lesson 1's two problems
on the diabetes data (one weight and two), which lesson 3 descends again with mini-batches;
:func:`contour_grid` evaluates the two-weight loss over the map both lessons draw.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .datasets import diabetes

__all__ = ["LeastSquares", "lesson1_problems", "contour_grid", "START_1D", "START_2D", "EXTENT_2D"]

class LeastSquares:
    """The mean squared error of a linear model without intercept: ``loss(w) = mean((X w − y)²)``.

    ``X`` (n, d) and ``y`` (n,) are fixed; ``w`` has shape (d,). The loss is a bowl
    (a quadratic), so everything about it is known exactly: its minimum (least
    squares), its curvature and the largest learning rate at which gradient descent
    still converges, ``critical_lr = 2 / L`` with L the largest eigenvalue of the
    Hessian ``2 XᵀX / n``.
    """

    def __init__(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"LeastSquares: X must be (n, d) and y (n,), got X {X.shape} and y {y.shape}")
        self.X, self.y = X, y
        self._X_t, self._y_t = mg.tensor(X), mg.tensor(y)
        self.minimum, *_ = np.linalg.lstsq(X, y, rcond=None)
        self.min_loss = self.value(self.minimum)
        self.hessian = 2.0 * X.T @ X / len(y)
        eigenvalues = np.linalg.eigvalsh(self.hessian)
        self.lipschitz = float(eigenvalues[-1])
        self.strong_convexity = float(eigenvalues[0])

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    @property
    def critical_lr(self) -> float:
        """Gradient descent converges for learning rates below this and diverges above it."""
        return 2.0 / self.lipschitz

    @property
    def condition_number(self) -> float:
        return self.lipschitz / self.strong_convexity

    def __call__(self, w):
        """The loss as a minigrad Tensor (``w`` a float64 Tensor of shape (d,)), ready for ``backward()``."""
        residual = self._X_t @ w - self._y_t
        return (residual * residual).mean()

    def _as_weights(self, w):
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if w.shape != (self.dim,):
            raise ValueError(f"weights must have {self.dim} values, got shape {w.shape}")
        return w

    def value(self, w) -> float:
        """The loss at ``w`` (a plain number)."""
        with mg.no_grad():
            return float(self(mg.tensor(self._as_weights(w))).item())

    def gradient(self, w) -> np.ndarray:
        """The gradient at ``w``, computed by minigrad's autograd."""
        w_t = mg.tensor(self._as_weights(w), requires_grad=True)
        self(w_t).backward()
        return np.array(w_t.grad, dtype=np.float64)

    def grid_values(self, W):
        """The loss at many weight vectors at once: ``W`` (..., d) -> (...) (for contour plots)."""
        W = np.asarray(W, dtype=np.float64)
        residual = np.tensordot(W, self.X, axes=([-1], [1])) - self.y  # (..., n)
        return np.mean(residual * residual, axis=-1)


# Start points chosen so that the paths cross a good part of each plot.
START_1D = (-1.0,)
START_2D = (-1.0, 2.0)
EXTENT_2D = (-1.6, 2.0, -1.2, 2.4)  # (w_bmi min, max, w_s5 min, max)


def lesson1_problems():
    """The lesson's two losses on the diabetes data: one weight (bmi) and two weights (bmi, s5)."""
    one = diabetes(["bmi"])
    two = diabetes(["bmi", "s5"])
    return LeastSquares(one.X, one.y), LeastSquares(two.X, two.y)


def contour_grid(problem, points: int = 121):
    """The two-weight loss on a grid over the lessons' map (EXTENT_2D): (W1, W2, loss)."""
    xmin, xmax, ymin, ymax = EXTENT_2D
    W1, W2 = np.meshgrid(np.linspace(xmin, xmax, points), np.linspace(ymin, ymax, points))
    return W1, W2, problem.grid_values(np.stack([W1, W2], axis=-1))
