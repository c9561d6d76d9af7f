"""Shared fixtures: every device test runs on the CPU and, where a GPU is present, on CUDA."""
import numpy as np
import pytest
from hypothesis import settings

import minigrad as mg

settings.register_profile("minigrad", deadline=None, max_examples=40, derandomize=True)
settings.load_profile("minigrad")

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not mg.cuda_is_available(),
                                                    reason="no CUDA GPU with CuPy on this machine")),
]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
