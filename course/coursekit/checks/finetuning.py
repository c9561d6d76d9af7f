"""Checks for lesson 9, the fine-tuning case study: early stopping, the warmup schedule, the bill."""
from __future__ import annotations

import functools
import math

import numpy as np

from minigrad.optim import lr_scheduler
from minigrad.training.early_stopping import EarlyStopping

from ._core import Case, Mistake, as_number, run_check
from .schedules import scheduler_lrs

__all__ = ["check_early_stopping", "check_linear_warmup_lr", "check_training_cost", "check_savings"]


# ------------------------------------------------------------------ early_stopping(val_losses, patience, min_delta)
def _early_stopping_reference(val_losses, patience, min_delta=0.0):
    """(the epoch training stops after, the best epoch), both counted from 1, from minigrad's EarlyStopping."""
    stopper = EarlyStopping(patience=patience, min_delta=min_delta)
    for loss in val_losses:
        if stopper.step(loss):
            break
    return stopper.epoch, stopper.best_epoch


def _early_variant(reset=True, strict=True, use_delta=True, extra=0, base=1, best_is_last=False):
    def early_stopping(val_losses, patience, min_delta=0.0):
        best, best_epoch, bad = math.inf, None, 0
        delta = min_delta if use_delta else 0.0
        for epoch, loss in enumerate(val_losses, start=1):
            improved = loss < best - delta if strict else loss <= best - delta
            if improved:
                best, best_epoch = loss, epoch
                if reset:
                    bad = 0
            else:
                bad += 1
                if bad >= patience + extra:
                    shift = 1 - base
                    return epoch - shift, (epoch if best_is_last else best_epoch) - shift
        shift = 1 - base
        return len(val_losses) - shift, (len(val_losses) if best_is_last else best_epoch) - shift
    return early_stopping


EARLY_STOPPING_MISTAKES = [  # order matters: on the tie and min_delta cases, "one epoch late" looks the same
    Mistake("an equal loss counted as an improvement; only a strictly lower loss (by more than min_delta) does.",
            _early_variant(strict=False)),
    Mistake("min_delta is ignored: an epoch improves only if its loss is below best - min_delta.",
            _early_variant(use_delta=False)),
    Mistake("the count of bad epochs is not reset after an improvement: patience counts bad epochs in a "
            "row since the best one, so set it back to 0 whenever the loss improves.", _early_variant(reset=False)),
    Mistake("training stops one epoch late: with patience 2, stop at the second bad epoch in a row "
            "(bad_epochs >= patience).", _early_variant(extra=1)),
    Mistake("epochs are counted from 0; count them from 1 (the first epoch is epoch 1), as the report does.",
            _early_variant(base=0)),
    Mistake("the best epoch is the one with the lowest validation loss, not the last one trained.",
            _early_variant(best_is_last=True)),
]

# Invented for practice, shaped like the brief's run (lowest at epoch 7); not a measurement.
BRIEF_SHAPED_VAL = [2.10, 1.70, 1.45, 1.30, 1.22, 1.18, 1.16, 1.17, 1.19, 1.22]


def check_early_stopping(early_stopping):
    """``early_stopping(val_losses, patience, min_delta)`` -> (stop_epoch, best_epoch), epochs counted from 1."""
    cases = [
        Case(f"val_losses={BRIEF_SHAPED_VAL}, patience=2 (invented, shaped like the brief's run)",
             (BRIEF_SHAPED_VAL, 2)),
        Case("val_losses=[1.0, 0.9, 0.95, 0.85, 0.9, 0.88, 0.87, 0.86], patience=3",
             ([1.0, 0.9, 0.95, 0.85, 0.9, 0.88, 0.87, 0.86], 3)),
        Case("val_losses=[1.0, 0.8, 0.6, 0.5] (always improving), patience=2", ([1.0, 0.8, 0.6, 0.5], 2)),
        Case("val_losses=[1.0, 0.9, 0.9, 0.9, 0.8], patience=2 (a tie is not an improvement)",
             ([1.0, 0.9, 0.9, 0.9, 0.8], 2)),
        Case("val_losses=[1.0, 0.99, 0.985, 0.983, 0.5], patience=3, min_delta=0.02",
             ([1.0, 0.99, 0.985, 0.983, 0.5], 3, 0.02)),
    ]

    def inspect(got, want, case):
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return "return two whole numbers: (stop_epoch, best_epoch)."
        return None

    run_check("early_stopping", early_stopping, cases, _early_stopping_reference, EARLY_STOPPING_MISTAKES,
              inspect=inspect, what="(stop_epoch, best_epoch)", rtol=0, atol=0)


# ------------------------------------------------------------------ linear_warmup_lr(step, base_lr, warmup_steps, total_steps)
@functools.lru_cache(maxsize=None)
def _linear_table(base_lr, warmup_steps, total_steps):
    """minigrad's get_linear_schedule_with_warmup at steps 0..total_steps."""
    return scheduler_lrs(lambda opt: lr_scheduler.get_linear_schedule_with_warmup(opt, warmup_steps, total_steps),
                         base_lr, total_steps + 1)


def _linear_warmup_reference(step, base_lr, warmup_steps, total_steps):
    return float(_linear_table(base_lr, warmup_steps, total_steps)[step])


def _per_step(fn, case):
    *settings, num_steps = case.args
    values = [fn(step, *settings) for step in range(num_steps)]
    if any(v is None for v in values):
        return None
    return np.array([as_number(v, f"one number, the learning rate at step {step}") for step, v in enumerate(values)])


def _linear_variant(offset=0, decay_from_zero=False, decay=True):
    def lr(step, base_lr, warmup_steps, total_steps):
        if step < warmup_steps:
            return base_lr * (step + offset) / warmup_steps
        if not decay:
            return base_lr
        start = 0 if decay_from_zero else warmup_steps
        return base_lr * max(0.0, (total_steps - step) / max(1, total_steps - start))
    return lr


LINEAR_WARMUP_MISTAKES = [
    Mistake("the warmup is one step ahead: the lr is 0 at step 0 and reaches base_lr at step warmup_steps "
            "(factor step / warmup_steps).", _linear_variant(offset=1)),
    Mistake("the decay is spread over all the steps; it runs from the end of the warmup: "
            "(total_steps - step) / (total_steps - warmup_steps).", _linear_variant(decay_from_zero=True)),
    Mistake("the lr stays at base_lr after the warmup; it must fall linearly to 0 at total_steps.",
            _linear_variant(decay=False)),
]


def check_linear_warmup_lr(linear_warmup_lr):
    """``linear_warmup_lr(step, base_lr, warmup_steps, total_steps)``: linear warmup, then linear decay to 0."""
    cases = [Case(f"base_lr={lr:g}, warmup_steps={w}, total_steps={t}, steps 0 to {t}", (lr, w, t, t + 1))
             for lr, w, t in [(2e-5, 10, 100), (0.1, 3, 10), (1e-4, 0, 8)]]
    run_check("linear_warmup_lr", linear_warmup_lr, cases, _linear_warmup_reference, LINEAR_WARMUP_MISTAKES,
              observe=_per_step, what="lrs", row_label=lambda i: f"at step {i}", rtol=1e-9, atol=1e-15)


# ------------------------------------------------------------------ training_cost(...)
def _training_cost_reference(num_examples, batch_size, epochs, seconds_per_step, usd_per_gpu_hour, num_gpus=1):
    steps = math.ceil(num_examples / batch_size) * epochs  # the last, smaller batch is a step too
    gpu_hours = steps * seconds_per_step * num_gpus / 3600  # every GPU is billed for the whole run
    return steps, gpu_hours, gpu_hours * usd_per_gpu_hour


def _cost_variant(floor=False, per_minute=False, gpus=True, epochs=True, round_cents=False):
    def cost(n, b, e, s, usd, num_gpus=1):
        steps = (n // b if floor else math.ceil(n / b)) * (e if epochs else 1)
        hours = steps * s * (num_gpus if gpus else 1) / (60 if per_minute else 3600)
        total = hours * usd
        return steps, hours, (round(total, 2) if round_cents else total)
    return cost


TRAINING_COST_MISTAKES = [
    Mistake("seconds were divided by 60: that gives minutes. An hour has 3600 seconds.",
            _cost_variant(per_minute=True)),
    Mistake("you rounded the steps per epoch down; the last, smaller batch is a step too (math.ceil).",
            _cost_variant(floor=True)),
    Mistake("the number of GPUs is ignored: each GPU is billed for every hour of the run, so multiply by num_gpus.",
            _cost_variant(gpus=False)),
    Mistake("the epochs are missing: the steps are steps per epoch times the number of epochs.",
            _cost_variant(epochs=False)),
]


def check_training_cost(training_cost):
    """``training_cost(num_examples, batch_size, epochs, seconds_per_step, usd_per_gpu_hour, num_gpus)``
    -> (steps, gpu_hours, usd)."""
    cases = [Case(f"num_examples={n}, batch_size={b}, epochs={e}, seconds_per_step={s}, usd_per_gpu_hour={u}, "
                  f"num_gpus={g}", (n, b, e, s, u, g))
             for n, b, e, s, u, g in [(4200, 16, 7, 6.845, 0.85, 1), (1000, 32, 3, 0.5, 2.0, 1),
                                      (50000, 64, 2, 1.2, 1.1, 4)]]

    def inspect(got, want, case):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return "return three numbers: (steps, gpu_hours, usd)."
        if math.isclose(got[0], want[0]) and math.isclose(got[1], want[1]) and abs(got[2] - want[2]) < 0.006:
            return "the dollars were rounded: return the exact amount (round only when you print it)."
        return None

    run_check("training_cost", training_cost, cases, _training_cost_reference, TRAINING_COST_MISTAKES,
              inspect=inspect, what="(steps, gpu_hours, usd)", rtol=1e-9)


# ------------------------------------------------------------------ savings(baseline, improved)
def _savings_reference(baseline, improved):
    return 1.0 - improved / baseline


SAVINGS_MISTAKES = [
    Mistake("that is the fraction that remains (improved / baseline); the saving is 1 minus it.",
            lambda base, new: new / base),
    Mistake("return a fraction (0.4 for 40 %), not a percentage.", lambda base, new: 100 * (1 - new / base)),
    Mistake("the saving is relative to the new cost; measure it against the baseline: "
            "(baseline - improved) / baseline.", lambda base, new: (base - new) / new),
    Mistake("that is the difference in dollars or hours; the task asks for the fraction saved, "
            "(baseline - improved) / baseline.", lambda base, new: base - new),
    Mistake("the sign is flipped: a cheaper run saves a positive fraction.", lambda base, new: new / base - 1),
]


def check_savings(savings):
    """``savings(baseline, improved)``: the fraction of the baseline's cost (or time) saved."""
    cases = [Case(f"baseline={b}, improved={i}", (b, i)) for b, i in [(10.0, 6.0), (4.96, 2.98), (100.0, 125.0)]]
    run_check("savings", savings, cases, _savings_reference, SAVINGS_MISTAKES, what="fraction saved", rtol=1e-9)
