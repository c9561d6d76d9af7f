import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.optim import SGD, Adam
from minigrad.training import Diagnosis, History, diagnose, fit
from minigrad.utils.data import DataLoader, TensorDataset

STEPS = np.arange(200)


def noisy(curve, relative_noise, seed=0):
    rng = np.random.default_rng(seed)
    return curve * (1 + relative_noise * rng.standard_normal(len(curve)))


# ------------------------------------------------------------------ synthetic curves
@pytest.mark.parametrize("curve", [
    0.2 + 2.0 * np.exp(-STEPS / 25),                                 # smooth, levels off
    noisy(0.2 + 2.0 * np.exp(-STEPS / 25), 0.25),                    # mini-batch noise on top
    2.3 - 0.009 * STEPS,                                             # a big straight drop (78%), still going
])
def test_healthy_curves(curve):
    result = diagnose(curve)
    assert result.label == "healthy", result.details


@pytest.mark.parametrize("curve", [
    2.3 - 0.001 * STEPS,                                             # 9% in a straight line
    noisy(2.3 - 0.001 * STEPS, 0.1),
    noisy(np.full(200, 2.3), 0.1),                                   # flat, batch noise only (lr ~ 0)
    noisy(np.full(48, 10.0), 0.25, seed=3),                          # short, very noisy, flat
    np.full(50, 0.7),                                                # exactly flat
])
def test_too_slow_curves(curve):
    result = diagnose(curve)
    assert result.label == "too slow", result.details
    assert "too small" in result.hint


@pytest.mark.parametrize("curve", [
    2.3 * np.exp(0.5 * np.sin(STEPS / 5)),                           # swings, no net progress
    2.3 + 0.8 * np.abs(np.sin(STEPS / 7)) + 0.1 * np.random.default_rng(0).standard_normal(200),
    np.r_[np.linspace(1.0, 0.8, 30), np.linspace(0.8, 1.5, 20), 1.5 + 0.3 * np.sin(np.arange(50))],  # rises
    np.r_[np.linspace(2.3, 1.0, 40), [40.0, 30.0, 10.0], np.linspace(5.0, 1.2, 57)],  # a spike larger than progress
    # a too-high fine-tuning learning rate: the first update doubles the loss, which then hovers near its start
    np.r_[4.3, np.linspace(9, 4.5, 20), 4.2 + 0.4 * np.random.default_rng(0).standard_normal(500)],
])
def test_oscillating_curves(curve):
    result = diagnose(curve)
    assert result.label == "oscillating", result.details
    assert "too high" in result.hint


def test_an_early_jump_above_the_start_is_named_in_the_hint():
    curve = np.r_[4.3, np.linspace(9, 3.0, 20), 2.0 + 0.2 * np.random.default_rng(0).standard_normal(300)]
    result = diagnose(curve)
    assert result.label == "oscillating", result.details
    assert "jumps up to" in result.hint and result.details["peak_loss"] > 7


@pytest.mark.parametrize("curve", [
    2.3 * np.exp(STEPS / 60),                                        # grows without bound
    np.r_[np.linspace(2.0, 1.0, 50), [np.nan]],
    [1.0, 0.9, float("inf"), 0.5],
])
def test_diverging_curves(curve):
    result = diagnose(curve)
    assert result.label == "diverging", result.details
    assert "too high" in result.hint


def test_nan_names_the_step():
    result = diagnose([1.0, 0.9, 0.8, float("nan"), 0.7])
    assert result.label == "diverging" and "step 4" in result.hint


def test_overfitting_from_sequences_names_the_best_epoch():
    train = [1.0, 0.7, 0.5, 0.4, 0.32, 0.27, 0.23, 0.2, 0.18, 0.16]
    val = [1.05, 0.8, 0.65, 0.58, 0.55, 0.53, 0.52, 0.525, 0.53, 0.54]
    result = diagnose(train, val_losses=val)
    assert result.label == "overfitting" and result.best_epoch == 7
    assert "epoch 7" in result.hint
    # validation that keeps improving, or rises only within the tolerance, is not overfitting
    assert diagnose(train, val_losses=[1.0, 0.8, 0.6, 0.5, 0.45, 0.42, 0.4, 0.39, 0.385, 0.38]).label == "healthy"
    assert diagnose(train, val_losses=val[:7] + [0.521, 0.522, 0.523]).label == "healthy"
    # per-step training losses with per-epoch validation losses
    steps = np.repeat(train, 20)
    assert diagnose(steps, val_losses=val).best_epoch == 7


def test_str_is_label_colon_hint_and_details_hold_the_measurements():
    curve = 0.2 + 2.0 * np.exp(-STEPS / 25)
    result = diagnose(curve)
    assert isinstance(result, Diagnosis)
    assert str(result) == f"healthy: {result.hint}" and "\n" not in str(result)
    assert result.details["start_loss"] == pytest.approx(curve[0]) == pytest.approx(2.2)
    assert result.details["end_loss"] == pytest.approx(np.median(curve[-20:]))
    assert 0.85 < result.details["improvement"] < 0.95
    assert result.details["thresholds"]["rebound"] == 0.1


def test_thresholds_are_adjustable():
    curve = 2.3 - 0.005 * STEPS  # a 43% straight-line drop: too slow by default
    assert diagnose(curve).label == "too slow"
    assert diagnose(curve, slow_improvement=0.3).label == "healthy"


def test_history_input_uses_steps_epochs_and_the_divergence_record():
    history = History()
    for loss in 0.2 + 2.0 * np.exp(-STEPS[:60] / 10):
        history.record_step(loss, lr=0.1, grad_norm=1.0)
    for train, val in zip([1.0, 0.5, 0.3, 0.25], [1.0, 0.6, 0.7, 0.8]):
        history.record_epoch(train, val)
    result = diagnose(history)
    assert result.label == "overfitting" and result.best_epoch == 2
    history.stop_reason, history.diverged_step = "diverged", 61
    result = diagnose(history)
    assert result.label == "diverging" and "step 61" in result.hint and "(0.1)" in result.hint


def test_bad_input():
    with pytest.raises(ValueError, match="at least 3 loss values"):
        diagnose([1.0, 0.5])
    with pytest.raises(TypeError, match="History or a sequence of losses"):
        diagnose("loss")
    with pytest.raises(TypeError, match="History or a sequence of losses"):
        diagnose([{"loss": 1}])


# ------------------------------------------------------------------ real short runs
def regression_run(lr, steps_epochs=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = x @ rng.standard_normal((8, 1)).astype(np.float32) + 0.1 * rng.standard_normal((512, 1)).astype(np.float32)
    mg.manual_seed(seed)
    model = nn.Linear(8, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=seed)
    return fit(model, SGD(model.parameters(), lr=lr), loader, F.mse_loss, steps_epochs, progress=False)


def spiral_run(lr, optimizer="sgd", seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(3):
        r = np.linspace(0.05, 1, 100)
        t = np.linspace(4 * c, 4 * (c + 1), 100) + 0.2 * rng.standard_normal(100)
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(100, c))
    x, y = np.concatenate(xs).astype(np.float32), np.concatenate(ys)
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    opt = SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd" else Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=seed)
    return fit(model, opt, loader, F.cross_entropy, 10, progress=False)


@pytest.mark.parametrize("lr, label", [(1e-4, "too slow"), (0.1, "healthy"), (3.0, "diverging")])
def test_real_regression_runs(lr, label, capsys):
    assert diagnose(regression_run(lr)).label == label


@pytest.mark.parametrize("lr, optimizer, label", [
    (1e-3, "sgd", "too slow"), (0.1, "sgd", "healthy"), (1.0, "sgd", "oscillating"),
    (1e-3, "adam", "too slow"), (0.01, "adam", "healthy"), (0.3, "adam", "oscillating"), (1.0, "adam", "oscillating"),
])
def test_real_classifier_runs(lr, optimizer, label):
    assert diagnose(spiral_run(lr, optimizer)).label == label


def test_real_overfitting_run():
    rng = np.random.default_rng(0)

    def features(x):
        return np.concatenate([np.cos(np.outer(x, np.arange(1, 31))), np.sin(np.outer(x, np.arange(1, 31)))],
                              axis=1).astype(np.float32)

    x_train, x_val = rng.uniform(-3, 3, 24), rng.uniform(-3, 3, 200)
    y_train = (np.sin(x_train) + 0.4 * rng.standard_normal(24)).astype(np.float32)[:, None]
    y_val = (np.sin(x_val) + 0.4 * rng.standard_normal(200)).astype(np.float32)[:, None]
    mg.manual_seed(0)
    model = nn.Linear(60, 1)
    history = fit(model, Adam(model.parameters(), lr=0.005),
                  DataLoader(TensorDataset(features(x_train), y_train), batch_size=8, shuffle=True, seed=0),
                  F.mse_loss, 20, val_loader=DataLoader(TensorDataset(features(x_val), y_val), batch_size=200),
                  progress=False)
    result = diagnose(history)
    assert result.label == "overfitting"
    assert result.best_epoch == history.best_epoch and 3 < result.best_epoch < 20
    assert f"epoch {result.best_epoch}" in str(result)
