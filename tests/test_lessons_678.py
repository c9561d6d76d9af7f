"""The compute functions behind lessons 6 (range test), 7 (batch size) and 8 (clipping), and their widgets.

Every demo and widget of those lessons is a plain function of ``coursekit``; these
tests call them directly on small settings (a few epochs, short sequences) so the
whole file runs in seconds. The widgets are built headless (``interactive=False``)
and driven through ``widget.set``, exactly as a slider move would.
"""
import math

import numpy as np
import pytest

from coursekit import batch_size as bs
from coursekit import clipping as cl
from coursekit.casestudy import clipping_study as gpt
from coursekit import range_test as rt
from coursekit.display import layout_key
from coursekit.log_ticks import plain_log_ticks
from minigrad.training import History


# ----------------------------------------------------------------------------- lesson 6: range test
@pytest.fixture(scope="module")
def split():
    return rt.make_split(val_fraction=0.25, seed=0)


@pytest.fixture(scope="module")
def short_range_test(split):
    return rt.run_range_test(split, start_lr=1e-4, end_lr=10.0, num_iter=40)


def test_make_mlp_is_seeded_and_checks_its_size():
    first, second, other = rt.make_mlp(seed=3), rt.make_mlp(seed=3), rt.make_mlp(seed=4)
    for a, b in zip(first.parameters(), second.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(first[0].weight.data, other[0].weight.data)
    assert first[0].weight.dtype == np.float64
    with pytest.raises(ValueError, match="hidden"):
        rt.make_mlp(hidden=0)
    with pytest.raises(ValueError, match="AdamW"):
        rt.make_optimizer(first, 0.1, name="Lion")


def test_range_test_sweeps_geometrically_and_suggests_rates_inside_the_sweep(short_range_test):
    lrs = short_range_test.lrs
    assert lrs[0] == pytest.approx(1e-4)
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)  # evenly spaced on a log scale
    assert lrs[-1] <= 10.0 * (1 + 1e-9)
    for name, lr in short_range_test.suggestions.items():
        assert lr is not None, name
        low = lrs[0] / 10 if name == "minimum" else lrs[0]
        assert low <= lr <= lrs[-1], name
    # Backing off from the bottom: the valley lies below the rate of the lowest smoothed loss.
    assert short_range_test.suggestions["valley"] < lrs[int(np.argmin(short_range_test.losses))]


def test_range_test_leaves_a_fresh_model_untouched(split):
    before = rt.make_mlp(seed=0).state_dict()
    rt.run_range_test(split, num_iter=20, seed=0)
    after = rt.make_mlp(seed=0).state_dict()
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])


def test_train_at_is_deterministic_and_scores_every_epoch(split):
    first = rt.train_at(split, 0.01, epochs=2)
    second = rt.train_at(split, 0.01, epochs=2)
    assert first.history.step_loss == second.history.step_loss
    assert len(first.history.epoch_val_loss) == 2
    assert first.history.num_steps == 2 * math.ceil(len(split.y_train) / rt.DEFAULT_BATCH_SIZE)
    assert first.final_val_loss == first.history.epoch_val_loss[-1]
    assert first.final_val_loss < first.history.step_loss[0]  # it learned something
    assert first.label == first.diagnosis.label
    with pytest.raises(ValueError, match="lr"):
        rt.train_at(split, 0.0)


def test_a_far_too_large_rate_is_reported_as_divergence_not_raised(split):
    run = rt.train_at(split, 50.0, epochs=1, optimizer="SGD")
    assert run.label == "diverging"
    assert "too high" in run.diagnosis.hint
    assert "diverging" in run.summary()


def test_check_pick_trains_at_the_pick_times_each_factor(split):
    runs = rt.check_pick(split, 0.004, factors=(0.1, 1.0, 10.0), epochs=1)
    assert [run.factor for run in runs] == [0.1, 1.0, 10.0]
    np.testing.assert_allclose([run.lr for run in runs], [0.0004, 0.004, 0.04])
    assert "(x10)" in runs[2].summary()
    # Ten times lower learns less in the same steps.
    assert runs[0].final_val_loss > runs[1].final_val_loss


def test_steps_to_reach_counts_from_one_and_says_never():
    history = History()
    for loss in [3.0, 2.0, 1.0, 0.5, 0.2]:
        history.record_step(loss)
    assert rt.steps_to_reach(history, 1.0, beta=0.0) == 3
    assert rt.steps_to_reach(history, 0.1, beta=0.0) is None
    assert rt.steps_to_reach(History(), 1.0) is None


def test_range_test_widget_follows_its_slider(split, short_range_test):
    widget = rt.range_test_widget(split, short_range_test, lr=0.01, epochs=1, interactive=False)
    first = widget.state["run"]
    assert first.lr == pytest.approx(0.01)
    widget.set(lr=0.1)
    assert widget.state["run"].lr == pytest.approx(0.1)
    assert widget.fig.axes[1].get_title().startswith("lr 0.1")
    widget.set(lr=0.01)
    assert widget.state["run"] is first  # a visited rate comes from the cache
    assert widget.png().startswith(b"\x89PNG")


# ----------------------------------------------------------------------------- lesson 7: batch size
@pytest.fixture(scope="module")
def small_noisy():
    return bs.noisy_digits(n_train=128, n_val=128, label_noise=0.2, seed=0)


def test_noisy_digits_corrupts_about_the_requested_share_of_labels():
    split = bs.noisy_digits(n_train=512, n_val=500, label_noise=0.2, seed=0)
    assert split.X_train.shape == (512, 64) and split.X_val.shape == (500, 64)
    wrong_train, wrong_val = bs.wrong_label_fraction(split, seed=0)
    # A redrawn label is right one time in ten: expect 0.2 * 0.9 = 18% wrong.
    assert 0.13 < wrong_train < 0.23 and 0.13 < wrong_val < 0.23
    clean = bs.noisy_digits(n_train=100, n_val=100, label_noise=0.0, seed=0)
    assert bs.wrong_label_fraction(clean, seed=0) == (0.0, 0.0)
    again = bs.noisy_digits(n_train=512, n_val=500, label_noise=0.2, seed=0)
    np.testing.assert_array_equal(split.y_train, again.y_train)
    with pytest.raises(ValueError, match="label_noise"):
        bs.noisy_digits(label_noise=1.0)
    with pytest.raises(ValueError, match="n_train"):
        bs.noisy_digits(n_train=5000)


def test_scale_lr_rules():
    assert bs.scale_lr(0.05, 32, 128, "linear") == pytest.approx(0.2)
    assert bs.scale_lr(0.05, 32, 128, "sqrt") == pytest.approx(0.1)
    assert bs.scale_lr(0.05, 32, 8, "linear") == pytest.approx(0.0125)
    assert bs.scale_lr(0.05, 32, 512, "none") == pytest.approx(0.05)
    with pytest.raises(ValueError, match="rule"):
        bs.scale_lr(0.05, 32, 64, "cubic")
    with pytest.raises(ValueError, match="base_lr"):
        bs.scale_lr(0.0, 32, 64)


def test_measure_throughput_reports_every_batch_size():
    result = bs.measure_throughput([1, 16], timed_steps=2, warmup_steps=1)
    assert set(result) == {1, 16}
    assert all(value > 0 and math.isfinite(value) for value in result.values())
    with pytest.raises(ValueError, match="timed_steps"):
        bs.measure_throughput([4], timed_steps=0)
    with pytest.raises(ValueError, match="positive integers"):
        bs.measure_throughput([0])


def test_train_batch_scores_training_and_validation_sets_every_epoch(small_noisy):
    run = bs.train_batch(small_noisy, 32, 0.05, epochs=3)
    assert run.epochs == 3 and len(run.train_losses) == 3
    assert run.steps == 3 * math.ceil(128 / 32)
    assert run.gap == pytest.approx(run.val_losses[-1] - run.train_losses[-1])
    assert run.train_losses[-1] < run.train_losses[0]
    assert run.examples_per_second > 0
    again = bs.train_batch(small_noisy, 32, 0.05, epochs=3)
    np.testing.assert_array_equal(run.val_losses, again.val_losses)
    assert "gap" in run.summary() and "seconds" not in run.summary()
    with pytest.raises(ValueError, match="batch_size"):
        bs.train_batch(small_noisy, 0, 0.05)
    with pytest.raises(ValueError, match="lr"):
        bs.train_batch(small_noisy, 8, -1.0)


def test_more_steps_per_epoch_fit_the_training_set_further(small_noisy):
    # Same rate and epochs: the small batch takes 16 times the steps and fits (memorises) more.
    small, large = bs.train_batch(small_noisy, 8, 0.05, epochs=4), bs.train_batch(small_noisy, 128, 0.05, epochs=4)
    assert small.steps == 16 * large.steps
    assert small.train_losses[-1] < large.train_losses[-1]


def test_compare_batch_sizes_applies_the_rule(small_noisy):
    runs = bs.compare_batch_sizes(small_noisy, [16, 64], base_lr=0.05, base_batch_size=32, rule="linear", epochs=1)
    assert runs[16].lr == pytest.approx(0.025) and runs[64].lr == pytest.approx(0.1)
    assert runs[64].rule == "linear"


def test_batch_colors_are_distinct_and_ordered():
    colors = bs.batch_colors([512, 8, 32])
    assert list(colors) == [8, 32, 512]
    assert len({tuple(c) for c in colors.values()}) == 3


def test_batch_size_widget_follows_both_sliders(small_noisy):
    widget = bs.batch_size_widget(small_noisy, batch_size=32, lr=0.05, epochs=2, interactive=False)
    assert widget.state["run"].batch_size == 32
    widget.set(batch_size=64, lr=0.1)
    run = widget.state["run"]
    assert (run.batch_size, run.lr) == (64, pytest.approx(0.1))
    assert widget.fig.axes[0].get_title().startswith("batch 64")


# ----------------------------------------------------------------------------- lesson 8: clipping
def test_tiny_rnn_shapes_and_gain():
    model = cl.TinyRNN(hidden=8, gain=2.0, seed=0)
    x, y = cl.fading_sum_batch(np.random.default_rng(0), batch_size=5, seq_len=7)
    assert model(x).shape == (5,) and y.shape == (5,)
    weak = cl.TinyRNN(hidden=8, gain=0.5, seed=0)
    np.testing.assert_allclose(model.recurrent.data, 4 * weak.recurrent.data)  # same draw, scaled by the gain
    with pytest.raises(ValueError, match="gain"):
        cl.TinyRNN(gain=0)


def test_fading_sum_weights_recent_inputs_most_and_has_unit_variance():
    x, y = cl.fading_sum_batch(np.random.default_rng(0), batch_size=4000, seq_len=50)
    assert np.var(y.data) == pytest.approx(1.0, rel=0.1)
    weights = 0.9 ** np.arange(49, -1, -1)
    np.testing.assert_allclose(y.data, x.data @ weights / np.sqrt(weights @ weights))


def test_gradients_vanish_with_small_recurrent_weights_and_explode_with_large_ones():
    steps_back, weak = cl.input_influence(0.5, seq_len=60)
    _, strong = cl.input_influence(2.5, seq_len=60)
    assert steps_back[0] == 0 and len(weak) == 60
    assert weak[50] < 1e-6 * weak[1]
    assert strong[50] > 10 * strong[1]


def test_clipping_by_norm_keeps_the_direction_and_bites_above_the_threshold():
    run = cl.train_rnn("norm", 1.0, lr=0.05, steps=15, seq_len=10)
    assert len(run.losses) == len(run.grad_norms) == 15
    np.testing.assert_array_equal(run.clipped, run.grad_norms > 1.0)
    np.testing.assert_array_equal(run.cosines, 1.0)
    assert run.name == "clip by norm at 1"


def test_clipping_by_value_bends_the_direction():
    run = cl.train_rnn("value", 0.01, lr=0.05, steps=10, seq_len=10)
    assert run.clipped.all()
    assert (run.cosines < 1.0 - 1e-6).all() and (run.cosines > 0).all()


def test_runs_share_weights_and_batches_so_only_clipping_differs():
    off = cl.train_rnn(None, lr=0.05, steps=8, seq_len=10)
    loose = cl.train_rnn("norm", 1e6, lr=0.05, steps=8, seq_len=10)  # a threshold never reached
    np.testing.assert_array_equal(off.losses, loose.losses)
    assert not loose.clipped.any()


def test_train_rnn_reports_divergence_instead_of_raising():
    run = cl.train_rnn(None, lr=1e6, steps=30, seq_len=10)
    assert run.diverged and run.diverged_step <= 30
    assert run.final_loss == math.inf
    assert run.diagnosis.label == "diverging"
    assert "diverged at step" in run.summary()


def test_train_rnn_checks_its_arguments():
    with pytest.raises(ValueError, match="mode"):
        cl.train_rnn("max")
    with pytest.raises(ValueError, match="threshold"):
        cl.train_rnn("norm", None)
    with pytest.raises(ValueError, match="lr"):
        cl.train_rnn(None, lr=0)


def test_count_spikes_and_best_point():
    assert cl.count_spikes([1.0] * 20 + [10.0] + [1.0] * 5, factor=3.0) == 1
    assert cl.count_spikes(np.linspace(1, 2, 30), factor=3.0) == 0
    losses = [5, 4, 3, 2, 1, 1, 1, 9, 9, 9]
    step, value = cl.best_point(losses, window=3)
    assert step == 7 and value == pytest.approx(1.0)
    with pytest.raises(ValueError):
        cl.best_point([math.nan])


def test_clipping_widget_follows_threshold_mode_and_rate():
    widget = cl.clipping_widget(threshold=1.0, lr=0.05, steps=6, seed=0, interactive=False)
    assert widget.state["run"].mode == "norm" and widget.state["off"].mode is None
    widget.set(threshold=math.inf)  # the slider's "off" stop
    assert widget.state["run"].mode is None
    widget.set(threshold=0.1, mode="value", lr=0.01)
    run = widget.state["run"]
    assert (run.mode, run.threshold, run.lr) == ("value", 0.1, pytest.approx(0.01))
    assert widget.state["off"].lr == pytest.approx(0.01)


def test_step_shrink_matched_lr_and_the_control_table():
    clipped = cl.train_rnn("norm", 1.0, lr=0.05, steps=10, seq_len=10)
    off = cl.train_rnn(None, lr=0.05, steps=10, seq_len=10)
    assert cl.step_shrink(off) == 1.0
    expected = np.median(np.minimum(1.0, 1.0 / clipped.grad_norms))
    assert cl.step_shrink(clipped) == pytest.approx(expected)
    assert cl.matched_lr([clipped], lr=0.05) == pytest.approx(0.05 * expected)
    controls = cl.control_study([clipped], [0], rates=(0.025,), steps=10, seq_len=10)
    assert list(controls) == [0.025] and controls[0.025][0].lr == 0.025 and controls[0.025][0].mode is None
    lines = cl.control_lines([clipped], controls, [0])
    won = clipped.final_loss < controls[0.025][0].final_loss
    assert len(lines) == 3 and "lr 0.025" in lines[2] and lines[-1].endswith(f"in {int(won)} of 1 seeds")


def test_train_gpt_records_a_gradient_norm_per_step_and_clips():
    off = gpt.train_gpt(0.01, None, steps=3)
    clipped = gpt.train_gpt(0.01, 1.0, steps=3)
    assert off.losses.shape == off.grad_norms.shape == (3,)
    assert off.losses[0] == pytest.approx(clipped.losses[0])  # same start, same first batch
    assert off.clipped_fraction == 0.0 and clipped.clipped_fraction == np.mean(clipped.grad_norms > 1.0)
    assert "clip by norm at 1" in clipped.summary()


# ----------------------------------------------------------------------------- shared plotting helper
def test_plain_log_ticks_label_decades_with_plain_numbers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.1, 100])
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "0.1" in labels and "100" in labels
    key = layout_key(fig)
    ax.set_ylim(0.01, 1e4)
    assert layout_key(fig) != key
    with pytest.raises(ValueError, match="axis"):
        plain_log_ticks(ax, "z")
    plt.close(fig)
