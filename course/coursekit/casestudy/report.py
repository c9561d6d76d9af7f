"""Settings, plots and tables for the case-study notebook (kept here so the notebook stays prose)."""

from __future__ import annotations

import numpy as np

import minigrad as mg

from ..alt_text import describe, number
from ..style import COLORS, ROLE_COLORS, label_axes
from .evaluation import compare, paired_difference, wilson_interval

__all__ = ["settings", "markdown_table", "moving_average", "plot_range_test", "plot_step_losses",
           "plot_epoch_losses", "plot_val_by_seed", "plot_score_histograms", "plot_forgetting",
           "plot_accuracies", "RUN_COLORS", "findings", "first_epoch_spike", "percent", "interval_text",
           "points", "screening_table", "comparison", "forgetting_size", "FORGETTING_SIZES", "smoothness",
           "validation_rise"]

RUN_COLORS = {"A": ROLE_COLORS["diverges"], "B": ROLE_COLORS["train"], "C": ROLE_COLORS["good"],
              "base": COLORS["grey"], "rules": COLORS["reddish_purple"], "misconfigured": ROLE_COLORS["diverges"],
              "fine-tuned": ROLE_COLORS["good"], "ceiling": COLORS["black"], "constant": COLORS["sky_blue"],
              "n-gram": COLORS["orange"]}


def settings(device: str | None = None) -> dict:
    """The size of the case study on each device.

    On a CPU (the default, and what the course's tests run) each epoch is a pass over a fixed
    random 640 of the 4,200 archive lines (40 steps), so that six fine-tunes (three seeds of the
    misconfigured run, three of the recipe) and one early-stopped run fit in about a minute. On
    a GPU the full archive is used, as in the brief. Batch size 16 and 10 planned epochs
    everywhere; the misconfigured run is given up after 3 epochs, as the brief's agency did.
    Without ``device``, the default device: ``MINIGRAD_DEVICE=cuda`` switches the case study to a GPU.
    """
    device = device or mg.get_default_device()
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    common = dict(device=device, batch_size=16, epochs=10, misconfigured_epochs=3,
                  warmup=0.1, clip=1.0, patience=2, lr_find_iters=100, seed=0, seeds=(0, 1, 2),
                  generated_lines=100, price_per_gpu_hour=0.85, live_epochs=6)
    if device == "cpu":
        return dict(common, train_examples=640, live_train=160, live_val=96)
    return dict(common, train_examples=4200, live_train=640, live_val=420)


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def interval_text(low: float, high: float) -> str:
    return f"{100 * low:.0f}-{100 * high:.0f}%"


def points(x: float) -> str:
    """A difference of two accuracies, in percentage points, signed."""
    return f"{100 * x:+.0f} points"


def markdown_table(header, rows):
    """An IPython Markdown table (shows as a table in JupyterLab, as text in a terminal)."""
    from IPython.display import Markdown

    def cell(x):
        return str(x).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def moving_average(values, window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_range_test(result, lr_naive: float, lr_chosen: float, ax=None):
    """The range test's smoothed loss against the learning rate, with the two picks marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(result.lrs, result.losses, color=ROLE_COLORS["train"], lw=2, label="smoothed loss")
    ax.set_xscale("log")
    for lr, color, text in ((lr_chosen, ROLE_COLORS["good"], "suggested (valley)"),
                            (lr_naive, ROLE_COLORS["diverges"], "naive pick (lowest loss)")):
        ax.axvline(lr, color=color, ls="--", lw=1.5, label=f"{text}: {lr:.2g}")
    label_axes(ax, "Learning-rate range test on the client's copy", "learning rate (log scale)",
               "training loss", legend=True, legend_loc="lower left")
    lrs, losses = np.asarray(result.lrs, dtype=float), np.asarray(result.losses, dtype=float)
    finite = np.flatnonzero(np.isfinite(losses))
    text = f"Range test on the client's copy, learning rates {number(lrs[0], 2)} to {number(lrs[-1], 2)} (log scale)"
    if finite.size:
        low = int(finite[np.argmin(losses[finite])])
        text += (f": the smoothed loss starts at {number(losses[finite[0]], 2)} and is lowest "
                 f"({number(losses[low], 2)}) at {number(lrs[low], 2)}")
    ratio = lr_naive / lr_chosen
    apart = (f"{number(ratio, 2)} times lower" if ratio >= 1 else f"{number(1 / ratio, 2)} times higher")
    describe(ax, f"{text}. Marked: the naive pick (the rate at the lowest loss) {number(lr_naive, 2)} and the suggested rate "
                 f"(valley) {number(lr_chosen, 2)}, {apart}.")
    return ax


def plot_step_losses(runs: dict, ax=None, window: int = 20):
    """Per-step training loss of several runs (thin: each mini-batch; thick: moving average)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    for name, run in runs.items():
        losses = np.asarray(run.history.step_loss)
        color = RUN_COLORS.get(name, None)
        ax.plot(np.arange(1, len(losses) + 1), losses, color=color, lw=0.6, alpha=0.35)
        smooth = moving_average(losses, window)
        ax.plot(np.arange(window, window + len(smooth)), smooth, color=color, lw=2,
                label=f"{name}: {run.config.describe()}")
    first = runs[next(iter(runs))].history.step_loss[0]
    ax.axhline(first, color=ROLE_COLORS["start"], lw=1, ls=":", label="loss at the first step")
    label_axes(ax, "Training loss, step by step", "optimizer step", "training loss", legend=True,
               legend_loc="upper right")
    parts = []
    for name, run in runs.items():
        smooth = moving_average(run.history.step_loss, window)
        parts.append(f"{name} ({run.config.describe()}): {len(run.history.step_loss)} steps, {window}-step average "
                     f"highest {number(smooth.max(), 2)}, last {number(smooth[-1], 2)}")
    describe(ax, f"Training loss per step, loss at the first step {number(first, 2)} marked: " + "; ".join(parts) + ".")
    return ax


def plot_epoch_losses(runs: dict, ax=None):
    """Validation loss per epoch (zoomed past epoch 1), each run's kept epoch starred and the
    epoch where an early-stopped run ended marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    shown = []
    for i, (name, run) in enumerate(runs.items()):
        h = run.history
        epochs = np.arange(1, len(h.epoch_val_loss) + 1)
        color = RUN_COLORS.get(name, None)
        # the first run drawn wide and pale underneath, so identical epochs stay visible
        style = dict(lw=6, alpha=0.35) if i == 0 and len(runs) > 1 else dict(lw=1.8, marker="o")
        ax.plot(epochs, h.epoch_val_loss, color=color, label=f"{name}: validation loss", **style)
        kept = run.kept_epoch
        ax.plot([kept], [h.epoch_val_loss[kept - 1]], "*", color=color, ms=18, mec="black",
                label=f"{name}: weights kept (epoch {kept})")
        if run.config.patience is not None:
            ax.axvline(h.num_epochs, color=color, ls=":", lw=1.5,
                       label=f"{name}: stopped after epoch {h.num_epochs}")
        shown.extend(h.epoch_val_loss[1:] or h.epoch_val_loss)
    low, high = min(shown), max(shown)
    pad = 0.15 * (high - low) + 1e-3
    ax.set_ylim(low - pad, high + 3 * pad)
    ax.set_xticks(range(1, max(len(r.history.epoch_val_loss) for r in runs.values()) + 1))
    label_axes(ax, "Validation loss per epoch (epoch 1 is off the top)", "epoch", "loss (per token)",
               legend=True, legend_loc="upper right")
    parts = []
    for name, run in runs.items():
        val = run.history.epoch_val_loss
        best = int(np.argmin(val))
        part = (f"{name}: lowest {number(val[best], 3)} at epoch {best + 1}, {number(val[-1], 3)} at epoch "
                f"{len(val)}, weights kept from epoch {run.kept_epoch}")
        if run.config.patience is not None:
            part += f", stopped after epoch {run.history.num_epochs}"
        parts.append(part)
    describe(ax, "Validation loss per epoch: " + "; ".join(parts) + ".")
    return ax


def plot_score_histograms(panels, ax_row=None):
    """``panels``: list of (title, scores, labels, threshold); one histogram per panel."""
    import matplotlib.pyplot as plt

    if ax_row is None:
        _, ax_row = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
        ax_row = ax_row[0]
    for ax, (title, scores, labels, threshold) in zip(ax_row, panels):
        scores, labels = np.asarray(scores), np.asarray(labels).astype(bool)
        bins = np.linspace(scores.min(), scores.max(), 30)
        ax.hist(scores[labels], bins=bins, alpha=0.7, color=ROLE_COLORS["good"], label="approved")
        ax.hist(scores[~labels], bins=bins, alpha=0.7, color=ROLE_COLORS["diverges"], label="off-brand")
        ax.axvline(threshold, color=ROLE_COLORS["threshold"], ls="--", label="threshold")
        label_axes(ax, title, "score", "lines", legend=True, legend_loc="upper left")
        right = np.mean((scores > threshold) == labels)
        accepted = np.mean(scores > threshold)
        if accepted in (0.0, 1.0):  # the constant answer: say so, the share right is just the share of one kind
            rule = (f"the threshold {number(threshold, 3)} lies {'above' if accepted == 0 else 'below'} every score: "
                    f"it calls every line {'off-brand' if accepted == 0 else 'approved'}, right for {right:.0%} of them")
        else:
            rule = f"the threshold {number(threshold, 3)} (above: approved) sorts {right:.0%} of them right"
        describe(ax, f"{title}: scores of {labels.sum()} approved and {(~labels).sum()} off-brand lines, medians "
                     f"{number(np.median(scores[labels]), 3)} and {number(np.median(scores[~labels]), 3)}; {rule}.")
    return ax_row


def plot_forgetting(names, general_losses, client_losses, ax=None):
    """Loss on general copy (what pre-training taught) against loss on the client's copy."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    x = np.arange(len(names))
    ax.bar(x - 0.2, general_losses, 0.4, color=COLORS["grey"], label="general copy (held out)")
    ax.bar(x + 0.2, client_losses, 0.4, color=ROLE_COLORS["validation"],
           label="client's copy (validation)")
    ax.set_xticks(x, names)
    label_axes(ax, "What each model knows: loss per token, lower is better", None,
               "loss (per token)", legend=True)
    describe(ax, "Loss per token, lower is better, on general copy (held out) and on the client's copy "
                 "(validation): " + "; ".join(f"{name}: {number(g, 3)} and {number(c, 3)}"
                                              for name, g, c in zip(names, general_losses, client_losses)) + ".")
    return ax


def first_epoch_spike(history, steps_per_epoch: int, window: int = 20) -> float:
    """The highest ``window``-step average training loss within the first epoch."""
    first = np.asarray(history.step_loss[:steps_per_epoch], dtype=float)
    return float(moving_average(first, window).max())


def plot_val_by_seed(runs_by_name: dict, ax=None, stops: dict | None = None):
    """Validation loss per epoch of several runs per recipe (one line per seed, epoch 1 off the
    top); each run's lowest epoch starred; ``stops`` (name -> list of stop epochs) marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    shown = []
    for name, runs in runs_by_name.items():
        color = RUN_COLORS.get(name)
        for i, run in enumerate(runs):
            val = run.history.epoch_val_loss
            epochs = np.arange(1, len(val) + 1)
            label = f"{name}: validation loss, seed {run.config.seed}" if len(runs) == 1 else \
                (f"{name}: validation loss, {len(runs)} seeds" if i == 0 else None)
            ax.plot(epochs, val, "o-", color=color, lw=1.4, ms=3, alpha=0.9, label=label)
            best = int(np.argmin(val))
            ax.plot([best + 1], [val[best]], "*", color=color, ms=13, mec="black",
                    label="lowest epoch" if i == 0 and name == next(iter(runs_by_name)) else None)
            if stops and name in stops:
                ax.plot([stops[name][i]], [val[stops[name][i] - 1]], "s", color=color, ms=7, mfc="none",
                        label="early stopping ends the run" if i == 0 else None)
            shown.extend(val[1:] or val)
    low, high = min(shown), max(shown)
    pad = 0.15 * (high - low) + 1e-3
    ax.set_ylim(low - pad, high + 3 * pad)
    ax.set_xticks(range(1, 1 + max(len(r.history.epoch_val_loss) for runs in runs_by_name.values() for r in runs)))
    label_axes(ax, "Validation loss per epoch, every seed (epoch 1 is off the top)", "epoch",
               "loss (per token)", legend=True, legend_loc="upper right")
    parts = []
    for name, runs in runs_by_name.items():
        vals = [run.history.epoch_val_loss for run in runs]
        bests = [int(np.argmin(val)) + 1 for val in vals]
        part = (f"{name}, {len(runs)} seed{'s' if len(runs) > 1 else ''}: lowest at epoch "
                f"{', '.join(str(b) for b in bests)} ({', '.join(number(min(val), 3) for val in vals)}), "
                f"last epoch {', '.join(number(val[-1], 3) for val in vals)}")
        if stops and name in stops:
            part += f"; early stopping ends the runs after epoch {', '.join(str(e) for e in stops[name])}"
        parts.append(part)
    describe(ax, "Validation loss per epoch: " + "; ".join(parts) + ".")
    return ax


def plot_accuracies(rows, labels, ceiling_expected: float | None = None, ax=None):
    """Each screener's test accuracy with its 95% interval, best possible accuracy marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows):
        acc = row.accuracy(labels)
        low, high = row.interval(labels)
        color = RUN_COLORS.get(row.name.split(" ")[0], COLORS["grey"])
        ax.errorbar(acc, yi, xerr=[[acc - low], [high - acc]], fmt="o", color=color, capsize=3)
    if ceiling_expected is not None:
        ax.axvline(ceiling_expected, color=ROLE_COLORS["threshold"], ls=":", lw=1.2,
                   label="best possible on average (the raters' noise)")
        ax.legend(loc="lower left", fontsize="small")
    ax.set_yticks(y, [r.name for r in rows])
    ax.set_xlim(0.3, 1.0)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    label_axes(ax, "Screening accuracy on the 100 test lines, with 95% intervals", "accuracy", None)
    parts = []
    for row in rows:
        low, high = row.interval(labels)
        parts.append(f"{row.name} {percent(row.accuracy(labels))} ({interval_text(low, high)})")
    text = (f"Screening accuracy on the {len(labels)} test lines, with 95% intervals: " + "; ".join(parts) + ".")
    if ceiling_expected is not None:
        text += f" Best possible on average (the raters' noise): {percent(ceiling_expected)}."
    describe(ax, text)
    return ax


def screening_table(rows, labels, screening_accuracies: dict | None = None):
    """The screening table: every screener on the same test lines, accuracy and 95% interval
    (and, when given, its accuracy on the screening set, where its threshold was chosen)."""
    body = []
    for row in rows:
        correct = int(row.correct(labels).sum())
        low, high = row.interval(labels)
        line = [row.name, row.how, f"{correct}/{len(labels)}", percent(correct / len(labels)), interval_text(low, high)]
        if screening_accuracies is not None:
            value = screening_accuracies.get(row.name)
            line.append("" if value is None else f"{100 * value:.1f}%")
        body.append(line)
    header = ["screener", "how it decides", "right", "accuracy", "95% interval"]
    if screening_accuracies is not None:
        header.append("on the screening set (840)")
    return markdown_table(header, body)


def comparison(name_a: str, row_a, name_b: str, row_b, labels) -> str:
    """One sentence comparing two screeners on the same lines, as the paired interval allows."""
    diff, low, high = paired_difference(row_a.correct(labels), row_b.correct(labels))
    verdict = compare(row_a.correct(labels), row_b.correct(labels))
    return (f"{name_a} {verdict} {name_b}: {points(diff)} "
            f"(95% interval {100 * low:+.1f} to {100 * high:+.1f})")


# forgetting_size's words: each applies below its ratio of perplexities, "severe" from the last.
FORGETTING_SIZES = (("negligible", 1.1), ("small", 1.5), ("large", 3.0))


def forgetting_size(base_loss: float, after_loss: float) -> str:
    """How much of what pre-training taught is lost, in words, from the loss on held-out general
    copy before and after: the ratio of perplexities exp(after - before) (how many times more
    surprised the model is per word). Below 1.1x negligible, below 1.5x small, below 3x large,
    from 3x severe (:data:`FORGETTING_SIZES`)."""
    ratio = float(np.exp(after_loss - base_loss))
    word = next((word for word, below in FORGETTING_SIZES if ratio < below), "severe")
    return f"{word} ({ratio:.1f}x the surprise per word)" if ratio < 10 else f"{word} ({ratio:,.0f}x the surprise per word)"


def smoothness(history, window: int = 20) -> dict:
    """How smoothly a run's training loss fell, as shares of the whole fall (so a wobble is sized
    against the progress made): ``epoch_rise_share``, the largest rise of the epoch-mean loss
    from one epoch to the next; ``climb_share``, the largest climb of the ``window``-step moving
    average above its lowest point so far; and ``epoch_rises``, how many epoch means went up."""
    epochs = np.asarray(history.epoch_train_loss, dtype=float)
    steps = np.diff(epochs)
    fall = float(epochs[0] - epochs.min())
    smooth = moving_average(history.step_loss, window)
    smooth_fall = float(smooth[0] - smooth.min())
    climb = float(np.max(smooth - np.minimum.accumulate(smooth)))
    return dict(epoch_rises=int(np.sum(steps > 0)), epochs=len(epochs),
                epoch_rise_share=float(max(steps.max(initial=0.0), 0.0) / fall) if fall > 0 else float("inf"),
                climb_share=climb / smooth_fall if smooth_fall > 0 else float("inf"))


def validation_rise(val_curves) -> dict:
    """How far validation loss rises after its lowest epoch, against the noise between seeds.

    ``val_curves``: one list of per-epoch validation losses per seed (the same planned epochs).
    Returns the lowest epoch of each seed, the rise from there to the last epoch (each seed and
    the mean), and the seed noise: the standard deviation across seeds of the validation loss,
    averaged over epochs 2 to the end.
    """
    curves = np.asarray(val_curves, dtype=float)
    best = curves.argmin(axis=1)
    rises = curves[:, -1] - curves.min(axis=1)
    noise = float(curves[:, 1:].std(axis=0, ddof=1).mean()) if len(curves) > 1 else float("nan")
    return dict(best_epochs=[int(b) + 1 for b in best], rises=[float(r) for r in rises],
                mean_rise=float(rises.mean()), seed_noise=noise)


def _verdict(yes: bool, partly: bool = False) -> str:
    return "yes" if yes else ("partly" if partly else "no")


def findings(m: dict) -> list[tuple[str, str, str, str]]:
    """Rows (finding, the brief's figure, ours, reproduced?) from the measured values ``m``.

    Every verdict needs a size, not just a sign. Keys of ``m`` (lists hold one value per seed):

    * ``lr_naive``, ``lr_chosen``; run A: ``start_a``, ``spike_a`` (highest 20-step average of
      epoch 1), ``best3_a`` (best epoch-mean training loss of the first 3 epochs),
      ``verdict_a3`` (diagnose after those 3 epochs);
    * ``general_base``, ``general_a``, ``general_c``: loss on held-out general copy;
    * run B: ``smooth_b`` (:func:`smoothness` per seed), ``verdict_b``, ``rise_b``
      (:func:`validation_rise`), ``stops`` and ``kept`` (early stopping's stop and kept epochs);
    * ``planned_epochs``; screening: ``correct`` (name -> per-line correctness on the test set:
      "fine-tuned s", "misconfigured s", "rules", "base", "n-gram"), ``seeds``;
    * ``generated`` (name -> (approved, total)): the raters' verdict on generated copy;
    * ``brief_cost``, ``brief_paid_epochs``.

    Rules: the too-high rate "jumped" when the loss rose more than 10% above its first value and
    was "stuck" when no epoch of the first three averaged 5% or more below it. The validation
    rise counts when the mean rise is more than twice the seed noise. Forgetting is sized by
    :func:`forgetting_size`. A screening or quality claim holds only where the paired 95%
    interval (:func:`~coursekit.casestudy.evaluation.paired_difference`) excludes zero, for
    every seed.
    """
    seeds = m["seeds"]
    k = len(seeds)
    bad = ("oscillating", "diverging")
    jumped = [sp > 1.1 * st for sp, st in zip(m["spike_a"], m["start_a"])]
    stuck = [b3 > 0.95 * st for b3, st in zip(m["best3_a"], m["start_a"])]
    named3 = sum(v in bad for v in m["verdict_a3"])
    correct = m["correct"]

    def diffs(a, b):
        return [paired_difference(correct[a.format(s=s)], correct[b.format(s=s)]) for s in seeds]

    def span(values, fmt="{:.2f}"):
        lo, hi = min(values), max(values)
        return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}-{fmt.format(hi)}"

    def acc(name):
        return float(np.mean(correct[name]))

    ft = [acc(f"fine-tuned {s}") for s in seeds]
    gain = diffs("fine-tuned {s}", "misconfigured {s}")
    vs_rules = diffs("fine-tuned {s}", "rules")
    vs_base = diffs("fine-tuned {s}", "base")
    rules_base = paired_difference(correct["rules"], correct["base"])
    gain_real = all(lo > 0 for _, lo, _ in gain)
    brief_inside = all(lo <= 0.14 <= hi for _, lo, hi in gain)
    gen = m["generated"]

    def share(name):
        a, n = gen[name]
        lo, hi = wilson_interval(a, n)
        return a / n, lo, hi

    gen_ft = [share(f"fine-tuned {s}") for s in seeds]
    gen_base = share("base")
    forget_a = [np.exp(g - m["general_base"]) for g in m["general_a"]]
    forget_c = [np.exp(g - m["general_base"]) for g in m["general_c"]]
    rise = m["rise_b"]
    stops, kept = m["stops"], m["kept"]
    planned = m["planned_epochs"]
    saved = [planned - s for s in stops]
    smooth = m["smooth_b"]
    climbs = [sm["climb_share"] for sm in smooth]
    epoch_rises = [sm["epoch_rise_share"] for sm in smooth]

    rows = [
        ("Too-high learning rate: the loss jumps and does not fall below its start in 3 epochs",
         "1e-4: oscillates, never below the first value",
         f"{m['lr_naive']:.2g}: first step {span(m['start_a'])}, jumped to {span(m['spike_a'])} in epoch 1; "
         f"best of epochs 1-3 {span([(b - s) / s for b, s in zip(m['best3_a'], m['start_a'])], '{:+.0%}')} "
         f"against the start ({sum(jumped)} of {k} seeds jumped, {sum(stuck)} of {k} stuck)",
         _verdict(all(jumped) and all(stuck), any(jumped) or any(stuck))),
        ("diagnose() names the too-high rate",
         "(not in the brief)",
         f"{named3} of {k} seeds after 3 epochs ({', '.join(sorted(set(m['verdict_a3'])))})",
         _verdict(named3 == k, named3 > 0)),
        ("The high rate overwrites what pre-training taught",
         "stated, not measured",
         f"loss on general copy {m['general_base']:.2f} (base) -> {span(m['general_a'])} (A): "
         f"{forgetting_size(m['general_base'], float(np.mean(m['general_a'])))}; recipe {span(m['general_c'])}: "
         f"{forgetting_size(m['general_base'], float(np.mean(m['general_c'])))}",
         _verdict(min(forget_a) >= 3 and max(forget_c) < min(forget_a), min(forget_a) > max(forget_c))),
        ("Lower rate + 10% warmup: the training loss falls smoothly",
         "2e-5: smooth fall over 10 epochs",
         f"{m['lr_chosen']:.2g}: largest rise of an epoch's mean {span(epoch_rises, '{:.1%}')} of the whole fall, "
         f"largest climb of the 20-step average {span(climbs, '{:.0%}')} ({sum(sm['epoch_rises'] for sm in smooth)} "
         f"epoch means went up at all, over {k} seeds)",
         _verdict(max(epoch_rises) < 0.1 and max(climbs) < 0.1, max(epoch_rises) < 0.25 and max(climbs) < 0.25)),
        ("Validation loss bottoms out, then rises (over-fitting)",
         "minimum at epoch 7 of 10, then a slight rise",
         f"minimum at epoch {span(rise['best_epochs'], '{}')} of {planned}; rise to epoch {planned} "
         f"{rise['mean_rise']:.3f} on average against seed noise {rise['seed_noise']:.3f} "
         f"({rise['mean_rise'] / rise['seed_noise']:.1f}x)",
         _verdict(rise["mean_rise"] > 2 * rise["seed_noise"], rise["mean_rise"] > 0)),
        ("Early stopping (patience 2) keeps the best epoch and pays for two more",
         "kept epoch 7; epochs 8 and 9 paid too (9 of 10)",
         f"kept epoch {span(kept, '{}')}, stopped after {span(stops, '{}')} of {planned}: "
         f"{span(saved, '{}')} epoch(s) of the budget saved",
         _verdict(all(s < planned for s in stops), any(s < planned for s in stops))),
        ("Screening: fine-tuned > rule filter > base model",
         "87% > 73% > 58%",
         f"fine-tuned {span(ft, '{:.0%}')}, rules {acc('rules'):.0%}, base {acc('base'):.0%}; fine-tuned vs rules "
         f"{span([100 * d for d, _, _ in vs_rules], '{:+.0f}')} points, vs base "
         f"{span([100 * d for d, _, _ in vs_base], '{:+.0f}')} points (beyond noise in "
         f"{sum(lo > 0 for _, lo, _ in vs_rules)} and {sum(lo > 0 for _, lo, _ in vs_base)} of {k} seeds); rules vs base "
         f"{100 * rules_base[0]:+.0f} points (95% interval {100 * rules_base[1]:+.0f} to {100 * rules_base[2]:+.0f})",
         _verdict(all(lo > 0 for _, lo, _ in vs_rules) and rules_base[1] > 0,
                  all(lo > 0 for _, lo, _ in vs_rules) and all(lo > 0 for _, lo, _ in vs_base))),
        ("Fixed recipe vs misconfigured run: screening quality",
         "+14 points",
         f"{span([100 * d for d, _, _ in gain], '{:+.0f}')} points, beyond noise in {sum(lo > 0 for _, lo, _ in gain)} of {k} "
         f"seeds (95% intervals "
         + "; ".join(f"{100 * lo:+.0f} to {100 * hi:+.0f}" for _, lo, hi in gain) + ")"
         + ("; +14 inside every interval" if brief_inside else "; +14 outside some interval"),
         _verdict(gain_real and brief_inside, any(lo > 0 for _, lo, _ in gain))),
        ("Generated copy rated on-brand: fine-tuned vs the model before",
         "87% vs 58%",
         f"fine-tuned {span([g[0] for g in gen_ft], '{:.0%}')} (lowest interval "
         f"{interval_text(*min(gen_ft)[1:])}) vs base {gen_base[0]:.0%} ({interval_text(*gen_base[1:])})",
         _verdict(min(g[1] for g in gen_ft) > gen_base[2])),
        ("Early stopping saves training time against the 10-epoch plan",
         "-40% (the whole project, details unstated)",
         f"{span([100 * s / planned for s in saved], '{:.0f}')}% of the epochs ({span(saved, '{}')} of {planned})",
         _verdict(min(saved) / planned >= 0.1, max(saved) > 0)),
        ("Cost arithmetic: 3.5 GPU-hours x $0.85",
         "$2.98",
         f"${m['brief_cost']:.3f}, rounds to ${m['brief_cost']:.2f}; {m['brief_paid_epochs']} epochs paid, "
         f"{3.5 / m['brief_paid_epochs']:.3f} GPU-hours each",
         _verdict(round(m["brief_cost"], 2) == 2.98)),
    ]
    return rows
