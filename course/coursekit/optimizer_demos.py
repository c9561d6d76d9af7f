"""Measurements behind lesson 4 (optimizers), kept out of the notebook so tests can call them.

* :func:`effective_step_sizes`: the learning rate each coordinate actually gets, step by
  step, from minigrad's ``functional.step_stats`` (|Δθ| / |g|).
* :func:`escape_step`: when a path leaves the ridge of the saddle surface.
* :func:`train_digit_classifier`: a linear classifier on scikit-learn's digits trained
  with one of minigrad's optimizer classes, for the Adam + L2 versus AdamW comparison.
* :func:`decay_versus_gradient`: how much weight decay shrank each weight, against how
  large that weight's gradients were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .surfaces import get_surface
from .trajectories import resolve_rule

__all__ = [
    "effective_step_sizes",
    "escape_step",
    "DigitRun",
    "train_digit_classifier",
    "decay_versus_gradient",
]


def effective_step_sizes(rule, surface, steps: int = 100, *, start=None, seed: int = 0, **hyperparams):
    """Per-step, per-coordinate effective learning rate |Δθ| / |g|: an array ``(steps, 2)``.

    Plain SGD gives every coordinate the same rate (its ``lr``); adaptive methods give
    each coordinate its own, and it changes as the gradients change.
    """
    from minigrad.optim import functional as OF

    surface = get_surface(surface)
    _, function, settings = resolve_rule(rule)
    settings.update(hyperparams)
    param = np.array(surface.start if start is None else start, dtype=np.float64)
    oracle = surface.gradient_oracle(seed)
    state: dict = {}
    rates = np.empty((steps, 2))
    for step in range(steps):
        grad = oracle(param)
        before = param.copy()
        function(param, grad, state, **settings)
        rates[step] = OF.step_stats(before, param, grad).effective_lr
    return rates


def escape_step(points, threshold: float = 0.5):
    """First step at which a path on the saddle surface has |x2| > ``threshold`` (None if never)."""
    points = np.asarray(points)
    with np.errstate(invalid="ignore"):
        away = np.abs(points[:, 1]) > threshold
    return int(np.argmax(away)) if away.any() else None


@dataclass
class DigitRun:
    """One training run of the digit classifier (weights as float64 NumPy arrays)."""

    optimizer: str
    weight_decay: float
    initial_weight: np.ndarray
    weight: np.ndarray
    gradient_rms: np.ndarray  # per weight: root mean square of its gradients during training
    train_loss: float
    val_accuracy: float


def train_digit_classifier(optimizer: str = "AdamW", *, lr: float = 0.01, weight_decay: float = 0.0,
                           steps: int = 200, seed: int = 0) -> DigitRun:
    """Train a linear 64 -> 10 classifier on scikit-learn's digits with minigrad's ``optimizer``.

    ``optimizer`` is "Adam" (``weight_decay`` is an L2 penalty added to the gradient) or
    "AdamW" (decoupled decay). Full-batch steps on the seeded training split.
    """
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import nn, optim

    from .datasets import digits

    classes = {"Adam": optim.Adam, "AdamW": optim.AdamW}
    if optimizer not in classes:
        raise ValueError(f"optimizer must be 'Adam' or 'AdamW', got {optimizer!r}")
    data = digits(seed=seed)
    X = mg.tensor(data.X_train.astype(np.float32))
    y = mg.tensor(data.y_train)
    mg.manual_seed(seed)
    model = nn.Linear(data.num_features, data.num_classes)
    initial = model.weight.data.astype(np.float64).copy()
    opt = classes[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay)
    squared = np.zeros_like(initial)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        squared += model.weight.grad.astype(np.float64) ** 2
        opt.step()
    with mg.no_grad():
        predictions = model(mg.tensor(data.X_val.astype(np.float32))).data.argmax(axis=1)
        train_loss = float(F.cross_entropy(model(X), y).item())
    return DigitRun(optimizer, float(weight_decay), initial, model.weight.data.astype(np.float64).copy(),
                    np.sqrt(squared / steps), train_loss, float((predictions == data.y_val).mean()))


def decay_versus_gradient(decayed: DigitRun, undecayed: DigitRun, bins: int = 6):
    """How much decay shrank weights, grouped by the size of their gradients.

    Weights are sorted into ``bins`` groups of equal size by the gradient RMS of the
    undecayed run; for each group, returns the median gradient RMS and the ratio
    ‖w with decay‖ / ‖w without decay‖. AdamW gives every group about the same ratio;
    Adam with L2 shrinks weights with small gradients far more than the others.
    """
    grad = undecayed.gradient_rms.ravel()
    order = np.argsort(grad)
    groups = np.array_split(order, bins)
    rms = np.array([np.median(grad[g]) for g in groups])
    ratio = np.array([
        np.linalg.norm(decayed.weight.ravel()[g]) / np.linalg.norm(undecayed.weight.ravel()[g]) for g in groups
    ])
    return rms, ratio
