import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.optim import SGD, Adam, lr_scheduler
from minigrad.training import EarlyStopping, History, TrainingDiverged, evaluate, fit
from minigrad.utils.data import DataLoader, TensorDataset


def regression_data(n=256, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    w = rng.standard_normal((features, 1)).astype(np.float32)
    y = x @ w + 0.05 * rng.standard_normal((n, 1)).astype(np.float32)
    return x, y


def make_run(lr=0.1, n=256, batch_size=32, seed=0, optimizer=SGD, **optimizer_kwargs):
    x, y = regression_data(n)
    mg.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    opt = optimizer(model.parameters(), lr=lr, **optimizer_kwargs)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed)
    return model, opt, loader


def grad_norm(model):
    return math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))


def test_fit_trains_a_linear_regression_and_records_every_step():
    model, opt, loader = make_run(lr=0.1)
    history = fit(model, opt, loader, F.mse_loss, epochs=3, progress=False)
    assert isinstance(history, History)
    assert history.num_steps == 3 * len(loader) == 24
    assert history.num_epochs == 3 and history.epoch_end_step == [8, 16, 24]
    assert history.stop_reason == "completed" and not history.diverged
    assert history.step_lr == [0.1] * 24
    assert all(g > 0 and math.isfinite(g) for g in history.step_grad_norm)
    assert all(t >= 0 for t in history.step_time)
    assert history.epoch_train_loss[-1] < 0.05 * history.epoch_train_loss[0]
    assert history.final_loss == history.step_loss[-1] < 0.05
    assert history.epoch_val_loss == []


def test_epoch_train_loss_is_the_example_weighted_mean():
    model, opt, loader = make_run(lr=0.05, n=100, batch_size=32)  # batches of 32, 32, 32, 4
    history = fit(model, opt, loader, F.mse_loss, epochs=1, progress=False)
    sizes = np.array([32, 32, 32, 4])
    expected = float((np.array(history.step_loss) * sizes).sum() / 100)
    assert history.epoch_train_loss[0] == pytest.approx(expected, rel=1e-12)


def test_grad_norm_is_recorded_before_clipping_and_clipping_applies():
    seen = []

    def callback(history):
        seen.append((history.step_grad_norm[-1], grad_norm(model)))

    model, opt, loader = make_run(lr=0.01)
    fit(model, opt, loader, F.mse_loss, epochs=1, progress=False, callback=callback)
    for recorded, actual in seen:  # no clipping: the recorded norm is the gradient's norm
        assert recorded == pytest.approx(actual, rel=1e-5)

    seen.clear()
    model, opt, loader = make_run(lr=0.01)
    history = fit(model, opt, loader, F.mse_loss, epochs=1, progress=False, callback=callback, clip_grad_norm=0.5)
    assert all(recorded > 0.5 for recorded, _ in seen)  # the pre-clip norm, larger than the cap
    for _, clipped in seen:
        assert clipped == pytest.approx(0.5, rel=1e-4)
    assert history.step_grad_norm == [r for r, _ in seen]


def test_clipping_changes_the_trajectory_exactly_as_a_manual_loop_does():
    model, opt, loader = make_run(lr=0.05)
    fit(model, opt, loader, F.mse_loss, epochs=1, progress=False, clip_grad_norm=1.0)
    manual, manual_opt, manual_loader = make_run(lr=0.05)
    for x, y in manual_loader:
        manual_opt.zero_grad()
        F.mse_loss(manual(x), y).backward()
        nn.utils.clip_grad_norm_(manual.parameters(), 1.0)
        manual_opt.step()
    for a, b in zip(model.parameters(), manual.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_scheduler_steps_per_step_or_per_epoch():
    model, opt, loader = make_run(lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    history = fit(model, opt, loader, F.mse_loss, epochs=2, scheduler=sched, progress=False)
    assert history.step_lr == pytest.approx([0.1 * 0.5 ** (i // 5) for i in range(16)])

    model, opt, loader = make_run(lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, opt, loader, F.mse_loss, epochs=3, scheduler=sched, scheduler_interval="epoch",
                  progress=False)
    assert history.step_lr == pytest.approx([0.1] * 8 + [0.05] * 8 + [0.025] * 8)


def test_divergence_stops_training_with_a_message_naming_the_step_and_the_lr(capsys):
    model, opt, loader = make_run(lr=50.0)
    history = fit(model, opt, loader, F.mse_loss, epochs=20, progress=False)
    assert history.diverged and history.stop_reason == "diverged"
    step = history.diverged_step
    assert step == history.num_steps < 20 * len(loader)
    assert not math.isfinite(history.step_loss[-1]) or not math.isfinite(history.step_grad_norm[-1])
    assert all(math.isfinite(x) for x in history.step_loss[:-1])
    assert f"step {step}" in history.message and "learning rate (50)" in history.message
    assert history.message in capsys.readouterr().out


def test_divergence_can_raise():
    model, opt, loader = make_run(lr=50.0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+ .*learning rate"):
        fit(model, opt, loader, F.mse_loss, epochs=20, progress=False, raise_on_divergence=True)


class Recorder(nn.Module):
    """Wraps a model and records (training mode, grad mode) at every forward."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, mg.is_grad_enabled()))
        return self.inner(x)


def test_validation_runs_in_eval_mode_without_grad_then_returns_to_training():
    model, opt, loader = make_run(lr=0.05, n=64)
    model = Recorder(model)
    x, y = regression_data(64, seed=1)
    val_loader = DataLoader(TensorDataset(x, y), batch_size=20)
    history = fit(model, opt, loader, F.mse_loss, epochs=2, val_loader=val_loader, progress=False)
    per_epoch = len(loader) + len(val_loader)
    assert model.calls == ([(True, True)] * len(loader) + [(False, False)] * len(val_loader)) * 2
    assert len(model.calls) == 2 * per_epoch
    assert model.training
    assert history.epoch_val_loss[-1] == pytest.approx(evaluate(model, val_loader, F.mse_loss), rel=1e-6)
    assert len(history.epoch_val_loss) == 2 and history.best_epoch in (1, 2)


def overfitting_problem(seed=0):
    """24 noisy samples of sin(x) fitted with 60 Fourier features: validation improves, then rises."""
    rng = np.random.default_rng(seed)

    def features(x):
        return np.concatenate([np.cos(np.outer(x, np.arange(1, 31))), np.sin(np.outer(x, np.arange(1, 31)))],
                              axis=1).astype(np.float32)

    x_train, x_val = rng.uniform(-3, 3, 24), rng.uniform(-3, 3, 200)
    y_train = (np.sin(x_train) + 0.4 * rng.standard_normal(24)).astype(np.float32)[:, None]
    y_val = (np.sin(x_val) + 0.4 * rng.standard_normal(200)).astype(np.float32)[:, None]
    mg.manual_seed(seed)
    model = nn.Linear(60, 1)
    train = DataLoader(TensorDataset(features(x_train), y_train), batch_size=8, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(features(x_val), y_val), batch_size=200)
    return model, Adam(model.parameters(), lr=0.005), train, val


def test_early_stopping_stops_and_restores_the_best_epoch():
    model, opt, loader, val_loader = overfitting_problem()
    stopper = EarlyStopping(patience=2)
    history = fit(model, opt, loader, F.mse_loss, epochs=50, val_loader=val_loader, early_stopping=stopper,
                  progress=False)
    assert history.stop_reason == "early_stopping"
    best = history.best_epoch
    assert best > 3  # validation improved for a while, then rose
    assert stopper.best_epoch == best and history.num_epochs == best + 2
    assert history.restored_epoch == best and f"epoch {best}" in history.message
    assert evaluate(model, val_loader, F.mse_loss) == pytest.approx(history.best_val_loss, rel=1e-6)
    assert evaluate(model, val_loader, F.mse_loss) < history.epoch_val_loss[-1]


def test_early_stopping_restores_the_best_epoch_when_the_epochs_run_out():
    model, opt, loader, val_loader = overfitting_problem()
    history = fit(model, opt, loader, F.mse_loss, epochs=15, val_loader=val_loader,
                  early_stopping=EarlyStopping(patience=100), progress=False)
    assert history.stop_reason == "completed" and history.num_epochs == 15
    assert history.restored_epoch == history.best_epoch < 15
    assert evaluate(model, val_loader, F.mse_loss) == pytest.approx(history.best_val_loss, rel=1e-6)


def test_max_steps_and_callback_stop_training():
    model, opt, loader = make_run()
    history = fit(model, opt, loader, F.mse_loss, epochs=10, max_steps=11, progress=False)
    assert history.num_steps == 11 and history.stop_reason == "max_steps"
    assert history.num_epochs == 2  # the partial epoch is recorded too
    model, opt, loader = make_run()
    history = fit(model, opt, loader, F.mse_loss, epochs=10, progress=False,
                  callback=lambda h: h.num_steps == 5)
    assert history.num_steps == 5 and history.stop_reason == "callback"


def test_progress_bar_can_be_switched_off(capsys):
    model, opt, loader = make_run()
    fit(model, opt, loader, F.mse_loss, epochs=1, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    fit(model, opt, loader, F.mse_loss, epochs=1, progress=True)
    assert "training" in capsys.readouterr().err  # tqdm's text bar outside a notebook


def test_fit_works_with_adam_and_multi_input_models():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 1), nn.Linear(4, 1)

        def forward(self, x1, x2):
            return self.a(x1) + self.b(x2)

    x, y = regression_data(64)
    mg.manual_seed(0)
    model = TwoInputs()
    loader = DataLoader(TensorDataset(x, x * 2, y), batch_size=16, shuffle=True, seed=0)
    history = fit(model, Adam(model.parameters(), lr=0.05), loader, F.mse_loss, epochs=5, progress=False)
    assert history.epoch_train_loss[-1] < 0.5 * history.epoch_train_loss[0]


def test_bad_arguments_raise_clear_errors():
    model, opt, loader = make_run()
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(model, opt, loader, F.mse_loss, epochs=0)
    with pytest.raises(ValueError, match="clip_grad_norm must be a number > 0"):
        fit(model, opt, loader, F.mse_loss, clip_grad_norm=-1.0)
    with pytest.raises(ValueError, match="scheduler_interval must be 'step' or 'epoch'"):
        fit(model, opt, loader, F.mse_loss, scheduler_interval="batch")
    with pytest.raises(ValueError, match="early_stopping watches the validation loss"):
        fit(model, opt, loader, F.mse_loss, early_stopping=EarlyStopping(2))
    with pytest.raises(ValueError, match="max_steps"):
        fit(model, opt, loader, F.mse_loss, max_steps=0)
    empty = DataLoader(TensorDataset(np.zeros((3, 4), np.float32), np.zeros((3, 1), np.float32)),
                       batch_size=8, drop_last=True)
    with pytest.raises(ValueError, match="yields no batches"):
        fit(model, opt, empty, F.mse_loss)
    with pytest.raises(ValueError, match="single number"):
        fit(model, opt, loader, lambda out, y: (out - y) ** 2, progress=False)


def test_history_views_export_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, opt, loader, val_loader = overfitting_problem()
    history = fit(model, opt, loader, F.mse_loss, epochs=4, val_loader=val_loader, progress=False)
    assert history.losses is history.step_loss and history.lrs is history.step_lr
    assert history.train_losses == history.epoch_train_loss and len(history.val_losses) == 4
    assert history.total_time > 0
    smoothed = history.smoothed_losses(0.9)
    assert smoothed[0] == pytest.approx(history.step_loss[0])  # debiased: no pull towards zero
    assert smoothed[1] == pytest.approx((0.09 * history.step_loss[0] + 0.1 * history.step_loss[1]) / 0.19)
    data = history.to_dict()
    assert History.from_dict(data) == history
    import json

    assert History.from_dict(json.loads(json.dumps(data))) == history
    with pytest.raises(KeyError, match="unknown keys"):
        History.from_dict({"loss": []})
    fig, ax = plt.subplots()
    assert history.plot(ax=ax) is ax
    assert {line.get_label() for line in ax.get_lines()} >= {"step loss", "smoothed", "validation"}
    plt.close(fig)
    assert "4 epochs" in repr(history) and "stopped: completed" in repr(history)
