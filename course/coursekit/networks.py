"""The lessons' small classifier and the loader that feeds it, written once.

``make_mlp``: ``Linear -> ReLU -> Linear`` in float64, its weights drawn from minigrad's generator
seeded with ``seed`` (the same seed, the same weights). ``shuffled_loader``: a ``DataLoader`` over
``(X, y)`` in a new random order each epoch, drawn from ``seed + 1``: a run's weights and its
batches come from two different streams, so a change to one never moves the other.
"""
from __future__ import annotations

import minigrad as mg
from minigrad import nn
from minigrad.utils.data import DataLoader, TensorDataset

__all__ = ["make_mlp", "shuffled_loader"]


def make_mlp(num_features=64, hidden=64, num_classes=10, seed=0):
    """A two-layer perceptron ``Linear -> ReLU -> Linear`` (float64); the same ``seed`` gives the same weights."""
    if hidden < 1:
        raise ValueError(f"make_mlp: hidden must be a positive number of units, got {hidden!r}")
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(num_features, hidden, dtype=mg.float64), nn.ReLU(),
                         nn.Linear(hidden, num_classes, dtype=mg.float64))


def shuffled_loader(X, y, batch_size, *, seed=0):
    """Mini-batches of ``(X, y)`` in a new order each epoch, the orders drawn from ``seed + 1``."""
    return DataLoader(TensorDataset(X, y), batch_size=int(batch_size), shuffle=True, seed=seed + 1)
