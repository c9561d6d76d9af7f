"""An ablation of lesson 9's recipe: which of its parts bought what, three seeds each.

Run B changes three things at once (a rate about forty times lower, a 10% linear warmup,
clipping at norm 1.0), and run C adds early stopping, so the lesson cannot say which part made
the difference. :func:`run_ablation` adds one part at a time, with the lesson's seeds, data and
``finetune`` calls:

1. ``lower rate, 3 epochs``: the range test's suggestion alone, for run A's 3 epochs (the weights
   of row 2's run after epoch 3: with no warmup nothing in the run depends on the plan's length),
   so that the rate and the longer training are separate steps;
2. ``lower rate, 10 epochs``: the same run to the end of the plan (no warmup, no clipping, the
   last epoch's weights);
3. ``+ warmup``: and a linear warmup over the first 10% of the steps;
4. ``+ clipping``: and clipping at norm 1.0: run B exactly (the same ``finetune`` call, the last
   epoch's weights);
5. ``+ early stopping``: patience 2 read off row 4's validation curve: run C, B's weights at the
   kept epoch (the lesson's fine-tuned screeners).

For every row and seed it records the screener's predictions on the 2,000 fresh test drafts (a
'0'/'1' string, as :func:`experiment.summarise` keeps them) and on the lesson's 100 test lines,
the score and accuracy chosen on the screening set, the loss on held-out general copy, the
client validation loss of the weights used, the epochs paid and the validation curve; for each
run, how it behaved in its first epoch (``report.first_epoch_spike``, the gradient norm of the
first step, the share of steps clipping at 1.0 would cut) and how much clipping changes the size
of its first update (:func:`first_update`).

``tools/casestudy/record_ablation.py`` runs it and writes ``course/models/casestudy_ablation.json``
(:data:`ABLATION_PATH`), which ``tests/test_casestudy_ablation.py`` reads.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

import minigrad as mg
from minigrad.optim import AdamW
from minigrad.training import evaluate, lr_find

from . import data, experiment, lm, report
from .evaluation import accuracy
from .experiment import _bits, _round
from .finetune import RunConfig, early_stopping_outcome, finetune, weights_at_epoch

__all__ = ["ABLATION_PATH", "ROWS", "RangeTestRates", "lr_from_range_test", "training_ids", "first_update",
           "run_ablation", "write_ablation", "load_ablation"]

ABLATION_PATH = lm.MODELS_DIR / "casestudy_ablation.json"

# Run A was given up after 3 epochs; the recipe plans 10. The first row is the lower rate for run A's
# 3 epochs (its 10-epoch run's weights after epoch 3: with no warmup the schedule does not depend on the
# plan), so that the rate and the longer training are separate steps.
ROWS = ("lower rate, 3 epochs", "lower rate, 10 epochs", "+ warmup", "+ clipping (run B)",
        "+ early stopping (run C)")


class RangeTestRates(NamedTuple):
    """The two readings of lesson 9's range test (section 3)."""

    chosen: float  # the suggestion (valley rule): the recipe's rate, the lesson's lr_chosen
    naive: float  # the rate of the lowest loss: run A's rate, the lesson's lr_naive


def training_ids(tok, settings: dict, length: int) -> np.ndarray:
    """The lines one epoch passes over, encoded as the lesson encodes them (section 2)."""
    lines = experiment.training_lines(data.load_lines("client_train"), settings["train_examples"], settings["seed"])
    return lm.encode_texts(lines, tok, length)


def lr_from_range_test(base, train_ids: np.ndarray, settings: dict) -> RangeTestRates:
    """Lesson 9's range test (section 3), exactly as the lesson runs it: (suggestion, naive pick)."""
    device = settings["device"]
    mg.manual_seed(settings["seed"])  # the model uses dropout: seed it so the test repeats exactly
    probe = lm.copy_model(base)
    finder = lr_find(probe, AdamW(probe.parameters()),
                     lm.LMBatches(train_ids, settings["batch_size"], seed=1, device=device),
                     lm.lm_loss, start_lr=1e-6, end_lr=1.0, num_iter=settings["lr_find_iters"])
    return RangeTestRates(float(finder.suggestion), float(finder.lrs[np.argmin(finder.losses)]))


def _distance(model, reference) -> float:
    """The L2 norm of all of ``model``'s weights minus ``reference``'s, in float64."""
    ref = reference.state_dict()
    return float(np.sqrt(sum(np.sum((np.asarray(w, dtype=np.float64) - np.asarray(ref[k], dtype=np.float64)) ** 2)
                             for k, w in model.state_dict().items())))


def first_update(base, train_ids, val_ids, config: RunConfig, clip: float, *, pad_id: int = 0,
                 device: str | None = None) -> dict:
    """The size (L2 norm over all weights) of ``config``'s first update that moves the weights,
    with clipping at ``clip`` and without: the same seed, batch and dropout, ``finetune`` stopped
    after that step.

    With warmup the first step's rate is 0 (the weights do not move), so the first update is the
    second step's. For AdamW the ratio is near 1 whatever the gradient's norm: its first update is
    about ``lr`` per weight in the gradient's direction, and clipping only rescales the gradient.
    """
    step = 2 if config.warmup > 0 else 1
    sizes = {}
    for name, c in (("clipped", clip), ("unclipped", None)):
        run = finetune(base, train_ids, val_ids, dataclasses.replace(config, clip=c), pad_id=pad_id, device=device,
                       max_steps=step)
        lrs = run.history.step_lr
        if len(lrs) != step or lrs[-1] <= 0 or any(lr != 0 for lr in lrs[:-1]):
            raise RuntimeError(f"expected the first moving update at step {step}, got rates {lrs}")
        sizes[name] = _distance(run.model, base)
        sizes["lr"] = lrs[-1]
        sizes["grad_norms"] = list(run.history.step_grad_norm)  # before clipping, the same both times
    return dict(step=step, lr=sizes["lr"], grad_norms=sizes["grad_norms"], size_clipped=sizes["clipped"],
                size_unclipped=sizes["unclipped"], ratio=sizes["clipped"] / sizes["unclipped"])


def run_ablation(base, tok, *, settings: dict, lr_chosen: float, seeds, device: str = "cpu",
                 lr_naive: float | None = None, limit: int | None = None, log=None) -> dict:
    """The five rows of the ablation, each with every seed in ``seeds``: a JSON-ready dict
    (plain lists, floats rounded to 5 decimals), see the module docstring.

    ``settings`` is ``report.settings(device)`` (sizes, warmup, clipping, patience); ``lr_chosen``
    the range test's suggestion (:func:`lr_from_range_test`); ``lr_naive`` is only recorded.
    ``limit`` keeps the first ``limit`` lines of every set (for quick tests: the training lines,
    the client's validation lines, the general copy, the screening and both test sets); ``log``,
    if given, is called with a line of text after each run.
    """
    S = settings
    cut = (lambda xs: xs) if limit is None else (lambda xs: xs[:limit])
    L = base.config.block_size + 1
    screening, test, fresh = (data.load_labelled(name) for name in ("screening_val", "test", "fresh_test"))
    screen_labels = cut(screening.labels)
    train_ids = cut(training_ids(tok, S, L))
    val_ids = lm.encode_texts(cut(data.load_lines("client_val")), tok, L)
    general_ids = lm.encode_texts(cut(data.load_lines("pretrain")[-600:]), tok, L)  # held out by pre-training
    screen_ids = lm.encode_texts(cut(screening.texts), tok, L)
    test_ids = lm.encode_texts(cut(test.texts), tok, L)
    fresh_ids = lm.encode_texts(cut(fresh.texts), tok, L)
    fresh_labels, test_labels = cut(fresh.labels), cut(test.labels)

    def loss_on(model, ids):  # the lesson's loss_on
        return evaluate(model, lm.LMBatches(ids, 256, shuffle=False, device=device), lm.lm_loss)

    base_screen = lm.log_likelihood(base, screen_ids)
    base_test, base_fresh = lm.log_likelihood(base, test_ids), lm.log_likelihood(base, fresh_ids)

    def screen(model) -> dict:
        """The lesson's screener (section 8), scored on the fresh test set and on the 100 test lines."""
        name, screener, _, fresh_scores = experiment.model_screener(model, screen_ids, fresh_ids, screen_labels,
                                                                    (base_screen, base_fresh))
        name_t, screener_t, _, test_scores = experiment.model_screener(model, screen_ids, test_ids, screen_labels,
                                                                       (base_screen, base_test))
        assert (name_t, screener_t.threshold) == (name, screener.threshold)  # chosen on the screening set alone
        fresh_pred, test_pred = screener.predict(fresh_scores), screener.predict(test_scores)
        return dict(score=name, threshold=screener.threshold, screening_accuracy=screener.val_accuracy,
                    fresh_predictions=_bits(fresh_pred), fresh_accuracy=accuracy(fresh_pred, fresh_labels),
                    test_predictions=_bits(test_pred), test_accuracy=accuracy(test_pred, test_labels),
                    general_loss=loss_on(model, general_ids))

    recipe = dict(lr=lr_chosen, epochs=S["epochs"], batch_size=S["batch_size"])
    configs = [dict(recipe), dict(recipe, warmup=S["warmup"]), dict(recipe, warmup=S["warmup"], clip=S["clip"])]
    rows = [dict(name=name, config=dict(lr=lr_chosen, epochs=S["epochs"], batch_size=S["batch_size"],
                                        warmup=0.0, clip=None, patience=None), seeds=[])
            for name in ROWS]
    for row, config in zip(rows, [dict(configs[0], epochs=S["misconfigured_epochs"])] + configs
                           + [dict(configs[2], patience=S["patience"])]):
        row["config"].update(config)
    first = {}  # the first update, with and without clipping, by (warmup, seed)
    for seed in seeds:
        for i, config in enumerate(configs):
            cfg = RunConfig(**config, seed=seed)
            # row 4 is the lesson's run B call, word for word (name, pad id, device, kept weights)
            run = finetune(base, train_ids, val_ids, cfg, name="B" if i == 2 else f"ablation {i + 1}",
                           pad_id=tok.pad_id, device=device, keep_epoch_weights=i in (0, 2))
            h = run.history
            steps_per_epoch = len(lm.LMBatches(train_ids, S["batch_size"]))
            if (cfg.warmup, seed) not in first:
                first[cfg.warmup, seed] = first_update(base, train_ids, val_ids, cfg, S["clip"],
                                                       pad_id=tok.pad_id, device=device)
            behaviour = dict(first_epoch_spike=report.first_epoch_spike(h, steps_per_epoch),
                             first_grad_norm=h.step_grad_norm[0],
                             clipped_share=float(np.mean(np.asarray(h.step_grad_norm, dtype=float) > S["clip"])),
                             first_update=first[cfg.warmup, seed])
            val = list(h.epoch_val_loss)
            stop, kept = early_stopping_outcome(val, S["patience"])
            rows[i + 1]["seeds"].append(dict(seed=seed, **screen(run.model), val_loss=val[-1],
                                             epochs_paid=h.num_epochs, kept_epoch=h.num_epochs, val_losses=val,
                                             early_stopping_would=[stop, kept], **behaviour))
            if i == 0:  # row 1: the same run after run A's 3 epochs
                short = S["misconfigured_epochs"]
                rows[0]["seeds"].append(dict(seed=seed, **screen(weights_at_epoch(base, run, short)),
                                             val_loss=val[short - 1], epochs_paid=short, kept_epoch=short,
                                             val_losses=val[:short], **behaviour))
            if i == 2:  # row 5: run C, B's weights at the epoch early stopping keeps
                model_c = weights_at_epoch(base, run, kept)
                rows[4]["seeds"].append(dict(seed=seed, **screen(model_c), val_loss=val[kept - 1], epochs_paid=stop,
                                             kept_epoch=kept, val_losses=val[:stop], **behaviour))
            if log is not None:
                for j in {0: (0, 1), 2: (3, 4)}.get(i, (i + 1,)):
                    last = rows[j]["seeds"][-1]
                    log(f"row {j + 1} ({ROWS[j]}), seed {seed}: " + (f"{run.seconds:.0f} s; " if j in (1, 2, 3) else "")
                        + f"fresh-test accuracy {last['fresh_accuracy']:.3f}, general-copy loss "
                        f"{last['general_loss']:.2f}, validation {last['val_loss']:.4f}, epochs paid "
                        f"{last['epochs_paid']} (kept {last['kept_epoch']})")
    out = dict(
        rows=rows, seeds=list(seeds), lr_chosen=lr_chosen, lr_naive=lr_naive,
        settings={k: S[k] for k in ("device", "train_examples", "batch_size", "epochs", "warmup", "clip",
                                    "patience", "seed", "lr_find_iters")},
        limit=limit, fresh_labels=_bits(fresh_labels), test_labels=_bits(test_labels),
        base=dict(general_loss=loss_on(base, general_ids), val_loss=loss_on(base, val_ids)),
    )
    return json.loads(json.dumps(_round(out)))  # plain JSON types, as after a round trip


def write_ablation(result: dict, path=ABLATION_PATH) -> Path:
    """Write ``result`` to ``path`` atomically (as :func:`experiment.write_record` writes the record)."""
    return experiment.write_record(result, path)


def load_ablation(path=ABLATION_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
