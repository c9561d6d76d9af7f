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
from coursekit.alt_text import description, figure_summary, number
from coursekit.display import COLUMN_FIGURE_PX, layout_key
from coursekit.log_ticks import plain_log_ticks
from matplotlib.figure import Figure
from matplotlib.text import Text
from minigrad.training import History


def assert_fits_a_laptop_column(widget):
    """The widget's figure, as it looks now, fits a laptop's notebook column: at most COLUMN_FIGURE_PX wide
    and 5 inches high at dpi 100, every text and legend inside the figure, no legend over a panel, the panels'
    titles clear of each other and no text under 9 points. (Also used by the tests of lessons 5 and 9.)"""
    fig = widget.fig
    width, height = (round(float(size)) for size in fig.get_size_inches() * fig.dpi)  # 8.8 x 100 = 880.0000000000001
    assert fig.dpi == 100 and width <= COLUMN_FIGURE_PX and height <= 500, (fig.dpi, width, height)
    widget.png()  # a full draw, the animated artists included
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox.padded(0.5)

    def inside(box, what):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, \
            f"{what} sticks out of the figure: {box.bounds}"

    inside(fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans), "a panel, a title or a legend")
    titles = []
    for ax in fig.axes:
        for text in ax.texts:  # the texts the layout leaves out (a status strip's lines) included
            if text.get_visible() and text.get_text().strip():
                inside(text.get_window_extent(renderer), repr(text.get_text()))
        legend = ax.get_legend()
        if legend is not None:
            assert not legend.get_window_extent(renderer).overlaps(ax.bbox), "a legend over its panel"
        if ax.get_title().strip():
            titles.append(ax.title.get_window_extent(renderer))
    assert not any(a.overlaps(b) for i, a in enumerate(titles) for b in titles[i + 1:]), "titles overlap"
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text) if t.get_text().strip() and t.get_fontsize() < 9]
    assert not small, small


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
    valley = short_range_test.suggestions["valley"]
    said = widget.summary
    assert said.startswith(f"Your pick, learning rate 0.01, is {number(valley / 0.01, 2)} times below the valley "
                           f"suggestion {number(valley, 2)}. Trained for 1 epoch at it: {first.label}, final "
                           f"validation loss {number(first.final_val_loss, 2)}.")
    widget.set(lr=0.1)
    assert widget.state["run"].lr == pytest.approx(0.1)
    assert widget.fig.axes[1].get_title().startswith("lr 0.1")
    assert widget.summary != said and f"{number(0.1 / valley, 2)} times above" in widget.summary
    assert widget.text().endswith(widget.summary)
    widget.set(lr=0.01)
    assert widget.state["run"] is first  # a visited rate comes from the cache
    assert widget.summary == said
    assert widget.png().startswith(b"\x89PNG")


def test_range_test_widget_fits_a_laptop_column(split, short_range_test):
    widget = rt.range_test_widget(split, short_range_test, lr=0.01, epochs=1, interactive=False)
    assert_fits_a_laptop_column(widget)
    widget.set(lr=3.0)  # diverges: another title, the diverged marker
    assert_fits_a_laptop_column(widget)


def test_range_test_figures_say_what_they_draw(split, short_range_test):
    result = short_range_test
    ax = Figure().subplots()
    rt.plot_range_test(ax, result, chosen_lr=0.02)
    words = description(ax)
    finite = np.isfinite(result.losses)
    low = int(np.argmin(np.where(finite, result.losses, np.inf)))
    assert f"grew from 1.0e-04 to {number(result.lrs[-1], 2)} over {len(result.lrs)} mini-batches" in words
    assert f"is lowest ({number(result.losses[low], 2)}) at learning rate {number(result.lrs[low], 2)}" in words
    assert f"valley {number(result.suggestions['valley'], 2)}" in words and words.endswith("Your pick: 0.02.")

    check = rt.check_pick(split, 0.004, epochs=1)
    diverged = rt.TrainRun(50.0, History(step_loss=[2.3, 9.0, 80.0], epoch_val_loss=[], diverged_step=4), None)
    for what in ("val", "train"):
        ax = Figure().subplots()
        rt.plot_check(ax, check + [diverged], what=what)
        words = description(ax)
        end = (check[1].history.epoch_val_loss[-1] if what == "val"
               else check[1].history.smoothed_losses(0.9)[-1])
        assert f"lr 0.004 (x1), {check[1].label}: ends at {number(end, 2)}" in words, words
        assert words.endswith("lr 50, too short to tell: diverged at step 4.")

    ax = Figure().subplots()
    rt.plot_sweep(ax, check + [diverged], result)
    best = min(check, key=lambda run: run.final_val_loss)
    words = description(ax)
    assert f"at 4 rates from 4.0e-04 to 50: lowest, {number(best.final_val_loss, 2)}, at {number(best.lr, 2)}" in words
    assert "1 of them diverged, every rate from 50 up" in words and "suggestions, marked: valley" in words


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
    said = widget.summary
    assert said.startswith("Batch 32, learning rate 0.05: 8 steps over 2 epochs")
    widget.set(batch_size=64, lr=0.1)
    run = widget.state["run"]
    assert (run.batch_size, run.lr) == (64, pytest.approx(0.1))
    assert widget.summary.startswith(f"Batch 64, learning rate 0.1: 4 steps over 2 epochs, final validation loss "
                                     f"{number(run.final_val_loss, 2)}, generalisation gap {number(run.gap, 2)}")
    assert "where the batch-32 run at lr 0.05 ends" in widget.summary and widget.text().endswith(widget.summary)
    assert widget.fig.axes[0].get_title().startswith("batch 64")


def test_batch_size_widget_fits_a_laptop_column(small_noisy):
    widget = bs.batch_size_widget(small_noisy, batch_size=32, lr=0.05, epochs=2, interactive=False, train_ahead=False)
    assert_fits_a_laptop_column(widget)
    widget.set(batch_size=8, lr=1.0)  # the longest title: the most steps, diverged
    assert_fits_a_laptop_column(widget)


def batch_run(batch_size, lr, train_losses, val_losses, diverged_step=None):
    history = History(diverged_step=diverged_step)
    return bs.BatchRun(batch_size, lr, history, np.array(train_losses), np.array(val_losses), None)


def test_batch_size_figures_say_what_they_draw():
    ax = Figure().subplots()
    bs.plot_throughput(ax, {8: 1234.0, 32: 4100.0, 512: 30500.0})
    assert description(ax).endswith("1,200 at batch size 8, 30,000 at 512 (25 times as many).")

    small, large = batch_run(8, 0.05, [1.0, 0.2], [1.5, 1.3]), batch_run(512, 3.2, [2.0], [2.5], diverged_step=3)
    ax = Figure().subplots()
    bs.plot_curves(ax, [small, large], which="both", title="Same rate")
    assert description(ax) == ("Same rate: Training and validation loss per epoch over 2 epochs, at the last epoch: "
                               "batch 8, lr 0.05: training 0.2, validation 1.3; batch 512, lr 3.2: diverged at step 3.")
    ax = Figure().subplots()
    bs.plot_curves(ax, [small], which="val")
    assert description(ax).endswith("batch 8, lr 0.05: 1.3.")

    by_rule = {"none": {8: small, 512: batch_run(512, 0.05, [1.9], [2.0])}, "linear": {8: small, 512: large}}
    ax = Figure().subplots()
    bs.plot_bars(ax, by_rule, [8, 512], metric="val")
    assert description(ax) == ("Validation loss after the last epoch at batch sizes 8, 512, one bar per learning-rate "
                               "rule: lr rule none: 1.3, 2; lr rule linear: 1.3, diverged (best before: 2.5).")
    ax = Figure().subplots()
    bs.plot_bars(ax, by_rule, [8, 512], metric="gap")
    assert description(ax).endswith("lr rule none: 1.1, 0.1; lr rule linear: 1.1, diverged.")


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
    off = widget.state["off"]
    assert widget.summary == (f"Clip by value at 0.1, learning rate 0.01: ended at loss {number(run.final_loss, 2)}; "
                              f"clipping bit on {run.clipped_fraction:.0%} of the steps; largest gradient norm "
                              f"{number(run.grad_norms.max(), 2)}. Without clipping at this rate (faint) the run ended "
                              f"at loss {number(off.final_loss, 2)}.")
    widget.set(threshold=math.inf)
    assert widget.summary.startswith("No clipping, learning rate 0.01") and "faint" not in widget.summary


def test_clipping_widget_fits_a_laptop_column():
    widget = cl.clipping_widget(threshold=1.0, lr=0.05, steps=6, seed=0, interactive=False, train_ahead=False)
    assert_fits_a_laptop_column(widget)
    widget.set(threshold=0.01, mode="value", lr=1.0)  # the longest title
    assert_fits_a_laptop_column(widget)


def clip_run(mode, threshold, losses, norms, diverged_step=None, lr=cl.LR):
    losses, norms = np.asarray(losses, dtype=float), np.asarray(norms, dtype=float)
    clipped = norms > threshold if mode == "norm" else np.zeros(len(norms), dtype=bool)
    return cl.ClipRun(mode, threshold, lr, losses, norms, clipped, np.ones(len(norms)), diverged_step, None)


def test_clipping_figures_say_what_they_draw():
    off = clip_run(None, None, [1.0, 3.0, 1e6, math.nan], [1.0, 50.0, 1e5], diverged_step=4)
    clipped = clip_run("norm", 1.0, [1.0] * 10 + [0.2] * 10, [0.5] * 15 + [4.0] * 5)
    ax_loss, ax_norm = Figure().subplots(1, 2)
    cl.plot_traces(ax_loss, ax_norm, [off, clipped])
    assert description(ax_loss) == ("Training loss per step, log scale: no clipping: diverged at step 4; "
                                     "clip by norm at 1: final loss 0.2.")
    assert description(ax_norm) == ("Gradient norm before clipping per step, log scale: no clipping: median 50, "
                                    f"largest {number(1e5, 2)} at step 3; clip by norm at 1: median 0.5, largest 4 at "
                                    "step 16, clipped on 25% of the steps.")

    runs = cl.train_rnns([("norm", 1.0, 0.05), ("value", 0.1, 0.05)], steps=8, seq_len=10)
    ax_loss, ax_cos = Figure().subplots(1, 2)
    cl.plot_cosines(ax_loss, ax_cos, runs)
    by_value = runs[1]
    assert (f"clip by value at 0.1: mean {by_value.cosines.mean():.2f}, lowest {by_value.cosines.min():.2f}"
            in description(ax_cos))
    assert f"clip by value at 0.1: final loss {number(by_value.final_loss, 2)}" in description(ax_loss)

    ax = Figure().subplots()
    cl.plot_influence(ax, {0.5: np.array([1.0, 0.5, 0.25]), 2.5: np.array([1.0, 2.0, 8.0])})
    assert description(ax).endswith("gain 0.5 shrinks from 0.5 one step back to 0.25 2 steps back; "
                                    "gain 2.5 grows from 2 one step back to 8 2 steps back.")

    study = {(None, None): [off, clip_run(None, None, [3.0] * 10, [1.0] * 10)], ("norm", 1.0): [clipped, clipped]}
    ax = Figure().subplots()
    cl.plot_final_losses(ax, study, [0, 1])
    assert description(ax) == ("The final loss of every run over 2 seeds, log scale: no clipping: median infinite, "
                               "above 100 in 1 of 2 seeds; clip by norm at 1: median 0.2.")
    assert figure_summary(ax.figure) == description(ax)


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
