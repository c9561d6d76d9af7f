"""Training tools, the way participants slip (issue 14): a stale optimizer, NaN data, a schedule's rate."""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.optim import lr_scheduler
from minigrad.training import History, diagnose, fit, lr_find
from minigrad.utils.data import DataLoader, Dataset, TensorDataset


def regression(rows=64, nan_at=None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype=np.float32)
    if nan_at is not None:
        x[nan_at] = np.nan
    return DataLoader(TensorDataset(x, y), batch_size=16)


# ------------------------------------------------------------------ re-running the model cell (item 2)
def test_fit_stops_when_the_optimizer_holds_another_model():
    mg.manual_seed(0)
    model = nn.Linear(4, 1)
    optimizer = optim.Adam(model.parameters())
    model = nn.Linear(4, 1)  # the model cell run again; the optimizer cell not
    with pytest.raises(RuntimeError, match="optimizer holds none of this model's parameters.*"
                                           r"optim\.Adam\(model\.parameters\(\)\)"):
        fit(model, optimizer, regression(), F.mse_loss, epochs=3, progress=False)


def test_fit_stops_when_no_parameter_gets_a_gradient():
    model = nn.Linear(4, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="none of the optimizer's parameters received a gradient"):
        fit(model, optimizer, regression(), lambda out, y: F.mse_loss(out.detach(), y), progress=False)


def test_lr_find_stops_when_the_optimizer_holds_another_model():
    old = nn.Linear(4, 1)
    optimizer = optim.SGD(old.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="lr_find: the optimizer holds none of this model's parameters"):
        lr_find(nn.Linear(4, 1), optimizer, regression(), F.mse_loss, num_iter=10)


def test_diagnose_does_not_blame_the_learning_rate_when_no_gradient_arrived():
    history = History()
    for _ in range(30):
        history.record_step(2.3, lr=0.01, grad_norm=0.0)
    result = diagnose(history)
    assert result.label == "no gradient"
    assert "learning rate is not the cause" in result.hint and "too small" not in result.hint


# ------------------------------------------------------------------ NaN in the data (item 4)
def test_nan_in_the_inputs_is_named_not_blamed_on_the_learning_rate():
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError, match=r"fit: the inputs of step 1 hold 1 NaN or infinite value.*Clean the data"):
        fit(model, optim.SGD(model.parameters(), lr=0.01), regression(nan_at=(3, 2)), F.mse_loss, progress=False)


def test_nan_in_a_later_batch_names_that_step():
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError, match="the inputs of step 3 hold"):
        fit(model, optim.SGD(model.parameters(), lr=0.01), regression(nan_at=(40, 0)), F.mse_loss, progress=False)


def test_nan_in_the_targets_is_named():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    y = np.ones((32, 1), dtype=np.float32)
    y[5] = np.inf
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="the targets of step 1"):
        fit(model, optim.SGD(model.parameters(), lr=0.01), DataLoader(TensorDataset(x, y), batch_size=32),
            F.mse_loss, progress=False)


def test_a_loss_that_is_not_finite_before_any_update_is_named_as_such():
    model = nn.Linear(4, 1)

    def log_loss_of_zero(out, target):
        return (out * 0).log().mean()

    with pytest.raises(ValueError, match="already -inf at step 1, before any update, so the learning rate is not"):
        fit(model, optim.SGD(model.parameters(), lr=0.01), regression(), log_loss_of_zero, progress=False)


def test_lr_find_names_nan_data_too():
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError, match="lr_find: the inputs of step 1"):
        lr_find(model, optim.SGD(model.parameters(), lr=0.1), regression(nan_at=(0, 0)), F.mse_loss, num_iter=10)


def test_diagnose_does_not_blame_the_learning_rate_for_a_first_loss_that_is_nan():
    result = diagnose([math.nan, math.nan, math.nan, math.nan], )
    assert result.label == "not finite from the start"
    assert "learning rate is not the cause" in result.hint and "data" in result.hint


def test_a_real_divergence_still_blames_the_learning_rate(capsys):
    model = nn.Linear(4, 1)
    history = fit(model, optim.SGD(model.parameters(), lr=50.0), regression(), F.mse_loss, epochs=20,
                  progress=False)
    assert history.diverged and "learning rate (50)" in history.message


# ------------------------------------------------------------------ a schedule's rate (item 7)
def test_diagnose_quotes_the_peak_of_a_schedule_not_its_last_rate():
    steps = np.arange(200)
    lrs = 0.5 * (1 + np.cos(np.pi * steps / 200))  # cosine from a peak of 1.0, no warmup
    history = History()
    for lr, loss in zip(lrs, 2.3 * np.exp(0.5 * np.sin(steps / 5))):  # swings: a too-high rate
        history.record_step(loss, lr=lr, grad_norm=1.0)
    result = diagnose(history)
    assert result.label == "oscillating"
    assert "the peak learning rate (1)" in result.hint and f"{lrs[-1]:.3g}" not in result.hint
    assert "the peak learning rate (0.8)" in diagnose(history, lr=0.8).hint  # the caller's rate, when given


def test_a_constant_rate_is_quoted_as_it_was():
    history = History()
    for step in range(50):
        history.record_step(2.3 - 0.001 * step, lr=0.01, grad_norm=1.0)
    assert "the learning rate (0.01) is probably too small" in diagnose(history).hint


# ------------------------------------------------------------------ smaller ones (item 11)
def test_a_scheduler_stepped_before_its_optimizer_warns_as_torch():
    optimizer = optim.SGD([mg.tensor([0.0], requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()
    optimizer = optim.SGD([mg.tensor([0.0], requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()
        scheduler.step()


def test_one_cycle_refused_for_an_optimizer_without_momentum_leaves_it_untouched():
    optimizer = optim.Adagrad([mg.tensor([0.0], requires_grad=True)], lr=0.1)
    before = [dict(group) for group in optimizer.param_groups]
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    assert optimizer.param_groups == before


def test_examples_of_different_shapes_are_named_with_their_indices():
    class Ragged(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, index):
            return np.zeros(5 if index == 6 else 4, dtype=np.float32), index

    with pytest.raises(ValueError, match=r"dataset\[4\] has shape \(4,\), dataset\[6\] has shape \(5,\).*pad or crop"):
        list(DataLoader(Ragged(), batch_size=4))


def test_a_step_record_with_a_bad_value_leaves_the_history_consistent():
    history = History()
    with pytest.raises(ValueError):
        history.record_step(1.0, lr="fast")
    assert history.num_steps == 0 and history.step_lr == [] and history.step_grad_norm == []


def test_lesson_5_widget_quotes_the_peak_it_was_given():
    """The issue's case: peak 1.0, cosine, no warmup once read "the learning rate (2.74e-05) is too high"."""
    from coursekit import schedules
    from coursekit.datasets import digits

    run = schedules.train_with_schedule(digits(), "cosine", peak_lr=1.0, warmup_fraction=0.0)
    assert run.lrs[-1] < 1e-3  # the schedule's last rate, which was quoted
    summary = schedules._summary(run, run).replace("\n", " ")
    assert "too high" in summary and "learning rate (1)" in summary, summary


def test_nan_in_the_validation_data_is_named():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = np.zeros((32, 1), dtype=np.float32)
    x[20, 1] = np.nan
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError, match="evaluate: the inputs of validation batch 2 hold 1 NaN"):
        fit(model, optim.SGD(model.parameters(), lr=0.01), regression(), F.mse_loss, progress=False,
            val_loader=DataLoader(TensorDataset(x, y), batch_size=16))


def test_early_stopping_on_a_loss_that_is_never_finite_says_so():
    from minigrad.training import EarlyStopping

    model = nn.Linear(4, 1)

    def nan_on_validation(out, target):
        loss = F.mse_loss(out, target)
        return loss if model.training else loss * math.nan

    history = fit(model, optim.SGD(model.parameters(), lr=0.01), regression(), nan_on_validation, epochs=3,
                  progress=False, val_loader=regression(), early_stopping=EarlyStopping(patience=0))
    assert history.stop_reason == "early_stopping"
    assert "never a finite number" in history.message and "epoch None" not in history.message
