"""The lessons' comparative sentences and rules of thumb, re-computed and asserted.

Each test names the lesson and the sentence it holds to the numbers. When a change to the
code or the data makes a sentence false, the test fails here, before a participant reads it:
then reword the sentence (or fix the code), never the test's threshold alone.
"""
import math

import numpy as np
import pytest

from coursekit import schedules as sch
from coursekit.datasets import digits
from coursekit.surfaces import get_surface
from coursekit.trajectories import lowest_diverging_lr, stability_limit

RATES = np.round(np.arange(0.01, 1.5, 0.01), 2)


# ---------------------------------------------------------------- lesson 4: momentum and the edge
def test_lesson_4_nesterov_then_sgd_then_momentum_diverge_as_the_rate_rises():
    """Lesson 4, section 1 and rule 3: 'Nesterov, then SGD, then Momentum diverge'."""
    valley = get_surface("valley")
    limits = {name: lowest_diverging_lr(name, valley, RATES, steps=300) for name in ("SGD", "Momentum", "Nesterov")}
    assert sorted(limits, key=limits.get) == ["Nesterov", "SGD", "Momentum"], limits
    for name, observed in limits.items():  # the grid's first diverging rate is just above the theory's limit
        assert 0 <= observed - stability_limit(name, valley.lipschitz) <= 0.0125, (name, observed)


def test_stability_limits_are_the_textbook_ones():
    assert stability_limit("SGD", 4.0) == pytest.approx(0.5)
    assert stability_limit("Momentum", 4.0, momentum=0.9) == pytest.approx(0.95)
    assert stability_limit("Nesterov", 4.0, momentum=0.9) == pytest.approx(3.8 / 11.2)
    with pytest.raises(ValueError, match="SGD, Momentum and Nesterov"):
        stability_limit("Adam", 4.0)


# ---------------------------------------------------------------- lesson 5: schedules
@pytest.fixture(scope="module")
def digit_data():
    return digits(val_fraction=0.2, seed=0)


@pytest.fixture(scope="module")
def peak_sweep(digit_data):
    peaks = (0.003, 0.03, 0.1, 0.3)
    return peaks, {kind: [sch.train_with_schedule(digit_data, kind, peak_lr=p, total_steps=300, seed=0).val_loss
                          for p in peaks] for kind in ("constant", "cosine", "warmup_cosine")}


def test_lesson_5_at_a_good_peak_every_decaying_schedule_ends_below_the_constant_rate(digit_data):
    """Lesson 5, section 3 and rule 1: at peak 0.05 (three seeds) every decaying schedule beats the
    constant rate on average, and those that glide to zero beat it by more than the seeds' spread."""
    results = sch.compare_schedules(digit_data, peak_lr=0.05, seeds=(0, 1, 2), total_steps=300)
    mean = {kind: np.mean([r.val_loss for r in runs]) for kind, runs in results.items()}
    std = {kind: np.std([r.val_loss for r in runs]) for kind, runs in results.items()}
    for kind in results:
        if kind != "constant":
            assert mean[kind] < mean["constant"], kind
    for kind in ("cosine", "warmup_cosine", "warmup_linear", "one_cycle"):
        assert mean["constant"] - mean[kind] > std["constant"] + std[kind], kind


def test_lesson_5_a_schedule_does_not_rescue_a_peak_that_is_too_low(peak_sweep):
    """Lesson 5, section 4 and rule 1: at peak 0.003 the constant rate beats both decaying schedules."""
    peaks, val = peak_sweep
    low = peaks.index(0.003)
    assert val["constant"][low] < min(val["cosine"][low], val["warmup_cosine"][low])


def test_lesson_5_warmup_keeps_ten_times_the_constant_best_peak_usable(peak_sweep):
    """Lesson 5, rule 3: with warmup the schedule still trains well at ten times the constant rate's best
    peak; cosine without warmup holds on only a little longer than the constant rate."""
    peaks, val = peak_sweep
    best = int(np.argmin(val["constant"]))
    ten_times = peaks.index(round(peaks[best] * 10, 6))
    assert val["warmup_cosine"][ten_times] < 1.25 * val["constant"][best]
    assert val["cosine"][ten_times] > 3 * val["constant"][best]       # fails where warmup does not
    assert val["cosine"][best + 1] < val["constant"][best + 1]        # ... but held on one step further


# ---------------------------------------------------------------- the playground's crib sheet
def test_playground_just_right_preset_is_about_one_over_l_and_does_not_zigzag():
    """'About 1/L, half the critical rate 2/L: fast and steady, no zigzag' (and it is not the cheapest)."""
    from coursekit import playground

    preset = playground.get_preset("lr_just_right")
    surface = get_surface(preset.values["surface"])
    lr = preset.values["lr"]
    assert 0.8 / surface.lipschitz <= lr <= 1.0 / surface.lipschitz  # lr * L < 1: no zigzag on the steep axis
    assert math.isclose(lr * surface.lipschitz, 1.0, rel_tol=0.15)


# ---------------------------------------------------------------- lesson 7: rescaling the rate
def test_lesson_7_square_root_rule_ends_with_lower_validation_loss_at_large_batches():
    """Lesson 7, section 5: 'at batches 128 and 512 the gentler rate ended with the lower validation loss'."""
    from coursekit import batch_size as bs

    split = bs.noisy_digits(n_train=512, n_val=500, label_noise=0.2, seed=0)
    runs = {rule: bs.compare_batch_sizes(split, [128, 512], base_lr=0.05, rule=rule, epochs=30)
            for rule in ("sqrt", "linear")}
    for batch in (128, 512):
        assert runs["sqrt"][batch].final_val_loss < runs["linear"][batch].final_val_loss, batch


# ---------------------------------------------------------------- lesson 8 and the playground: clipping
def test_lesson_8_the_featured_run_explodes_and_clipping_at_one_tames_it():
    """Lesson 8, section 3 and the playground: the featured seed's run explodes without clipping
    (found at run time, so on any processor) and the same run clipped at 1.0 stays stable."""
    from coursekit import clipping as cl

    seed = cl.featured_seed()
    off = cl.train_rnn(None, None, cl.LR, seed=seed)
    clipped = cl.train_rnn("norm", 1.0, cl.LR, seed=seed)
    assert cl.explodes(off) and not cl.explodes(clipped)
    assert clipped.final_loss < off.final_loss


def test_lesson_8_clipping_at_one_ends_lower_than_no_clipping_in_most_seeds():
    """Lesson 8, section 5 and rule 2: 'across many seeds (12), clipping at 1.0 ends lower than no
    clipping in most of them', and the unclipped runs spread much more."""
    from coursekit import clipping as cl

    study = cl.seed_study([(None, None), ("norm", 1.0)], seeds=range(12))
    off = np.array([run.final_loss for run in study[(None, None)]])
    clipped = np.array([run.final_loss for run in study[("norm", 1.0)]])
    assert (clipped < off).sum() >= 7, (off, clipped)
    assert off.max() / off.min() > 2 * clipped.max() / clipped.min()


# ---------------------------------------------------------------- lesson 4: the race table
@pytest.fixture(scope="module")
def race_table():
    from coursekit.optimizers import race_compute
    from coursekit.surfaces import RACE_SURFACES

    names = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW")
    table = {}
    for key in RACE_SURFACES:
        surface, paths = get_surface(key), race_compute(key, names)
        low = surface.loss(surface.minimum)
        if key == "noisy":
            table[key] = {n: float(np.mean(p.losses[-100:]) - low) for n, p in paths.items()}
        else:
            table[key] = {n: p.steps_to(low + 0.01 * (p.losses[0] - low)) for n, p in paths.items()}
    return table


def fastest(row):
    reached = {name: steps for name, steps in row.items() if steps is not None}
    return min(reached, key=reached.get)


def test_lesson_4_race_bullets(race_table):
    """Lesson 4, section 3, 'What the race shows': who is fastest where, and who settles where."""
    assert fastest(race_table["tilted-valley"]) == "Nesterov"
    assert {n for n, s in race_table["rosenbrock"].items() if s is not None} == {"Momentum", "Nesterov"}
    for key in ("valley", "beale", "saddle"):
        assert fastest(race_table[key]) == "RMSProp", key
    assert all(s is None for s in [race_table[k]["AdaGrad"] for k in race_table if k != "noisy"])
    noisy = race_table["noisy"]
    assert min(noisy["Momentum"], noisy["Nesterov"]) > noisy["SGD"]
    assert max(noisy, key=noisy.get) == "AdaGrad"
    assert sorted(noisy, key=noisy.get)[:2] in (["Adam", "AdamW"], ["AdamW", "Adam"])
    assert race_table["tilted-valley"]["Adam"] > 1.8 * race_table["valley"]["Adam"]  # "about twice as many"


# ---------------------------------------------------------------- lesson 6: what the test costs
def test_lesson_6_range_test_and_one_epoch_checks_cost_less_than_half_a_run():
    """Lesson 6, rule 5: with one-epoch checks on the brief's job, the test plus the check cost
    less than half of one run (100 range-test steps plus three epochs, against the epochs paid)."""
    from coursekit.casestudy.cost import brief_reading

    brief = brief_reading()
    run_steps = brief["steps_per_epoch"] * brief["paid_epochs"]
    assert (100 + 3 * brief["steps_per_epoch"]) / run_steps < 0.5


# ---------------------------------------------------------------- lesson 3: the explorer's limit
def test_lesson_3_the_two_weight_bowl_limit_is_about_0_69_and_0_8_is_above_it():
    """Lesson 3, section 7: 'lr 0.8: above this bowl's limit 2/L (about 0.69 for these two weights)'."""
    from coursekit.gradient_descent import lesson1_problems

    problem = lesson1_problems()[1]
    assert round(2 / problem.lipschitz, 2) == 0.69 and 0.8 > 2 / problem.lipschitz


# ---------------------------------------------------------------- lesson 8: the control run for rule 4
@pytest.fixture(scope="module")
def clipping_control():
    """Clipping at 1.0 and the two unclipped controls (half the rate, the matched rate), seeds 0-11."""
    from coursekit import clipping as cl

    seeds = range(12)
    clipped = cl.seed_study([("norm", 1.0)], seeds)[("norm", 1.0)]
    matched = cl.matched_lr(clipped)
    controls = cl.control_study(clipped, seeds, rates=(cl.LR / 2, matched))
    final = {rate: np.array([run.final_loss for run in runs]) for rate, runs in controls.items()}
    return cl, matched, np.array([run.final_loss for run in clipped]), final


def test_lesson_8_clipping_at_one_is_more_than_a_smaller_step(clipping_control):
    """Lesson 8, section 5 (control) and rule 4: 'clipping at 1.0 shortened the typical step by only a
    fifth or so, and the unclipped runs at that matched rate ended higher than the clipped runs in
    most seeds'."""
    cl, matched, clipped, final = clipping_control
    assert 0.7 <= matched / cl.LR <= 0.9, matched
    assert (clipped < final[matched]).sum() >= 8, (clipped, final[matched])


def test_lesson_8_halving_the_rate_matches_clipping_typically_but_not_in_the_worst_run(clipping_control):
    """Lesson 8, section 5 (control) and rule 4: 'halving the rate without clipping did about as well as
    clipping in a typical run (better in some seeds, worse in others), but its worst run ended higher'."""
    cl, _, clipped, final = clipping_control
    half = final[cl.LR / 2]
    assert 3 <= (clipped < half).sum() <= 9, (clipped, half)
    assert 0.5 < np.median(half) / np.median(clipped) < 2
    assert half.max() > 1.5 * clipped.max(), (half.max(), clipped.max())


# ---------------------------------------------------------------- lesson 8: clipping the case study's GPT
def test_lesson_8_clipping_the_gpt_softens_but_does_not_prevent_a_too_high_rate():
    """Lesson 8, section 6 (the case study's GPT): near 1 at the sensible rate; at the high rate the loss
    jumps several-fold and the norm to several times the sensible run's largest; the first update is the
    same with and without clipping (AdamW); clipped runs end a little lower in most seeds, far above
    the sensible rate."""
    from coursekit import clipping as cl

    good = cl.train_gpt(cl.GPT_LR / 30)
    assert 0.7 < np.median(good.grad_norms[5:]) < 1.5 and good.grad_norms[10:].max() < 2.5
    pairs = [(cl.train_gpt(cl.GPT_LR, seed=s), cl.train_gpt(cl.GPT_LR, 1.0, seed=s)) for s in (0, 1, 2)]
    for off, clipped in pairs:
        assert abs(cl.gpt_first_step_ratio(off, clipped) - 1) < 5e-4
        for run in (off, clipped):
            assert run.losses.max() > 3 * run.losses[0]
            assert run.grad_norms.max() > 2.5 * good.grad_norms.max()
            assert run.final_loss > 2 * good.final_loss
        assert clipped.final_loss > 0.7 * off.final_loss  # "a little lower", not a rescue
    assert sum(c.final_loss < o.final_loss for o, c in pairs) >= 2


# ---------------------------------------------------------------- lesson 4: is Adam less sensitive to the rate?
def test_lesson_4_adam_and_sgd_have_about_equally_wide_ranges_of_good_rates():
    """Lesson 4, section 4 ('Is Adam less sensitive to the learning rate?') and rule 2: the ranges of rates
    within 10% and within 50% of each optimizer's best are about equally wide (within a few tenths of
    a decade); Adam's best rate is about ten times lower than SGD's, and its best loss slightly lower."""
    from coursekit import optimizers as opt

    sweep = opt.lr_sweep(("SGD", "Adam"))
    for margin in (0.1, 0.5):
        widths = {name: opt.good_lr_range(opt.SWEEP_LRS, losses, margin)[2] for name, losses in sweep.items()}
        assert abs(widths["SGD"] - widths["Adam"]) < 0.3, (margin, widths)
        assert min(widths.values()) > 0.4  # a real range, not one grid point
    best = {name: opt.SWEEP_LRS[int(np.argmin(losses))] for name, losses in sweep.items()}
    assert 5 <= best["SGD"] / best["Adam"] <= 20, best
    assert 0.7 * sweep["SGD"].min() < sweep["Adam"].min() < sweep["SGD"].min()
