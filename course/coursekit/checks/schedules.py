"""Checks for lesson 5, learning-rate schedules.

The references are minigrad's own schedulers (``minigrad.optim.lr_scheduler``), stepped
on a one-parameter optimizer: the participant's function must give the same lr at every step.
"""
from __future__ import annotations

import functools
import math

import numpy as np

import minigrad as mg
from minigrad.optim import lr_scheduler

from ._core import Case, Mistake, as_number, run_check

__all__ = ["check_schedule_steps", "check_step_decay", "check_warmup_cosine", "scheduler_lrs"]


def scheduler_lrs(make_scheduler, base_lr, num_steps):
    """The lr a minigrad scheduler sets at steps 0, 1, ..., num_steps - 1."""
    optimizer = mg.optim.SGD([mg.nn.Parameter(mg.zeros(1))], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(num_steps - 1):
        optimizer.step()  # no gradient, nothing moves: the real order of calls, so the scheduler does not warn
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return np.array(lrs)


def _per_step(fn, case):
    """Call ``fn(step, *case.args[:-1])`` for every step of the case; the last arg is the step count."""
    *settings, num_steps = case.args
    values = [fn(step, *settings) for step in range(num_steps)]
    if any(v is None for v in values):
        return None
    return np.array([as_number(v, f"one number, the learning rate at step {step}") for step, v in enumerate(values)])


# ------------------------------------------------------------------ schedule_steps(num_examples, batch_size, epochs, warmup_fraction)
def _schedule_steps_reference(num_examples, batch_size, epochs, warmup_fraction):
    steps_per_epoch = math.ceil(num_examples / batch_size)  # the last, smaller batch is a step too
    total_steps = steps_per_epoch * epochs
    return total_steps, round(warmup_fraction * total_steps)


SCHEDULE_STEPS_MISTAKES = [
    Mistake("you rounded the steps per epoch down (num_examples // batch_size); the last, smaller batch is "
            "a step too, so round up: math.ceil(num_examples / batch_size).",
            lambda n, b, e, f: ((n // b) * e, round(f * (n // b) * e))),
    Mistake("the warmup is a fraction of one epoch; it is a fraction of all the training steps.",
            lambda n, b, e, f: (math.ceil(n / b) * e, round(f * math.ceil(n / b)))),
    Mistake("the total is the number of examples seen, not of steps: divide by the batch size.",
            lambda n, b, e, f: (n * e, round(f * n * e))),
    Mistake("you forgot the epochs: the total is steps per epoch times the number of epochs.",
            lambda n, b, e, f: (math.ceil(n / b), round(f * math.ceil(n / b)))),
    Mistake("the warmup was rounded down; round it to the nearest whole step (round(...)).",
            lambda n, b, e, f: (math.ceil(n / b) * e, math.floor(f * math.ceil(n / b) * e))),
]


def check_schedule_steps(schedule_steps):
    """``schedule_steps(num_examples, batch_size, epochs, warmup_fraction)`` -> (total_steps, warmup_steps)."""
    cases = [Case(f"num_examples={n}, batch_size={b}, epochs={e}, warmup_fraction={f}", (n, b, e, f))
             for n, b, e, f in [(4200, 16, 10, 0.1), (1000, 100, 3, 0.1), (1000, 32, 2, 0.05), (50, 64, 4, 0.3),
                                (999, 10, 1, 0.068)]]

    def inspect(got, want, case):
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return "return two whole numbers: (total_steps, warmup_steps)."
        return None

    run_check("schedule_steps", schedule_steps, cases, _schedule_steps_reference, SCHEDULE_STEPS_MISTAKES,
              what="(total_steps, warmup_steps)", rtol=0, atol=0, inspect=inspect)


# ------------------------------------------------------------------ step_decay(step, base_lr, step_size, gamma)
def _step_decay_reference(step, base_lr, step_size, gamma):
    return float(_step_lr_table(base_lr, step_size, gamma)[step])


@functools.lru_cache(maxsize=None)
def _step_lr_table(base_lr, step_size, gamma, num_steps=128):
    """minigrad's StepLR at steps 0..num_steps-1 (cached: the check asks for it once per step)."""
    return scheduler_lrs(lambda opt: lr_scheduler.StepLR(opt, step_size, gamma), base_lr, num_steps)


STEP_DECAY_MISTAKES = [
    Mistake("the decay is smooth, not in steps: use whole periods, step // step_size, as the exponent "
            "(not step / step_size).", lambda s, lr, k, g: lr * g ** (s / k)),
    Mistake("the lr drops one step too early: after step_size steps the exponent is 1, so use "
            "step // step_size, not (step + 1) // step_size.", lambda s, lr, k, g: lr * g ** ((s + 1) // k)),
    Mistake("the lr decays every step: multiply by gamma once per step_size steps (exponent step // step_size).",
            lambda s, lr, k, g: lr * g ** s),
    Mistake("base_lr is missing: the schedule is base_lr times gamma to the power step // step_size.",
            lambda s, lr, k, g: g ** (s // k)),
    Mistake("you subtracted gamma instead of multiplying by it: each period multiplies the lr by gamma.",
            lambda s, lr, k, g: lr - g * (s // k)),
]


def check_step_decay(step_decay):
    """``step_decay(step, base_lr, step_size, gamma)``: the lr at ``step`` (as StepLR)."""
    cases = [Case(f"base_lr={lr}, step_size={k}, gamma={g}, steps 0 to {n - 1}", (lr, k, g, n))
             for lr, k, g, n in [(0.1, 10, 0.5, 35), (1e-3, 3, 0.1, 10), (0.05, 1, 0.9, 6)]]
    run_check("step_decay", step_decay, cases, _step_decay_reference, STEP_DECAY_MISTAKES, observe=_per_step,
              what="lrs", row_label=lambda i: f"at step {i}", rtol=1e-9, atol=1e-15)


# ------------------------------------------------------------------ warmup_cosine(step, base_lr, warmup_steps, total_steps)
def _warmup_cosine_reference(step, base_lr, warmup_steps, total_steps):
    return float(_cosine_table(base_lr, warmup_steps, total_steps)[step])


@functools.lru_cache(maxsize=None)
def _cosine_table(base_lr, warmup_steps, total_steps):
    """minigrad's get_cosine_schedule_with_warmup at steps 0..total_steps."""
    return scheduler_lrs(lambda opt: lr_scheduler.get_cosine_schedule_with_warmup(opt, warmup_steps, total_steps),
                         base_lr, total_steps + 1)


def _cosine_variant(warmup_offset=0, progress_from_zero=False, half=True, cycles=0.5, warm=True):
    def lr(step, base_lr, warmup_steps, total_steps):
        if warm and step < warmup_steps:
            return base_lr * (step + warmup_offset) / warmup_steps
        start = 0 if progress_from_zero or not warm else warmup_steps
        progress = (step - start) / max(1, total_steps - start)
        shape = 0.5 * (1 + math.cos(math.pi * 2 * cycles * progress)) if half else math.cos(math.pi * progress)
        return base_lr * max(0.0, shape) if half else base_lr * shape
    return lr


WARMUP_COSINE_MISTAKES = [
    Mistake("the warmup is one step ahead: at step 0 the lr is 0 and it reaches base_lr at step "
            "warmup_steps, so the factor is step / warmup_steps.", _cosine_variant(warmup_offset=1)),
    Mistake("the cosine starts counting at step 0; it starts after the warmup: "
            "progress = (step - warmup_steps) / (total_steps - warmup_steps).",
            _cosine_variant(progress_from_zero=True)),
    Mistake("the cosine goes negative: the decay is 0.5·(1 + cos(π·progress)), which falls from 1 to 0.",
            _cosine_variant(half=False)),
    Mistake("a full cosine period goes back up at the end; use half a period: cos(π·progress), "
            "not cos(2π·progress).", _cosine_variant(cycles=1.0)),
    Mistake("the warmup is missing: the lr must rise linearly from 0 over the first warmup_steps steps.",
            _cosine_variant(warm=False)),
]


def check_warmup_cosine(warmup_cosine):
    """``warmup_cosine(step, base_lr, warmup_steps, total_steps)``: linear warmup, then cosine to 0."""
    cases = [Case(f"base_lr={lr}, warmup_steps={w}, total_steps={t}, steps 0 to {t}", (lr, w, t, t + 1))
             for lr, w, t in [(0.1, 3, 10), (2e-5, 10, 100), (1e-3, 0, 20)]]
    run_check("warmup_cosine", warmup_cosine, cases, _warmup_cosine_reference, WARMUP_COSINE_MISTAKES,
              observe=_per_step, what="lrs", row_label=lambda i: f"at step {i}", rtol=1e-9, atol=1e-15)
