"""lr_find with a sweep too short to read says so, and names the num_iter to use, instead of blaming the loss."""
import numpy as np
import pytest

import minigrad.nn.functional as F
from minigrad.training import lr_find

from test_lr_finder import regression_problem


@pytest.mark.parametrize("num_iter", [2, 3, 5, 7])
def test_a_short_sweep_on_a_healthy_model_is_called_too_short(num_iter):
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss, num_iter=num_iter)
    assert not result.stopped_early and np.isfinite(result.losses).all()  # nothing blew up
    assert f"num_iter={num_iter} is too short a sweep to read" in result.message
    assert "Use num_iter=8 or more" in result.message
    assert "blew up" not in result.message and "diverged" not in result.message


def test_the_advised_num_iter_is_the_smallest_that_leaves_enough_points():
    # fastai leaves out the first tenth (num_iter // 10 points) and the last five: 8 - 0 - 5 = 3 points remain,
    # the fewest the suggestion rules read; 7 leaves 2
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss, num_iter=8)
    assert result.message == "" and result.suggestion is not None


def test_a_sweep_that_really_blows_up_at_once_is_still_reported_as_such():
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss, start_lr=10.0, end_lr=1e6, num_iter=100)
    assert result.stopped_early and len(result.lrs) < 10
    assert "diverged" in result.message or "blew up" in result.message
    assert "too short" not in result.message


def test_numpy_numbers_are_numbers():
    # np.int64 from a NumPy computation, np.float32 from a float32 array: the same sweep as Python numbers
    settings = dict(start_lr=1e-6, end_lr=1.0, num_iter=20, smooth_beta=0.9, diverge_threshold=5.0)
    numpy_settings = dict(start_lr=np.float32(1e-6), end_lr=np.float64(1.0), num_iter=np.int64(20),
                          smooth_beta=np.float32(0.9), diverge_threshold=np.int32(5))
    results = []
    for kwargs in (settings, numpy_settings):
        model, opt, loader = regression_problem()
        results.append(lr_find(model, opt, loader, F.mse_loss, **kwargs))
    np.testing.assert_allclose(results[1].lrs, results[0].lrs, rtol=1e-7)  # start_lr rounded to float32
    assert results[1].lrs.dtype == np.float64 and len(results[1].lrs) == len(results[0].lrs)


@pytest.mark.parametrize("bad", [dict(num_iter=np.bool_(True)), dict(num_iter=20.0), dict(start_lr=True)])
def test_bools_and_a_float_count_are_still_refused(bad):
    model, opt, loader = regression_problem()
    with pytest.raises(ValueError, match="lr_find: "):
        lr_find(model, opt, loader, F.mse_loss, **bad)
