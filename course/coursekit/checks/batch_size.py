"""Checks for lesson 7, batch size."""
from __future__ import annotations

import math

import numpy as np

from ._core import Case, Mistake, as_number, fail, participant_call, passed, run_check

__all__ = ["check_scale_lr", "check_gradient_noise", "check_epoch_time", "gradient_noise_theory"]


# ------------------------------------------------------------------ scale_lr(base_lr, base_batch_size, batch_size, rule)
def _scale_lr_reference(base_lr, base_batch_size, batch_size, rule="linear"):
    ratio = batch_size / base_batch_size
    if rule == "linear":
        return base_lr * ratio
    if rule == "sqrt":
        return base_lr * math.sqrt(ratio)
    raise ValueError(f"unknown rule {rule!r}: use 'linear' or 'sqrt'")


def _scale_variant(invert=False, swap=False, sqrt_of_lr=False):
    def scale(base_lr, base_batch_size, batch_size, rule="linear"):
        ratio = base_batch_size / batch_size if invert else batch_size / base_batch_size
        use_sqrt = (rule == "linear") if swap else (rule == "sqrt")
        if use_sqrt and sqrt_of_lr:
            return math.sqrt(base_lr) * ratio
        return base_lr * (math.sqrt(ratio) if use_sqrt else ratio)
    return scale


SCALE_LR_MISTAKES = [
    Mistake("the ratio is upside down: a larger batch gets a larger rate, so multiply by "
            "batch_size / base_batch_size.", _scale_variant(invert=True)),
    Mistake("the rules are swapped: 'linear' multiplies by the ratio of batch sizes, 'sqrt' by its square root.",
            _scale_variant(swap=True)),
    Mistake("the square root belongs on the ratio of batch sizes, not on the learning rate.",
            _scale_variant(sqrt_of_lr=True)),
    Mistake("the learning rate did not change: scale it by the ratio of the batch sizes (or its square root).",
            lambda lr, b0, b, rule="linear": lr),
]


def check_scale_lr(scale_lr):
    """``scale_lr(base_lr, base_batch_size, batch_size, rule)``: the linear or square-root scaling rule."""
    cases = [Case(f"base_lr={lr:g}, base_batch_size={b0}, batch_size={b}, rule={rule!r}", (lr, b0, b, rule))
             for lr, b0, b, rule in [(1e-3, 32, 128, "linear"), (1e-3, 32, 128, "sqrt"), (2e-5, 16, 64, "sqrt"),
                                     (0.1, 256, 64, "linear"), (0.1, 256, 64, "sqrt"), (3e-4, 16, 16, "linear")]]
    run_check("scale_lr", scale_lr, cases, _scale_lr_reference, SCALE_LR_MISTAKES, what="learning rate",
              announce=False)

    def unknown_rule():
        try:
            scale_lr(1e-3, 32, 64, "cubic")
        except Exception as raised:  # noqa: BLE001 - the participant's code may raise anything
            return raised
        return None

    error = participant_call("scale_lr", "rule='cubic'", unknown_rule)
    if error is None:
        fail("scale_lr", "rule='cubic' returned a value: an unknown rule must raise a ValueError naming it, "
                         "or a typo would silently train with the wrong rate.")
    if not isinstance(error, ValueError):
        fail("scale_lr", f"rule='cubic' raised {type(error).__name__}; raise a ValueError that names the rule "
                         "and the allowed ones ('linear', 'sqrt').")
    if "cubic" not in str(error):
        fail("scale_lr", f"the ValueError for rule='cubic' should name the bad rule; its message is: {error}")
    passed("scale_lr", f"correct on all {len(cases)} cases, and an unknown rule raises a clear ValueError.")


# ------------------------------------------------------------------ gradient_noise(per_example_grads, batch_size, rng, trials)
def gradient_noise_theory(per_example_grads, batch_size, replace=False):
    """The expected squared distance between a mini-batch's mean gradient and the full gradient.

    With N examples whose gradients spread with variance σ² = mean_i ‖g_i − ḡ‖², a batch of B
    drawn without replacement gives σ²/B · (N − B)/(N − 1) (with replacement, σ²/B).
    """
    grads = np.asarray(per_example_grads, dtype=float)
    n = len(grads)
    spread = float(np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1)))
    return spread / batch_size * (1.0 if replace else (n - batch_size) / (n - 1))


def _noise_reference(per_example_grads, batch_size, rng, trials=2000):
    return gradient_noise_theory(per_example_grads, batch_size)


def _mean_norm_squared(grads):
    return float(np.sum(np.asarray(grads).mean(axis=0) ** 2))


GRADIENT_NOISE_MISTAKES = [
    Mistake("you summed the batch's gradients instead of averaging them, so the noise grows with the batch; "
            "take the mean over the batch (axis=0).",
            lambda g, b, rng, trials=2000: gradient_noise_theory(g, b) * b * b
            + _mean_norm_squared(g) * (b - 1) ** 2),
    Mistake("you measured the distance from zero, not from the full-data gradient: subtract "
            "per_example_grads.mean(axis=0) first.",
            lambda g, b, rng, trials=2000: gradient_noise_theory(g, b) + _mean_norm_squared(g)),
    Mistake("this is a standard deviation (a square root); the task asks for the mean squared distance.",
            lambda g, b, rng, trials=2000: math.sqrt(gradient_noise_theory(g, b))),
    Mistake("you drew the batch with replacement; draw it without (rng.choice(n, batch_size, replace=False)), "
            "as a data loader does: a batch never holds the same example twice.",
            lambda g, b, rng, trials=2000: gradient_noise_theory(g, b, replace=True)),
]


def _noise_data(seed=5, n=200, d=6):
    rng = np.random.default_rng(seed)
    return rng.normal(loc=0.5, scale=rng.uniform(0.5, 2.0, size=d), size=(n, d))


def check_gradient_noise(gradient_noise):
    """``gradient_noise(per_example_grads, batch_size, rng, trials)``: the mini-batch gradient's mean squared error.

    The answer is random, so it is compared with the theory within 10 % (2000 trials give about 2 %).
    """
    grads = _noise_data()
    cases = [Case(f"200 example gradients in 6-D, batch_size={b}, 2000 trials, rng=np.random.default_rng({seed})",
                  (grads, b, seed, 2000)) for b, seed in [(1, 0), (8, 1), (32, 2), (150, 3)]]

    def observe(fn, case):
        data, batch_size, seed, trials = case.args
        value = fn(np.array(data), batch_size, np.random.default_rng(seed), trials)
        return as_number(value, "one number, the mean squared distance averaged over the trials")

    run_check("gradient_noise", gradient_noise, cases, _noise_reference, GRADIENT_NOISE_MISTAKES, observe=observe,
              what="mean squared distance", rtol=0.10, atol=0.0,
              success="within 10 % of the theory (σ²/B, corrected for sampling without replacement) "
                      "for batch sizes 1, 8, 32 and 150.")


# ------------------------------------------------------------------ epoch_time(num_examples, batch_size, step_seconds)
def _epoch_time_reference(num_examples, batch_size, step_seconds):
    steps = math.ceil(num_examples / batch_size)  # the last, smaller batch still costs a step
    return steps, steps * step_seconds, batch_size / step_seconds


EPOCH_TIME_MISTAKES = [
    Mistake("you rounded the steps down (num_examples // batch_size): the last, smaller batch still costs a "
            "step, so round up (math.ceil).",
            lambda n, b, s: (n // b, (n // b) * s, b / s)),
    Mistake("examples per second is upside down: a step processes batch_size examples in step_seconds, so "
            "batch_size / step_seconds.",
            lambda n, b, s: (math.ceil(n / b), math.ceil(n / b) * s, s / b)),
    Mistake("the epoch time assumes a fraction of a step for the last batch (num_examples / throughput); "
            "count whole steps: steps_per_epoch * step_seconds.",
            lambda n, b, s: (math.ceil(n / b), n / (b / s), b / s)),
    Mistake("the epoch time is per example; it is the number of steps times the time per step.",
            lambda n, b, s: (math.ceil(n / b), n * s, b / s)),
]


def check_epoch_time(epoch_time):
    """``epoch_time(num_examples, batch_size, step_seconds)`` -> (steps_per_epoch, epoch_seconds, examples_per_second)."""
    cases = [Case(f"num_examples={n}, batch_size={b}, step_seconds={s}", (n, b, s))
             for n, b, s in [(1000, 100, 0.5), (4200, 16, 0.12), (1000, 32, 0.2), (50, 64, 0.3)]]

    def inspect(got, want, case):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return "return three numbers: (steps_per_epoch, epoch_seconds, examples_per_second)."
        return None

    run_check("epoch_time", epoch_time, cases, _epoch_time_reference, EPOCH_TIME_MISTAKES, inspect=inspect,
              what="(steps_per_epoch, epoch_seconds, examples_per_second)", rtol=1e-9)

