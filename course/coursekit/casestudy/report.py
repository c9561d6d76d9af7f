"""Settings, plots and tables for the case-study notebook (kept here so the notebook stays prose)."""

from __future__ import annotations

import numpy as np

from ..style import COLORS, ROLE_COLORS, label_axes

__all__ = ["settings", "markdown_table", "moving_average", "plot_range_test", "plot_step_losses",
           "plot_epoch_losses", "plot_score_histograms", "plot_forgetting", "RUN_COLORS", "findings",
           "first_epoch_spike"]

RUN_COLORS = {"A": ROLE_COLORS["diverges"], "B": ROLE_COLORS["train"], "C": ROLE_COLORS["good"],
              "base": COLORS["grey"], "rules": COLORS["reddish_purple"]}


def settings(device: str = "cpu") -> dict:
    """The size of the case study on each device.

    On a CPU (the default, and what the course's tests run) each epoch is a pass over a fixed
    random fifth of the 4,200-line archive (840 lines), so all runs fit in a couple of minutes.
    On a GPU the full archive is used, as in the brief. Batch size 16 and 10 planned epochs
    everywhere.
    """
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    common = dict(device=device, batch_size=16, epochs=10, misconfigured_report_epochs=3,
                  warmup=0.1, clip=1.0, patience=2, lr_find_iters=100, seed=0,
                  price_per_gpu_hour=0.85, live_epochs=6)
    if device == "cpu":
        return dict(common, train_examples=840, live_train=160, live_val=96)
    return dict(common, train_examples=4200, live_train=640, live_val=420)


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
    return ax


def first_epoch_spike(history, steps_per_epoch: int, window: int = 20) -> float:
    """The highest ``window``-step average training loss within the first epoch."""
    first = np.asarray(history.step_loss[:steps_per_epoch], dtype=float)
    return float(moving_average(first, window).max())


def _verdict(yes: bool, partly: bool = False) -> str:
    return "yes" if yes else ("partly" if partly else "no")


def findings(m: dict) -> list[tuple[str, str, str, str]]:
    """Rows (finding, the brief's figure, ours, reproduced?) from the measured values ``m``.

    Keys of ``m``: lr_naive, lr_chosen, start_a (run A's first-step loss), spike_a (the highest
    20-step average of its first epoch), best3_a (its best epoch-mean training loss in the first
    3 epochs), verdict_a3, verdict_a, epochs_a, verdict_b, best_epoch_b, epochs_b, kept_c,
    epochs_c, acc_base, acc_rules, acc_a, acc_c, time_saved, quality_gain, general_base,
    general_a, general_c, brief_cost. Accuracies are fractions, time_saved a percentage.

    The too-high-rate finding is judged on the loss itself: "jumped" when the loss rose more
    than 10% above its first value, "stuck" when no epoch of the first three averaged 5% or
    more below it; yes for both, partly for one.
    """
    bad = ("oscillating", "diverging")
    jumped = m["spike_a"] > 1.1 * m["start_a"]
    stuck = m["best3_a"] > 0.95 * m["start_a"]
    rows = [
        ("Too-high learning rate: loss jumps about and does not fall below its start in 3 epochs",
         "1e-4: oscillates, never below the first value",
         f"{m['lr_naive']:.2g}: first step {m['start_a']:.2f}, jumped to {m['spike_a']:.2f}, best "
         f"epoch in 3 {m['best3_a']:.2f} ({(m['best3_a'] - m['start_a']) / m['start_a']:+.1%})",
         _verdict(jumped and stuck, jumped or stuck)),
        ("diagnose() names the too-high rate",
         "(not in the brief)",
         f"'{m['verdict_a3']}' after 3 epochs, '{m['verdict_a']}' after {m['epochs_a']}",
         _verdict(m["verdict_a3"] in bad, m["verdict_a"] in bad)),
        ("The high rate overwrites what pre-training taught",
         "stated, not measured",
         f"loss on general copy {m['general_base']:.2f} (base) -> {m['general_a']:.2f} (A), "
         f"{m['general_c']:.2f} (C)",
         _verdict(m["general_a"] > m["general_c"] > m["general_base"])),
        ("Lower rate + 10% warmup: loss falls smoothly",
         "2e-5: smooth fall over 10 epochs",
         f"{m['lr_chosen']:.2g}: diagnose says '{m['verdict_b']}'",
         _verdict(m["verdict_b"] in ("healthy", "overfitting"))),
        ("Validation loss bottoms out, then rises (over-fitting)",
         "minimum at epoch 7 of 10",
         f"minimum at epoch {m['best_epoch_b']} of {m['epochs_b']}"
         + ("" if m["verdict_b"] == "overfitting" else " (rise below diagnose's 1% threshold)"),
         _verdict(m["verdict_b"] == "overfitting", m["best_epoch_b"] < m["epochs_b"])),
        ("Early stopping, patience 2, keeps the best epoch",
         "kept epoch 7",
         f"stopped after epoch {m['epochs_c']} of {m['epochs_b']}, kept epoch {m['kept_c']}",
         _verdict(m["epochs_c"] < m["epochs_b"] and m["kept_c"] == m["best_epoch_b"],
                  m["kept_c"] == m["best_epoch_b"])),
        ("On-brand accuracy: fine-tuned > rule filter > base model",
         "87% > 73% > 58%",
         f"{m['acc_c']:.0%} > {m['acc_rules']:.0%} > {m['acc_base']:.0%}"
         if m["acc_c"] > m["acc_rules"] > m["acc_base"] else
         f"fine-tuned {m['acc_c']:.0%}, rules {m['acc_rules']:.0%}, base {m['acc_base']:.0%}",
         _verdict(m["acc_c"] > m["acc_rules"] > m["acc_base"])),
        ("Fixed recipe vs misconfigured run: quality",
         "+14 points",
         f"{m['quality_gain'] * 100:+.0f} points",
         _verdict(m["quality_gain"] > 0)),
        ("Fixed recipe vs misconfigured run: training time",
         "-40%",
         f"{-m['time_saved']:+.0f}% ({m['epochs_c']} epochs against {m['epochs_a']})",
         # Wall-clock times on a shared machine vary by several per cent: a saving counts only when
         # early stopping skipped epochs, and in full only when it is 10% or more.
         _verdict(m["epochs_c"] < m["epochs_a"] and m["time_saved"] >= 10,
                  m["epochs_c"] < m["epochs_a"] and m["time_saved"] > 0)),
        ("Cost arithmetic: 3.5 GPU-hours x $0.85",
         "$2.98",
         f"${m['brief_cost']:.3f}, rounds to ${m['brief_cost']:.2f}",
         _verdict(round(m["brief_cost"], 2) == 2.98)),
    ]
    return rows
