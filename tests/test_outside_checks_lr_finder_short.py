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
