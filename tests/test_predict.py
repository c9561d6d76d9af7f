"""The "predict, then check" questions (coursekit.predict, coursekit.questions).

The mechanism: a verdict for every choice, a static text that never gives the answer away,
a widget that answers a click. Each lesson question: its computed answer is right,
recomputed independently (from theory or a few lines of NumPy) where that is cheap, or on
made-up inputs that make the right answer plain; and its wrong choices get their hint.
"""
from types import SimpleNamespace

import numpy as np
import pytest

from coursekit import gradient_descent as gd
from coursekit import predict, questions
from coursekit.predict import PICK_FIRST, ask
from coursekit.surfaces import get_surface

HINTS = {"0.01": "Too small: many steps.", "0.5": "", "5": "Too large: it diverges."}


def small_question(answer="0.5"):
    hints = {c: (h or "Hint for 0.5.") for c, h in HINTS.items()}
    return ask("Which rate is best?", hints, answer, explain="It is just below the limit.")


# ------------------------------------------------------------------ the mechanism
def test_check_answers_right_and_wrong_with_the_checkers_marks():
    q = ask("Which rate is best?", HINTS, answer=0.5, explain="It is just below the limit.")
    assert q.check("0.5") == "✓ Predict: 0.5: right. It is just below the limit."
    assert q.check("0.01") == "✗ Predict: 0.01: not this one. Too small: many steps."
    assert q.check("c") == "✗ Predict: 5: not this one. Too large: it diverges."  # a letter works too
    assert q.check("B)").startswith("✓")
    assert q.check(None) == PICK_FIRST
    unknown = q.check("0.3")
    assert unknown.startswith("✗") and "not one of the choices" in unknown and "a) 0.01" in unknown


def test_a_question_refuses_an_answer_outside_its_choices_and_a_wrong_choice_without_hint():
    with pytest.raises(ValueError, match="no longer fits"):
        ask("?", HINTS, answer="0.3")
    with pytest.raises(ValueError, match="needs a hint"):
        ask("?", HINTS, answer="5")  # now 0.5 is wrong, and it has no hint
    with pytest.raises(ValueError, match="two choices"):
        ask("?", {"only": ""}, answer="only")


def test_the_static_text_shows_the_choices_and_never_the_answer():
    texts = {choice: small_question(choice).text() for choice in HINTS}
    assert len(set(texts.values())) == 1  # the same text whichever choice is right
    text = texts["0.5"]
    assert "Which rate is best?" in text and "a) 0.01" in text and "b) 0.5" in text and "c) 5" in text
    for secret in ("right", "✓", "✗", "just below the limit", "Too small", "Too large", "Hint for"):
        assert secret not in text
    assert repr(small_question()) == text


def test_outside_a_kernel_the_display_is_plain_text(monkeypatch):
    monkeypatch.setattr(predict, "in_kernel", lambda: False)
    bundle = small_question()._repr_mimebundle_()
    assert bundle == {"text/plain": small_question().text()}


def test_inside_a_kernel_the_display_adds_the_live_widget_to_the_same_text(monkeypatch):
    monkeypatch.setattr(predict, "in_kernel", lambda: True)
    bundle = small_question()._repr_mimebundle_()
    assert bundle["text/plain"] == small_question().text()
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]


def test_the_widget_answers_a_click_and_clears_the_verdict_on_a_new_pick():
    box = small_question().widget()
    assert list(box.radio.options) == list(HINTS) and box.radio.value is None
    box.button.click()
    assert PICK_FIRST in box.verdict.value
    box.radio.value = "5"
    box.button.click()
    assert "✗" in box.verdict.value and "Too large: it diverges." in box.verdict.value
    box.radio.value = "0.5"
    assert box.verdict.value == ""
    box.button.click()
    assert "✓" in box.verdict.value and "just below the limit" in box.verdict.value


def assert_hints_for_wrong_choices(q):
    """Every wrong choice gets a ✗ with its own hint; the right one a ✓."""
    for choice, hint in q.choices.items():
        verdict = q.check(choice)
        if choice == q.answer:
            assert verdict.startswith("✓"), verdict
        else:
            assert verdict.startswith("✗") and hint in verdict and hint.strip(), verdict


# ------------------------------------------------------------------ lesson 1
def _critical_lr(problem):
    hessian = 2 * problem.X.T @ problem.X / len(problem.y)  # mean squared error: Hessian 2 XᵀX / n
    return 2 / np.linalg.eigvalsh(hessian).max()


def test_lesson1_which_blows_up_follows_each_models_limit_2_over_L():
    one, two = gd.lesson1_problems()
    assert _critical_lr(two) < 0.8 < _critical_lr(one)
    q = questions.lesson1_which_blows_up(lr=0.8, steps=20)
    assert q.answer == "only the two-weight model"
    assert_hints_for_wrong_choices(q)
    assert questions.lesson1_which_blows_up(lr=0.3).answer == "neither"
    assert questions.lesson1_which_blows_up(lr=1.5).answer == "both"


def test_lesson1_fastest_rate_matches_plain_numpy_gradient_descent():
    _, two = gd.lesson1_problems()
    X, y = two.X, two.y
    w_best = np.linalg.lstsq(X, y, rcond=None)[0]
    target = 1.01 * np.mean((X @ w_best - y) ** 2)

    def steps(lr):
        w = np.array(gd.START_2D, dtype=float)
        for step in range(301):
            if np.mean((X @ w - y) ** 2) <= target:
                return step
            w = w - lr * 2 * X.T @ (X @ w - y) / len(y)
        return np.inf

    rates = (0.01, 0.1, 0.5, 0.9)
    q = questions.lesson1_fastest_rate(rates)
    assert q.answer == f"{min(rates, key=steps):g}" == "0.5"
    assert_hints_for_wrong_choices(q)


# ------------------------------------------------------------------ lesson 2
def _valley_steps(lr, tolerance=1e-3, max_steps=5000):
    valley = get_surface("valley")
    curvatures = np.array([0.2, 4.0])  # 0.1·x1² + 2·x2²
    x = np.array(valley.start, dtype=float)
    start = 0.5 * curvatures @ x**2
    for step in range(max_steps + 1):
        loss = 0.5 * curvatures @ x**2
        if loss <= tolerance * start:
            return step
        if not np.isfinite(loss) or loss > 1e6 * start:
            return np.inf
        x = x - lr * curvatures * x
    return np.inf


def test_lesson2_questions_agree_with_the_theory_of_the_valley():
    L = 4.0
    zigzag = questions.lesson2_which_zigzags("valley", rates=(0.1, 0.2, 0.35, 0.6))
    assert zigzag.answer == "0.35" and 1 < 0.35 * L < 2
    diverge = questions.lesson2_first_to_diverge("valley", rates=(0.3, 0.45, 0.55, 0.8))
    assert diverge.answer == f"{min(r for r in (0.3, 0.45, 0.55, 0.8) if r * L > 2):g}" == "0.55"
    rates = (0.05, 0.25, 0.45, 0.55)
    fastest = questions.lesson2_fastest_rate("valley", rates=rates)
    assert fastest.answer == f"{min(rates, key=_valley_steps):g}" == "0.45"
    for q in (zigzag, diverge, fastest):
        assert_hints_for_wrong_choices(q)


# ------------------------------------------------------------------ lesson 3
def test_lesson3_knee_is_the_smallest_batch_near_the_fewest_steps():
    table = {1: 190, 4: 87, 16: 74, 32: 75, 128: 73, 512: 72}  # lesson 3's table
    q = questions.lesson3_knee(table)
    assert q.answer == "16"
    assert_hints_for_wrong_choices(q)
    assert questions.lesson3_knee({1: 300, 4: 100, 16: 98, 64: 97}).answer == "4"


def test_lesson3_jitter_falls_about_in_proportion_to_the_batch():
    q = questions.lesson3_jitter(small=1, large=16, lr=0.1)
    assert q.answer.startswith("about 16 times")
    assert_hints_for_wrong_choices(q)


# ------------------------------------------------------------------ lesson 4
@pytest.mark.parametrize("lr, alive", [(0.2, "all three"), (0.4, "SGD and Momentum"), (0.6, "only Momentum"),
                                       (1.2, "none of them")])
def test_lesson4_still_converging_follows_the_stability_limits(lr, alive):
    L, beta = 4.0, 0.9
    limits = {"SGD": 2 / L, "Momentum": 2 * (1 + beta) / L, "Nesterov": 2 * (1 + beta) / ((1 + 2 * beta) * L)}
    expected = [name for name, limit in limits.items() if lr < limit]
    independent = {0: "none of them", 1: f"only {expected[0]}" if expected else "", 3: "all three"}.get(
        len(expected), " and ".join(expected))
    q = questions.lesson4_still_converging(lr=lr)
    assert q.answer == alive == independent
    assert_hints_for_wrong_choices(q)


def test_lesson4_race_winners_are_the_ones_the_lesson_describes():
    tilted = questions.lesson4_race_winner("tilted-valley", ("SGD", "Momentum", "Adam"))
    noisy = questions.lesson4_race_winner("noisy", ("SGD", "Momentum", "Adam"), settle=True)
    assert tilted.answer == "Momentum"  # "Adam's advantage depends on the axes ... Momentum does not care"
    assert noisy.answer == "Adam"  # "Adam and AdamW settle lowest"
    for q in (tilted, noisy):
        assert_hints_for_wrong_choices(q)
        assert "Here:" in q.choices["SGD"]


# ------------------------------------------------------------------ lesson 5
def _schedule_run(kind, peak, warmup, val):
    return SimpleNamespace(kind=kind, peak_lr=peak, warmup_fraction=warmup, val_loss=val)


def test_lesson5_lowest_val_picks_the_lowest_known_run_without_training():
    known = [_schedule_run("constant", 0.3, 0.0, 1.14), _schedule_run("constant", 0.3, 0.1, 0.50),
             _schedule_run("warmup_cosine", 0.3, 0.1, 0.09)]
    q = questions.lesson5_lowest_val(None, 0.3, known=known)  # data=None: training would fail
    assert q.answer == "linear warmup, then cosine"
    assert_hints_for_wrong_choices(q)
    known[1] = _schedule_run("constant", 0.3, 0.1, float("nan"))  # a diverged run never wins
    known[2] = _schedule_run("warmup_cosine", 0.3, 0.1, 2.0)
    assert questions.lesson5_lowest_val(None, 0.3, known=known).answer == "constant, 0% warmup"


def test_lesson5_lowest_val_trains_with_the_lessons_function():
    from coursekit.datasets import digits

    q = questions.lesson5_lowest_val(digits(val_fraction=0.2, seed=0), 0.003,
                                     (("constant", 0.0), ("cosine", 0.0), ("warmup_cosine", 0.1)))
    assert q.answer == "constant, 0% warmup"  # lesson 5: at a too-low peak the constant rate wins
    assert_hints_for_wrong_choices(q)


# ------------------------------------------------------------------ lesson 6
def test_lesson6_pick_from_curve_answers_the_valley_suggestion():
    lrs = np.geomspace(1e-5, 10, 100)
    losses = np.where(lrs < 1e-3, 2.3, 2.3 - np.log10(lrs / 1e-3))
    losses[lrs > 0.3] = 5.0
    losses[np.argmin(np.abs(lrs - 0.3))] = 0.1
    result = SimpleNamespace(lrs=lrs, losses=losses, suggestions={"valley": 0.0081, "steep": 0.03, "minimum": 0.03})
    q = questions.lesson6_pick_from_curve(result)
    assert q.answer == "0.0081"
    bottom = f"{lrs[np.argmin(losses)]:.2g}"
    assert "bottom of the smoothed curve" in q.choices[bottom]
    assert list(q.choices) == sorted(q.choices, key=float)  # ordered by value: the order tells nothing
    assert_hints_for_wrong_choices(q)


def test_lesson6_best_check_picks_the_lowest_final_validation_loss():
    def run(lr, factor, val, diverged=False):
        return SimpleNamespace(lr=lr, factor=factor, final_val_loss=val, diverged=diverged,
                               history=SimpleNamespace(epoch_val_loss=[val + 0.1, val]))

    check = [run(0.00081, 0.1, 0.93), run(0.0081, 1.0, 0.15), run(0.081, 10.0, 0.19)]
    q = questions.lesson6_best_check(check)
    assert q.answer == "0.0081 (x1)"
    assert_hints_for_wrong_choices(q)
    check[1] = run(0.0081, 1.0, 0.5)
    assert questions.lesson6_best_check(check).answer == "0.081 (x10)"


# ------------------------------------------------------------------ lesson 7
def test_lesson7_widest_gap_and_best_rule():
    def run(batch, gap, steps, lr=0.05, val=1.0, diverged=False, label="healthy"):
        return SimpleNamespace(batch_size=batch, gap=gap, steps=steps, lr=lr, final_val_loss=val,
                               diverged=diverged, diagnosis=SimpleNamespace(label=label))

    same_lr = {8: run(8, 1.07, 1920), 32: run(32, 0.64, 480), 128: run(128, 0.13, 120), 512: run(512, 0.02, 30)}
    q = questions.lesson7_widest_gap(same_lr)
    assert q.answer == "8"
    assert_hints_for_wrong_choices(q)

    by_rule = {"none": {512: run(512, 0, 30, 0.05, 1.58)}, "sqrt": {512: run(512, 0, 30, 0.2, 1.13)},
               "linear": {512: run(512, 0, 30, 0.8, float("nan"), diverged=True)}}
    q = questions.lesson7_best_rule(by_rule, 512)
    assert q.answer == "square-root rule (lr 0.2)"
    assert "diverged" in q.choices["linear rule (lr 0.8)"]
    assert_hints_for_wrong_choices(q)


# ------------------------------------------------------------------ lesson 8
def _clip_run(mode, threshold, clipped):
    return SimpleNamespace(mode=mode, threshold=threshold, clipped_fraction=clipped,
                           grad_norms=np.array([1.2, 1.8, 2.5]))


def test_lesson8_clips_most_and_share_clipped():
    runs = [_clip_run("norm", 1.0, 0.62), _clip_run("norm", 5.0, 0.18), _clip_run("value", 1.0, 0.34)]
    q = questions.lesson8_clips_most(runs)
    assert q.answer == "by norm at 1"
    assert_hints_for_wrong_choices(q)
    for share, label in [(0.05, "fewer than 10%"), (0.25, "10% to 40%"), (0.62, "40% to 90%"), (1.0, "more than 90%")]:
        q = questions.lesson8_share_clipped(_clip_run("norm", 1.0, share))
        assert q.answer.startswith(label)
        assert_hints_for_wrong_choices(q)


def test_lesson8_questions_on_real_runs_agree_with_the_run_summaries():
    from coursekit import clipping as cl

    runs = [cl.train_rnn("norm", t, lr=cl.LR, seed=0, steps=40) for t in (0.5, 50.0)]
    q = questions.lesson8_clips_most(runs)
    assert q.answer == "by norm at 0.5" and runs[0].clipped_fraction >= runs[1].clipped_fraction
