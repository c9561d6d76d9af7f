"""Shared fixtures: every device test runs on the CPU and, where a GPU is present, on CUDA."""
import os

import numpy as np
import pytest
from hypothesis import settings

import minigrad as mg
import strict_cupy

# Lessons 7 and 8's widgets train ahead on a thread after a move: in the suite that is a hub operator's
# switch turned off (it reaches the notebook kernels and Voila servers the tests start), so that no
# test shares its processor with an earlier one's background training. The tests of training ahead
# turn it on (tests/test_run_cache.py, the widget tests in tests/test_stacked_training.py).
os.environ.setdefault("COURSEKIT_TRAIN_AHEAD", "0")

settings.register_profile("minigrad", deadline=None, max_examples=40, derandomize=True)
settings.load_profile("minigrad")

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not mg.cuda_is_available(),
                                                    reason="no CUDA GPU with CuPy on this machine")),
    "strict-cuda",  # device="cuda" on tests/strict_cupy.py: CuPy's rules without a GPU, on every machine
]


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param != "strict-cuda":
        yield request.param
        return
    with strict_cupy.installed():
        yield "cuda"


@pytest.fixture
def strict_cuda():
    """``device="cuda"`` runs on the strict CuPy stand-in during the test."""
    with strict_cupy.installed():
        yield "cuda"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _no_training_ahead_left_running():
    """A widget test that moved a lesson 7 or 8 widget may leave it training ahead on a thread: stop
    it after the test, so that it neither calls into the next test's patches nor takes its processor."""
    yield
    import sys

    run_cache = sys.modules.get("coursekit.run_cache")
    if run_cache is not None:
        run_cache.stop_training_ahead()
