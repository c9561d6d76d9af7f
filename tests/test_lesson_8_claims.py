"""Lesson 8's sentences about its recurrent network, held against starts perturbed in the last digit.

Whether a run at the edge of exploding explodes is chaotic: a difference in the last digit grows
step by step until it decides where a spike lands, or whether there is one. Another processor
(another BLAS kernel, another order of additions, fused multiply-adds) makes exactly such
differences in the intermediate results of the first step, and the stacked trainer makes them too
(its products add in another order). These tests make them on purpose: every starting weight is
multiplied by ``1 + 1e-15 z`` (``z`` standard normal; ``cl.jittered``), a change of a unit or two
in the last place of a float64, for several draws. From the first step on, a perturbed run differs
from the unperturbed one as a run on another processor would, and the difference grows by the
same dynamics. A sentence that holds for every draw does not hang on how one machine rounded; one
that failed for some draw could fail on a participant's laptop. So each test below checks the
lesson's sentences for the unperturbed runs (the notebook's own path: ``train_rnn`` alone) and for
every perturbed draw, with margins where the sentence quotes an order or a count. They also pass
with OpenBLAS forced onto other kernels (``OPENBLAS_CORETYPE=Sandybridge`` or ``Prescott``, without
fused multiply-adds), which move these runs the same way, from the first step on.

Section 3 says as much: '*when* and how far it explodes depend on your processor's last-digit rounding
and the numbers below are your machine's; *that* it explodes is the same everywhere'.
"""
import numpy as np
import pytest

from coursekit import clipping as cl
from coursekit import questions

from lesson8_runs import JITTER, featured_runs


@pytest.fixture(scope="module")
def featured():
    """The featured seed's runs of every setting the lesson quotes (tests/lesson8_runs.py)."""
    return featured_runs()


def test_the_featured_seed_leads_the_seed_study():
    """Section 5: 'the featured seed and nine more, each a different start and a different stream of
    batches' (its cell: 'the featured seed first')."""
    assert cl.SEEDS[0] == cl.FEATURED_SEED and len(set(cl.SEEDS)) == len(cl.SEEDS) == 10


def test_lesson_8_the_featured_run_explodes_and_clipping_at_one_tames_it(featured):
    """The intro: the network, 'trained at a learning rate too high for it, makes gradients hundreds of
    times their typical size or more and explodes; clipping rescues it.' Section 3: 'The run improves
    for a few steps (its best point is printed above) ... around the step where the gradient reaches a
    hundred times the typical one (the lines above say when) the loss runs away. Whether and how far it
    comes back down is chance ..., but it ends higher than it started, and far above its best.' Section 4:
    'With clipping at 1.0 this run ends far below the run without clipping, and lower than at 5.0 ... Its
    gradient can still jump on a rare step (whether it does here depends on your processor's rounding)'.
    The playground's section 2 relies on the explosion and on clipping at 1.0 ending far lower."""
    # (The creep of the norm and the loss before that step: tests/test_lesson_8_rules.py.)
    for runs in featured:
        off, norm_1, norm_5 = runs["off"], runs["norm_1"], runs["norm_5"]
        assert cl.explodes(off)
        # "hundreds of times": the largest norm is at least twice the explosion line (observed: 5 times and far more)
        assert off.grad_norms.max() > 2 * cl.SPIKE_FACTOR * np.median(off.grad_norms)
        best_step, best_loss = cl.best_point(off.losses)
        assert best_loss < off.losses[0]                   # it improves at first ...
        assert best_step < cl.explosion_step(off)          # ... before the explosion
        assert off.final_loss > off.losses[0]              # and ends higher than it started (observed: 1.9x and more)
        assert off.final_loss > 2 * best_loss              # "far above its best" (observed: 4x and more)
        # Not "no spike": over 20 perturbed starts one clipped run's gradient still jumped 100-fold (and
        # recovered), so the lesson promises only what every start gave: the ends below.
        assert not norm_1.diverged
        assert norm_1.final_loss < norm_5.final_loss
        assert norm_1.final_loss < off.final_loss / 4      # "far below the run without clipping"


def test_lesson_8_the_typical_norm_sits_just_above_one_and_five_several_times_above(featured):
    """Section 4: '1.0 sits just below the typical gradient norm, so it shortens most steps: it also
    acts like a smaller learning rate (section 5 runs the control). 5.0 sits several times above the
    typical norm'. Rule 4: 'One at or below it clips most steps (1.0 here, printed below)'. The
    typical norm is the median before clipping of the run clipped at 1.0, as the lesson's cells take
    it (observed 1.19 to 1.27). How many steps 5.0 shortens is claimed only as 'yet it still shortened
    some steps' (tests/test_lesson_8_rules.py): after a spike the run clipped at 5.0 can stay at large
    norms, and then 5.0 acts on most steps too (68% from one start under another BLAS kernel, against
    6% to 36% otherwise)."""
    for runs in featured:
        norm_1 = runs["norm_1"]
        typical = np.median(norm_1.grad_norms)
        assert 1.0 < typical < 2.0, typical
        assert 5.0 / typical > 2.5, typical  # "several times above"
        assert norm_1.clipped_fraction > 0.55  # "most steps" (observed 0.62 to 0.67)


def test_lesson_8_clipping_by_value_bends_at_0_1_and_lets_long_steps_through_at_1(featured):
    """Section 6: 'Clipping by value at 0.1 also tames this run (it ends far below the run without
    clipping), but it touches nearly every step and bends it (the mean cosine) ... At 1.0 it touches fewer steps and bends them less on
    average ... long steps get through, and the run ends higher than with clipping by norm at 1.0.'
    Rule 3: 'Clipping by value either bends the gradient (small thresholds) or barely caps it (large
    ones).' (That 1.0 touches fewer steps, and where it caps the length: tests/test_lesson_8_rules.py.)"""
    for runs in featured:
        value_01, value_1, norm_1 = runs["value_01"], runs["value_1"], runs["norm_1"]
        assert not value_01.diverged and value_01.final_loss < runs["off"].final_loss / 4  # a spike: 2 of 20 starts
        assert value_01.clipped_fraction > 0.95  # "touches every step, or nearly"
        assert value_01.cosines.mean() < 0.95  # bent: observed mean cosine 0.91 to 0.92
        assert 1 - value_1.cosines.mean() < 0.7 * (1 - value_01.cosines.mean())  # bent less
        assert value_1.final_loss > 1.5 * norm_1.final_loss  # observed 1.8 times and more


def test_lesson_8_the_predict_questions_have_the_same_answer_on_any_processor(featured):
    """'Predict, then check': 'The answers come from this lesson's runs.' So they must not hang on
    rounding."""
    for runs in featured:
        most = questions.lesson8_clips_most([runs["norm_1"], runs["norm_5"], runs["value_01"]])
        assert most.answer == "by value at 0.1"
        assert runs["value_01"].clipped_fraction > runs["norm_1"].clipped_fraction + 0.2
        share = questions.lesson8_share_clipped(runs["norm_1"])
        assert share.answer == "40% to 90%: most steps"
        assert 0.5 < runs["norm_1"].clipped_fraction < 0.8  # well inside that bin


def test_lesson_8_the_widget_bullets(featured):
    """Section 8: 'threshold **0.1** by norm: every step is clipped, so every gradient is cut to the same
    length'; 'learning rate **0.01** with clipping **off**: a smaller rate also avoids the spikes, at the
    price of a slower start'."""
    for runs in featured:
        assert runs["norm_01"].clipped_fraction == 1.0
        slow, clipped = runs["off_slow"], runs["norm_1"]
        assert not cl.explodes(slow) and not slow.diverged
        assert slow.losses[:25].mean() > 1.2 * clipped.losses[:25].mean()  # observed 1.5 times


@pytest.fixture(scope="module", params=[None, 1, 2], ids=["unperturbed", "draw 1", "draw 2"])
def study(request):
    """Section 5's seed study and its control over the ten seeds, from unperturbed or perturbed starts."""
    jitter = 0.0 if request.param is None else JITTER
    draw = request.param or 0
    runs = cl.seed_study([(None, None), ("norm", 1.0), ("norm", 5.0)], cl.SEEDS, jitter=jitter, draw=draw)
    off, clip_1, clip_5 = runs.values()
    matched = cl.matched_lr(clip_1)
    controls = cl.control_study(clip_1, cl.SEEDS, rates=(cl.LR / 2, matched), jitter=jitter, draw=draw)
    return off, clip_1, clip_5, matched, controls[cl.LR / 2], controls[matched]


def test_lesson_8_over_ten_seeds_clipping_at_one_wins_nearly_everywhere(study):
    """Section 5: 'At this rate nearly every run without clipping had a spike (the stars; the last row
    counts them); where a run ended after its spike is chance. Clipping at 1.0
    ended lower than no clipping, and lower than clipping at 5.0, in most or all seeds; 5.0 beat no
    clipping in most seeds (counts above).' Rule 2: 'without it, runs here exploded and ended higher
    than with clipping at 1.0 (section 5's counts)'. Held with margins: 8 of 10 or more for 'explode'
    and for 'most or all', 6 or more for 'most'. Observed over four starts: 9 or 10 exploded; 1.0
    below no clipping and below 5.0 in 10 of 10; 5.0 below no clipping in 8 to 10."""
    off, clip_1, clip_5, *_ = study
    assert cl.exploded_count(off) >= 8
    assert cl.lower_count(clip_1, off) >= 8
    assert cl.lower_count(clip_1, clip_5) >= 8
    assert cl.lower_count(clip_5, off) >= 6


def test_lesson_8_clipping_at_one_is_more_than_a_smaller_step(study):
    """Section 5 (control): 'At the matched rate runs without clipping still exploded (the count is printed), and the worst
    ended far higher than the worst clipped run: clipping did more than shorten the typical step, it
    capped every long gradient before it could grow the next.' The matched rate is one of the 'lower
    rates' of the control, 'half the rate, and the rate at which an unclipped step is as short as a
    typical clipped one', and section 4's '1.0 sits just below the typical gradient norm' puts it
    between the two (no closer figure is claimed; the cell prints it). Observed: the matched rate 73%
    to 75% of the rate; 3 to 7 of 10 matched runs exploded; their worst final loss 1e15 and more, the
    clipped runs' worst below 0.3. (A clipped run's gradient may still spike before clipping, as one
    did from one perturbed start: 'with clipping it is cut: a starred clipped run did not fail', so
    the clipped runs are not counted here.)"""
    off, clip_1, clip_5, matched, half, at_matched = study
    assert 0.5 < matched / cl.LR < 1, matched
    assert cl.exploded_count(at_matched) >= 2
    assert cl.final_losses(at_matched).max() > 10 * cl.final_losses(clip_1).max()


def test_lesson_8_halving_the_rate_matches_clipping_typically_but_not_in_the_worst_run(study):
    """Section 5 (control): 'Halving the rate did about as well as clipping in a typical seed (the medians
    are within a factor of two of each other; ...), though its worst run ended higher than the worst
    clipped one.' Rule 5: 'half the rate without clipping did about as well in a typical seed (section
    5)'. Observed: medians 0.77 to 1.24 times clipping's (with the per-step loop, with F.tanh_rnn on
    precomputed input terms, and with its input weight inside the node); the worst halved run 2.3 times
    the worst clipped one and more."""
    _, clip_1, _, _, half, _ = study
    clipped, halved = cl.final_losses(clip_1), cl.final_losses(half)
    assert 0.5 < np.median(halved) / np.median(clipped) < 2
    assert halved.max() > 1.5 * clipped.max(), (halved.max(), clipped.max())


def test_a_jittered_start_differs_in_the_last_digits_only():
    plain = cl.TinyRNN(seed=0)
    moved = cl.jittered(cl.TinyRNN(seed=0), JITTER, draw=3)
    for a, b in zip(plain.parameters(), moved.parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-14, atol=0)
    assert any((a.data != b.data).any() for a, b in zip(plain.parameters(), moved.parameters()))
