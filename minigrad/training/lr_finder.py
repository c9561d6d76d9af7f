"""``lr_find``: the learning-rate range test (Leslie Smith's, as fastai runs it).

Train for a short while with a learning rate that grows exponentially from tiny
(``1e-7``) to huge (``10``), one mini-batch per value, and watch the loss: it
stays flat while the rate is too small to matter, falls once the rate is
useful, and shoots up when the rate is too large. A good learning rate lies on
the falling stretch. The model and the optimizer are put back exactly as they
were afterwards, so the test costs a few seconds and changes nothing.

The loss is smoothed with a debiased exponential moving average (``beta`` 0.98:
``avg = beta*avg + (1-beta)*loss``, reported as ``avg / (1 - beta**i)``) and the
sweep stops once the smoothed loss exceeds ``diverge_threshold`` (4) times the
best seen. Suggestions are computed on the sweep without its first tenth
(``num_iter // 10`` points) and its last five points (a sweep of fewer than 8 steps keeps
too few to read, and ``message`` says so):

* ``valley``: the middle of the longest falling stretch (fastai's default):
  take the longest run of ever-lower losses, and go 1/3 + 1/6 of the way into it.
* ``steep``: where the loss falls fastest against log(lr), before its lowest
  point.
* ``minimum``: the lr of the lowest loss, divided by 10.
"""
import copy
import math
from dataclasses import dataclass, field

import numpy as np

from ..utils.checks import check_count, check_positive, is_number
from .smoothing import DebiasedAverage
from .step import check_non_finite_loss, train_step

__all__ = ["lr_find", "LRFinderResult", "suggest_steep", "suggest_valley", "suggest_minimum"]


def suggest_steep(lrs, losses):
    """The lr where the loss falls fastest against log(lr) (index into ``lrs``).

    Only the stretch up to the lowest loss is searched: past it the loss is
    blowing up, and a dip in that chaos is no advice (fastai searches the whole
    curve and can land there with Adam, whose loss plateaus instead of exploding).
    """
    stop = int(np.argmin(losses)) + 1
    if stop < 2:
        stop = len(losses)
    slopes = np.diff(losses[:stop]) / np.diff(np.log(lrs[:stop]))
    return int(np.argmin(slopes))


def suggest_valley(lrs, losses):
    """The index 1/3 + 1/6 into the longest decreasing run of losses (fastai's valley rule).

    The run need not be contiguous (the longest decreasing subsequence, so noise
    does not break it); it is measured back from where it ends.
    """
    n = len(losses)
    length = [1] * n  # length[i]: longest strictly decreasing subsequence ending at i
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
    end = int(np.argmax(length))
    start = end - length[end]  # fastai's arithmetic, one before the run's first point, kept to match it
    section = (end - start) / 3
    return max(0, start + int(section) + int(section / 2))


def suggest_minimum(lrs, losses):
    """The index of the lowest loss (its lr / 10 is the ``minimum`` suggestion)."""
    return int(np.argmin(losses))


@dataclass
class LRFinderResult:
    """The range test's curve and its suggested learning rates.

    ``lrs``, ``losses`` (smoothed) and ``raw_losses`` are NumPy arrays of the
    points recorded; ``suggestions`` maps ``"valley"``, ``"steep"`` and
    ``"minimum"`` to a learning rate; ``suggestion`` is the valley one (None
    when the sweep was too short to suggest anything, see ``message``).
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestions: dict = field(default_factory=dict)
    stopped_early: bool = False
    skip_start: int = 0
    skip_end: int = 5
    message: str = ""

    @property
    def suggestion(self):
        return self.suggestions.get("valley")

    def plot(self, ax=None, show_suggestions=True):
        """Smoothed loss against learning rate (log axis), with the suggestions marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        end = len(self.lrs) - self.skip_end if len(self.lrs) - self.skip_end > self.skip_start else len(self.lrs)
        lrs, losses = self.lrs[self.skip_start:end], self.losses[self.skip_start:end]
        ax.plot(lrs, losses, color="C0", lw=2, label="smoothed loss")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("loss")
        if show_suggestions:
            markers = {"valley": ("o", "C1"), "steep": ("^", "C2"), "minimum": ("s", "C3")}
            for name, lr in self.suggestions.items():
                if lr is None:
                    continue
                index = int(np.argmin(np.abs(np.log(lrs) - np.log(lr if name != "minimum" else lr * 10))))
                marker, color = markers.get(name, ("x", "k"))
                ax.plot([lr], [losses[index]], marker, color=color, ms=8, label=f"{name}: {lr:.2g}")
        ax.legend(loc="best", fontsize="small")
        return ax

    def __repr__(self):
        found = ", ".join(f"{k}={v:.3g}" for k, v in self.suggestions.items() if v is not None) or "none"
        return f"LRFinderResult({len(self.lrs)} points, lr {self.lrs[0]:.1e}..{self.lrs[-1]:.1e}; suggestions: {found})"


def _check(start_lr, end_lr, num_iter, smooth_beta, diverge_threshold):
    check_positive("start_lr", start_lr, "lr_find")
    check_positive("end_lr", end_lr, "lr_find")
    if not end_lr > start_lr:
        raise ValueError(f"lr_find: end_lr ({end_lr}) must be larger than start_lr ({start_lr})")
    check_count("num_iter", num_iter, "lr_find", low=2)
    if not is_number(smooth_beta) or not 0 <= smooth_beta < 1:
        raise ValueError(f"lr_find: smooth_beta must be in [0, 1), got {smooth_beta!r}")
    if not is_number(diverge_threshold) or not diverge_threshold > 1:
        raise ValueError(f"lr_find: diverge_threshold must be a number > 1, got {diverge_threshold!r}")


def _batches(loader):
    """Cycle through the loader for as many batches as the sweep needs."""
    while True:
        produced = False
        for batch in loader:
            produced = True
            yield batch
        if not produced:
            raise ValueError("lr_find: train_loader yielded no batches")


def lr_find(model, optimizer, train_loader, loss_fn, start_lr=1e-7, end_lr=10.0, num_iter=100, smooth_beta=0.98,
            diverge_threshold=4.0, progress=False):
    """Run the learning-rate range test; return an ``LRFinderResult``.

    ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))`` is set in
    every parameter group for step ``i``; batches come from ``train_loader``
    (cycled if it is shorter than ``num_iter``), each step is ``train_step``, as
    in ``fit``. The sweep stops early when the smoothed loss exceeds
    ``diverge_threshold`` times its best, or the loss or the gradient stops being
    finite. Afterwards the model's weights and training
    mode and the optimizer's state and learning rates are restored from
    ``state_dict`` copies (also if the sweep raises). Only the random streams
    (data order, dropout) have moved on.
    """
    _check(start_lr, end_lr, num_iter, smooth_beta, diverge_threshold)
    start_lr, end_lr, num_iter = float(start_lr), float(end_lr), int(num_iter)  # NumPy numbers: the lrs in float64
    smooth_beta, diverge_threshold = float(smooth_beta), float(diverge_threshold)
    saved_model = model.state_dict()
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    was_training = getattr(model, "training", True)
    ratio = end_lr / start_lr
    lrs, smoothed, raw = [], [], []
    best, average, stopped_early = math.inf, DebiasedAverage(smooth_beta), False
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=num_iter, desc="lr_find", unit="step")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # the sweep is meant to blow up
        try:
            model.train()
            batches = _batches(train_loader)
            for i in range(num_iter):
                lr = start_lr * ratio ** (i / (num_iter - 1))
                for group in optimizer.param_groups:
                    group["lr"] = lr
                batch = next(batches)
                step = train_step(model, optimizer, loss_fn, batch, caller="lr_find")
                value = step.loss
                if not math.isfinite(value):  # bad data, or broken from the start, is not a learning rate's doing
                    check_non_finite_loss(value, batch, i + 1, "lr_find")
                smooth = average.update(value)
                lrs.append(lr)
                raw.append(value)
                smoothed.append(smooth)
                if bar is not None:
                    bar.update(1)
                if math.isfinite(smooth) and smooth < best:
                    best = smooth
                # A gradient that is not finite left the weights alone: the sweep has diverged, as in fit
                if not step.updated or not math.isfinite(smooth) or smooth > diverge_threshold * best:
                    stopped_early = i < num_iter - 1
                    break
        finally:
            if bar is not None:
                bar.close()
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_optimizer)
            optimizer.zero_grad()
            model.train(was_training)
    return _result(np.array(lrs), np.array(smoothed), np.array(raw), num_iter, stopped_early)


MIN_POINTS = 3  # fewest points the suggestion rules can read (a slope needs two, a falling run three)


def _skipped(num_iter):
    """(points left out at the start, at the end): fastai's first tenth and last five."""
    return num_iter // 10, 5


def _shortest_readable_num_iter():
    """The smallest ``num_iter`` whose sweep keeps ``MIN_POINTS`` once the skipped points are left out."""
    num_iter = 2
    while num_iter - sum(_skipped(num_iter)) < MIN_POINTS:
        num_iter += 1
    return num_iter


def _too_short_message(num_iter):
    skip_start, skip_end = _skipped(num_iter)
    return (f"num_iter={num_iter} is too short a sweep to read: the suggestions leave out its first tenth "
            f"({skip_start} points) and its last {skip_end}, which leaves fewer than {MIN_POINTS} points. Use "
            f"num_iter={_shortest_readable_num_iter()} or more (the default, 100, gives a smooth curve)")


def _result(lrs, losses, raw, num_iter, stopped_early):
    skip_start, skip_end = _skipped(num_iter)
    result = LRFinderResult(lrs, losses, raw, stopped_early=stopped_early, skip_start=skip_start, skip_end=skip_end)
    too_short = num_iter < _shortest_readable_num_iter()  # whatever the loss did, more steps are the fix
    finite = np.isfinite(losses)
    stop = len(losses) - skip_end
    if stop - skip_start < MIN_POINTS:  # a short sweep, or a loss that blew up almost at once: use every finite point
        skip_start, stop = 0, int(np.argmin(finite)) if not finite.all() else len(losses)
        if too_short:
            result.message = f"{_too_short_message(num_iter)}; the suggestions use the whole short curve and are rough"
        else:
            result.message = ("the sweep diverged after only a few steps, so the suggestions use the whole curve: "
                              "try a smaller end_lr or more num_iter")
    lr_part, loss_part = lrs[skip_start:stop], losses[skip_start:stop]
    if len(loss_part) < MIN_POINTS or not np.isfinite(loss_part).all():
        result.suggestions = {"valley": None, "steep": None, "minimum": None}
        if too_short:
            result.message = f"{_too_short_message(num_iter)}: no suggestion"
        else:
            result.message = ("the loss blew up within the first few steps: no suggestion. Lower start_lr, or "
                              "check the model and data")
        return result
    result.suggestions = {
        "valley": float(lr_part[suggest_valley(lr_part, loss_part)]),
        "steep": float(lr_part[suggest_steep(lr_part, loss_part)]),
        "minimum": float(lr_part[suggest_minimum(lr_part, loss_part)] / 10),
    }
    return result
