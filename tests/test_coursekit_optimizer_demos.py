"""Lesson 4's measurements: effective step sizes, saddle escape, weight decay per gradient size."""
import numpy as np
import pytest

from coursekit.optimizer_demos import DigitRun, decay_versus_gradient, effective_step_sizes, escape_step
from coursekit.trajectories import trajectory


def test_sgd_gives_every_coordinate_its_learning_rate():
    rates = effective_step_sizes("SGD", "valley", 20, lr=0.1)
    assert rates.shape == (20, 2)
    np.testing.assert_allclose(rates, 0.1)


def test_adam_gives_the_flat_coordinate_a_larger_rate():
    rates = effective_step_sizes("Adam", "valley", 30, lr=0.1)
    assert np.median(rates[:, 0] / rates[:, 1]) > 2


def test_escape_step():
    assert escape_step(trajectory("SGD", "saddle", steps=300, lr=0.01).points) is None
    step = escape_step(trajectory("RMSProp", "saddle", steps=300, lr=0.03).points)
    assert step is not None and step < 20
    assert escape_step(np.array([[0.0, 0.0], [0.0, 0.2], [0.0, -0.7]])) == 2


def test_decay_versus_gradient_groups_by_gradient_size():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(4, 6))
    grad = np.abs(rng.normal(size=(4, 6)))
    base = DigitRun("Adam", 0.0, weight, weight, grad, 0.1, 0.9)
    uniform = DigitRun("AdamW", 0.1, weight, 0.5 * weight, grad, 0.1, 0.9)
    rms, ratio = decay_versus_gradient(uniform, base, bins=3)
    assert np.all(np.diff(rms) > 0)
    np.testing.assert_allclose(ratio, 0.5)
    # shrink only the weights with the smallest gradients: the first group shows it
    small = grad <= np.sort(grad.ravel())[7]
    uneven = DigitRun("Adam", 0.1, weight, np.where(small, 0.0, weight), grad, 0.1, 0.9)
    _, ratio = decay_versus_gradient(uneven, base, bins=3)
    assert ratio[0] == pytest.approx(0.0) and ratio[-1] == pytest.approx(1.0)


def test_adamw_decay_is_the_predicted_factor_where_adam_l2_is_not():
    from coursekit.optimizer_demos import train_digit_classifier

    base = train_digit_classifier("Adam", weight_decay=0.0, steps=30)
    adamw = train_digit_classifier("AdamW", weight_decay=0.1, steps=30)
    adam_l2 = train_digit_classifier("Adam", weight_decay=0.1, steps=30)
    assert base.weight.shape == (10, 64) and 0 < base.val_accuracy <= 1
    _, ratio_w = decay_versus_gradient(adamw, base, bins=3)
    _, ratio_l2 = decay_versus_gradient(adam_l2, base, bins=3)
    assert np.ptp(ratio_w) < 0.05  # AdamW: about the same shrink for every group
    assert ratio_l2[0] < 0.5 * ratio_w[0]  # Adam + L2: small-gradient weights shrink far more
