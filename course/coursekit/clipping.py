"""Lesson 8: exploding gradients in a small recurrent network, and gradient clipping.

The plain functions behind the lesson's demos and widget:

* :class:`TinyRNN`: a tanh recurrent network written with minigrad ops,
  unrolled over the whole sequence (50 steps by default).
* :func:`fading_sum_batch`: the task. The network reads a sequence of numbers
  and reports a fading sum at the end (recent numbers count most), like a
  running score of daily signals.
* :func:`input_influence`: how strongly an input ``k`` steps back moves the
  answer, i.e. the size of the gradient after flowing back ``k`` steps. It
  shrinks or grows geometrically: vanishing and exploding gradients.
* :func:`train_rnn`: a training run with clipping off, by norm
  (``clip_grad_norm_``) or by value (``clip_grad_value_``), recording the loss
  and the gradient norm of every step; :func:`train_rnns` trains many at once
  (settings, seeds, or starting weights perturbed in their last digits).
* :func:`seed_study`, :func:`control_study`: the same settings over several
  seeds, and the control for "clipping is only a smaller step".

The lesson's setting (``LR`` with ``MOMENTUM``) is one at which a run without
clipping explodes whatever the last digits of its arithmetic: whether a run at
the edge of exploding does so is chaotic (a difference in the last digit, such
as another processor's rounding, grows step by step and decides it), so the
lesson does not rely on a run that happened to explode on one machine.

:func:`clipping_widget` redraws the loss and gradient-norm traces as the
clipping threshold (log scale, with "off") and the learning rate move.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import offset_copy

import minigrad as mg
from minigrad import nn
from minigrad.func import functional_call, stack_module_state, vmap
from minigrad.nn import functional as F
from minigrad.nn.utils import clip_grad_value_, clip_grads_with_norm_
from minigrad.optim import functional as OF
from minigrad.training import train_step
from minigrad.utils.checks import check_positive

from .alt_text import describe, number
from .controls import choice_buttons, clip_slider, clip_threshold, round_log_slider
from .display import layout_key, make_widget, new_figure
from .log_ticks import plain_log_ticks
from .run_cache import RunCache, diagnose_if_possible
from .style import COLORS, ROLE_COLORS, clip_style, color_cycle, label_axes
from .sweep import flat_views, stacked_step
from .threads import halves, side_by_side, single_blas_thread

__all__ = [
    "SEQ_LEN",
    "HIDDEN",
    "GAIN",
    "LR",
    "MOMENTUM",
    "DECAY",
    "STEPS",
    "SPIKE_FACTOR",
    "explodes",
    "FEATURED_SEED",
    "SEEDS",
    "jittered",
    "seed_study",
    "step_shrink",
    "matched_lr",
    "control_study",
    "control_lines",
    "final_losses",
    "exploded_count",
    "lower_count",
    "explosion_step",
    "study_lines",
    "MODES",
    "TinyRNN",
    "fading_sum_batch",
    "input_influence",
    "ClipRun",
    "train_rnn",
    "train_rnns",
    "stacked_rnn_loss",
    "count_spikes",
    "best_point",
    "clip_style",
    "plot_influence",
    "plot_traces",
    "trace_words",
    "plot_final_losses",
    "plot_cosines",
    "clipping_widget",
]

SEQ_LEN = 50  # steps the network is unrolled over
HIDDEN = 16
GAIN = 1.5  # recurrent weights ~ N(0, GAIN^2 / HIDDEN): a memory that amplifies itself
LR = 0.25  # with MOMENTUM: a rate at which every run without clipping explodes (tests/test_lesson_8_claims.py)
MOMENTUM = 0.5
STEPS = 150
SPIKE_FACTOR = 100  # a gradient norm this many times the run's median is an explosion, not noise
FEATURED_SEED = 0  # the run the lesson follows step by step (any seed explodes at this setting)
SEEDS = tuple(range(10))  # the seed study: the featured seed and nine more
DECAY = 0.9  # how fast the fading sum forgets
MODES = (None, "norm", "value")


# -- the network and its task ---------------------------------------------------------------------------------------


class TinyRNN(nn.Module):
    """``h_t = tanh([x_t, 1] W_in + h_{t-1} W_rec)``, answer ``W_out h_T + c``.

    ``W_in`` has two rows: the weight of the input and the bias (the weight of a
    constant 1). ``gain`` scales the random recurrent weights: above about 1 each
    step can amplify what the memory holds, and with it the gradients flowing back.
    The recurrence is one ``F.tanh_rnn`` node (the same arithmetic as the loop
    ``h = ([x_t, 1] @ W_in + h @ W_rec).tanh()``, with backpropagation through time
    written out) instead of several nodes per step.
    """

    def __init__(self, hidden=HIDDEN, gain=GAIN, seed=0):
        super().__init__()
        if hidden < 1 or not gain > 0:
            raise ValueError(f"TinyRNN: need hidden >= 1 and gain > 0, got hidden={hidden!r}, gain={gain!r}")
        mg.manual_seed(seed)
        input_weight = mg.randn(1, hidden, dtype=mg.float64).numpy()
        self.input = nn.Parameter(mg.tensor(np.concatenate([input_weight, np.zeros((1, hidden))])))
        self.recurrent = nn.Parameter(mg.randn(hidden, hidden, dtype=mg.float64) * (gain / math.sqrt(hidden)))
        self.output = nn.Linear(hidden, 1, dtype=mg.float64)

    def forward(self, x):
        """``x``: (batch, seq_len) numbers -> (batch,) answers, read after the last step."""
        if not isinstance(x, mg.Tensor):
            x = mg.tensor(np.asarray(x, dtype=np.float64))
        # [x_t, 1] W_in at every step, inside the recurrence: W_in's first row weighs the input, its second is the bias
        last = F.tanh_rnn(x.unsqueeze(-1), self.recurrent, self.input[0:1], self.input[1])
        return self.output(last).reshape(x.shape[0])


def jittered(model, jitter=0.0, draw=0):
    """``model`` with every weight multiplied by ``1 + jitter * z`` (``z`` standard normal, drawn by ``draw``).

    At ``jitter`` about 1e-15 this changes the last digit or two of each weight: the size of the
    rounding differences between two processors (float64 keeps about 16 digits). A claim that
    survives several such draws does not hang on how one machine happened to round.
    """
    if jitter:
        rng = np.random.default_rng(draw)
        for param in model.parameters():
            param.data *= 1.0 + jitter * rng.standard_normal(param.shape)
    return model


def fading_sum_batch(rng, batch_size=32, seq_len=SEQ_LEN, decay=DECAY):
    """Random sequences and their fading sums ``sum_t decay**(T-1-t) x_t``, scaled to variance 1."""
    x, y = _fading_sums(rng, batch_size, seq_len, decay)
    return mg.tensor(x), mg.tensor(y)


def _fading_sums(rng, batch_size, seq_len, decay=DECAY):
    """:func:`fading_sum_batch` as plain arrays (the same draws from ``rng``)."""
    x = rng.standard_normal((batch_size, seq_len))
    weights = decay ** np.arange(seq_len - 1, -1, -1)
    return x, x @ weights / math.sqrt(float(weights @ weights))


def input_influence(gain, *, seq_len=100, hidden=HIDDEN, batch_size=64, seed=0):
    """How much the answer moves per unit change of the input ``k`` steps before the end.

    Returns ``(k, influence)`` with ``k = 0 .. seq_len-1``: the root-mean-square
    gradient of the (untrained) network's answer with respect to each input,
    over a batch of random sequences. This is the gradient after travelling
    back ``k`` steps through the recurrence: it falls or grows geometrically.
    """
    model = TinyRNN(hidden, gain, seed)
    x = mg.tensor(np.random.default_rng(seed + 1).standard_normal((batch_size, seq_len)), requires_grad=True)
    with single_blas_thread():
        model(x).sum().backward()
    influence = np.sqrt((x.grad ** 2).mean(axis=0))[::-1]
    return np.arange(seq_len), influence


# -- training with and without clipping ------------------------------------------------------------------------------


@dataclass
class ClipRun:
    """One training run of :class:`TinyRNN`, step by step.

    ``losses`` and ``grad_norms`` (the global L2 norm *before* clipping) per
    step; ``clipped`` whether clipping changed that step's gradient;
    ``cosines`` the cosine between the gradient before and after clipping (1:
    same direction). A run whose loss or gradient stopped being finite ends
    there, with ``diverged_step`` set.
    """

    mode: str | None
    threshold: float | None
    lr: float
    losses: np.ndarray
    grad_norms: np.ndarray
    clipped: np.ndarray
    cosines: np.ndarray
    diverged_step: int | None
    diagnosis: object
    seed: int = 0

    @property
    def name(self):
        if self.mode is None:
            return "no clipping"
        return f"clip by {self.mode} at {self.threshold:g}"

    @property
    def diverged(self):
        return self.diverged_step is not None

    @property
    def final_loss(self):
        """Median loss over the last tenth of the steps (inf for a diverged run)."""
        if self.diverged:
            return math.inf
        k = max(1, len(self.losses) // 10)
        return float(np.median(self.losses[-k:]))

    @property
    def clipped_fraction(self):
        return float(self.clipped.mean()) if self.clipped.size else 0.0

    @property
    def loss_spikes(self):
        return count_spikes(self.losses, factor=3.0)

    @property
    def grad_spikes(self):
        return count_spikes(self.grad_norms, factor=10.0)

    def summary(self):
        if self.diverged:
            return f"{self.name:<24} diverged at step {self.diverged_step}; {self.diagnosis}"
        return (f"{self.name:<24} final loss {self.final_loss:.3g}, largest gradient norm "
                f"{np.max(self.grad_norms):9.3g}, steps clipped {self.clipped_fraction:4.0%}")


def best_point(losses, window=10):
    """``(step, loss)`` where the moving average of ``window`` losses was lowest (step counted from 1).

    Everything a run trained after that step and lost again was paid for in vain.
    """
    losses = np.asarray(losses, dtype=float)
    finite = losses[np.isfinite(losses)]
    if finite.size == 0:
        raise ValueError("best_point: no finite loss to look at")
    window = max(1, min(window, finite.size))
    averages = np.convolve(finite, np.ones(window) / window, mode="valid")
    index = int(np.argmin(averages))
    return index + window, float(averages[index])


def count_spikes(values, factor=3.0, window=10):
    """How many steps jump above ``factor`` times the median of the ``window`` steps before them."""
    values = np.asarray(values, dtype=float)
    count = 0
    for i in range(window, len(values)):
        if values[i] > factor * np.median(values[i - window:i]):
            count += 1
    return count


def _flat(grads):
    return np.concatenate([g.reshape(-1) for g in grads])


def train_rnn(mode=None, threshold=None, lr=LR, *, steps=STEPS, seq_len=SEQ_LEN, hidden=HIDDEN, gain=GAIN,
              batch_size=32, momentum=MOMENTUM, seed=0, jitter=0.0, draw=0):
    """Train :class:`TinyRNN` on fading sums with SGD + momentum; clip by ``mode`` at ``threshold``.

    ``mode``: None (off), ``"norm"`` (``clip_grad_norm_(params, threshold)``:
    the whole gradient is scaled down to length ``threshold`` when longer) or
    ``"value"`` (``clip_grad_value_(params, threshold)``: every entry is
    clamped into ``[-threshold, threshold]``). Every run starts from the same
    weights and sees the same batches, so only the clipping differs. ``jitter``, ``draw``: start
    from weights perturbed in their last digits (:func:`jittered`).
    """
    _check_setting("train_rnn", mode, threshold, lr)
    model = jittered(TinyRNN(hidden, gain, seed), jitter, draw)
    optimizer = mg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(seed + 1)
    losses, norms, clipped, cosines = [], [], [], []
    diverged_step = None

    value_clipping = {}  # what clamping did to this step's gradient (clipping by value only)

    def clip_by_value(params):  # train_step calls it after the backward pass, just before the update
        before = _flat([p.grad for p in params])
        clip_grad_value_(params, threshold)
        after = _flat([p.grad for p in params])
        value_clipping.update(hit=bool(np.any(before != after)),
                              cosine=float(before @ after / (np.linalg.norm(before) * np.linalg.norm(after) + 1e-300)))

    with single_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(1, steps + 1):
            value_clipping.update(hit=False, cosine=1.0)  # scaling the whole gradient keeps its direction
            result = train_step(model, optimizer, F.mse_loss, fading_sum_batch(rng, batch_size, seq_len),
                                clip_grad_norm=threshold if mode == "norm" else None,
                                before_step=clip_by_value if mode == "value" else None)
            losses.append(result.loss)
            if result.grad_norm is not None:
                norms.append(result.grad_norm)
            if not result.updated:  # the loss or the gradient norm stopped being finite
                diverged_step = step
                break
            clipped.append(result.grad_norm > threshold if mode == "norm" else value_clipping["hit"])
            cosines.append(value_clipping["cosine"])
    losses = np.asarray(losses, dtype=float)
    verdict = diagnose_if_possible(losses)
    return ClipRun(mode, None if mode is None else float(threshold), float(lr), losses,
                   np.asarray(norms, dtype=float), np.asarray(clipped, dtype=bool), np.asarray(cosines, dtype=float),
                   diverged_step, verdict, seed)


def _check_setting(caller, mode, threshold, lr):
    if mode not in MODES:
        raise ValueError(f"{caller}: mode must be None, 'norm' or 'value', got {mode!r}")
    if mode is not None:
        check_positive(f"the threshold for clipping by {mode}", threshold, caller)
    check_positive("lr", lr, caller)


def stacked_rnn_loss(model, per_copy_data=False):
    """Each stacked copy's mean squared error on a batch: ``losses(params, x, y)`` has shape (copies,).

    ``per_copy_data``: ``x`` and ``y`` have a leading axis too, one batch per copy (copies
    trained from different seeds); otherwise every copy reads the same batch.
    """
    def loss_of(params, x, y):
        return F.mse_loss(functional_call(model, params, (x,)), y if isinstance(y, mg.Tensor) else mg.tensor(y))
    data_dim = 0 if per_copy_data else None
    return vmap(loss_of, in_dims=(0, data_dim, data_dim))


@single_blas_thread()
def train_rnns(settings, *, steps=STEPS, seq_len=SEQ_LEN, hidden=HIDDEN, gain=GAIN, batch_size=32,
               momentum=MOMENTUM, seed=0, jitter=0.0, draws=None, progress=False, start=None, between_steps=None):
    """:func:`train_rnn` for every ``(mode, threshold, lr)`` in ``settings``, all at once: ``[ClipRun]``.

    The networks are stacked (``minigrad.func``: every weight gets a leading axis, one slot
    per setting) and trained side by side: one forward pass and one
    backpropagation through time for all, each setting's gradient norm and clipping by
    ``vmap`` over minigrad's own ``get_total_norm``, ``clip_grads_with_norm_`` and
    ``clip_grad_value_`` (a threshold of inf where a setting does not clip that way), and the
    SGD update (``minigrad.optim.functional.sgd``) with a vector of learning rates. Each run
    is the run :func:`train_rnn` gives alone (the tests compare them).
    ``seed``: one for all slots (the same start and the same batches, so only the settings
    differ), or one per slot: each slot then starts from its seed's weights and reads its
    seed's batches, as :func:`train_rnn` with that seed does (a seed study trains at once).
    ``jitter``, ``draws``: slot ``i`` starts from its weights perturbed by draw ``draws[i]``
    (:func:`jittered`; every slot draw 0 when ``draws`` is None).
    ``progress``: show a progress bar over the steps. A large stack trains as two halves on two
    threads where there are two cores (:func:`coursekit.threads.side_by_side`; the same numbers).
    ``start``: the initial network of every slot (one seed, no jitter), instead of drawing
    ``TinyRNN(hidden, gain, seed)`` here from minigrad's generator, which is one for the process
    (a caller on another thread passes it in). ``between_steps``: called before every step (by each thread).
    """
    settings = list(settings)
    for mode, threshold, lr in settings:
        _check_setting("train_rnns", mode, threshold, lr)
    count = len(settings)
    seeds = [int(seed)] * count if np.ndim(seed) == 0 else [int(s) for s in seed]
    draws = [0] * count if draws is None else [int(d) for d in draws]
    for name, values in (("seed", seeds), ("draws", draws)):
        if len(values) != count:
            raise ValueError(f"train_rnns: {name} must have one entry per setting ({count}), got {len(values)}")
    # Starts are drawn here, on one thread (minigrad's random generator is one for the process); each
    # thread gets its own copies, since functional_call swaps a module's weights while it runs.
    if start is None:
        starts = {(s, d): jittered(TinyRNN(hidden, gain, s), jitter, d) for s, d in dict.fromkeys(zip(seeds, draws))}
    elif len(set(zip(seeds, draws))) == 1 and jitter == 0:
        starts = {(seeds[0], draws[0]): copy.deepcopy(start)}  # our own: functional_call swaps its weights
    else:
        raise ValueError("train_rnns: start= gives every slot one network: it needs one seed and no jitter")
    parts = halves(count)
    own = [starts] + [copy.deepcopy(starts) for _ in parts[1:]]

    def train(index, part):
        return _train_rnn_group(settings[part], seeds[part], draws[part], own[index], steps, seq_len, batch_size,
                                momentum, progress and not index, between_steps)
    return [run for runs in side_by_side(train, parts) for run in runs]


def _train_rnn_group(settings, seeds, draws, starts, steps, seq_len, batch_size, momentum, progress,
                     between_steps=None):
    """:func:`train_rnns` for one slice of the settings, on the calling thread."""
    count = len(settings)
    params, _ = stack_module_state([starts[start] for start in zip(seeds, draws)])
    model = starts[seeds[0], draws[0]]  # the structure functional_call fills in with each slot's weights
    weights = list(params.values())
    flat, flat_grad = flat_views(weights)
    distinct = list(dict.fromkeys(seeds))
    rngs = {s: np.random.default_rng(s + 1) for s in distinct}
    losses_of = stacked_rnn_loss(model, per_copy_data=len(distinct) > 1)
    clip_by_norm, clip_by_value = vmap(clip_grads_with_norm_), vmap(clip_grad_value_)
    state = {}
    rates = np.array([lr for _, _, lr in settings], dtype=np.float64)
    by_norm = np.array([mode == "norm" for mode, _, _ in settings])
    by_value = np.array([mode == "value" for mode, _, _ in settings])
    limits = np.array([threshold if mode is not None else math.inf for mode, threshold, _ in settings])
    norm_limits, value_limits = np.where(by_norm, limits, math.inf), np.where(by_value, limits, math.inf)
    losses, norms = np.full((count, steps), np.nan), np.full((count, steps), np.nan)
    clipped, cosines = np.zeros((count, steps), dtype=bool), np.ones((count, steps))
    loss_stop, norm_stop = np.zeros(count, dtype=int), np.zeros(count, dtype=int)  # 1-based step, 0: never
    any_by_value = bool(by_value.any())  # clamping and its cosines cost time: only where a slot asks for it
    bar = None
    if progress:
        from .progress import TrainingProgress  # a bar while it trains, then one line saying what was trained

        bar = TrainingProgress(steps, f"training {count} networks at once")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(steps):
            if between_steps is not None:
                between_steps()
            batches = {s: _fading_sums(rngs[s], batch_size, seq_len) for s in distinct}
            if len(distinct) == 1:
                x, y = batches[distinct[0]]
            else:
                x, y = (np.stack([batches[s][part] for s in seeds]) for part in (0, 1))
            loss, norm = stacked_step(losses_of, params, flat_grad, x, y)
            alive = (loss_stop == 0) & (norm_stop == 0)
            losses[alive, step] = loss[alive]
            loss_stop[alive & ~np.isfinite(loss)] = step + 1
            measured = alive & (loss_stop == 0)
            norms[measured, step] = norm[measured]
            norm_stop[measured & ~np.isfinite(norm)] = step + 1
            clip_by_norm(weights, norm_limits, norm)
            value_hit = np.zeros(count, dtype=bool)
            if any_by_value:
                before = flat_grad.copy()
                clip_by_value(weights, value_limits)  # in place: flat_grad now holds the clamped gradients
                after = flat_grad
                value_hit = np.any(before != after, axis=1)
                value_cos = np.einsum("sk,sk->s", before, after) / (
                    np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1) + 1e-300)
                cosines[:, step] = np.where(by_value, value_cos, 1.0)
            clipped[:, step] = np.where(by_norm, norm > limits, by_value & value_hit)
            OF.sgd(flat, flat_grad, state, lr=rates[:, None], momentum=momentum)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close(f"trained {count} networks at once, {steps} steps each")
    runs = []
    for i, (mode, threshold, lr) in enumerate(settings):
        stop = loss_stop[i] or norm_stop[i] or 0
        done = steps if not stop else stop - 1  # steps that updated the weights
        run_losses = losses[i, :stop or steps]
        run_norms = norms[i, :done + (1 if norm_stop[i] else 0)]
        runs.append(ClipRun(mode, None if mode is None else float(threshold), float(lr), run_losses, run_norms,
                            clipped[i, :done].copy(), cosines[i, :done].copy(), int(stop) or None,
                            diagnose_if_possible(run_losses), seeds[i]))
    return runs


# -- plots ---------------------------------------------------------------------------------------------------------------


LOSS_CAP, NORM_CAP = 1e4, 1e6  # tops of the plots' y axes: a run that explodes leaves the plot
LEGEND_DROP_PT = 36  # the widget's legends hang this far under its panels: below the tick labels and axis labels


def plot_influence(ax, influences):
    """``influences``: ``{gain: influence}`` from :func:`input_influence`; one line per gain against the
    steps back (log y)."""
    words = []
    for (gain, influence), color in zip(influences.items(), color_cycle(len(influences))):
        influence = np.asarray(influence, dtype=float)
        ax.plot(np.arange(len(influence)), influence, color=color, label=f"gain {gain}")
        far = min(50, len(influence) - 1)
        trend = "grows" if influence[far] > influence[1] else "shrinks"
        words.append(f"gain {gain} {trend} from {number(influence[1], 2)} one step back to "
                     f"{number(influence[far], 2)} {far} steps back")
    ax.set_yscale("log")
    label_axes(ax, "How far back can the network feel an input?", "steps before the end of the sequence",
               "size of the gradient (log scale)", legend=True)
    describe(ax, "The size of the gradient reaching an input, against how many steps before the end it was read "
                 "(log scale): " + "; ".join(words) + ".")


def trace_words(runs) -> tuple[str, str]:
    """What :func:`plot_traces` shows, in words: ``(loss axes, gradient-norm axes)``."""
    loss_parts, norm_parts = [], []
    several_rates = len({run.lr for run in runs}) > 1
    for run in runs:
        name = f"{run.name}, lr {run.lr:g}" if several_rates else run.name
        if run.diverged:
            loss_parts.append(f"{name}: diverged at step {run.diverged_step}")
        elif run.final_loss > LOSS_CAP:
            loss_parts.append(f"{name}: leaves the top of the plot, final loss {number(run.final_loss, 2)}")
        else:
            loss_parts.append(f"{name}: final loss {number(run.final_loss, 2)}")
        norms = run.grad_norms[np.isfinite(run.grad_norms)]
        if not norms.size:
            norm_parts.append(f"{name}: no finite norm")
            continue
        top = int(np.argmax(run.grad_norms == norms.max()))
        part = (f"{name}: median {number(np.median(norms), 2)}, largest {number(norms.max(), 2)} at step "
                f"{top + 1}")
        if run.mode is not None:
            part += f", clipped on {run.clipped_fraction:.0%} of the steps"
        norm_parts.append(part)
    return ("Training loss per step, log scale: " + "; ".join(loss_parts) + ".",
            "Gradient norm before clipping per step, log scale: " + "; ".join(norm_parts) + ".")


def plot_traces(ax_loss, ax_norm, runs, *, show_thresholds=True):
    """Loss (log y) and gradient norm before clipping (log y) of each run, step by step; the
    y axes stop at ``LOSS_CAP`` and ``NORM_CAP``."""
    for run in runs:
        style = clip_style(run.mode, run.threshold)
        steps = np.arange(1, len(run.losses) + 1)
        finite = np.isfinite(run.losses)
        ax_loss.plot(steps[finite], run.losses[finite], linewidth=1.6, label=run.name, **style)
        ax_norm.plot(np.arange(1, len(run.grad_norms) + 1), run.grad_norms, linewidth=1.4, label=run.name, **style)
        if run.diverged:
            last = run.losses[finite][-1] if finite.any() else 1.0
            ax_loss.plot([run.diverged_step], [min(last, LOSS_CAP / 1.5)], marker="X", markersize=12,
                         linestyle="none", color=style["color"])
        if show_thresholds and run.mode == "norm":
            ax_norm.axhline(run.threshold, color=style["color"], linestyle=":", linewidth=1.2)
    for ax, values, cap in ((ax_loss, [run.losses for run in runs], LOSS_CAP),
                            (ax_norm, [run.grad_norms for run in runs], NORM_CAP)):
        values = np.concatenate(values)
        values = values[np.isfinite(values) & (values > 0)]
        ax.set_yscale("log")
        if values.size:  # a run that runs away leaves the top of the plot instead of squashing the others
            ax.set_ylim(values.min() / 2, min(values.max() * 2, cap))
        plain_log_ticks(ax, "y")
    label_axes(ax_loss, "Training loss", "optimizer step", "loss (mean squared error, log scale)")
    label_axes(ax_norm, "Gradient norm before clipping", "optimizer step", "global L2 norm of the gradient (log scale)")
    ax_loss.legend(loc="upper left", fontsize=9)
    loss_words, norm_words = trace_words(runs)
    describe(ax_loss, loss_words)
    describe(ax_norm, norm_words)


def plot_final_losses(ax, study, seeds, top=100.0):
    """The final loss of every run of a :func:`seed_study`, one column of dots per seed and one colour per
    setting (log y); a final loss above ``top`` is drawn at ``top`` as a triangle."""
    for offset, runs in zip(np.linspace(-0.2, 0.2, len(study)), study.values()):
        style = clip_style(runs[0].mode, runs[0].threshold)
        finals, x = final_losses(runs), np.arange(len(seeds)) + offset
        over = finals > top
        ax.plot(x[~over], finals[~over], marker="o", markersize=8, linestyle="none", color=style["color"],
                label=runs[0].name)
        ax.plot(x[over], np.full(over.sum(), top), marker="^", markersize=9, linestyle="none", color=style["color"])
    ax.set_yscale("log")
    ax.set_ylim(top=10 * top)  # room for the legend above the triangles
    plain_log_ticks(ax, "y")
    ax.set_xticks(range(len(seeds)), [str(seed) for seed in seeds])
    label_axes(ax, f"Final loss of each run (triangles: above {top:g})", "seed (starting weights and batches)",
               "final loss (mean squared error, log scale)")
    ax.legend(loc="upper center", ncol=len(study), fontsize=9)
    parts = []
    for runs in study.values():
        finals = final_losses(runs)
        part = f"{runs[0].name}: median {number(np.median(finals), 2)}"
        if (finals > top).any():
            part += f", above {top:g} in {(finals > top).sum()} of {len(runs)} seeds"
        parts.append(part)
    describe(ax, f"The final loss of every run over {len(seeds)} seeds, log scale: " + "; ".join(parts) + ".")


def plot_cosines(ax_loss, ax_cos, runs):
    """Left: each run's training loss (log y); right: the cosine between its gradient before and after
    clipping, step by step (1: the step points the same way). Clipping by value at 1 or more dotted."""
    loss_parts, cos_parts = [], []
    for run in runs:
        style = clip_style(run.mode, run.threshold)
        if run.mode == "value" and run.threshold >= 1:
            style["linestyle"] = ":"
        steps = np.arange(1, len(run.losses) + 1)
        ax_loss.plot(steps, run.losses, label=run.name, linewidth=1.6, **style)
        ax_cos.plot(steps[:len(run.cosines)], run.cosines, label=run.name, linewidth=1.4, **style)
        loss_parts.append(f"{run.name}: diverged at step {run.diverged_step}" if run.diverged
                          else f"{run.name}: final loss {number(run.final_loss, 2)}")
        if run.cosines.size:
            cos_parts.append(f"{run.name}: mean {run.cosines.mean():.2f}, lowest {run.cosines.min():.2f}")
    ax_loss.set_yscale("log")
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_loss, "Training loss", "optimizer step", "loss (mean squared error, log scale)", legend=True)
    label_axes(ax_cos, "Does the clipped step point the same way?", "optimizer step",
               "cosine, gradient before vs after clipping", legend=True)
    ax_cos.set_ylim(0.5, 1.02)
    describe(ax_loss, "Training loss per step, log scale: " + "; ".join(loss_parts) + ".")
    describe(ax_cos, "Cosine between each step's gradient before and after clipping (1: same direction): "
                     + "; ".join(cos_parts) + ".")


# -- widget -----------------------------------------------------------------------------------------------------------


def explodes(run: ClipRun, factor: float = SPIKE_FACTOR) -> bool:
    """Did the run blow up, or did one step's gradient norm reach ``factor`` times its median?"""
    norms = run.grad_norms
    return run.diverged or bool(norms.size and norms.max() > factor * np.median(norms))


def seed_study(settings, seeds, lr=LR, *, jitter=0.0, draw=0, **kwargs):
    """Train every ``(mode, threshold)`` in ``settings`` once per seed: ``{setting: [ClipRun per seed]}``.

    One run of a chaotic process proves little: where a spike lands depends on
    the seed (and even on the last digits of the arithmetic). Comparing
    settings over several seeds shows which differences are real. All the runs
    train at once (:func:`train_rnns` with one seed per slot); ``jitter`` and
    ``draw`` perturb every start in its last digits (:func:`jittered`).
    """
    seeds = [int(seed) for seed in seeds]
    slots = [(mode, threshold, lr, seed) for mode, threshold in settings for seed in seeds]
    runs = train_rnns([slot[:3] for slot in slots], seed=[slot[3] for slot in slots], jitter=jitter,
                      draws=[draw] * len(slots), **kwargs)
    return {(mode, threshold): runs[i * len(seeds):(i + 1) * len(seeds)]
            for i, (mode, threshold) in enumerate(settings)}


def step_shrink(run: ClipRun) -> float:
    """How far clipping shortened a typical step of ``run``: the median over its steps of
    ``min(1, threshold / gradient norm)`` (1.0 for a run without clipping by norm)."""
    if run.mode != "norm" or not run.grad_norms.size:
        return 1.0
    return float(np.median(np.minimum(1.0, run.threshold / run.grad_norms)))


def matched_lr(clipped_runs, lr=LR) -> float:
    """The rate at which an unclipped run's typical step is as short as the clipped runs' typical step:
    ``lr`` times their average :func:`step_shrink`."""
    return float(lr * np.mean([step_shrink(run) for run in clipped_runs]))


def control_study(clipped_runs, seeds, rates, **kwargs):
    """The control for "clipping at 1.0 works": no clipping, at each lower rate in ``rates``, over ``seeds``.

    Returns ``{rate: [ClipRun per seed]}``. If clipping only acted as a smaller step, an
    unclipped run at :func:`matched_lr` would end as low as the clipped one.
    """
    rates = [float(rate) for rate in rates]
    seeds = [int(seed) for seed in seeds]
    jitter, draw = kwargs.pop("jitter", 0.0), kwargs.pop("draw", 0)
    slots = [(rate, seed) for rate in rates for seed in seeds]
    runs = train_rnns([(None, None, rate) for rate, _ in slots], seed=[seed for _, seed in slots], jitter=jitter,
                      draws=[draw] * len(slots), **kwargs)
    return {rate: runs[i * len(seeds):(i + 1) * len(seeds)] for i, rate in enumerate(rates)}


def control_lines(clipped_runs, controls, seeds):
    """Printable rows, one per setting: median and worst final loss over ``seeds``, how many runs
    exploded, and in how many seeds the clipped run ended lower than each control."""
    name, n = clipped_runs[0].name, len(seeds)
    rows = [(f"{name}, lr {clipped_runs[0].lr:g}", clipped_runs)]
    rows += [(f"no clipping, lr {rate:.3g}", runs) for rate, runs in controls.items()]
    lines = [f"{'final loss over ' + str(n) + ' seeds':<30}{'median':>9}{'worst':>11}{'exploded':>14}"
             f"   {name} ended lower"]
    for label, runs in rows:
        losses = final_losses(runs)
        line = f"{label:<30}{np.median(losses):9.3f}{losses.max():11.3g}{exploded_count(runs):>8} of {n:<3}"
        if runs is not clipped_runs:
            line += f"   in {lower_count(clipped_runs, runs)} of {n} seeds"
        lines.append(line)
    return lines


def final_losses(runs) -> np.ndarray:
    """Each run's :attr:`ClipRun.final_loss` (inf for a run that diverged)."""
    return np.array([run.final_loss for run in runs], dtype=float)


def exploded_count(runs) -> int:
    """How many of ``runs`` exploded (:func:`explodes`)."""
    return sum(explodes(run) for run in runs)


def lower_count(runs, others) -> int:
    """In how many seeds ``runs`` ended lower than ``others`` (both lists in the same seed order)."""
    return int(np.sum(final_losses(runs) < final_losses(others)))


def explosion_step(run: ClipRun, factor: float = SPIKE_FACTOR, window: int = 30):
    """The first step (from 1) whose gradient norm reached ``factor`` times the run's typical norm
    (the median of its first ``window`` steps, before anything went wrong), or where it
    diverged; None if neither happened."""
    norms = run.grad_norms
    if norms.size:
        above = np.flatnonzero(norms > factor * np.median(norms[:window]))
        if above.size:
            return int(above[0]) + 1
    return run.diverged_step


def study_lines(study, seeds):
    """Printable rows of a :func:`seed_study`: the final loss of every run, one row per seed and one
    column per setting (``*``: a spike, :func:`explodes`), then how many runs of each setting had one.

    Without clipping a spike is a step taken; with clipping it is a step cut, not a failed run.
    """
    columns = list(study.values())
    width = max(20, *(len(runs[0].name) + 2 for runs in columns))
    label = f"spike ≥{SPIKE_FACTOR:g}x median"
    first = len(label) + 2
    lines = [f"{'final loss':<{first}}" + "".join(f"{runs[0].name:>{width}}" for runs in columns)]
    for i, seed in enumerate(seeds):
        cells = [f"{runs[i].final_loss:.3g}" + ("*" if explodes(runs[i]) else " ") for runs in columns]
        lines.append(f"{'seed ' + str(seed):<{first}}" + "".join(f"{cell:>{width}}" for cell in cells))
    lines.append(f"{label:<{first}}" + "".join(f"{f'{exploded_count(runs)} of {len(seeds)} ':>{width}}"
                                               for runs in columns))
    return lines


def _rate_slider(lr):
    """The learning-rate slider: round rates (1, 2, 5 per decade, 0.001 to 1) and ``lr`` exactly, in order."""
    slider = round_log_slider("learning rate", 1e-3, 1e-3, 1.0)
    if lr not in [value for _, value in slider.options]:
        slider.options = sorted([*slider.options, (f"{lr:g}", float(lr))], key=lambda option: option[1])
    slider.value = lr
    return slider


def clipping_summary(run: ClipRun, off: ClipRun) -> str:
    """What :func:`clipping_widget` shows now, in words: the run's outcome, how often clipping bit, and the
    unclipped run at the same rate (the faint trace)."""
    def outcome(r):
        return f"diverged at step {r.diverged_step}" if r.diverged else f"ended at loss {number(r.final_loss, 2)}"

    text = f"{run.name[0].upper()}{run.name[1:]}, learning rate {run.lr:g}: {outcome(run)}"
    if run.mode is not None:
        text += f"; clipping bit on {run.clipped_fraction:.0%} of the steps"
    norms = run.grad_norms[np.isfinite(run.grad_norms)]
    if norms.size:
        text += f"; largest gradient norm {number(norms.max(), 2)}"
    text += "."
    if run is not off:
        text += f" Without clipping at this rate (faint) the run {outcome(off)}."
    return text


def clipping_widget(threshold=1.0, lr=LR, mode="norm", *, steps=STEPS, seed=FEATURED_SEED, reference=None,
                    interactive=None, train_ahead=True):
    """Clipping threshold (log scale, with "off"), clipping mode and learning rate over the two traces.

    ``threshold=None`` starts with clipping off; ``seed``: the run's start and batches (the
    lesson's featured run by default); ``reference``: runs already computed (with the same
    ``steps`` and ``seed``), shown for their settings. The rate slider has the round rates
    1, 2, 5 per decade from 0.001 to 1, and ``lr`` among them if it is not one (``LR``).

    Left: the training loss; right: the gradient norm before clipping, with the
    threshold drawn when clipping by norm. The run without clipping at the same
    learning rate stays in the background, faint. When the widget is built, every
    threshold of both modes at the starting rate, and the unclipped run there, train at
    once (:func:`train_rnns`; those given in ``reference`` are not trained again): a
    threshold or mode move is a look-up and a redraw. From the first move on, the rate shown
    and the two next to it train in the background, a rate and mode at a time (every
    threshold at once; ``train_ahead``; :class:`coursekit.run_cache.RunCache`; every rate when
    built would take several times longer); a setting shown before its turn trains alone then.
    Runs are kept, so returning to a setting is instant.
    """
    threshold_control = clip_slider(math.inf if threshold is None else threshold, 0.01, 100.0,
                                    description="clip threshold", continuous_update=True)
    mode_control = choice_buttons("clip", {"by norm": "norm", "by value": "value"}, mode)
    lr_control = _rate_slider(lr)
    thresholds = [value for _, value in threshold_control.options if math.isfinite(value)]
    rates = [value for _, value in lr_control.options]
    start = TinyRNN(seed=seed)  # drawn here, once: training ahead draws nothing

    def key(setting):
        m, t, rate = setting
        return (m, None if m is None else round(math.log10(t), 6), round(math.log10(rate), 6))

    def train(settings, progress=False, between_steps=None):
        return train_rnns(settings, steps=steps, seed=seed, progress=progress, start=start,
                          between_steps=between_steps)

    def every_threshold(rate, modes=("norm", "value")):
        return [(m, t, rate) for m in modes for t in thresholds]

    runs = RunCache(key, train, name="clipping_widget")
    for run in reference or ():
        runs.put((run.mode, run.threshold, run.lr), run)
    built = [setting for setting in every_threshold(lr_control.value) + [(None, None, lr_control.value)]
             if setting not in runs]  # the reference runs are not trained again
    runs.ensure(built, progress=True)

    def ahead(rate, mode):
        """The settings of the rate shown and of the two rates next to it, one stack per rate and mode
        (every threshold, and no clipping with the first), the mode shown first: where the next move is
        likely to go. Farther rates wait for a move nearer them, so that a participant's kernel trains
        only around where they look."""
        at = rates.index(rate)
        near = [rates[i] for i in (at, at - 1, at + 1) if 0 <= i < len(rates)]
        other = "value" if mode == "norm" else "norm"
        return ([every_threshold(r, (mode,)) + [(None, None, r)] for r in near]
                + [every_threshold(r, (other,)) for r in near])

    # Narrow enough for a laptop's notebook column (display.COLUMN_FIGURE_PX); the legends hang under the
    # panels: inside, a trace that explodes would run through them.
    fig, (ax_loss, ax_norm) = new_figure(1, 2, figsize=(8.8, 4.6), interactive=interactive)
    off_style = {"color": COLORS["light_grey"], "linewidth": 1.6}
    (off_loss,) = ax_loss.plot([], [], label="no clipping", **off_style)
    (off_norm,) = ax_norm.plot([], [], label="no clipping", **off_style)
    (loss_line,) = ax_loss.plot([], [], color=ROLE_COLORS["train"], linewidth=1.8, label="your setting")
    (norm_line,) = ax_norm.plot([], [], color=ROLE_COLORS["grad_norm"], linewidth=1.6, label="your setting")
    (clipped_dots,) = ax_norm.plot([], [], marker="o", markersize=3, linestyle="none", color=COLORS["black"],
                                   label="steps where clipping bit")
    threshold_line = ax_norm.axhline(1.0, color=ROLE_COLORS["threshold"], linestyle="--", linewidth=1.4,
                                     label="threshold (by norm)")
    (diverged_marker,) = ax_loss.plot([], [], marker="X", markersize=12, linestyle="none",
                                      color=ROLE_COLORS["diverges"], label="diverged")
    for ax in (ax_loss, ax_norm):
        ax.set_yscale("log")
        plain_log_ticks(ax, "y")
        ax.set_xlim(0, steps + 1)
    label_axes(ax_loss, None, "optimizer step", "loss (mean squared error, log scale)")
    # two lines: on one, the label is taller than the panel once the playground enlarges the widget
    label_axes(ax_norm, None, "optimizer step", "gradient norm before clipping\n(log scale)")
    # One legend each, with every entry: a move then redraws the changed artists only.
    for ax, handles, columns in ((ax_loss, [off_loss, loss_line, diverged_marker], 3),
                                 (ax_norm, [off_norm, norm_line, clipped_dots, threshold_line], 2)):
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=columns, fontsize=9,
                  handlelength=1.5, columnspacing=1.2,
                  bbox_transform=offset_copy(ax.transAxes, fig, y=-LEGEND_DROP_PT, units="points"))
    ax_loss.set_title(" ", fontsize=11)
    ax_norm.set_title(" ", fontsize=11)

    def set_trace(line, values):
        values = np.asarray(values, dtype=float)
        keep = np.isfinite(values) & (values > 0)
        line.set_data(np.arange(1, len(values) + 1)[keep], values[keep])

    def limits():
        """y limits holding every run kept when the widget was built (every threshold and mode, and no
        clipping, at the starting rate; any ``reference`` runs) and the thresholds, the same at every
        rate: a move then redraws the traces only, and rates compare at a glance. The tops are capped
        (loss 10^4, norm 10^6) so that one run that explodes does not squash the others: its trace
        leaves the plot. (The unclipped runs at the other rates of the lesson's widget fall inside
        these limits or above the caps; a test checks it.)"""
        kept = runs.runs()
        loss_values = np.concatenate([run.losses for run in kept])
        norm_values = np.concatenate([run.grad_norms for run in kept] + [thresholds])
        spans = []
        for values, cap in ((loss_values, LOSS_CAP), (norm_values, NORM_CAP)):
            values = values[np.isfinite(values) & (values > 0)]
            spans.append((values.min() / 2, min(values.max() * 2, cap)))
        return spans

    (loss_low, loss_high), (norm_low, norm_high) = limits()
    ax_loss.set_ylim(loss_low, loss_high)
    ax_norm.set_ylim(norm_low, norm_high)

    def update_figure(widget):
        rate = lr_control.value
        chosen = clip_threshold(threshold_control.value)  # None: "off"
        current_mode = None if chosen is None else mode_control.value
        run, off = runs.get((current_mode, chosen, rate), (None, None, rate))
        set_trace(off_loss, off.losses)
        set_trace(off_norm, off.grad_norms)
        set_trace(loss_line, run.losses)
        set_trace(norm_line, run.grad_norms)
        hits = np.flatnonzero(run.clipped)
        clipped_dots.set_data(hits + 1, run.grad_norms[hits])
        threshold_line.set_visible(current_mode == "norm")
        if current_mode == "norm":
            threshold_line.set_ydata([chosen, chosen])
        if run.diverged:
            finite = run.losses[np.isfinite(run.losses)]
            last = finite[-1] if finite.size else 1.0
            diverged_marker.set_data([run.diverged_step], [min(last, loss_high / 1.5)])  # on the plot
        else:
            diverged_marker.set_data([], [])
        verdict = f"diverged at step {run.diverged_step}" if run.diverged else f"final loss {run.final_loss:.3f}"
        # two lines, always: the longest would reach into the other panel's title on one
        ax_loss.title.set_text(f"{run.name}, lr {rate:.2g}:\n{verdict}")
        ax_norm.title.set_text(f"clipping bit on {run.clipped_fraction:.0%} of the steps")
        widget.state.update(run=run, off=off)
        widget.redraw()

    # titles change length with the setting: lay the figure out again when the layout key says so
    update = runs.widget_update(update_figure, lambda: ahead(lr_control.value, mode_control.value),
                                train_ahead=train_ahead)
    widget = make_widget(fig, {"threshold": threshold_control, "mode": mode_control, "lr": lr_control}, update,
                         title="Gradient clipping", columns=3, relayout=layout_key,
                         animated=[off_loss, off_norm, loss_line, norm_line, clipped_dots, threshold_line,
                                   diverged_marker, ax_loss.title, ax_norm.title],
                         summary=lambda widget: clipping_summary(widget.state["run"], widget.state["off"]))
    widget.state.update(trained_at_once=len(built), runs=runs)
    return widget
