"""Lesson 8's clipping study on the case study's GPT: a short AdamW fine-tune at a rate too high,
with and without clipping by norm (lesson 8, section 7, runs it; it lives beside the case study
because it trains the case study's model on the case study's data)."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..alt_text import describe, number
from ..log_ticks import plain_log_ticks
from ..style import ROLE_COLORS, clip_style, label_axes
from ..threads import single_blas_thread

__all__ = ["GPT_LR", "GPT_STEPS", "GPTRun", "train_gpt", "gpt_first_step_ratio", "plot_gpt_traces", "gpt_trace_words"]

GPT_LR = 0.03  # about thirty times the case study's recipe rate: too high for this model
GPT_STEPS = 40  # one epoch of the case study's CPU setting (640 lines, batches of 16)


@dataclass
class GPTRun:
    """A short fine-tune of the case study's GPT: the loss and the gradient norm (before clipping) per step."""

    lr: float
    clip: float | None
    seed: int
    losses: np.ndarray
    grad_norms: np.ndarray

    @property
    def name(self):
        return "no clipping" if self.clip is None else f"clip by norm at {self.clip:g}"

    @property
    def final_loss(self):
        """Median training loss over the last ten steps."""
        return float(np.median(self.losses[-10:]))

    @property
    def clipped_fraction(self):
        return 0.0 if self.clip is None else float(np.mean(self.grad_norms > self.clip))

    def summary(self):
        return (f"lr {self.lr:<6g}{self.name:<20} gradient norm: median {np.median(self.grad_norms):.2f}, "
                f"largest {self.grad_norms.max():5.1f}; clipped {self.clipped_fraction:4.0%} of steps; "
                f"final loss {self.final_loss:.2f}")


@functools.lru_cache(maxsize=1)
def _gpt_setup(train_lines=640, val_lines=64):
    from . import data, experiment, lm

    base, tok = lm.load_model()
    length = base.config.block_size + 1
    train_ids = lm.encode_texts(experiment.training_lines(data.load_lines("client_train"), train_lines, 0), tok, length)
    val_ids = lm.encode_texts(data.load_lines("client_val")[:val_lines], tok, length)
    return base, tok, train_ids, val_ids


def train_gpt(lr=GPT_LR, clip=None, *, steps=GPT_STEPS, seed=0) -> GPTRun:
    """Fine-tune a copy of the case study's base GPT (AdamW, batches of 16 archive lines, as in lesson 9)
    for ``steps`` steps at ``lr``, clipping the gradient norm at ``clip`` (None: off). Under a second a run."""
    from .finetune import RunConfig, finetune

    base, tok, train_ids, val_ids = _gpt_setup()
    epochs = -(-steps * 16 // len(train_ids))
    with single_blas_thread():
        config = RunConfig(lr=lr, epochs=epochs, batch_size=16, clip=clip, seed=seed)
        result = finetune(base, train_ids, val_ids, config, pad_id=tok.pad_id, max_steps=steps)
    norms = [math.inf if g is None else g for g in result.history.step_grad_norm]
    return GPTRun(float(lr), clip, seed, np.asarray(result.history.step_loss, dtype=float),
                  np.asarray(norms, dtype=float))


def gpt_first_step_ratio(off: GPTRun, clipped: GPTRun) -> float:
    """Loss after the first update (step 2) with clipping over without: near 1 when clipping did not
    change what the first AdamW step did."""
    return float(clipped.losses[1] / off.losses[1])


def plot_gpt_traces(ax_loss, ax_norm, runs):
    """Loss and gradient norm (before clipping, log y) per step of each :class:`GPTRun`."""
    for run in runs:
        style = clip_style(None if run.clip is None else "norm", run.clip)
        if run.lr < GPT_LR:
            style = {"color": ROLE_COLORS["good"], "linestyle": "-"}  # a sensible rate, for reference
        label = f"lr {run.lr:g}, {run.name}"
        steps = np.arange(1, len(run.losses) + 1)
        ax_loss.plot(steps, run.losses, linewidth=1.6, label=label, **style)
        ax_norm.plot(steps, run.grad_norms, linewidth=1.4, label=label, **style)
        if run.clip is not None:
            ax_norm.axhline(run.clip, color=style["color"], linestyle=":", linewidth=1.2)
    ax_norm.set_yscale("log")
    plain_log_ticks(ax_norm, "y")
    label_axes(ax_loss, "Training loss (small GPT)", "optimizer step", "loss (cross-entropy, nats per token)")
    label_axes(ax_norm, "Gradient norm before clipping", "optimizer step", "global L2 norm of the gradient (log scale)")
    ax_loss.legend(loc="upper right", fontsize=9)
    loss_words, norm_words = gpt_trace_words(runs)
    describe(ax_loss, loss_words)
    describe(ax_norm, norm_words)


def gpt_trace_words(runs) -> tuple[str, str]:
    """What :func:`plot_gpt_traces` shows, in words: ``(loss axes, gradient-norm axes)``."""
    loss_parts, norm_parts = [], []
    for run in runs:
        name = f"lr {run.lr:g}, {run.name}"
        loss_parts.append(f"{name}: from {number(run.losses[0], 2)} at the first step to {number(run.final_loss, 2)} "
                          f"(median of the last ten steps)")
        norms = run.grad_norms[np.isfinite(run.grad_norms)]
        part = (f"{name}: median {number(np.median(norms), 2)}, largest {number(norms.max(), 2)}" if norms.size
                else f"{name}: no finite norm")
        if run.clip is not None:
            part += f", above the threshold {run.clip:g} on {run.clipped_fraction:.0%} of the steps"
        norm_parts.append(part)
    return (f"Training loss of the small GPT over {max(len(run.losses) for run in runs)} steps: "
            + "; ".join(loss_parts) + ".",
            "Gradient norm before clipping per step, log scale: " + "; ".join(norm_parts) + ".")
