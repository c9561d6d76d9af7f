"""Lesson 9's check of the vendor's quote: 6 x parameters x tokens FLOPs on a named GPU, beside the brief's bill.

Hand-computed values for the brief (125 million parameters, 4,200 lines, 9 epochs paid, batch 16, 3.5
GPU-hours) at 32 tokens a line on an A100 (312 dense TFLOP/s) at 30% of its peak:
tokens 4,200 x 9 x 32 = 1,209,600; FLOPs 6 x 125e6 x 1,209,600 = 9.072e14; seconds 9.072e14 / 9.36e13 =
9.6923; steps 9 x ceil(4,200 / 16) = 2,367; the quote 3.5 x 3,600 = 12,600 s, so 12,600 / 9.6923 = 1,300.
Tolerances: relative 1e-9 for the arithmetic (floating-point rounding only); the sentence's numbers are
read back at its 3 significant digits (relative 0.5%).
"""
import math
import re

import pytest

from coursekit.alt_text import description
from coursekit.casestudy import cost
from test_lessons_678 import assert_fits_a_laptop_column

EXACT = dict(rel=1e-9)


def test_the_arithmetic_against_hand_computed_values():
    assert cost.tokens_trained(4200, 9, 32) == 1_209_600
    assert cost.training_flops(125e6, 1_209_600) == pytest.approx(9.072e14, **EXACT)
    assert cost.expected_gpu_hours(125e6, 4200, 9, 32, "NVIDIA A100", 0.3) == pytest.approx(9.072e14 / 9.36e13 / 3600,
                                                                                          **EXACT)
    check = cost.brief_quote_check(32)
    assert (check.parameters, check.lines, check.epochs, check.batch_size) == (125e6, 4200, 9, 16)
    assert (check.gpu, check.utilisation) == ("NVIDIA A100", 0.3)
    assert check.tokens == 1_209_600 and check.flops == pytest.approx(9.072e14, **EXACT)
    assert check.steps == 2367
    assert check.expected_gpu_hours == pytest.approx(9.6923077 / 3600, rel=1e-7)
    assert check.expected_seconds_per_step == pytest.approx(9.6923077 / 2367, rel=1e-7)
    assert check.quoted_gpu_hours == 3.5
    assert check.quoted_seconds_per_step == pytest.approx(12600 / 2367, **EXACT)
    assert check.quoted_seconds_per_step == pytest.approx(cost.brief_reading()["seconds_per_step"], **EXACT)
    assert check.ratio == pytest.approx(1300, **EXACT)


def test_the_estimate_scales_with_each_input():
    base = cost.expected_gpu_hours(125e6, 4200, 9, 32)
    assert cost.expected_gpu_hours(250e6, 4200, 9, 32) == pytest.approx(2 * base, **EXACT)
    assert cost.expected_gpu_hours(125e6, 8400, 9, 32) == pytest.approx(2 * base, **EXACT)
    assert cost.expected_gpu_hours(125e6, 4200, 9, 32, utilisation=0.15) == pytest.approx(2 * base, **EXACT)
    assert cost.expected_gpu_hours(125e6, 4200, 9, 32, gpu="NVIDIA T4") == pytest.approx(base * 312 / 65, **EXACT)


def test_the_gpu_table_holds_dense_16_bit_peaks():
    assert cost.GPU_PEAK_TFLOPS == {"NVIDIA T4": 65.0, "NVIDIA L4": 121.0, "NVIDIA A10": 125.0,
                                    "NVIDIA A100": 312.0, "NVIDIA H100 SXM": 989.4}
    assert cost.DEFAULT_GPU in cost.GPU_PEAK_TFLOPS and cost.DEFAULT_UTILISATION == 0.3
    assert cost.BRIEF["parameters"] == 125_000_000


def test_the_table_rows_and_the_ratio_rising_as_lines_shorten():
    rows = cost.brief_quote_table()
    assert [row.tokens_per_line for row in rows] == [16, 32, 64, 128, 256, 512]
    for row, ratio in zip(rows, [2600, 1300, 650, 325, 162.5, 81.25]):  # 1,300 x 32 / tokens per line
        assert row.ratio == pytest.approx(ratio, **EXACT)
        assert row.quoted_seconds_per_step == pytest.approx(12600 / 2367, **EXACT)
        assert row.expected_gpu_hours == pytest.approx(3.5 / ratio, **EXACT)
        assert row.expected_seconds_per_step == pytest.approx(row.expected_gpu_hours * 3600 / 2367, **EXACT)
        assert tuple(row) == (row.tokens_per_line, row.expected_gpu_hours, row.expected_seconds_per_step,
                              row.quoted_seconds_per_step, row.ratio)
    ratios = [row.ratio for row in rows]
    assert all(longer < shorter for shorter, longer in zip(ratios, ratios[1:]))
    assert [row.tokens_per_line for row in cost.brief_quote_table((8, 1024))] == [8, 1024]


def test_the_brief_s_quote_is_more_than_the_estimate_at_every_length_up_to_512():
    """The reading lesson 9 gives: at the default GPU and utilisation the quote exceeds the estimate at every
    length, and still does on the slowest GPU in the table at the widget's lowest utilisation (5%)."""
    for row in cost.brief_quote_table():
        assert row.ratio > 1 and row.quoted_seconds_per_step > row.expected_seconds_per_step
    for gpu in cost.GPU_PEAK_TFLOPS:
        for row in cost.brief_quote_table((16, 32, 64, 128, 256, 512), gpu=gpu, utilisation=0.05):
            assert row.ratio > 1, (gpu, row)


@pytest.mark.parametrize("call, match", [
    (lambda: cost.tokens_trained(0, 9, 32), "lines"),
    (lambda: cost.tokens_trained(4200, 0, 32), "epochs"),
    (lambda: cost.tokens_trained(4200, 9.5, 32), "epochs"),
    (lambda: cost.tokens_trained(4200, 9, 0), "tokens_per_line"),
    (lambda: cost.tokens_trained(4200, 9, math.nan), "tokens_per_line"),
    (lambda: cost.training_flops(-1, 100), "parameters"),
    (lambda: cost.training_flops(125e6, -1), "tokens"),
    (lambda: cost.expected_gpu_hours(125e6, 4200, 9, 32, gpu="GTX 1080"), "gpu"),
    (lambda: cost.expected_gpu_hours(125e6, 4200, 9, 32, utilisation=0), "utilisation"),
    (lambda: cost.expected_gpu_hours(125e6, 4200, 9, 32, utilisation=30), "utilisation"),
    (lambda: cost.expected_gpu_hours(True, 4200, 9, 32), "parameters"),
    (lambda: cost.quote_check(quoted_gpu_hours=-3.5, parameters=125e6, lines=4200, epochs=9, batch_size=16,
                              tokens_per_line=32), "quoted_gpu_hours"),
    (lambda: cost.quote_check(quoted_gpu_hours=3.5, parameters=125e6, lines=4200, epochs=9, batch_size=0,
                              tokens_per_line=32), "batch_size"),
    (lambda: cost.brief_quote_table(()), "tokens_per_line"),
    (lambda: cost.brief_quote_table((32, -1)), "tokens_per_line"),
    (lambda: cost.quote_check_widget(tokens_per_line=0), "tokens_per_line"),
    (lambda: cost.quote_check_widget(gpu="TPU"), "gpu"),
])
def test_bad_inputs_raise_value_errors_naming_the_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _read_back(summary):
    """The numbers the sentence states, parsed back from its words."""
    pattern = (r"^Estimate \(6 x parameters x tokens, at (?P<length>[\d,]+) tokens a line, one (?P<gpu>.+?) at "
               r"(?P<share>[\d.]+)% of its dense 16-bit peak\): (?P<params>[\d.]+) (?P<params_unit>million|billion) "
               r"parameters on (?P<tokens>[\d.,]+)(?P<millions> million)? tokens "
               r"\((?P<lines>[\d,]+) lines x (?P<epochs>\d+) epochs\) "
               r"need (?P<flops>\S+) FLOPs, (?P<hours>\S+) GPU-hours or (?P<step>\S+) s a step, and the quote's "
               r"(?P<quote>\S+) GPU-hours \((?P<quote_step>\S+) s a step\) is (?P<ratio>only )?(?P<times>[\d,.]+) "
               r"(times|of) that\.$")
    found = re.match(pattern, summary)
    assert found, summary
    return found


def _agrees(words, value):
    return float(words.replace(",", "")) == pytest.approx(value, rel=5e-3)


@pytest.mark.parametrize("length, gpu, share", [(32, "NVIDIA A100", 0.3), (512, "NVIDIA T4", 0.05),
                                                (16, "NVIDIA H100 SXM", 0.6)])
def test_the_summary_s_words_match_the_numbers(length, gpu, share):
    check = cost.brief_quote_check(length, gpu=gpu, utilisation=share)
    summary = cost.quote_summary(check)
    words = _read_back(summary)
    assert summary.count(". ") == 0  # one sentence
    assert words["gpu"] == gpu and _agrees(words["share"], 100 * share) and _agrees(words["length"], length)
    assert _agrees(words["params"], 125) and words["params_unit"] == "million"
    assert _agrees(words["tokens"], check.tokens / (1e6 if words["millions"] else 1))
    assert words["lines"] == "4,200" and words["epochs"] == "9"
    assert _agrees(words["flops"], check.flops)
    assert _agrees(words["hours"], check.expected_gpu_hours)
    assert _agrees(words["step"], check.expected_seconds_per_step)
    assert _agrees(words["quote"], 3.5) and _agrees(words["quote_step"], check.quoted_seconds_per_step)
    assert _agrees(words["times"], check.ratio) and words["ratio"] is None  # more than the estimate: "N times"


def test_a_quote_below_the_estimate_says_so():
    check = cost.quote_check(quoted_gpu_hours=0.5, parameters=1.3e9, lines=4200, epochs=9, batch_size=16,
                             tokens_per_line=1024, gpu="NVIDIA T4", utilisation=0.05)
    assert check.ratio < 1
    words = _read_back(cost.quote_summary(check))
    assert words["ratio"] == "only " and _agrees(words["times"], check.ratio)
    assert _agrees(words["params"], 1.3) and words["params_unit"] == "billion"


def test_the_widget_builds_and_its_summary_follows_the_controls():
    widget = cost.quote_check_widget()
    assert widget.state["check"] == cost.brief_quote_check(32)
    assert widget.summary == cost.quote_summary(cost.brief_quote_check(32))
    assert description(widget.fig.axes[0]) == widget.summary  # the figure's words are the summary
    assert "at 32 tokens a line the quote is 1,300 x the estimate" in [t.get_text() for t in widget.fig.axes[0].texts]
    first = widget.summary
    widget.set(tokens_per_line=64)
    assert widget.summary != first and widget.state["check"].ratio == pytest.approx(650, **EXACT)
    assert widget.summary == cost.quote_summary(cost.brief_quote_check(64))
    widget.set(gpu="NVIDIA T4")
    assert "one NVIDIA T4 at 30%" in widget.summary
    assert widget.state["check"].ratio == pytest.approx(650 * 65 / 312, **EXACT)
    widget.set(utilisation=0.6)
    assert "at 60% of its" in widget.summary
    widget.set(parameters=350e6)
    assert "350 million parameters" in widget.summary
    assert widget.summary == cost.quote_summary(cost.brief_quote_check(64, gpu="NVIDIA T4", utilisation=0.6,
                                                                       parameters=350e6))
    assert widget.png()[:4] == b"\x89PNG"


def test_the_widget_fits_a_laptop_column_at_its_extremes():
    widget = cost.quote_check_widget()
    assert_fits_a_laptop_column(widget)
    for setting in ({"tokens_per_line": 8, "gpu": "NVIDIA H100 SXM", "utilisation": 0.6, "parameters": 30e6},
                    {"tokens_per_line": 1024, "gpu": "NVIDIA T4", "utilisation": 0.05, "parameters": 1.3e9},
                    {"tokens_per_line": 1024, "gpu": "NVIDIA H100 SXM", "utilisation": 0.05, "parameters": 1.3e9}):
        widget.set(**setting)
        assert_fits_a_laptop_column(widget)
        ax = widget.fig.axes[0]
        low, high = ax.get_ylim()
        assert low <= widget.state["check"].expected_gpu_hours <= high  # the point stays on the axes


def test_a_length_off_the_slider_s_stops_is_kept():
    widget = cost.quote_check_widget(tokens_per_line=48)
    assert widget.state["check"].tokens_per_line == 48


def test_the_new_names_are_exported():
    for name in ("tokens_trained", "training_flops", "GPU_PEAK_TFLOPS", "expected_gpu_hours", "QuoteCheck",
                 "quote_check", "brief_quote_check", "brief_quote_table", "quote_summary", "quote_check_widget"):
        assert name in cost.__all__ and hasattr(cost, name)
