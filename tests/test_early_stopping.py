import math

import numpy as np
import pytest

from minigrad import nn
from minigrad.training import EarlyStopping


class DictModel:
    """The smallest thing with a state dict: one array, rewritten in place like a real model."""

    def __init__(self):
        self.weights = {"w": np.zeros(3)}

    def state_dict(self):
        return {k: v.copy() for k, v in self.weights.items()}

    def load_state_dict(self, state):
        for k, v in state.items():
            self.weights[k][...] = v


def run(scores, stopper, model=None):
    """Feed scores epoch by epoch (writing the epoch number into the model); return the stopping epoch."""
    for epoch, score in enumerate(scores, start=1):
        if model is not None:
            model.weights["w"][...] = epoch
        if stopper.step(score, model):
            return epoch
    return None


def test_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    # the case study's shape: best at epoch 7, worse at 8, 9 -> with patience 2 stop after epoch 9
    scores = [1.0, 0.8, 0.7, 0.65, 0.62, 0.6, 0.59, 0.6, 0.61, 0.63]
    model = DictModel()
    stopper = EarlyStopping(patience=2)
    assert run(scores, stopper, model) == 9
    assert stopper.best_epoch == 7 and stopper.best_score == 0.59 and stopper.stopped
    np.testing.assert_array_equal(model.weights["w"], 7.0)  # the epoch-7 weights are back


def test_an_improvement_resets_the_count():
    stopper = EarlyStopping(patience=3)
    assert run([1.0, 1.1, 1.2, 0.9, 1.0, 0.95, 0.91, 0.92], stopper) == 7
    assert stopper.best_epoch == 4


def test_patience_zero_stops_at_the_first_epoch_that_does_not_improve():
    stopper = EarlyStopping(patience=0)
    assert run([1.0, 0.9, 0.9, 0.5], stopper) == 3


def test_min_delta_requires_a_real_improvement():
    stopper = EarlyStopping(patience=2, min_delta=0.05)
    assert run([1.0, 0.97, 0.96, 0.9], stopper) == 3  # -0.03 and -0.04 are not improvements
    assert stopper.best_epoch == 1
    assert run([1.0, 0.9, 0.84, 0.8], EarlyStopping(patience=2, min_delta=0.05)) is None


def test_mode_max_for_accuracies():
    stopper = EarlyStopping(patience=1, mode="max")
    assert run([0.5, 0.7, 0.65, 0.8], stopper) == 3
    assert stopper.best_score == 0.7 and stopper.best_epoch == 2


def test_nan_never_improves():
    stopper = EarlyStopping(patience=1)
    assert run([1.0, math.nan], stopper) == 2
    assert stopper.best_score == 1.0


def test_best_state_is_a_copy_untouched_by_later_training():
    model = DictModel()
    stopper = EarlyStopping(patience=5)
    run([1.0, 0.5, 0.6, 0.7], stopper, model)
    np.testing.assert_array_equal(model.weights["w"], 4.0)
    assert stopper.restore(model) == 2
    np.testing.assert_array_equal(model.weights["w"], 2.0)


def test_restore_does_nothing_without_restore_best_or_when_the_best_is_the_latest():
    model = DictModel()
    stopper = EarlyStopping(patience=1, restore_best=False)
    assert run([1.0, 2.0], stopper, model) == 2
    np.testing.assert_array_equal(model.weights["w"], 2.0)
    assert stopper.restore(model) is None
    stopper = EarlyStopping(patience=3)
    run([1.0, 0.5], stopper, model)
    assert stopper.restore(model) is None


def test_works_with_a_real_module_and_accepts_tensor_scores():
    import minigrad as mg

    mg.manual_seed(0)
    layer = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=1)
    best = layer.state_dict()
    assert not stopper.step(mg.tensor(0.5), layer)
    layer.weight.data += 1.0
    assert stopper.step(mg.tensor(0.9), layer)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, best[name])


def test_reset_and_bad_arguments():
    stopper = EarlyStopping(patience=1)
    run([1.0, 2.0], stopper)
    stopper.reset()
    assert stopper.best_score is None and stopper.epoch == 0 and not stopper.stopped
    with pytest.raises(ValueError, match="patience must be an integer >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=1.5)
    with pytest.raises(ValueError, match="min_delta must be a number >= 0"):
        EarlyStopping(patience=1, min_delta=-0.1)
    with pytest.raises(ValueError, match="mode must be 'min'"):
        EarlyStopping(patience=1, mode="lowest")
    with pytest.raises(TypeError, match="score must be a number"):
        EarlyStopping(patience=1).step("low")
