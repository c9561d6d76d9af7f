"""The case-study notebook's settings, tables, findings (with magnitudes) and live widget."""
import math

import numpy as np
import pytest

from matplotlib.figure import Figure

from coursekit.alt_text import description, number
from coursekit.casestudy import data, lm, report
from coursekit.casestudy.decision import paired_comparisons
from coursekit.casestudy.experiment import Row
from coursekit.casestudy.finetune import RunConfig, RunResult, live_finetune_widget
from minigrad.training import History
from test_lessons_678 import assert_fits_a_laptop_column

SEEDS = [0, 1, 2]


def nested(n_right: int, total: int = 100) -> np.ndarray:
    """Correctness on ``total`` lines, right on the first ``n_right``: screeners built this way are nested,
    so a better one is right wherever a worse one is (the paired interval then separates them)."""
    return np.arange(total) < n_right


PAIRS = [(f"fine-tuned {s}", other) for s in SEEDS for other in ("rules", "base", "n-gram")] + \
    [(f"fine-tuned {s}", f"misconfigured {s}") for s in SEEDS]


def brief_world(**changes):
    """Measured values shaped like the brief's story."""
    correct = changes.pop("correct", None) or {"rules": nested(73), "base": nested(58), "n-gram": nested(60)}
    for s in SEEDS:
        correct.setdefault(f"fine-tuned {s}", nested(87))
        correct.setdefault(f"misconfigured {s}", nested(73))
    m = dict(lr_naive=1e-4 * 5, lr_chosen=2e-5, start_a=[4.0] * 3, spike_a=[6.0] * 3, best3_a=[4.1] * 3,
             general_base=0.7, general_a=[2.0] * 3, general_c=[0.8] * 3,
             smooth_b=[dict(epoch_rises=0, epochs=10, epoch_rise_share=0.0, climb_share=0.02)] * 3,
             contrast_b=dict(middle=[4, 6], late=[8, 10], contrasts=[0.05, 0.04, 0.06], mean=0.05,
                             standard_error=0.00577),
             stops=[9, 9, 9], kept=[7, 7, 7], planned_epochs=10, correct=correct, seeds=SEEDS,
             comparisons=paired_comparisons(PAIRS, correct),
             generated={"base": (58, 100), **{f"fine-tuned {s}": (87, 100) for s in SEEDS}},
             brief_cost=2.975, brief_paid_epochs=9)
    m.update(changes)
    return m


def verdicts(m):
    return {row[0]: row[3] for row in report.findings(m)}


def finding(start):
    rows = [row for row in report.findings(brief_world()) if row[0].startswith(start)]
    assert len(rows) == 1, start
    return rows[0][0]


def test_findings_reproduce_the_brief_when_the_numbers_are_the_briefs():
    """Every verdict "reproduced", except the two the brief's figures cannot support: its screening
    row has no figure for the fine-tuned model, and its 40% measures another quantity."""
    found = verdicts(brief_world())
    assert found.pop(finding("Screening")) == "direction only"
    assert found.pop(finding("Early stopping saves")) == "not comparable"
    assert set(found.values()) == {"reproduced"}
    assert set(verdicts(brief_world()).values()) <= set(report.VERDICTS)


@pytest.mark.parametrize("changes, start, expected", [
    (dict(best3_a=[3.7] * 3), "Too-high", "direction only"),
    (dict(best3_a=[3.7] * 3, spike_a=[4.1] * 3), "Too-high", "not reproduced"),
    # forgetting is judged by its size: 0.7 -> 1.5 nats is 2.2x the surprise, not "severe"
    (dict(general_a=[1.5] * 3), "The high rate overwrites", "direction only"),
    (dict(general_a=[0.8] * 3), "The high rate overwrites", "not reproduced"),
    # a rise within 4.3 standard errors (three seeds) is not yet over-fitting; none at all, no rise
    (dict(contrast_b=dict(middle=[4, 6], late=[8, 10], contrasts=[0.01, -0.005, 0.02], mean=0.00833,
                          standard_error=0.00726)), "Validation loss bottoms out", "direction only"),
    (dict(contrast_b=dict(middle=[4, 6], late=[8, 10], contrasts=[-0.01] * 3, mean=-0.01, standard_error=0.001)),
     "Validation loss bottoms out", "not reproduced"),
    (dict(smooth_b=[dict(epoch_rises=1, epochs=10, epoch_rise_share=0.15, climb_share=0.02)] * 3),
     "Lower rate", "direction only"),
    (dict(smooth_b=[dict(epoch_rises=3, epochs=10, epoch_rise_share=0.4, climb_share=0.5)] * 3), "Lower rate",
     "not reproduced"),
    (dict(stops=[10, 10, 10], kept=[10, 10, 10]), "Early stopping (patience 2)", "not reproduced"),
    (dict(stops=[10, 9, 10]), "Early stopping saves", "not comparable"),
    (dict(brief_cost=3.1), "Cost arithmetic", "not reproduced"),
])
def test_findings_need_the_size_not_just_the_sign(changes, start, expected):
    assert verdicts(brief_world(**changes))[finding(start)] == expected


def test_a_quality_gain_within_the_noise_is_not_a_gain():
    correct = {"rules": nested(73), "base": nested(58), "n-gram": nested(60)}
    for s in SEEDS:  # +1 point on 100 lines (3 lines won, 2 lost): a gain by its sign, not beyond noise even pooled
        correct[f"misconfigured {s}"] = nested(86)
        correct[f"fine-tuned {s}"] = nested(89) & ~nested(2)
    assert verdicts(brief_world(correct=correct))[finding("Fixed recipe")] == "not reproduced"
    for s in SEEDS:  # +40 points: real, but the brief's +14 lies outside the interval
        correct[f"misconfigured {s}"] = nested(47)
        correct[f"fine-tuned {s}"] = nested(87)
    assert verdicts(brief_world(correct=correct))[finding("Fixed recipe")] == "direction only"


def test_the_screening_claim_needs_the_paired_test_in_every_seed():
    correct = {"rules": nested(86), "base": nested(58), "n-gram": nested(60)}  # the rules 1 point behind: noise
    assert verdicts(brief_world(correct=correct))[finding("Screening")] == "not reproduced"


def test_generated_copy_gain_must_clear_both_intervals():
    close = {"base": (80, 100), **{f"fine-tuned {s}": (87, 100) for s in SEEDS}}
    assert verdicts(brief_world(generated=close))[finding("Generated copy")] == "not reproduced"
    far = {"base": (0, 100), **{f"fine-tuned {s}": (80, 100) for s in SEEDS}}  # a gain, not the brief's sizes
    assert verdicts(brief_world(generated=far))[finding("Generated copy")] == "direction only"


def test_late_minus_middle():
    curves = [[1.0, 0.9, 0.85, 0.80, 0.80, 0.80, 0.81, 0.82, 0.82, 0.83],
              [1.0, 0.9, 0.85, 0.80, 0.79, 0.80, 0.80, 0.82, 0.83, 0.83]]
    c = report.late_minus_middle(curves)
    assert c["contrasts"] == pytest.approx([0.0233333, 0.0300000], abs=1e-6)
    assert c["mean"] == pytest.approx(0.0266667, abs=1e-6)
    assert c["standard_error"] == pytest.approx(np.std([0.0233333, 0.03], ddof=1) / np.sqrt(2), abs=1e-6)
    with pytest.raises(ValueError, match="at least 10 epochs"):
        report.late_minus_middle([[1.0, 0.9]])


def test_forgetting_size_words():
    assert report.forgetting_size(0.77, 4.17).startswith("severe")  # the example: 30x, not "moderate"
    assert report.forgetting_size(0.7, 0.75).startswith("negligible")
    assert report.forgetting_size(0.7, 1.0).startswith("small")
    assert report.forgetting_size(0.7, 1.5).startswith("large")


def test_smoothness():
    h = History()
    for loss in np.linspace(4, 1, 100):
        h.record_step(loss)
    for e in range(10):
        h.record_epoch(4 - 0.3 * e - (0.1 if e == 9 else 0), None)
    sm = report.smoothness(h)
    assert sm["epoch_rises"] == 0 and sm["climb_share"] == 0
    h.epoch_train_loss[5] = h.epoch_train_loss[4] + 0.3  # one bad epoch: a tenth of the 2.8 fall
    assert report.smoothness(h)["epoch_rise_share"] == pytest.approx(0.3 / 2.8)


def test_first_epoch_spike():
    h = History()
    for loss in [4.0] * 5 + [9.0] * 20 + [4.0] * 25:
        h.record_step(loss)
    assert report.first_epoch_spike(h, 50, window=20) == pytest.approx(9.0)
    assert report.first_epoch_spike(h, 10, window=20) == pytest.approx(6.5)


def test_screening_table():
    labels = [1] * 50 + [0] * 50
    rows = [Row("fine-tuned 0", "x", np.array(labels[:90] + [1 - v for v in labels[90:]])),
            Row("rules", "y", np.array([1] * 100))]
    table = report.screening_table(rows, labels, {"fine-tuned 0": 0.856}, {"fine-tuned 0": 0.9312}).data
    assert "90/100" in table and "| 90.0% |" in table and "85.6%" in table and "0.931" in table
    assert "82.6-94.5%" in table  # Wilson interval of 90/100
    assert table.splitlines()[0].endswith("| AUC |")


def test_settings_per_device():
    cpu, gpu = report.settings("cpu"), report.settings("cuda")
    assert cpu["batch_size"] == gpu["batch_size"] == 16
    assert cpu["train_examples"] < gpu["train_examples"] == 4200
    assert len(cpu["seeds"]) >= 3 and cpu["misconfigured_epochs"] == 3 and cpu["epochs"] == 10
    # lesson 9, sections 4-6: "a fixed random 640 of the archive's lines (40 steps of 16)", warmup over
    # "the first 10% of the steps", "clipping at norm 1.0", "patience ... (here 2)"
    assert cpu["train_examples"] == 640 and cpu["train_examples"] // cpu["batch_size"] == 40
    assert cpu["warmup"] == gpu["warmup"] == 0.1 and cpu["clip"] == 1.0 and cpu["patience"] == 2
    with pytest.raises(ValueError, match="device"):
        report.settings("tpu")


def test_markdown_table_escapes_pipes():
    table = report.markdown_table(["a", "b"], [["x|y", 1]])
    assert "x\\|y" in table.data and table.data.count("\n") == 2


def live_widget(train_lines: int, val_lines: int, **settings):
    """The live fine-tune widget on the first lines of the archive and of its validation set."""
    model, tok = lm.load_model()
    L = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:train_lines], tok, L)
    val = lm.encode_texts(data.load_lines("client_val")[:val_lines], tok, L)
    return live_finetune_widget(model, train, val, pad_id=tok.pad_id, **settings)


def test_live_widget_reruns_on_slider_moves():
    w = live_widget(48, 16, lr=1e-3, epochs=2, batch_size=16)
    first = w.state["result"]
    assert first.config == RunConfig(lr=1e-3, epochs=2, batch_size=16, warmup=0.1, clip=1.0, patience=2)
    said = w.summary
    assert said.startswith(f"Fine-tune ({first.config.describe()}): ")
    assert (f"{first.history.num_epochs} epochs; kept epoch {first.kept_epoch}, validation loss "
            f"{number(first.val_loss, 3)}." in said)
    w.set(batch_size=8, clip=math.inf)  # the clip slider's "off"
    second = w.state["result"]
    assert second.config.batch_size == 8 and second.config.clip is None
    assert second.history.num_steps == 2 * 6  # 48 lines / 8 per batch, 2 epochs
    assert np.isfinite(second.val_loss)
    assert w.summary != said and "batch 8" in w.summary and "no clipping" in w.summary
    assert f"to {number(second.history.step_loss[-1], 2)} at step 12." in w.summary
    assert w.text().endswith(w.summary)
    assert w.png()[:4] == b"\x89PNG"


def test_the_live_widget_fits_a_laptop_column():
    w = live_widget(16, 8, lr=1e-3, epochs=2, batch_size=8)
    assert_fits_a_laptop_column(w)
    w.set(lr=1.0, clip=math.inf)  # blows up: new limits, wider tick labels, the figure laid out again
    assert_fits_a_laptop_column(w)


# ---------------------------------------------------------------- the figures' words (coursekit.alt_text)


def fake_result(step_loss, val_loss, *, lr=1e-3, patience=None, restored=None, seed=0):
    history = History(step_loss=list(step_loss), epoch_val_loss=list(val_loss), restored_epoch=restored,
                      epoch_train_loss=[1.0] * len(val_loss))
    config = RunConfig(lr=lr, epochs=10, patience=patience, seed=seed)
    kept = restored or len(val_loss)
    return RunResult("run", config, None, history, 1.0, val_loss[kept - 1])


def test_the_case_study_figures_say_what_they_draw():
    class Finder:
        lrs = np.logspace(-6, 0, 7)
        losses = np.array([5.0, 4.9, 4.0, 3.1, 3.5, 9.0, np.nan])

    ax = Figure().subplots()
    report.plot_range_test(Finder, 1e-3, 1e-4, ax=ax)
    assert description(ax) == ("Range test on the client's copy, learning rates 1.0e-06 to 1 (log scale): the smoothed "
                               "loss starts at 5 and is lowest (3.1) at 0.001. Marked: the naive pick (the rate at the lowest loss) "
                               "0.001 and the suggested rate (valley) 1.0e-04, 10 times lower.")

    a = fake_result(np.linspace(5.0, 3.0, 40), [3.5, 3.4], lr=1e-3)
    b = fake_result(np.full(40, 2.0), [2.5, 2.2, 2.3, 2.4], lr=1e-4, patience=2, restored=2)
    ax = Figure().subplots()
    report.plot_step_losses({"A": a, "B": b}, ax=ax, window=20)
    words = description(ax)
    assert words.startswith("Training loss per step, loss at the first step 5 marked: A (lr 0.001,")
    assert f"40 steps, 20-step average highest {number(np.mean(np.linspace(5.0, 3.0, 40)[:20]), 2)}" in words
    assert words.endswith("highest 2, last 2.")

    ax = Figure().subplots()
    report.plot_epoch_losses({"A": a, "B": b}, ax=ax)
    assert description(ax) == ("Validation loss per epoch: A: lowest 3.4 at epoch 2, 3.4 at epoch 2, weights kept from "
                               "epoch 2; B: lowest 2.2 at epoch 2, 2.4 at epoch 4, weights kept from epoch 2, "
                               "stopped after epoch 4.")

    ax = Figure().subplots()
    report.plot_val_by_seed({"B": [b, fake_result([2.0], [2.6, 2.1, 2.0], seed=1)]}, ax=ax, stops={"B": [4, 3]})
    assert description(ax) == ("Validation loss per epoch: B, 2 seeds: lowest at epoch 2, 3 (2.2, 2), last epoch "
                               "2.4, 2; early stopping ends the runs after epoch 4, 3.")

    ax = Figure().subplots()
    report.plot_forgetting(["base", "A"], [0.7, 2.0], [1.5, 1.2], ax=ax)
    assert description(ax).endswith("(validation): base: 0.7 and 1.5; A: 2 and 1.2.")

    labels = np.array([1, 1, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.2, 0.1, 0.3])
    (ax,) = report.plot_score_histograms([("base", scores, labels, 0.5)], ax_row=[Figure().subplots()])
    assert description(ax) == ("base: scores of 3 approved and 2 off-brand lines, medians 0.8 and 0.2; the threshold "
                               "0.5 (above: approved) sorts 80% of them right.")

    rows = [Row("rules", "", nested(73) == 1), Row("base", "", nested(58) == 1)]
    truth = np.ones(100, dtype=bool)
    ax = Figure().subplots()
    report.plot_accuracies(rows, truth, 0.9, ax=ax)
    low, high = rows[0].interval(truth)
    assert description(ax) == (f"Screening accuracy on the 100 test lines, with 95% intervals: rules 73% "
                               f"({report.interval_text(low, high)}); base 58% "
                               f"({report.interval_text(*rows[1].interval(truth))}). Best possible on average "
                               f"(the raters' noise): 90%.")
