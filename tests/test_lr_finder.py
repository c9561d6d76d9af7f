import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.optim import SGD, Adam  # noqa: E402
from minigrad.training import LRFinderResult, lr_find  # noqa: E402
from minigrad.training.lr_finder import suggest_minimum, suggest_steep, suggest_valley  # noqa: E402
from minigrad.utils.data import DataLoader, TensorDataset  # noqa: E402


def regression_problem(optimizer=SGD, lr=0.1, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = x @ rng.standard_normal((8, 1)).astype(np.float32) + 0.1 * rng.standard_normal((512, 1)).astype(np.float32)
    mg.manual_seed(seed)
    model = nn.Linear(8, 1)
    opt = optimizer(model.parameters(), lr=lr, **kwargs)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=seed)
    return model, opt, loader


# ------------------------------------------------------------------ the suggestion rules
def test_rules_on_a_textbook_curve():
    lrs = np.logspace(-6, 0, 61)
    # flat, then falling fastest at 1e-3 (a tanh step in log lr), then blowing up past 1e-1
    log_lr = np.log10(lrs)
    losses = 1.5 - np.tanh(log_lr + 3) + np.where(log_lr > -1, 50 * (log_lr + 1) ** 2, 0)
    steep = lrs[suggest_steep(lrs, losses)]
    assert 5e-4 < steep < 2e-3
    # the whole curve up to its minimum is one long decline: the valley sits half way along it
    index = suggest_valley(lrs, losses)
    assert 0 < index < np.argmin(losses) and losses[index] < losses[0]
    end = int(np.argmin(losses))  # 50; fastai measures the run back from its end: start = end - length = -1
    section = (end - (end - (end + 1))) / 3
    assert index == -1 + int(section) + int(section / 2)
    assert lrs[suggest_minimum(lrs, losses)] == pytest.approx(lrs[np.argmin(losses)])


def test_valley_is_a_third_and_a_sixth_into_the_longest_decline():
    losses = np.array([5.0, 6.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 3.0, 9.0])
    # the longest decreasing run ends at index 9 with length 8 (7, 6, 5, 4, 3, 2, 1, 0): start 9 - 8 = 1
    # section (9 - 1) / 3 = 2.67 -> 1 + int(2.67) + int(1.33) = 4
    assert suggest_valley(np.arange(1, 13), losses) == 4


# ------------------------------------------------------------------ the sweep
def test_sweep_is_exponential_stops_on_divergence_and_suggests_a_stable_lr():
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss)
    assert isinstance(result, LRFinderResult)
    assert result.lrs[0] == pytest.approx(1e-7)
    np.testing.assert_allclose(result.lrs[1:] / result.lrs[:-1], 10 ** (8 / 99), rtol=1e-9)
    # plain SGD on this problem blows up above lr ~ 1 (the curvature is about 2): the sweep stops there
    assert result.stopped_early and 0.3 < result.lrs[-1] < 10
    assert result.losses[-1] > 4 * np.nanmin(result.losses)
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses) < 100
    # debiased smoothing: the first smoothed value is the first raw loss
    assert result.losses[0] == pytest.approx(result.raw_losses[0])
    assert set(result.suggestions) == {"valley", "steep", "minimum"}
    assert result.suggestion == result.suggestions["valley"]
    assert 1e-3 < result.suggestion < 0.5
    assert 1e-3 < result.suggestions["minimum"] < 0.5


def test_smoothing_matches_the_debiased_moving_average():
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss, num_iter=30, smooth_beta=0.9, end_lr=1e-2)
    avg, expected = 0.0, []
    for i, loss in enumerate(result.raw_losses, start=1):
        avg = 0.9 * avg + 0.1 * loss
        expected.append(avg / (1 - 0.9 ** i))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    assert not result.stopped_early and len(result.lrs) == 30 and result.lrs[-1] == pytest.approx(1e-2)


def test_model_and_optimizer_are_restored_exactly():
    model, opt, loader = regression_problem(Adam, lr=3e-3)
    for x, y in list(loader)[:3]:  # give Adam some state first
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
    model.eval()
    weights = model.state_dict()
    state = opt.state_dict()
    lr_find(model, opt, loader, F.mse_loss, num_iter=40)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, weights[name])
    after = opt.state_dict()
    assert after["param_groups"] == state["param_groups"] and opt.param_groups[0]["lr"] == 3e-3
    for index, buffers in state["state"].items():
        for name, value in buffers.items():
            np.testing.assert_array_equal(after["state"][index][name], value)
    assert not model.training  # its mode is restored too
    assert all(p.grad is None for p in model.parameters())


def test_state_is_restored_even_when_the_loss_function_fails():
    model, opt, loader = regression_problem()
    weights = model.state_dict()
    calls = []

    def failing_loss(out, y):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return F.mse_loss(out, y)

    with pytest.raises(RuntimeError, match="boom"):
        lr_find(model, opt, loader, failing_loss, start_lr=1e-2, end_lr=1.0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, weights[name])
    assert opt.param_groups[0]["lr"] == 0.1


def test_cycles_a_short_loader():
    model, opt, loader = regression_problem()
    assert len(loader) == 8
    result = lr_find(model, opt, loader, F.mse_loss, num_iter=20, end_lr=1e-3)
    assert len(result.lrs) == 20


def test_plot_uses_a_log_axis_and_marks_the_suggestions():
    model, opt, loader = regression_problem()
    result = lr_find(model, opt, loader, F.mse_loss)
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(label.startswith("valley") for label in labels) and any(label.startswith("steep") for label in labels)
    plt.close(fig)
    assert "suggestions" in repr(result)


def test_bad_arguments():
    model, opt, loader = regression_problem()
    with pytest.raises(ValueError, match="end_lr .* must be larger than start_lr"):
        lr_find(model, opt, loader, F.mse_loss, start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="start_lr must be a finite number > 0"):
        lr_find(model, opt, loader, F.mse_loss, start_lr=0)
    with pytest.raises(ValueError, match="num_iter must be an integer >= 2"):
        lr_find(model, opt, loader, F.mse_loss, num_iter=1)
    with pytest.raises(ValueError, match=r"smooth_beta must be in \[0, 1\)"):
        lr_find(model, opt, loader, F.mse_loss, smooth_beta=1.0)
    with pytest.raises(ValueError, match="diverge_threshold must be a number > 1"):
        lr_find(model, opt, loader, F.mse_loss, diverge_threshold=0.5)


def test_steep_ignores_dips_after_the_blow_up():
    lrs = np.logspace(-5, 1, 7)
    losses = np.array([2.0, 1.9, 1.5, 1.4, 5.0, 4.0, 4.5])  # the 5.0 -> 4.0 dip comes after the minimum
    assert suggest_steep(lrs, losses) == 1  # 1.9 -> 1.5, the steepest fall before the lowest point
