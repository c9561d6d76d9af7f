"""The ablation of lesson 9's recipe (``course/models/casestudy_ablation.json``).

``tools/casestudy/record_ablation.py`` runs nine 10-epoch fine-tunes and writes the record; these
tests read it (no full fine-tune here) and check that its rows are what they claim to be: row 4
is the lesson's run B and row 5 its run C, the same runs that the lesson's own record
(``course/models/casestudy_record.json``) describes. One quick run of ``run_ablation`` on a
handful of lines checks the code path and the bookkeeping.
"""
import numpy as np
import pytest

from coursekit.casestudy import ablation, experiment, lm, report
from coursekit.casestudy.evaluation import accuracy
from coursekit.casestudy.finetune import early_stopping_outcome

RECORD = experiment.load_record()
S = report.settings("cpu")
SEEDS = list(S["seeds"])
FRESH = 2000


@pytest.fixture(scope="module")
def ablated():
    if not ablation.ABLATION_PATH.exists():
        pytest.fail(f"{ablation.ABLATION_PATH.name} is missing: run python tools/casestudy/record_ablation.py")
    return ablation.load_ablation()


def bits(text):
    return np.array([c == "1" for c in text])


def test_five_rows_of_three_seeds_in_the_lessons_setting(ablated):
    assert [row["name"] for row in ablated["rows"]] == list(ablation.ROWS)
    assert ablated["seeds"] == SEEDS
    for row in ablated["rows"]:
        assert [run["seed"] for run in row["seeds"]] == SEEDS
    assert ablated["limit"] is None
    assert ablated["settings"] == {k: (list(v) if isinstance(v, tuple) else v) for k, v in S.items()
                                   if k in ablated["settings"]}
    assert ablated["lr_chosen"] == RECORD["lr_chosen"] and ablated["lr_naive"] == RECORD["lr_naive"]
    configs = [row["config"] for row in ablated["rows"]]
    assert [(c["warmup"], c["clip"], c["patience"]) for c in configs] == [
        (0.0, None, None), (0.0, None, None), (S["warmup"], None, None), (S["warmup"], S["clip"], None),
        (S["warmup"], S["clip"], S["patience"])]
    assert [c["epochs"] for c in configs] == [S["misconfigured_epochs"]] + [S["epochs"]] * 4
    assert all(c["lr"] == RECORD["lr_chosen"] for c in configs)


def test_every_screener_predicts_all_2000_fresh_drafts(ablated):
    labels = bits(ablated["fresh_labels"])
    assert len(labels) == FRESH
    for row in ablated["rows"]:
        for run in row["seeds"]:
            assert len(run["fresh_predictions"]) == FRESH and set(run["fresh_predictions"]) <= {"0", "1"}
            assert run["fresh_accuracy"] == pytest.approx(accuracy(bits(run["fresh_predictions"]), labels), abs=1e-5)
            assert len(run["test_predictions"]) == 100
            assert run["score"] in ("log-likelihood", "minus base")


def test_epochs_paid_and_what_early_stopping_keeps(ablated):
    rows = ablated["rows"]
    for row in rows[1:4]:
        for run in row["seeds"]:
            assert run["epochs_paid"] == S["epochs"] == len(run["val_losses"])
            assert run["val_loss"] == run["val_losses"][-1]
    for short, full in zip(rows[0]["seeds"], rows[1]["seeds"]):  # the same run, after run A's 3 epochs
        assert short["epochs_paid"] == S["misconfigured_epochs"]
        assert short["val_losses"] == full["val_losses"][:S["misconfigured_epochs"]]
    for b, c in zip(rows[3]["seeds"], rows[4]["seeds"]):
        stop, kept = early_stopping_outcome(b["val_losses"], S["patience"])
        assert c["epochs_paid"] == stop <= S["epochs"]
        assert c["kept_epoch"] == kept and c["val_loss"] == b["val_losses"][kept - 1]
        assert c["val_losses"] == b["val_losses"][:stop]
        assert b["early_stopping_would"] == [stop, kept]
    assert [c["epochs_paid"] for c in rows[4]["seeds"]] == RECORD["stops"]
    assert [c["kept_epoch"] for c in rows[4]["seeds"]] == RECORD["kept"]


def test_row_4_is_the_lessons_run_b(ablated):
    """Row 4 is the lesson's run B: the same ``finetune`` call, the same seeds, data and starting
    weights. The arithmetic is deterministic (float32 weights; seeded dropout and batch order; one
    BLAS thread), so on the processor that wrote the lesson's record the validation curves agree to
    the record's 5 decimals. If they do not, the two records come from machines whose arithmetic
    differs (another processor or BLAS): do not loosen this, re-run both tools on one machine."""
    for run, val_b in zip(ablated["rows"][3]["seeds"], RECORD["val_b"]):
        np.testing.assert_allclose(run["val_losses"], val_b, rtol=0, atol=1e-5)


def test_row_5_is_the_lessons_fine_tuned_screener(ablated):
    """Row 5's screeners are the lesson's fine-tuned ones: the same predictions, score and accuracy.

    The lesson's record keeps the 100 test lines' predictions under "rows" (and their labels under
    "test_labels"); a record that also scores the fresh test set keeps those under "rows" (labels
    "fresh_labels") and the 100 lines' under "rows_100"."""
    fresh_in_record = "fresh_labels" in RECORD
    if fresh_in_record:
        assert ablated["fresh_labels"] == RECORD["fresh_labels"]
    rows_100 = RECORD.get("rows_100", {} if fresh_in_record else RECORD["rows"])
    for seed, run, general in zip(SEEDS, ablated["rows"][4]["seeds"], RECORD["general_c"]):
        name = f"fine-tuned {seed}"
        if fresh_in_record:
            assert run["fresh_predictions"] == RECORD["rows"][name]
        if name in rows_100:
            assert run["test_predictions"] == rows_100[name]
        assert run["score"] == RECORD["chosen_scores"][name]
        assert run["screening_accuracy"] == pytest.approx(RECORD["on_screening"][name], abs=1e-5)
        assert run["general_loss"] == pytest.approx(general, abs=1e-5)
    assert ablated["test_labels"] == RECORD["test_labels"]
    assert ablated["base"]["general_loss"] == pytest.approx(RECORD["general_base"], abs=1e-5)


def test_first_epoch_records(ablated):
    for i, row in enumerate(ablated["rows"]):
        for run in row["seeds"]:
            first = run["first_update"]
            assert first["step"] == (1 if i < 2 else 2)  # with warmup, step 1's rate is 0
            assert first["size_clipped"] > 0 and first["size_unclipped"] > 0
            # the sizes are rounded to 5 decimals, and with warmup they are about 0.009
            assert first["ratio"] == pytest.approx(first["size_clipped"] / first["size_unclipped"], rel=2e-3)
            assert run["first_epoch_spike"] > 0 and 0 <= run["clipped_share"] <= 1
    for b, c in zip(ablated["rows"][3]["seeds"], ablated["rows"][4]["seeds"]):
        assert c["first_update"] == b["first_update"] and c["first_epoch_spike"] == b["first_epoch_spike"]


def test_run_ablation_on_a_handful_of_lines(tmp_path):
    lm.limit_blas_threads(1)
    base, tok = lm.load_model(device="cpu")
    tiny = dict(S, train_examples=32, epochs=3, misconfigured_epochs=2)  # 2 steps an epoch
    out = ablation.run_ablation(base, tok, settings=tiny, lr_chosen=RECORD["lr_chosen"], seeds=[0, 1], limit=24)
    assert [len(row["seeds"]) for row in out["rows"]] == [2, 2, 2, 2, 2]
    for row in out["rows"]:
        for run in row["seeds"]:
            assert len(run["fresh_predictions"]) == 24 and len(run["test_predictions"]) == 24
    for b, c in zip(out["rows"][3]["seeds"], out["rows"][4]["seeds"]):
        assert c["epochs_paid"] == early_stopping_outcome(b["val_losses"], tiny["patience"])[0] <= 3
    path = ablation.write_ablation(out, tmp_path / "ablation.json")
    assert ablation.load_ablation(path) == out
