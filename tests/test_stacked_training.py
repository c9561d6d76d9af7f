"""Training many settings at once (coursekit.sweep) gives the runs each setting gives alone.

The widgets of lessons 5 and 6 train every slider stop in one stacked run; these tests
compare a stacked run with ``fit`` on one setting, number for number (float64; the
tolerance covers only the different order of floating-point sums in a batched product).
Runs at rates where training is chaotic (peaks such as 0.3 and 1.0) amplify those last-digit
differences step after step, so the tight comparison uses rates where it is not, and the
chaotic rate is compared on its first steps only.
"""
import math
import threading

import numpy as np

import minigrad as mg
from minigrad.utils.data import DataLoader, TensorDataset
import pytest

from coursekit import range_test as rt
from coursekit import schedules as sch
from coursekit import sweep, threads
from coursekit.datasets import digits


@pytest.fixture(scope="module")
def digit_data():
    return digits(val_fraction=0.2, seed=0)


SETTINGS = [("warmup_cosine", 0.1, 0.05), ("one_cycle", 0.3, 0.05), ("constant", 0.0, 0.003), ("step", 0.0, 0.03),
            ("constant", 0.1, 0.03), ("exponential", 0.0, 0.1)]


@pytest.fixture(scope="module")
def stacked(digit_data):
    return sch.train_schedules(digit_data, SETTINGS + [("constant", 0.0, 1.0)], total_steps=120)


@pytest.mark.parametrize("kind, warmup, peak", SETTINGS)
def test_a_stacked_schedule_run_is_the_run_alone(digit_data, stacked, kind, warmup, peak):
    alone = sch.train_with_schedule(digit_data, kind, peak_lr=peak, warmup_fraction=warmup, total_steps=120)
    run = stacked.run(kind, peak, warmup)
    np.testing.assert_allclose(run.lrs, alone.lrs, rtol=1e-12)
    np.testing.assert_allclose(run.step_losses, alone.step_losses, rtol=1e-9)
    for name in ("final_train_loss", "val_loss", "val_accuracy"):
        assert getattr(run, name) == pytest.approx(getattr(alone, name), rel=1e-9), name
    assert run.diverged_at == alone.diverged_at
    ours, theirs = run.history, alone.history
    assert ours.epoch_end_step == theirs.epoch_end_step and ours.stop_reason == theirs.stop_reason
    np.testing.assert_allclose(ours.epoch_train_loss, theirs.epoch_train_loss, rtol=1e-9)
    np.testing.assert_allclose(ours.step_grad_norm, theirs.step_grad_norm, rtol=1e-9)
    np.testing.assert_allclose(run.model[0].weight.data, alone.model[0].weight.data, rtol=1e-7, atol=1e-12)


def test_a_chaotic_rate_agrees_while_it_is_not_yet_chaotic(digit_data, stacked):
    alone = sch.train_with_schedule(digit_data, "constant", peak_lr=1.0, warmup_fraction=0.0, total_steps=120)
    run = stacked.run("constant", 1.0, 0.0)
    np.testing.assert_allclose(run.step_losses[:10], alone.step_losses[:10], rtol=1e-9)


def test_a_run_that_blows_up_is_stopped_there_and_the_others_go_on(digit_data):
    model = sch.make_mlp(digit_data.num_features, seed=0)
    batches = [(digit_data.X_train[:64] * 1e200, digit_data.y_train[:64])] * 3  # overflows at any rate
    runs = sweep.train_stacked([model, model], batches, [0.01, 0.02])
    assert list(runs.diverged_step) == [1, 1]
    history = runs.history(0)
    assert history.diverged_step == 1 and history.stop_reason == "diverged" and "diverged at step 1" in history.message
    good = sweep.train_stacked([model, model], [(digit_data.X_train[:64], digit_data.y_train[:64])] * 3, [0.01, 1e9])
    assert runs.diverged_at(0) == 1 and good.diverged_at(0) is None and math.isfinite(good.step_loss[0, -1])


def test_stacked_training_refuses_bad_arguments(digit_data):
    model = sch.make_mlp(digit_data.num_features, seed=0)
    batches = [(digit_data.X_train[:8], digit_data.y_train[:8])]
    with pytest.raises(ValueError, match="optimizer must be one of adam, adamw, sgd, got 'rmsprop'"):
        sweep.train_stacked([model], batches, [0.1], optimizer="rmsprop")
    with pytest.raises(ValueError, match=r"lrs must have shape \(1, 1\)"):
        sweep.train_stacked([model], batches, [[0.1, 0.2]])
    with pytest.raises(ValueError, match="unknown schedule"):
        sch.train_schedules(digit_data, [("triangle", 0.0, 0.1)])


# -- lesson 6: the check, the sweep and the widget train their rates side by side ----------------------
@pytest.fixture(scope="module")
def split():
    return rt.make_split()


@pytest.mark.parametrize("optimizer", ["AdamW", "SGD"])
def test_stacked_rates_are_the_runs_alone(split, optimizer):
    rates = [1e-4, 3e-3, 0.03, 0.3, 3.0]  # too slow to oscillating: all five verdicts come out the same
    stacked = rt.train_at_rates(split, rates, epochs=2, optimizer=optimizer)
    for run in stacked:
        alone = rt.train_at(split, run.lr, epochs=2, optimizer=optimizer)
        ours, theirs = run.history, alone.history
        np.testing.assert_allclose(ours.step_loss, theirs.step_loss, rtol=1e-9)
        np.testing.assert_allclose(ours.epoch_val_loss, theirs.epoch_val_loss, rtol=1e-9)
        np.testing.assert_allclose(ours.epoch_train_loss, theirs.epoch_train_loss, rtol=1e-9)
        assert ours.epoch_end_step == theirs.epoch_end_step and ours.stop_reason == theirs.stop_reason
        assert run.label == alone.label


def test_a_far_too_large_stacked_rate_reads_as_the_run_alone(split):
    stacked, = rt.train_at_rates(split, [50.0], epochs=1, optimizer="SGD")
    alone = rt.train_at(split, 50.0, epochs=1, optimizer="SGD")
    assert stacked.history.diverged_step == alone.history.diverged_step
    np.testing.assert_allclose(stacked.history.epoch_val_loss, alone.history.epoch_val_loss, rtol=1e-9)
    assert stacked.label == alone.label == "diverging"
    with pytest.raises(ValueError, match="every lr must be a finite number > 0, got 0.0"):
        rt.train_at_rates(split, [0.0])


def test_the_range_test_widget_shows_the_stacked_run_of_each_stop(split):
    result = rt.run_range_test(split, num_iter=30)
    widget = rt.range_test_widget(split, result, lr=0.01, epochs=1, interactive=False)
    widget.set(lr=widget.controls["lr"].value * 10 ** 0.1)  # the next stop: looked up, not trained
    run = widget.state["run"]
    alone = rt.train_at(split, run.lr, epochs=1)
    np.testing.assert_allclose(run.history.step_loss, alone.history.step_loss, rtol=1e-9)
    assert widget.fig.axes[1].get_title() == f"lr {run.lr:.2g}: {alone.label}"


# -- lesson 8: every threshold of both clipping modes trains side by side ---------------------------------------
from coursekit import clipping as cl  # noqa: E402


@pytest.mark.parametrize("mode, threshold, lr", [(None, None, 0.001), ("norm", 0.01, 0.05), ("norm", 0.1, 0.01),
                                                 ("value", 0.01, 0.01), ("value", 0.5, 0.002)])
def test_a_stacked_rnn_run_is_the_run_alone_where_training_is_not_chaotic(mode, threshold, lr):
    """At low rates, or clipped hard, the recurrent network is not chaotic: the whole runs agree."""
    settings = [(mode, threshold, lr), (None, None, 0.05), ("value", 0.1, 0.05)]  # chaotic neighbours in the stack
    run = cl.train_rnns(settings, seed=0)[0]
    alone = cl.train_rnn(mode, threshold, lr, seed=0)
    np.testing.assert_allclose(run.losses, alone.losses, rtol=1e-9)
    np.testing.assert_allclose(run.grad_norms, alone.grad_norms, rtol=1e-9)
    np.testing.assert_array_equal(run.clipped, alone.clipped)
    np.testing.assert_allclose(run.cosines, alone.cosines, rtol=1e-9)
    assert run.diverged_step == alone.diverged_step and run.diagnosis.label == alone.diagnosis.label


def test_a_chaotic_stacked_rnn_run_agrees_until_the_last_digits_grow():
    """At the lesson's rate without clipping the run is chaotic: a difference in the last digit (the
    stacked products add in another order) grows step by step. The first steps still agree."""
    seed = cl.FEATURED_SEED
    run = cl.train_rnns([(None, None, cl.LR), ("norm", 1.0, cl.LR)], seed=seed)[0]
    alone = cl.train_rnn(None, None, cl.LR, seed=seed)
    np.testing.assert_allclose(run.losses[:4], alone.losses[:4], rtol=1e-11)


@pytest.mark.parametrize("mode, threshold, lr", [(None, None, 0.002), ("norm", 0.1, 0.05), ("value", 0.01, 0.01)])
def test_a_seed_study_stacks_seeds_and_each_run_is_that_seed_alone(mode, threshold, lr):
    """One slot per seed: each starts from its seed's weights and reads its seed's batches (where
    training is not chaotic, the whole runs agree with train_rnn alone; the stacked products add in
    another order, so only the last digits may differ)."""
    seeds = [0, 3, 7]
    study = cl.seed_study([(mode, threshold), ("norm", 0.01)], seeds, lr=lr, steps=40)
    for seed, run in zip(seeds, study[(mode, threshold)]):
        alone = cl.train_rnn(mode, threshold, lr, seed=seed, steps=40)
        assert run.seed == alone.seed == seed
        np.testing.assert_allclose(run.losses, alone.losses, rtol=1e-9)
        np.testing.assert_allclose(run.grad_norms, alone.grad_norms, rtol=1e-9)
        np.testing.assert_array_equal(run.clipped, alone.clipped)
    with pytest.raises(ValueError, match="seed must have one entry per setting"):
        cl.train_rnns([(None, None, 0.01)] * 2, seed=[0, 1, 2])


def test_perturbed_starts_train_at_once_and_match_a_perturbed_run_alone():
    """``jitter``/``draws`` (the claims tests' stand-in for another processor): slot i starts from
    draw ``draws[i]``; a run at a rate that is not chaotic hardly moves (relative 1e-9)."""
    runs = cl.train_rnns([(None, None, 0.002)] * 3, seed=0, jitter=1e-15, draws=[0, 1, 1], steps=30)
    alone = cl.train_rnn(None, None, 0.002, seed=0, jitter=1e-15, draw=1, steps=30)
    plain = cl.train_rnn(None, None, 0.002, seed=0, steps=30)
    np.testing.assert_array_equal(runs[1].losses, runs[2].losses)  # the same draw, the same start
    np.testing.assert_allclose(runs[1].losses, alone.losses, rtol=1e-12)
    np.testing.assert_allclose(runs[0].losses, plain.losses, rtol=1e-9)
    assert not np.array_equal(alone.losses, plain.losses)  # the last digits did move


def test_a_stacked_rnn_run_that_blows_up_stops_there():
    for lr in (50.0, 1e3):  # the loss overflows first at 50, the gradient norm first at 1000
        run, calm = cl.train_rnns([(None, None, lr), ("norm", 0.01, 0.05)], steps=60, seed=0)
        alone = cl.train_rnn(None, None, lr, steps=60, seed=0)
        assert run.diverged_step == alone.diverged_step is not None and calm.diverged_step is None
        assert (len(run.losses), len(run.grad_norms), len(run.clipped)) == \
            (len(alone.losses), len(alone.grad_norms), len(alone.clipped))
    with pytest.raises(ValueError, match="the threshold for clipping by norm must be a finite number > 0, got None"):
        cl.train_rnns([("norm", None, 0.05)])


def test_the_clipping_widget_looks_up_every_threshold_of_its_rate():
    widget = cl.clipping_widget(threshold=1.0, lr=0.01, steps=20, seed=0, interactive=False)
    assert widget.state["trained_at_once"] == 2 * 13 + 1  # both modes x 13 thresholds, and "off", at its rate
    widget.set(threshold=0.1, mode="value")
    alone = cl.train_rnn("value", 0.1, 0.01, steps=20, seed=0)
    np.testing.assert_allclose(widget.state["run"].losses, alone.losses, rtol=1e-9)


def test_the_clipping_widget_trains_the_rates_next_to_the_one_shown_ahead_without_touching_the_generator(
        monkeypatch):
    """After a move, the rate shown and its neighbours train in the background (every threshold of both
    modes, and no clipping); then a move there trains nothing, and its run is the run alone. The
    background draws nothing from minigrad's generator, which the participant's cells share."""
    monkeypatch.setenv("COURSEKIT_TRAIN_AHEAD", "1")  # off for the rest of the suite (tests/conftest.py)
    widget = cl.clipping_widget(threshold=1.0, lr=0.01, steps=20, seed=0, interactive=False)
    runs = widget.state["runs"]
    on_main = []
    train = cl.train_rnns
    monkeypatch.setattr(cl, "train_rnns", lambda settings, **kw: on_main.append(
        threading.current_thread() is threading.main_thread()) or train(settings, **kw))
    generator = mg.random.generator().bit_generator.state
    widget.set(lr=0.02)  # a move: 0.02 and its neighbours 0.01 and 0.05 train ahead
    assert runs.wait_ahead(timeout=300) and runs.error is None
    assert mg.random.generator().bit_generator.state == generator
    # the move (its run and the unclipped one), then 0.02 and 0.05 by mode (0.01 was trained when built)
    assert len(runs) == 3 * (2 * 13 + 1) and on_main == [True] + [False] * 4
    del on_main[:]
    for rate in (0.05, 0.01):
        widget.set(lr=rate)
        widget.set(threshold=0.1, mode="value")
        widget.set(threshold=10.0, mode="norm")
    assert not any(on_main)  # every move found its run (0.05's move started 0.1 training ahead)
    assert runs.wait_ahead(timeout=300)
    alone = cl.train_rnn("norm", 10.0, 0.01, steps=20, seed=0)
    np.testing.assert_allclose(widget.state["run"].losses, alone.losses, rtol=1e-9)
    np.testing.assert_allclose(widget.state["run"].grad_norms, alone.grad_norms, rtol=1e-9)


def test_the_lesson_8_widget_s_limits_hold_the_unclipped_run_of_every_rate():
    """The limits come from the runs at the starting rate (section 8's widget); the promise that every
    rate keeps its traces on the plot (or above the caps, where a run explodes) is checked here against
    the unclipped run of every rate on the slider, which the widget trains only when a move nears it."""
    widget = cl.clipping_widget(threshold=1.0, lr=cl.LR, mode="norm", seed=cl.FEATURED_SEED, interactive=False,
                                train_ahead=False)
    (loss_low, loss_high), (norm_low, norm_high) = widget.fig.axes[0].get_ylim(), widget.fig.axes[1].get_ylim()
    rates = [value for _, value in widget.controls["lr"].options]
    for run in cl.train_rnns([(None, None, rate) for rate in rates], seed=cl.FEATURED_SEED):
        for values, low, high, cap in ((run.losses, loss_low, loss_high, cl.LOSS_CAP),
                                       (run.grad_norms, norm_low, norm_high, cl.NORM_CAP)):
            shown = values[np.isfinite(values) & (values > 0)]
            assert shown.min() >= low, f"lr {run.lr}: a trace goes below the plot"
            assert shown.max() <= high or high == cap, f"lr {run.lr}: a trace leaves the top below the cap"


# -- lesson 7: the rates of one batch size train side by side ---------------------------------------------------
from coursekit import batch_size as bs  # noqa: E402


def test_stacked_rates_at_one_batch_size_are_the_runs_alone():
    split = bs.noisy_digits(n_train=128, n_val=128, seed=0)
    stacked = bs.train_batch_rates(split, 16, [0.001, 0.05, 1.0], epochs=4, seconds_per_step=0.002)
    for run in stacked:
        alone = bs.train_batch(split, 16, run.lr, epochs=4)
        np.testing.assert_allclose(run.history.step_loss, alone.history.step_loss, rtol=1e-9)
        np.testing.assert_allclose(run.train_losses, alone.train_losses, rtol=1e-9)
        np.testing.assert_allclose(run.val_losses, alone.val_losses, rtol=1e-9)
        assert run.history.diverged_step == alone.history.diverged_step and run.diagnosis.label == alone.diagnosis.label
        assert run.seconds == pytest.approx(0.002 * run.steps)  # timed at the given step time
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        bs.train_batch_rates(split, 0, [0.1])


def test_the_batch_size_widget_looks_up_every_rate_of_its_starting_batch_size():
    split = bs.noisy_digits(n_train=128, n_val=128, seed=0)
    widget = bs.batch_size_widget(split, batch_size=32, lr=0.05, epochs=3, interactive=False)
    assert widget.state["trained_at_once"] == 31  # every rate of the slider
    widget.set(lr=widget.controls["lr"].value * 10 ** 0.5)
    run = widget.state["run"]
    alone = bs.train_batch(split, 32, run.lr, epochs=3)
    np.testing.assert_allclose(run.val_losses, alone.val_losses, rtol=1e-9)
    widget.set(batch_size=64)  # another batch size: that one run trains, in the stacked code, as fit trains it
    run = widget.state["run"]
    alone = bs.train_batch(split, 64, run.lr, epochs=3)
    assert run.batch_size == 64 and run.steps == alone.steps
    np.testing.assert_allclose(run.train_losses, alone.train_losses, rtol=1e-9)
    np.testing.assert_allclose(run.val_losses, alone.val_losses, rtol=1e-9)
    # timed at the step time measured at its batch size when the widget was built
    assert run.seconds > 0 and run.history.step_time == [run.history.step_time[0]] * run.steps


def test_the_batch_size_widget_trains_the_batch_sizes_next_to_the_one_shown_ahead(monkeypatch):
    """After a move, the batch size shown and the two next to it train in the background, each with
    every rate at once; then moves there train nothing, and a run is the run alone."""
    monkeypatch.setenv("COURSEKIT_TRAIN_AHEAD", "1")  # off for the rest of the suite (tests/conftest.py)
    split = bs.noisy_digits(n_train=128, n_val=128, seed=0)
    widget = bs.batch_size_widget(split, batch_size=32, lr=0.05, epochs=3, interactive=False)
    trained = []
    train = bs.train_batch_rates
    monkeypatch.setattr(bs, "train_batch_rates", lambda split, b, lrs, **kw: trained.append(
        (b, len(lrs), threading.current_thread() is threading.main_thread())) or train(split, b, lrs, **kw))
    runs = widget.state["runs"]
    generator = mg.random.generator().bit_generator.state
    widget.set(batch_size=64)  # shown before its turn: that one run trains now
    assert trained == [(64, 1, True)]
    assert runs.wait_ahead(timeout=300) and runs.error is None
    assert mg.random.generator().bit_generator.state == generator  # the start was drawn at build
    assert sorted(trained[1:]) == [(64, 30, False), (128, 31, False)]  # 32 was trained at build
    del trained[:]
    rate = 10 ** -0.7  # a stop of the rate slider
    for b in (128, 32, 64):
        widget.set(batch_size=b)
        widget.set(lr=rate)
    assert not any(on_main for _, _, on_main in trained)  # every move found its run
    assert runs.wait_ahead(timeout=300)  # (the move to 128 started 256 training ahead)
    alone = bs.train_batch(split, 64, rate, epochs=3)
    np.testing.assert_allclose(widget.state["run"].val_losses, alone.val_losses, rtol=1e-9)


def test_the_clipping_widget_trains_a_setting_off_the_starting_rate_alone():
    widget = cl.clipping_widget(threshold=1.0, lr=0.01, steps=20, seed=0, interactive=False)
    limits = widget.fig.axes[0].get_ylim(), widget.fig.axes[1].get_ylim()
    widget.set(lr=0.002)  # clipping at 1 by norm: not trained at build at this rate
    alone = cl.train_rnn("norm", 1.0, 0.002, steps=20, seed=0)
    np.testing.assert_allclose(widget.state["run"].losses, alone.losses, rtol=1e-9)
    np.testing.assert_allclose(widget.state["run"].grad_norms, alone.grad_norms, rtol=1e-9)
    assert widget.state["off"].lr == 0.002 and widget.state["off"].mode is None
    assert (widget.fig.axes[0].get_ylim(), widget.fig.axes[1].get_ylim()) == limits  # fixed: moves only blit


def test_a_stack_split_over_two_threads_gives_every_run_the_numbers_of_one_thread(digit_data, monkeypatch):
    """A large stack trains as two halves on two threads; each copy's arithmetic involves no other
    copy, so the records agree to the last digits (1e-13 relative: in case a kernel's blocking
    depended on the stack's size; observed: identical). Two threads also need grad mode and vmap's
    depth to be per thread: an evaluation under no_grad in one thread must not stop the other's graph."""
    model = sch.make_mlp(digit_data.num_features, seed=0)
    loader = DataLoader(TensorDataset(digit_data.X_train, digit_data.y_train), batch_size=64, shuffle=True,
                            seed=1)
    batches, ends = sweep.loader_batches(loader, 40)
    rates = np.geomspace(1e-3, 0.3, 7)
    kwargs = dict(optimizer="adam", epoch_ends=[20, 40], val=(digit_data.X_val, digit_data.y_val))
    monkeypatch.setattr(threads, "SPLIT_AT", 10**6)
    one = sweep.train_stacked([model] * 7, batches, rates, **kwargs)
    monkeypatch.setattr(threads, "SPLIT_AT", 2)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert len(threads.halves(7)) == 2
    two = sweep.train_stacked([model] * 7, batches, rates, **kwargs)
    for name in ("step_loss", "grad_norm", "epoch_train_loss", "epoch_val_loss"):
        np.testing.assert_allclose(getattr(two, name), getattr(one, name), rtol=1e-13, err_msg=name)
    for name, weights in one.params.items():
        np.testing.assert_allclose(two.params[name].data, weights.data, rtol=1e-13, err_msg=name)
    np.testing.assert_array_equal(two.diverged_step, one.diverged_step)
    assert two.history(3).epoch_val_loss == pytest.approx(one.history(3).epoch_val_loss, rel=1e-13)


def test_recurrent_runs_split_over_two_threads_are_the_runs_of_one_thread(monkeypatch):
    """clipping.train_rnns cut in two halves on two threads (each with its own copies of the
    starting networks, drawn once on the calling thread): every record agrees with one thread's
    to the last digits (1e-13 relative; observed identical), seeds and value clipping included."""
    from coursekit import clipping as cl

    settings = [("norm", 1.0, 0.25), ("value", 0.1, 0.25), (None, None, 0.1), ("norm", 5.0, 0.25), ("value", 1.0, 0.1)]
    seeds = [0, 1, 2, 0, 1]
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(threads, "SPLIT_AT", 10**6)
    one = cl.train_rnns(settings, steps=30, seed=seeds, jitter=1e-15, draws=[0, 1, 0, 1, 0])
    monkeypatch.setattr(threads, "SPLIT_AT", 2)
    two = cl.train_rnns(settings, steps=30, seed=seeds, jitter=1e-15, draws=[0, 1, 0, 1, 0])
    assert [(r.mode, r.threshold, r.lr, r.seed, r.diverged_step) for r in two] == \
        [(r.mode, r.threshold, r.lr, r.seed, r.diverged_step) for r in one]
    for a, b in zip(one, two):
        for name in ("losses", "grad_norms", "cosines"):
            np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-13, err_msg=name)
        np.testing.assert_array_equal(b.clipped, a.clipped)
