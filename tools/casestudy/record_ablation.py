"""Run the ablation of lesson 9's recipe and write its record.

    python tools/casestudy/record_ablation.py

Adds the recipe's parts one at a time, three seeds each (``coursekit.casestudy.ablation``): the
range test's lower rate alone for run A's 3 epochs, then for the plan's 10, + warmup, + clipping
(run B), + early stopping (run C), and writes
``course/models/casestudy_ablation.json``, which ``tests/test_casestudy_ablation.py`` reads. Nine
10-epoch fine-tunes in the lesson's CPU setting: a few minutes on a laptop CPU.

The learning rate comes from the lesson's own range test, re-run here; the script stops if it
differs from ``lr_chosen`` in the lesson's record (``course/models/casestudy_record.json``). Run it
after ``tools/casestudy/record_results.py``, whenever the data, the base model or the case
study's code change.
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "course"))

import minigrad as mg  # noqa: E402
from coursekit.casestudy import ablation, experiment, lm, report  # noqa: E402


def main(argv=None):
    started = time.perf_counter()
    lm.limit_blas_threads(1)  # as the lesson: one BLAS thread is faster for these small matrices
    device = "cpu"  # the lesson's record is of its CPU setting
    S = report.settings(device)
    mg.manual_seed(S["seed"])
    base, tok = lm.load_model(device=device)
    train_ids = ablation.training_ids(tok, S, base.config.block_size + 1)
    rates = ablation.lr_from_range_test(base, train_ids, S)
    recorded = experiment.load_record()["lr_chosen"]
    if round(rates.chosen, 5) != recorded:
        print(f"the range test here suggests lr {rates.chosen:.5f}, but the lesson's record "
              f"({experiment.RECORD_PATH.relative_to(ROOT)}) has lr_chosen {recorded}: the record is out of date "
              f"(run python tools/casestudy/record_results.py) or this machine computes differently; "
              f"nothing written", file=sys.stderr)
        return 1
    print(f"range test: lr_chosen {rates.chosen:.5f} (as in the lesson's record), lr_naive {rates.naive:.5f}")
    result = ablation.run_ablation(base, tok, settings=S, lr_chosen=rates.chosen, lr_naive=rates.naive,
                                   seeds=list(S["seeds"]), device=device, log=print)
    path = ablation.write_ablation(result)
    print(f"wrote {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
