"""``diagnose``: read a loss curve the way an experienced practitioner does.

Two verdicts come first, because no learning rate explains them:

``not finite from the start``
    the very first loss (before any update) is NaN or infinite: the data, the
    model's output or the loss function is broken.
``no gradient``
    every gradient norm a ``History`` recorded is 0: nothing reached the weights
    the optimizer updates (in a notebook, typically an optimizer made for an
    older model object).

Otherwise a run falls into one of five classes, checked in this order:

``diverging``
    a loss (or gradient) became NaN or infinite, or the loss at the end is at
    least ``diverge_ratio`` (2) times the loss at the start.
``oscillating``
    the loss bounced back up above a level it had already reached, by at least
    ``rebound`` (10% of the starting loss) more than mini-batch noise explains,
    and either by as much as the whole run's progress (this covers a loss that
    never gets below where it started) or in a run that progresses too little to
    be healthy (a bumpy run is never called "too slow"). The usual cause: a
    learning rate that is too high.
``overfitting``
    the validation loss was lowest at some epoch and then rose by more than
    ``overfit_rise`` (1%) of that value, while the training loss kept falling.
``too slow``
    the loss barely moved: it fell by less than ``min_improvement`` (5%) of its
    starting value, or by less than mini-batch noise could explain (two standard
    errors of the difference between start and end); or it fell by
    less than ``slow_improvement`` (60%) and is still falling in a straight line
    (the last third of the run fell at least half as much as the middle third).
    The usual cause: a learning rate that is too small.
``healthy``
    anything else: the loss fell clearly, and is levelling off or still falling
    after a large drop.

How it is measured, so that mini-batch noise does not fool it (``n`` values):

* start: the first loss (the model before any update); end: the median of
  the last tenth of the run (at least one value).
* noise: the standard deviation of step-to-step changes, estimated robustly
  (1.4826 x the median absolute deviation of the differences, / sqrt 2).
* rebound: the largest rise of a moving average (window ``min(n/10, 10)``)
  above the lowest value it had reached before, the starting loss included,
  minus the largest rise that noise alone produces (``2 sqrt(2 ln N)``
  standard deviations of the moving average, N the number of windows; two
  more raw standard deviations for a rise above the single starting value).

The thresholds are keyword arguments of ``diagnose``; the measured numbers are
in ``Diagnosis.details``.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from .history import History

__all__ = ["Diagnosis", "diagnose", "DIVERGING", "OSCILLATING", "TOO_SLOW", "HEALTHY", "OVERFITTING", "NO_GRADIENT",
           "BROKEN_START"]

DIVERGING, OSCILLATING, TOO_SLOW, HEALTHY, OVERFITTING = (
    "diverging", "oscillating", "too slow", "healthy", "overfitting")
# Two verdicts that are not about the learning rate at all, checked before the five above.
NO_GRADIENT, BROKEN_START = "no gradient", "not finite from the start"


@dataclass
class Diagnosis:
    """The verdict on a run: ``label`` (one of the classes above), a one-line ``hint``.

    ``str(d)`` reads ``"label: hint"``; ``details`` holds the measured numbers;
    ``best_epoch`` (counted from 1) is set for overfitting runs.
    """

    label: str
    hint: str
    details: dict = field(default_factory=dict, repr=False)
    best_epoch: int = None

    def __str__(self):
        return f"{self.label}: {self.hint}"


def _fmt(x):
    return f"{x:.3g}"


def _moving_average(values, window):
    if window <= 1:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def _largest_rebound(smoothed):
    """The largest rise of the curve above the lowest value it had reached before."""
    running_min = np.minimum.accumulate(smoothed)
    return float(np.max(smoothed - running_min))


def _thirds(values):
    """Medians of the first, middle and last third of a curve."""
    if len(values) < 3:
        return float(values[0]), float(np.median(values)), float(values[-1])
    return tuple(float(np.median(part)) for part in np.array_split(values, 3))


def _noise_level(values):
    """The standard deviation of step-to-step noise, from the differences (MAD: robust to trends and spikes)."""
    if len(values) < 3:
        return 0.0
    diffs = np.diff(values)
    return float(1.4826 * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2))


def _measure(losses):
    """The numbers the verdict rests on (see the module docstring)."""
    n = len(losses)
    k = max(1, n // 10)
    start = float(losses[0])  # the loss before the first update
    end = float(np.median(losses[-k:]))
    scale = abs(start) if start != 0 else max(float(np.abs(losses).max()), 1e-12)
    window = max(1, min(n // 10, 10))
    smoothed = _moving_average(losses, window)
    # Even a flat, noisy curve wanders: discount the largest swing that noise alone would make
    # (about 2*sqrt(2 ln N) standard deviations of the smoothed curve over N independent windows).
    noise = _noise_level(losses) / math.sqrt(window)
    allowance = 2.0 * math.sqrt(2.0 * math.log(max(2.0, len(smoothed) / window))) * noise
    # A jump above the starting loss counts too (a too-high learning rate often spikes in the first
    # steps, before the moving average has a lower value to rise from); the start is one raw value,
    # so allow two raw standard deviations more for it.
    raw_noise = _noise_level(losses)
    rise_above_start = float(np.max(smoothed)) - start - 2.0 * raw_noise
    jump = max(0.0, rise_above_start - allowance) / scale
    bounce = max(jump, max(0.0, _largest_rebound(smoothed) - allowance) / scale)
    first, middle, last = _thirds(smoothed)
    still_falling = bool(middle - last > 0 and middle - last >= 0.5 * (first - middle))
    # The start is one noisy value (standard error sigma), the end a median of k (about 1.25 sigma / sqrt(k)):
    # a drop smaller than 2 standard errors of their difference could be noise alone.
    noise_floor = 2.0 * raw_noise * math.sqrt(1 + 1.25 ** 2 / k) / scale
    return {"start_loss": start, "end_loss": end, "peak_loss": float(np.max(losses)), "scale": scale,
            "improvement": (start - end) / scale, "jump": jump,
            "noise_floor": noise_floor, "rebound": bounce, "noise": noise / scale, "still_falling": still_falling,
            "num_points": n}


def _epoch_means(step_losses, num_epochs):
    """Average per-step losses over ``num_epochs`` equal chunks (when only steps are known)."""
    chunks = np.array_split(np.asarray(step_losses, dtype=float), num_epochs)
    return [float(c.mean()) for c in chunks if len(c)]


def _unpack(run, val_losses):
    """(train curve, per-epoch train losses, per-epoch val losses, diverged step, lrs)."""
    if isinstance(run, History):
        steps = list(run.step_loss)
        curve = steps if len(steps) >= 3 else list(run.epoch_train_loss)
        return (curve, list(run.epoch_train_loss), list(run.epoch_val_loss),
                run.diverged_step if run.diverged else None, run.step_lr)
    if hasattr(run, "step_loss") or isinstance(run, (str, bytes, dict)):
        raise TypeError("diagnose: pass a History or a sequence of losses")
    try:
        curve = [float(x) for x in np.asarray(run, dtype=float).reshape(-1)]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"diagnose: expected a History or a sequence of losses, got {type(run).__name__}") from exc
    val = [] if val_losses is None else [float(x) for x in val_losses]
    if val and len(curve) == len(val):
        train_epochs = curve
    elif val:
        train_epochs = _epoch_means(curve, len(val)) if len(curve) >= len(val) else []
    else:
        train_epochs = []
    return curve, train_epochs, val, None, None


def _lr_phrase(lrs, lr=None):
    """How a hint names the rate: "the learning rate (0.01)", "the peak learning rate (1)" under a schedule."""
    known = [x for x in (lrs or []) if x is not None]
    if lr is None and known:
        lr = max(known)  # a schedule's last rate may be tiny; its peak is the one that matters
    if lr is None:
        return "the learning rate"
    return f"the {'peak ' if len(set(known)) > 1 else ''}learning rate ({_fmt(lr)})"


STALE_OPTIMIZER_HINT = ("In a notebook this usually means the model cell was run again after the optimizer "
                        "was made: create the optimizer again from this model, "
                        "optimizer = optim.Adam(model.parameters())")


def _no_gradient(run):
    """True for a History whose every recorded gradient norm is 0: nothing reached the optimizer's weights."""
    norms = [x for x in getattr(run, "step_grad_norm", []) if x is not None]
    return len(norms) >= 3 and not any(norms)


def diagnose(run, val_losses=None, *, lr=None, diverge_ratio=2.0, rebound=0.1, min_improvement=0.05,
             slow_improvement=0.6, overfit_rise=0.01):
    """Classify a training run and say what to do about it.

    Args:
        run: a ``History`` from ``fit`` (per-step losses, per-epoch validation
            losses), or a plain sequence of training losses (per step or per epoch).
        val_losses: per-epoch validation losses, when ``run`` is a plain sequence.
        lr: the learning rate to quote in the hints; by default the largest the
            run recorded (the peak of a schedule, not its last, tiny value).
        diverge_ratio, rebound, min_improvement, slow_improvement, overfit_rise:
            the thresholds described in this module's docstring (fractions of the
            starting loss, except ``overfit_rise``, a fraction of the best
            validation loss).

    Returns:
        a ``Diagnosis``; ``print(diagnose(history))`` shows ``label: hint``.
    """
    curve, train_epochs, val, diverged_step, lrs = _unpack(run, val_losses)
    if len(curve) < 3:
        raise ValueError(f"diagnose needs at least 3 loss values to read a trend, got {len(curve)}")
    lr = _lr_phrase(lrs, lr)
    losses = np.asarray(curve, dtype=float)
    finite = np.isfinite(losses)
    if not finite[0]:  # before any update: neither the learning rate nor training is the cause
        return Diagnosis(BROKEN_START, f"the very first loss is {losses[0]}, before any update, so the learning "
                                       f"rate is not the cause: look for NaN or infinite values in the data, and "
                                       f"at the model's output and the loss (a log of 0, a division by 0)",
                         {"diverged_step": 1})
    if diverged_step is None and not finite.all():
        diverged_step = int(np.argmin(finite)) + 1  # the first non-finite loss, counted from 1
    if diverged_step is not None:
        return Diagnosis(DIVERGING, f"the loss became NaN or infinite at step {diverged_step}: {lr} is far too "
                                    f"high; try one 10x smaller, or add warmup and gradient clipping",
                         {"diverged_step": diverged_step})
    if _no_gradient(run):
        return Diagnosis(NO_GRADIENT, f"every gradient norm was 0: no gradient reached the weights the optimizer "
                                      f"updates, so the learning rate is not the cause. {STALE_OPTIMIZER_HINT}",
                         {"start_loss": float(losses[0])})

    with np.errstate(all="ignore"):  # a run that blew up may hold huge numbers
        details = _measure(losses)
    details["thresholds"] = {"diverge_ratio": diverge_ratio, "rebound": rebound, "min_improvement": min_improvement,
                             "slow_improvement": slow_improvement, "overfit_rise": overfit_rise}
    start, end, scale = details["start_loss"], details["end_loss"], details["scale"]
    improvement, bounce, still_falling = details["improvement"], details["rebound"], details["still_falling"]
    moved = f"from {_fmt(start)} to {_fmt(end)}"

    if end - start >= (diverge_ratio - 1) * scale:
        return Diagnosis(DIVERGING, f"the loss grew {moved}: {lr} is too high; "
                                    f"try one 10x smaller, or add warmup and gradient clipping", details)
    barely_moved = improvement < max(min_improvement, details["noise_floor"])
    too_slow = barely_moved or (improvement < slow_improvement and still_falling)
    if bounce >= rebound and (bounce >= improvement or too_slow):  # a bumpy run is never "too slow"
        jumped = f"jumps up to {_fmt(details['peak_loss'])}, above where it started,"
        if details["jump"] >= rebound and improvement < min_improvement:
            what = f"{jumped} and never gets clearly below its start ({moved})"
        elif details["jump"] >= rebound:
            what = f"{jumped} then falls unevenly ({moved})"
        elif improvement < min_improvement:
            what = f"bounces up and down and never gets clearly below where it started ({moved})"
        else:
            what = f"falls unevenly ({moved}), jumping back up by {bounce:.0%} of its start"
        return Diagnosis(OSCILLATING, f"the loss {what}: {lr} is probably too high; try one "
                                      f"3-10x smaller, or add warmup", details)

    overfit = _overfitting(train_epochs, val, overfit_rise)
    if overfit is not None:
        best, best_val, last_val = overfit
        details.update(best_epoch=best, best_val_loss=best_val, last_val_loss=last_val)
        return Diagnosis(OVERFITTING, f"validation loss was lowest at epoch {best} ({_fmt(best_val)}) and rose "
                                      f"to {_fmt(last_val)} while training loss kept falling: the model is "
                                      f"memorising the training set; keep the epoch-{best} weights (early "
                                      f"stopping) or add data or regularisation", details, best_epoch=best)

    if too_slow:
        how = (f"barely moved ({moved})" if barely_moved
               else f"only went {moved} ({improvement:.0%} lower) and is still falling in a straight line")
        hint = f"the loss {how}: {lr} is probably too small; try one 3-10x larger, or train longer"
        if np.ptp(losses) == 0:  # not a single change: maybe nothing updates this model at all
            hint += f". If a larger rate changes nothing either, the optimizer is not updating this model. " \
                    f"{STALE_OPTIMIZER_HINT}"
        return Diagnosis(TOO_SLOW, hint, details)
    if still_falling:
        hint = f"the loss fell {moved} and is still falling: this learning rate works; more steps should help"
    else:
        hint = f"the loss fell {moved} and is levelling off: this learning rate works"
    return Diagnosis(HEALTHY, hint, details)


def _overfitting(train_epochs, val, rise):
    """(best epoch from 1, best val, last val) when validation rose while training fell."""
    val = np.asarray(val, dtype=float)
    if len(val) < 3 or not np.isfinite(val).all():
        return None
    best = int(np.argmin(val))
    if best == len(val) - 1 or val[-1] <= val[best] + rise * abs(val[best]):
        return None
    if len(train_epochs) == len(val) and not train_epochs[-1] < train_epochs[best]:
        return None  # training got worse too: not the overfitting pattern
    return best + 1, float(val[best]), float(val[-1])
