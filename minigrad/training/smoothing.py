"""The debiased exponential moving average: how a noisy loss curve is smoothed.

``average = beta * average + (1 - beta) * value``, reported as ``average / (1 - beta**n)``
after ``n`` values, so the first values are not pulled towards the zero it starts from
(Adam debiases its moments the same way). Training dashboards plot it; the learning-rate
range test stops on it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["DebiasedAverage", "smooth"]


class DebiasedAverage:
    """The running average, one value at a time (for loops that decide as they go)."""

    def __init__(self, beta: float):
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
            raise ValueError(f"smoothing beta must be in [0, 1), got {beta!r}")
        self.beta = float(beta)
        self.count = 0
        self.average = 0.0

    def update(self, value: float) -> float:
        """Take one value; return the debiased average so far."""
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * value
        return self.average / (1 - self.beta ** self.count)


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Every value of a sequence smoothed (float64 array of the same length)."""
    average = DebiasedAverage(beta)
    return np.array([average.update(value) for value in np.asarray(values, dtype=np.float64).tolist()],
                    dtype=np.float64)
