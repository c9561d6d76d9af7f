"""The computations behind lessons 1, 3 and 5 (gradient descent, mini-batches, schedules) and their widgets."""
import math

import numpy as np
import pytest

from coursekit import gradient_descent as gd
from coursekit import minibatches as mb
from coursekit import schedules as sch
from coursekit.datasets import DIABETES_FEATURES, diabetes, digits, standardize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def problems():
    return gd.lesson1_problems()


@pytest.fixture(scope="module")
def digit_data():
    return digits(val_fraction=0.2, seed=0)


# -- data sets ---------------------------------------------------------------------------------


def test_diabetes_is_standardised_and_keeps_its_units():
    data = diabetes(["bmi", "s5"])
    assert data.X.shape == (442, 2) and data.y.shape == (442,)
    np.testing.assert_allclose(data.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(data.y.std(), 1, atol=1e-12)
    raw = diabetes(standardize_features=False, standardize_target=False)
    assert raw.X.shape == (442, len(DIABETES_FEATURES))
    # the original target comes back from the standardised one
    np.testing.assert_allclose(data.target_in_units(data.y), raw.y)


def test_diabetes_rejects_unknown_features():
    with pytest.raises(ValueError, match="unknown feature"):
        diabetes(["bmi", "height"])


def test_standardize_leaves_constant_columns_finite():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    Z, mean, std = standardize(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, 0], [-1, 1])
    np.testing.assert_allclose(Z[:, 1], [0, 0])


def test_digits_split_is_seeded_and_disjoint(digit_data):
    again = digits(val_fraction=0.2, seed=0)
    np.testing.assert_array_equal(digit_data.y_train, again.y_train)
    assert len(digit_data.y_train) + len(digit_data.y_val) == 1797
    assert digit_data.X_train.min() >= 0 and digit_data.X_train.max() <= 1
    other = digits(val_fraction=0.2, seed=1)
    assert not np.array_equal(other.y_train, digit_data.y_train)
    with pytest.raises(ValueError, match="val_fraction"):
        digits(val_fraction=1.5)


# -- lesson 1: gradient descent from scratch ------------------------------------------------------


def test_least_squares_matches_closed_form(problems):
    _, two = problems
    X, y = two.X, two.y
    np.testing.assert_allclose(two.minimum, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
    w = np.array([0.3, -0.7])
    np.testing.assert_allclose(two.gradient(w), 2 * X.T @ (X @ w - y) / len(y), rtol=1e-10)
    np.testing.assert_allclose(two.value(w), np.mean((X @ w - y) ** 2), rtol=1e-12)
    np.testing.assert_allclose(two.grid_values(np.array([[0.3, -0.7], [0.0, 0.0]])),
                               [two.value(w), two.value([0.0, 0.0])], rtol=1e-12)
    assert two.critical_lr == pytest.approx(2 / np.linalg.eigvalsh(2 * X.T @ X / len(y)).max())
    assert np.linalg.norm(two.gradient(two.minimum)) < 1e-12


def test_least_squares_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="X must be"):
        gd.LeastSquares(np.zeros((5, 2)), np.zeros(4))
    problem = gd.LeastSquares(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="3 values"):
        problem.value([1.0, 2.0])


def test_gradient_descent_takes_exact_steps(problems):
    one, _ = problems
    path = gd.gradient_descent(one, [-1.0], lr=0.1, steps=3)
    w0 = -1.0
    w1 = w0 - 0.1 * one.gradient([w0])[0]
    assert path.points[0, 0] == w0
    assert path.points[1, 0] == pytest.approx(w1, rel=1e-12)
    assert path.losses[1] == pytest.approx(one.value([w1]), rel=1e-12)


def test_gradient_descent_converges_below_and_diverges_above_the_critical_rate(problems):
    _, two = problems
    below = gd.gradient_descent(two, gd.START_2D, lr=0.9 * two.critical_lr, steps=400)
    np.testing.assert_allclose(below.final, two.minimum, atol=1e-6)
    assert not below.diverged
    above = gd.gradient_descent(two, gd.START_2D, lr=1.1 * two.critical_lr, steps=400)
    assert above.diverged and above.diverged_at > 1
    assert np.isnan(above.losses[above.diverged_at:]).all()
    assert np.isfinite(above.losses[:above.diverged_at]).all()


@pytest.mark.parametrize("lr", [0.0, -0.1, math.inf, math.nan])
def test_gradient_descent_rejects_bad_learning_rates(problems, lr):
    with pytest.raises(ValueError, match="lr must be"):
        gd.gradient_descent(problems[0], [0.0], lr=lr, steps=3)


def test_finite_differences_on_a_parabola():
    def f(w):
        return 3.0 * w * w + 2.0 * w

    exact = 6.0 * 0.5 + 2.0
    assert gd.central_difference(f, 0.5, 1e-3) == pytest.approx(exact, rel=1e-9)
    # the forward difference is off by h times half the second derivative
    assert gd.forward_difference(f, 0.5, 1e-3) - exact == pytest.approx(3.0 * 1e-3, rel=1e-5)
    forward, central = gd.difference_errors(f, 0.5, exact, [1e-1, 1e-2])
    assert forward[0] > forward[1] > central[1]


def test_full_batch_fit_reaches_least_squares():
    data = diabetes()
    run = gd.fit_full_batch(data.X, data.y, lr=0.1, steps=300, seed=0)
    best = gd.LeastSquares(np.column_stack([data.X, np.ones(data.n)]), data.y)
    assert run.losses[0] > 1.5 * best.min_loss
    assert run.losses[-1] < best.min_loss * 1.01
    assert np.all(np.diff(run.losses) <= 1e-12)  # full batch below 2/L: the loss never rises
    again = gd.fit_full_batch(data.X, data.y, lr=0.1, steps=300, seed=0)
    np.testing.assert_array_equal(run.losses, again.losses)
    assert run.predict(data.X).shape == (data.n,)


def test_steps_to_reach_and_training_cost():
    assert gd.steps_to_reach([5.0, 3.0, 1.0, 0.5], 1.0) == 2
    assert gd.steps_to_reach([5.0, 3.0], 1.0) is None
    assert gd.training_cost(3600, 3.5, 0.85) == pytest.approx(3.5 * 0.85)
    with pytest.raises(ValueError, match="seconds_per_step"):
        gd.training_cost(10, -1.0)


def test_descent_explorer_recomputes_on_slider_moves(problems):
    widget = gd.descent_explorer(lr=0.1, steps=20, interactive=False)
    first = widget.state["path_1d"]
    assert first.steps == 20 and first.lr == pytest.approx(0.1)
    one, two = problems
    converged = gd.steps_to_reach(first.losses, one.min_loss + 1e-3 * (first.losses[0] - one.min_loss))
    assert converged is not None  # the summary says when each run converged, from the losses drawn
    assert widget.summary.startswith("Gradient descent at learning rate 0.1, 20 steps (it diverges above 1 with one "
                                     "weight, 0.691 with two). ")
    start_1d, start = widget.state["start_1d"], widget.state["start"]
    assert f"One weight, from w = {start_1d:g}: converged at step {converged} " in widget.summary
    assert (f"Two weights, from ({start[0]:g}, {start[1]:g}): 0.0233 above the minimum after 20 steps, "
            "not yet 1/1000") in widget.summary
    widget.set(steps=50)
    assert widget.state["path_2d"].steps == 50
    widget.set(lr=1.5)  # above both critical rates
    assert widget.state["path_1d"].diverged or widget.state["path_1d"].losses[-1] > first.losses[0]
    assert widget.state["path_2d"].diverged
    assert widget.summary.endswith(f": diverged at step {widget.state['path_2d'].diverged_at}.")
    path_1d, path_2d = gd.descent_compute(0.1, 20, problems)
    np.testing.assert_array_equal(path_1d.points, first.points)


# -- lesson 3: SGD and mini-batches -------------------------------------------------------------


def test_full_gradient_is_the_mean_of_per_example_gradients(digit_data):
    model = mb.softmax_regression(seed=0)
    X, y = digit_data.X_train[:50], digit_data.y_train[:50]
    full = mb.flat_gradient(model, X, y)
    per_example = mb.per_example_gradients(model, X, y)
    assert per_example.shape == (50, 650)
    np.testing.assert_allclose(per_example.mean(axis=0), full, atol=1e-12)


def test_gradient_noise_follows_one_over_b(digit_data):
    X, y = digit_data.X_train[:200], digit_data.y_train[:200]
    model = mb.softmax_regression(seed=0)
    noise = mb.gradient_noise(model, X, y, [1, 4, 16, 64, 200], draws=60, seed=0)
    assert np.all(np.diff(noise.variance) < 0)
    # within sampling error of the without-replacement prediction (60 draws: ~20% scatter)
    ratio = noise.variance[:-1] / noise.predicted[:-1]
    assert np.all((ratio > 0.6) & (ratio < 1.5)), ratio
    assert noise.predicted[0] == pytest.approx(noise.per_example_variance)
    # a "batch" of every example is the full gradient: no noise at all
    assert noise.variance[-1] < 1e-20 and noise.predicted[-1] == 0
    assert noise.noise_scale == pytest.approx(noise.per_example_variance / noise.full_gradient_norm2)


def test_gradient_noise_rejects_impossible_batch_sizes(digit_data):
    model = mb.softmax_regression(seed=0)
    with pytest.raises(ValueError, match="batch sizes"):
        mb.gradient_noise(model, digit_data.X_train[:10], digit_data.y_train[:10], [1, 20])


def test_training_with_a_batch_size_records_the_full_loss(digit_data):
    run = mb.train_with_batch_size(digit_data, 32, lr=0.5, steps=30, evaluations=None, seed=0)
    assert run.steps_per_epoch == math.ceil(len(digit_data.y_train) / 32)
    np.testing.assert_array_equal(run.eval_steps, np.arange(31))
    assert run.eval_losses[-1] < 0.5 * run.eval_losses[0]
    assert 0.5 < run.val_accuracy <= 1
    step = mb.first_step_below(run, 1.0)
    assert run.eval_losses[step] <= 1.0 and np.all(run.eval_losses[:step] > 1.0)
    sparse = mb.train_with_batch_size(digit_data, 32, lr=0.5, steps=30, evaluations=5, seed=0)
    assert len(sparse.eval_steps) < 10
    assert sparse.final_loss == pytest.approx(run.final_loss)  # same seed, same run


def test_bigger_batches_need_fewer_steps_at_one_learning_rate(digit_data):
    steps = {}
    for batch_size in (1, 64):
        run = mb.train_with_batch_size(digit_data, batch_size, lr=0.5, steps=250, evaluations=None, seed=0)
        steps[batch_size] = mb.first_step_below(run, 0.5)
    assert steps[64] < steps[1]


def test_full_batch_sgd_is_gradient_descent(problems):
    _, two = problems
    sgd = mb.minibatch_descent(two, 10_000, lr=0.1, steps=25)  # larger than the data: full batch
    plain = gd.gradient_descent(two, gd.START_2D, lr=0.1, steps=25)
    assert sgd.batch_size == len(two.y)
    np.testing.assert_allclose(sgd.points, plain.points, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sgd.losses, plain.losses, rtol=1e-12)


def test_small_batches_hover_higher_above_the_minimum(problems):
    _, two = problems
    gaps = [mb.stationary_gap(mb.minibatch_descent(two, b, lr=0.1, steps=200, seed=0), two) for b in (1, 16, 442)]
    assert gaps[0] > gaps[1] > gaps[2] >= 0
    path = mb.minibatch_descent(two, 8, lr=0.1, steps=55)
    assert path.epochs == pytest.approx(55 * 8 / 442)


def test_minibatch_descent_reports_divergence_and_rejects_bad_input(problems):
    _, two = problems
    path = mb.minibatch_descent(two, 4, lr=5.0, steps=100)
    assert path.diverged_at is not None
    with pytest.raises(ValueError, match="lr must be"):
        mb.minibatch_descent(two, 4, lr=-1.0, steps=10)
    with pytest.raises(ValueError, match="batch_size"):
        mb.minibatch_descent(two, 0, lr=0.1, steps=10)


def test_escape_loss_is_the_mean_of_the_examples_and_full_batch_sgd_is_gradient_descent():
    from coursekit import escape

    tilts = escape.example_tilts(256, noise=2.0, seed=0)
    assert tilts.mean() == pytest.approx(escape.TILT) and tilts.std() == pytest.approx(2.0)
    w = np.linspace(-1.5, 1.5, 7)
    mean_of_examples = np.mean([(w * w - 1) ** 2 + a * w for a in tilts], axis=0)
    np.testing.assert_allclose(escape.full_loss(w), mean_of_examples, rtol=1e-12, atol=1e-12)
    h = 1e-6
    np.testing.assert_allclose(escape.full_gradient(w), (escape.full_loss(w + h) - escape.full_loss(w - h)) / (2 * h),
                               rtol=1e-6, atol=1e-6)
    better, poor = escape.minima()
    assert better < escape.ridge() < poor and escape.full_loss(better) < escape.full_loss(poor)
    run = escape.sgd_escape(256, 0.05, steps=200, seeds=3, tilts=tilts)  # full batch: no noise, every seed alike
    plain = escape.START
    for _ in range(200):
        plain -= 0.05 * escape.full_gradient(plain)
    np.testing.assert_allclose(run.final_w, plain, rtol=1e-12)
    assert not run.escaped.any()


def test_escape_rejects_bad_input():
    from coursekit import escape

    with pytest.raises(ValueError, match="batch_size must divide"):
        escape.sgd_escape(3, 0.1, steps=20, seeds=2)
    with pytest.raises(ValueError, match="lr must be"):
        escape.sgd_escape(4, 0.0, steps=20, seeds=2)
    with pytest.raises(ValueError, match="noise must be"):
        escape.example_tilts(noise=-1.0)
    diverging = escape.sgd_escape(1, 5.0, steps=20, seeds=4)
    assert diverging.diverged == 4 and not diverging.escaped.any()


def test_time_per_step_measures_every_batch_size(digit_data):
    times = mb.time_per_step(lambda: mb.softmax_regression(seed=0), digit_data.X_train, digit_data.y_train,
                             [1, 64], repeats=3)
    assert times.shape == (2,) and np.all(times > 0)
    assert len(mb.batch_size_colors([1, 2, 4])) == 3


def test_minibatch_explorer_follows_its_controls():
    widget = mb.minibatch_explorer(batch_size=32, lr=0.1, steps=60, interactive=False)
    assert widget.state["path"].batch_size == 32
    problem = widget.state["problem"]
    noisy, full = (mb.gap_words(mb.stationary_gap(widget.state[key], problem)) for key in ("path", "full"))
    assert widget.summary == ("Batch size 32, learning rate 0.1, 60 steps (4.34 epochs of the 442 examples). The full "
                              "loss above the minimum, averaged over the last half of the steps: mini-batch SGD "
                              f"{noisy}, the full batch (grey) {full}.")
    widget.set(batch_size=512)
    assert widget.state["path"].batch_size == 442  # everything: the full batch
    np.testing.assert_allclose(widget.state["path"].points, widget.state["full"].points)
    assert widget.summary.startswith("Batch size 512, learning rate 0.1, 60 steps (60 epochs of the 442 examples). "
                                     "A batch this large is the full batch")
    widget.set(batch_size=1, lr=0.9)
    assert widget.state["path"].lr == pytest.approx(0.9)
    path = widget.state["path"]
    assert path.diverged and f"Mini-batch SGD diverged at step {path.diverged_at};" in widget.summary


# -- lesson 5: learning-rate schedules ------------------------------------------------------------


def test_schedule_curves_have_their_shapes():
    T, peak = 300, 0.05
    np.testing.assert_allclose(sch.lr_curve("constant", T, peak), peak)
    step = sch.lr_curve("step", T, peak)
    assert step[99] == pytest.approx(peak) and step[100] == pytest.approx(peak / 10)
    assert step[-1] == pytest.approx(peak / 100)
    exponential = sch.lr_curve("exponential", T, peak)
    assert exponential[0] == pytest.approx(peak) and exponential[-1] == pytest.approx(peak / 100)
    assert np.all(np.diff(exponential) < 0)
    cosine = sch.lr_curve("cosine", T, peak)
    assert cosine[0] == pytest.approx(peak) and cosine[150] == pytest.approx(peak / 2)
    linear = sch.lr_curve("warmup_linear", T, peak)  # 10% warmup from 0
    assert linear[0] == 0 and linear[30] == pytest.approx(peak) and linear[15] == pytest.approx(peak / 2)
    assert linear[-1] == pytest.approx(peak / 270)
    warm_cosine = sch.lr_curve("warmup_cosine", T, peak)
    assert warm_cosine.argmax() == 30 and warm_cosine[-1] < 1e-5
    one_cycle = sch.lr_curve("one_cycle", T, peak)  # pct_start 0.3, starts at peak / 25
    assert one_cycle[0] == pytest.approx(peak / 25) and abs(int(one_cycle.argmax()) - 89) <= 1
    assert one_cycle.max() == pytest.approx(peak) and one_cycle[-1] < peak / 1e4


def test_warmup_in_front_of_a_decay():
    lrs = sch.lr_curve("cosine", 100, 1.0, warmup_fraction=0.2)
    assert np.all(np.diff(lrs[:21]) > 0)  # rising for the 20 warmup steps
    assert lrs[20] == pytest.approx(1.0)
    assert np.all(np.diff(lrs[20:]) < 0)
    assert lrs[0] == pytest.approx(1.0 / 20)
    constant = sch.lr_curve("constant", 100, 1.0, warmup_fraction=0.1)
    np.testing.assert_allclose(constant[10:], 1.0)


def test_schedule_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown schedule"):
        sch.lr_curve("triangle", 100, 0.1)
    with pytest.raises(ValueError, match="warmup_fraction"):
        sch.warmup_steps(100, 1.5)
    with pytest.raises(ValueError, match="total_steps"):
        sch.warmup_steps(1, 0.1)
    assert sch.warmup_steps(300, 0.1) == 30
    assert "CosineAnnealingLR(optimizer, T_max=270)" in sch.describe("cosine", 300, 0.1)
    assert sch.describe("warmup_linear", 300).startswith("get_linear_schedule_with_warmup")


def test_training_follows_the_schedule_and_is_seeded(digit_data):
    run = sch.train_with_schedule(digit_data, "warmup_cosine", peak_lr=0.05, total_steps=60, seed=0)
    np.testing.assert_allclose(run.lrs, sch.lr_curve("warmup_cosine", 60, 0.05))  # the optimizer used it
    assert run.step_losses.shape == (60,) and np.isfinite(run.step_losses).all()
    assert run.final_train_loss < run.step_losses[0]
    again = sch.train_with_schedule(digit_data, "warmup_cosine", peak_lr=0.05, total_steps=60, seed=0)
    np.testing.assert_array_equal(run.step_losses, again.step_losses)
    other = sch.train_with_schedule(digit_data, "constant", peak_lr=0.05, total_steps=60, seed=0)
    assert other.step_losses[0] == run.step_losses[0]  # same weights, same first batch ...
    assert not np.array_equal(other.step_losses, run.step_losses)  # ... different rates
    assert 0 <= sch.dead_units(run.model, digit_data.X_train) <= 1
    one_cycle = sch.train_with_schedule(digit_data, "one_cycle", peak_lr=0.05, total_steps=40)
    assert one_cycle.lrs.max() == pytest.approx(0.05)


def test_warmup_rescues_a_high_peak(digit_data):
    constant = sch.train_with_schedule(digit_data, "constant", peak_lr=0.3, seed=0)
    warmed = sch.train_with_schedule(digit_data, "warmup_cosine", peak_lr=0.3, seed=0)
    assert warmed.val_loss < 0.5 * constant.val_loss
    assert sch.dead_units(warmed.model, digit_data.X_train) < sch.dead_units(constant.model, digit_data.X_train)


def test_compare_schedules_and_smoothing(digit_data):
    results = sch.compare_schedules(digit_data, ["constant", "step"], peak_lr=0.01, seeds=(0, 1), total_steps=30)
    assert set(results) == {"constant", "step"} and all(len(runs) == 2 for runs in results.values())
    np.testing.assert_allclose(sch.smooth([2.0, 2.0, 2.0]), 2.0)
    assert sch.smooth([0.0, 1.0])[1] == pytest.approx(0.1 / 0.19)


def test_schedule_explorer_looks_up_every_stop(digit_data):
    widget = sch.schedule_explorer(digit_data, kind="cosine", warmup_fraction=0.0, peak_lr=0.03, total_steps=40,
                                   interactive=False)
    assert widget.state["run"].kind == "cosine"
    widget.set(schedule="one_cycle", warmup=0.3)
    run = widget.state["run"]
    assert run.kind == "one_cycle" and run.warmup_fraction == pytest.approx(0.3)
    alone = sch.train_with_schedule(digit_data, "one_cycle", peak_lr=0.03, warmup_fraction=0.3, total_steps=40)
    np.testing.assert_allclose(run.step_losses, alone.step_losses, rtol=1e-9)  # the stack's run is the run
    assert widget.state["reference"].kind == "constant"
    widget.set(peak_lr=0.3)
    assert widget.state["run"].peak_lr == pytest.approx(0.3)
    assert widget.png().startswith(PNG_MAGIC)


def test_schedule_explorer_reuses_runs_it_is_given(digit_data):
    known = sch.train_with_schedule(digit_data, "cosine", peak_lr=0.03, warmup_fraction=0.0, total_steps=40)
    widget = sch.schedule_explorer(digit_data, kind="cosine", warmup_fraction=0.0, peak_lr=0.03, total_steps=40,
                                   known_runs=[known], interactive=False)
    assert widget.state["run"] is known


# -- folded plumbing cells (lessons 0 and 9) ------------------------------------------------------


@pytest.mark.parametrize("lesson", ["00_welcome", "08_gradient_clipping", "09_finetuning_case_study"])
def test_folded_cells_stay_folded_in_the_built_notebook_and_say_so(lesson):
    """JupyterLab folds a cell's code when its metadata has jupyter.source_hidden; the .md source and
    the built .ipynb must agree (the build tool compares only sources and tags), and the lesson's
    prose says once that some cells are folded and how to open them (not a comment in every cell)."""
    from pathlib import Path

    import jupytext
    import nbformat

    course = Path(__file__).resolve().parents[1] / "course"

    def folded(notebook):
        return [cell.source for cell in notebook.cells
                if cell.cell_type == "code" and cell.metadata.get("jupyter", {}).get("source_hidden")]

    in_source = folded(jupytext.read(course / f"{lesson}.md"))
    assert in_source, f"{lesson}.md has no folded cell"
    assert folded(nbformat.read(course / f"{lesson}.ipynb", as_version=4)) == in_source
    prose = " ".join(line.lstrip("> ") for cell in jupytext.read(course / f"{lesson}.md").cells
                     if cell.cell_type == "markdown" for line in cell.source.splitlines())  # quotes too
    prose = " ".join(prose.split())
    assert "folded away" in prose and "three dots" in prose
    assert not any("folded away" in source for source in in_source)  # said once, in the prose
