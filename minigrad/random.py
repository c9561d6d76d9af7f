"""One seeded random generator for all of minigrad (``manual_seed``).

Numbers are drawn on the CPU and moved to the tensor's device, so a seed gives
the same values on ``"cpu"`` and ``"cuda"``.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed minigrad's generator (initialisation, dropout, randn, DataLoader shuffles)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    return _generator
