"""The case-study notebook's settings, findings table and live widget."""
import math

import numpy as np
import pytest

from coursekit.casestudy import data, lm, report
from coursekit.casestudy.finetune import RunConfig, live_finetune_widget

BASE_MEASURED = dict(lr_naive=0.1, lr_chosen=1e-3, start_a=4.0, spike_a=6.0, best3_a=4.1, epochs_a=10,
                     verdict_a3="oscillating", verdict_a="oscillating",
                     verdict_b="overfitting", best_epoch_b=7, epochs_b=10, kept_c=7, epochs_c=9, acc_base=0.58,
                     acc_rules=0.73, acc_a=0.73, acc_c=0.87, time_saved=40.0, quality_gain=0.14,
                     general_base=0.7, general_a=8.0, general_c=2.0, brief_cost=2.975)


JUMPY = "Too-high learning rate: loss jumps about and does not fall below its start in 3 epochs"


def verdicts(**changes):
    return {row[0]: row[3] for row in report.findings(dict(BASE_MEASURED, **changes))}


def test_findings_reproduce_the_brief_when_the_numbers_are_the_briefs():
    assert set(verdicts().values()) == {"yes"}


@pytest.mark.parametrize("changes, finding, expected", [
    (dict(verdict_a3="too slow"), "diagnose() names the too-high rate", "partly"),
    (dict(verdict_a3="too slow", verdict_a="too slow"), "diagnose() names the too-high rate", "no"),
    (dict(best3_a=3.7), JUMPY, "partly"),
    (dict(best3_a=3.7, spike_a=4.1), JUMPY, "no"),
    (dict(verdict_b="healthy"), "Validation loss bottoms out, then rises (over-fitting)", "partly"),
    (dict(verdict_b="healthy", best_epoch_b=10), "Validation loss bottoms out, then rises (over-fitting)", "no"),
    (dict(epochs_c=10), "Early stopping, patience 2, keeps the best epoch", "partly"),
    (dict(epochs_c=10, kept_c=10), "Early stopping, patience 2, keeps the best epoch", "no"),
    (dict(acc_rules=0.5, acc_base=0.6), "On-brand accuracy: fine-tuned > rule filter > base model", "no"),
    (dict(quality_gain=-0.01), "Fixed recipe vs misconfigured run: quality", "no"),
    (dict(time_saved=-5.0), "Fixed recipe vs misconfigured run: training time", "no"),
    (dict(time_saved=2.0, epochs_c=10), "Fixed recipe vs misconfigured run: training time", "no"),  # noise
    (dict(time_saved=4.0), "Fixed recipe vs misconfigured run: training time", "partly"),
    (dict(general_a=1.0), "The high rate overwrites what pre-training taught", "no"),
])
def test_findings_say_no_when_a_finding_fails(changes, finding, expected):
    assert verdicts(**changes)[finding] == expected


def test_first_epoch_spike():
    from minigrad.training import History

    h = History()
    for loss in [4.0] * 5 + [9.0] * 20 + [4.0] * 25:
        h.record_step(loss)
    assert report.first_epoch_spike(h, 50, window=20) == pytest.approx(9.0)
    assert report.first_epoch_spike(h, 10, window=20) == pytest.approx(6.5)


def test_settings_per_device():
    cpu, gpu = report.settings("cpu"), report.settings("cuda")
    assert cpu["batch_size"] == gpu["batch_size"] == 16
    assert cpu["train_examples"] < gpu["train_examples"] == 4200
    with pytest.raises(ValueError, match="device"):
        report.settings("tpu")


def test_markdown_table_escapes_pipes():
    table = report.markdown_table(["a", "b"], [["x|y", 1]])
    assert "x\\|y" in table.data and table.data.count("\n") == 2


def test_live_widget_reruns_on_slider_moves():
    model, tok = lm.load_model()
    L = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:48], tok, L)
    val = lm.encode_texts(data.load_lines("client_val")[:16], tok, L)
    w = live_finetune_widget(model, train, val, pad_id=tok.pad_id, lr=1e-3, epochs=2, batch_size=16)
    first = w.state["result"]
    assert first.config == RunConfig(lr=1e-3, epochs=2, batch_size=16, warmup=0.1, clip=1.0, patience=2)
    w.set(batch_size=8, clip=math.inf)  # the clip slider's "off"
    second = w.state["result"]
    assert second.config.batch_size == 8 and second.config.clip is None
    assert second.history.num_steps == 2 * 6  # 48 lines / 8 per batch, 2 epochs
    assert np.isfinite(second.val_loss)
    assert w.png()[:4] == b"\x89PNG"
