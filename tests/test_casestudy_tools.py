"""Tokenizer, rule filter and cost arithmetic of the case study."""
import math

import numpy as np
import pytest

from coursekit.casestudy import cost
from coursekit.casestudy.rules import BrandRuleFilter
from coursekit.casestudy.tokenizer import WordTokenizer


def test_tokenizer_round_trip_and_unknown_words():
    tok = WordTokenizer.build(["Alder & Tide. Made for the long way round.", "HURRY! 40% off the 3-layer shell."])
    for line in ["Alder & Tide. Made for the long way round.", "HURRY! 40% off the 3-layer shell."]:
        ids = tok.encode(line)
        assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
        assert tok.decode(ids) == line
    ids = tok.encode("Made for the sea.")
    assert tok.unk_id in ids and tok.decode(ids) == "Made for the <unk>."
    assert tok.unknown_rate(["Made for the sea."]) == pytest.approx(1 / 5)
    assert "HURRY" in tok.vocab and "hurry" not in tok.vocab  # case is kept


def test_tokenizer_validates_vocab():
    with pytest.raises(ValueError, match="special tokens"):
        WordTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        WordTokenizer(["<pad>", "<bos>", "<eos>", "<unk>", "a", "a"])


def test_decode_stops_at_eos_and_skips_padding():
    tok = WordTokenizer.build(["one two three"])
    ids = tok.encode("one two three") + [tok.pad_id, tok.pad_id]
    assert tok.decode(ids) == "one two three"
    assert tok.decode(np.array(ids)) == "one two three"


@pytest.mark.parametrize("text, failed", [
    ("Salt air on the dunes? Bring the rain shell. Made for the long way round.", []),
    ("HURRY! 40% off the rain shell at Alder & Tide. Ends Sunday!",
     ["no exclamation marks", "no shouting", "no discounts"]),
    ("Nothing extra. Just a simple field coat from Alder & Tide.", []),  # a calm near miss passes
    ("Engineered for warmth: the advanced field coat features storm cuffs.",
     ["plain language", "coastal imagery"]),
    ("Quietly made, properly honest. The amazing waxed jacket, for low tide. Alder & Tide.", ["no hype"]),
])
def test_rule_filter(text, failed):
    flt = BrandRuleFilter()
    assert flt.failed_rules(text) == failed
    assert flt.is_on_brand(text) == (not failed)
    assert flt.predict([text]) == [int(not failed)]


def test_cost_reproduces_the_brief():
    assert cost.training_cost(3.5, 0.85) == pytest.approx(2.975)
    assert round(cost.training_cost(3.5, 0.85), 2) == cost.BRIEF["cost"]
    assert cost.steps_per_epoch(4200, 16) == 263
    assert cost.steps_per_epoch(4200, 16, drop_last=True) == 262
    plan = cost.plan_cost(gpu_hours_per_epoch=0.5, price_per_gpu_hour=0.85, planned_epochs=10,
                          steps_in_epoch=263, best_epoch=7, patience=0)
    assert plan.epochs == 7 and plan.steps == 7 * 263 and plan.cost == pytest.approx(2.975)


def test_early_stopping_epochs_and_savings():
    assert cost.epochs_run(10) == 10
    assert cost.epochs_run(10, best_epoch=7, patience=2) == 9  # patience costs two more epochs
    assert cost.epochs_run(10, best_epoch=9, patience=2) == 10
    assert cost.percent_saved(10, 6) == pytest.approx(40)
    assert cost.percent_saved(10, 12) == pytest.approx(-20)
    assert cost.cost_of_seconds(3600, 0.85) == pytest.approx(0.85)


@pytest.mark.parametrize("call, match", [
    (lambda: cost.training_cost(-1, 0.85), "gpu_hours"),
    (lambda: cost.training_cost(1, math.nan), "price_per_gpu_hour"),
    (lambda: cost.steps_per_epoch(0, 16), "examples"),
    (lambda: cost.epochs_run(10, best_epoch=11, patience=2), "best_epoch"),
    (lambda: cost.epochs_run(10, best_epoch=3, patience=-1), "patience"),
    (lambda: cost.percent_saved(0, 1), "before"),
])
def test_cost_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_one_reading_of_the_brief_bill():
    """Kept epoch 7 with patience 2: epochs 1-9 paid for 3.5 GPU-hours (lessons 6 and 9, exercise 09, calculator)."""
    brief = cost.brief_reading()
    assert brief["paid_epochs"] == 9 and brief["paid_epoch_numbers"] == list(range(1, 10))
    assert brief["gpu_hours_per_epoch"] == pytest.approx(3.5 / 9)
    assert brief["cost"] == pytest.approx(2.975)
    assert brief["full_plan_gpu_hours"] == pytest.approx(35 / 9) and brief["full_plan_cost"] == pytest.approx(3.3056, abs=1e-4)
    assert brief["saved_percent"] == pytest.approx(10)
    assert brief["seconds_per_step"] * 9 * 263 == pytest.approx(3.5 * 3600)
    assert cost.BRIEF_READING == dict(gpu_hours_per_epoch=pytest.approx(3.5 / 9), best_epoch=7, patience=2)


def test_cost_widget_at_the_course_reading_and_following_the_controls():
    w = cost.cost_widget(**cost.BRIEF_READING)
    assert w.state["stopped"].epochs == 9
    assert w.state["stopped"].gpu_hours == pytest.approx(3.5)
    assert w.state["stopped"].cost == pytest.approx(2.975)
    assert w.state["full"].epochs == 10 and w.state["full"].cost == pytest.approx(3.3056, abs=1e-4)
    w.set(patience=0)
    assert w.state["stopped"].epochs == 7
    w.set(early_stopping=False)
    assert w.state["stopped"].cost == pytest.approx(w.state["full"].cost)
    w.set(batch_size=32)
    assert w.state["steps_per_epoch"] == 132
    assert w.png()[:4] == b"\x89PNG"
