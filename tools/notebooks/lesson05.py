"""Generate course/05_lr_schedules.ipynb (lesson 5: learning-rate schedules).

    .venv/bin/python tools/notebooks/lesson05.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/05_lr_schedules.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 5 · Learning-rate schedules

    A learning-rate **schedule** changes the learning rate while training runs. The idea is simple:
    big steps early, while the weights are far from anything good, and small steps late, to settle
    into a good spot instead of bouncing around it (lesson 3 showed that bouncing: mini-batch noise
    never lets a constant rate settle). Many recipes also start with a short **warmup**: a few
    percent of the steps during which the rate climbs from near zero to its peak, so that the
    first, most erratic updates of a fresh model stay small.

    **After this lesson you can decide**

    * whether a training job should use a schedule (almost always) and which one (a warmup then a
      decay to zero is the safe default);
    * how long the warmup should be;
    * how high the peak learning rate can go, with and without warmup;
    * what a fine-tuning recipe's scheduler line means, and how to write it in PyTorch or with
      Hugging Face's helpers (the names here are the same).
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit import schedules as sch
    from coursekit.datasets import digits
    from coursekit.log_ticks import plain_log_ticks
    from coursekit.style import COLORS, ROLE_COLORS, apply_style, label_axes

    apply_style()
    colors = sch.schedule_colors()
    """),
    md("""
    ## 1. Seven schedules

    Each schedule below is a real scheduler object from `minigrad.optim.lr_scheduler` attached to
    a real optimizer, stepped once per training step, exactly as in PyTorch. All run for 300 steps
    with the same peak rate; the printed lines are the calls that build them.
    """),
    code("""
    total_steps, peak_lr = 300, 0.05
    for kind in sch.SCHEDULE_KEYS:
        print(f"{sch.SCHEDULE_LABELS[kind]:>32}:  {sch.describe(kind, total_steps)}")
    """),
    code("""
    fig, axes = plt.subplots(2, 4, figsize=(14, 5.5), sharex=True, sharey=True)
    steps = np.arange(1, total_steps + 1)
    for ax, kind in zip(axes.ravel(), sch.SCHEDULE_KEYS):
        lrs = sch.lr_curve(kind, total_steps, peak_lr)
        ax.plot(steps, lrs, color=colors[kind])
        ax.fill_between(steps, lrs, color=colors[kind], alpha=0.15)
        ax.set_title(sch.SCHEDULE_LABELS[kind], fontsize=11)
    axes[1, 3].axis("off")
    for ax in axes[1, :3]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    fig.suptitle(f"Seven learning-rate schedules, peak {peak_lr}, {total_steps} steps")
    plt.show()
    """),
    md("""
    In words:

    * **constant**: the same rate throughout (the baseline).
    * **step decay**: divide the rate by 10 at fixed points (here after each third of the run).
    * **exponential**: shrink it a little every step (here down to 1% of the peak).
    * **cosine annealing**: follow half a cosine wave from the peak down to zero.
    * **linear warmup, then linear decay**: Hugging Face's `get_linear_schedule_with_warmup`, the
      default of many fine-tuning scripts: up over the first 10% of steps, then straight down to 0.
    * **linear warmup, then cosine**: the same warmup, then a cosine to 0.
    * **one-cycle**: up over the first 30% of steps from peak/25, then down far below the start.
      With Adam it also moves β1 (Adam's momentum) the opposite way, from 0.95 to 0.85 and back.

    ## 2. The test bench

    A small network (64 pixels → 64 hidden units → 10 classes) learns lesson 3's handwritten
    digits: the Adam optimizer, batches of 64, 300 steps (13 passes over the 1,438 training
    images). Every schedule starts from the same initial weights and sees the same batches in the
    same order; the only difference between runs is the learning rate of each step. To tell real
    differences from luck, each schedule is trained with three different seeds.
    """),
    code("""
    data = digits(val_fraction=0.2, seed=0)
    seeds = (0, 1, 2)
    results = sch.compare_schedules(data, peak_lr=peak_lr, seeds=seeds, total_steps=total_steps)
    print(f"trained {sum(len(runs) for runs in results.values())} networks: "
          f"{len(results)} schedules x {len(seeds)} seeds, {total_steps} steps each")
    """),
    md("""
    ## 3. The learning rate next to the training curve

    Left: the rate of every step. Right: the training loss, smoothed the way training dashboards
    show it (seed 0). Watch how each loss curve follows its rate: it drops fastest where the rate
    is high, and keeps dropping late only where the rate goes down.
    """),
    code("""
    fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(13, 4.8))
    for kind, runs in results.items():
        run = runs[0]
        ax_lr.plot(steps, run.lrs, color=colors[kind], label=run.label)
        ax_loss.plot(steps, run.smoothed_losses, color=colors[kind], label=run.label)
    ax_loss.set_yscale("log")
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_lr, "Learning rate", "step", "learning rate")
    label_axes(ax_loss, "Training loss (smoothed)", "step", "mini-batch loss (cross-entropy, log scale)", legend=True)
    plt.show()
    """),
    md("""
    The final numbers, averaged over the three seeds (± their standard deviation), best
    validation loss first. *Training loss* is measured on all training images after the last step;
    *validation* numbers on the 359 held-out images the network never trained on.
    """),
    code("""
    def mean_std(values):
        return f"{np.mean(values):.4f} ± {np.std(values):.4f}"

    order = sorted(results, key=lambda kind: np.mean([r.val_loss for r in results[kind]]))
    print(f"{'schedule':>32} {'training loss':>17} {'validation loss':>17} {'validation accuracy':>20}")
    for kind in order:
        runs = results[kind]
        accuracy = np.mean([r.val_accuracy for r in runs])
        print(f"{sch.SCHEDULE_LABELS[kind]:>32} {mean_std([r.final_train_loss for r in runs]):>17} "
              f"{mean_std([r.val_loss for r in runs]):>17} {accuracy:20.1%}")
    """),
    md("""
    At this fairly high peak rate, the constant schedule ends with the worst validation loss: its
    last steps are as big as its first, so it keeps bouncing. Every schedule that brings the rate
    down ends with a lower validation loss, and the ones that glide all the way to zero (cosine,
    the two warmup schedules, one-cycle) also reach the lowest training loss. Step decay and
    exponential decay help less: they spend much of the run at rates too small to make progress.
    The differences between the best few are within seed-to-seed noise: which decaying schedule
    you pick matters much less than having one.

    ## 4. What warmup buys: a higher usable peak

    A schedule's peak rate still has to be chosen. Here we sweep it over two decades, for three
    schedules, and look at the validation loss at the end (one seed each, so differences smaller
    than the seed-to-seed spread of section 3 mean nothing). A run that fails shows as a high loss,
    not an error.
    """),
    code("""
    peaks = [0.003, 0.03, 0.1, 0.3]
    swept = ("constant", "cosine", "warmup_cosine")
    sweep = {kind: [sch.train_with_schedule(data, kind, peak_lr=p, total_steps=total_steps, seed=0) for p in peaks]
             for kind in swept}

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for kind in swept:
        ax.plot(peaks, [r.val_loss for r in sweep[kind]], "o-", color=colors[kind], label=sch.SCHEDULE_LABELS[kind])
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    ax.set_xticks(peaks, [f"{p:g}" for p in peaks])
    label_axes(ax, "Final validation loss against the peak learning rate", "peak learning rate (log scale)",
               "validation loss (cross-entropy, log scale)", legend=True)
    plt.show()

    print(f"{'peak lr':>8} " + " ".join(f"{sch.SCHEDULE_LABELS[k]:>28}" for k in swept))
    for i, p in enumerate(peaks):
        print(f"{p:8g} " + " ".join(f"{sweep[k][i].val_loss:28.4f}" for k in swept))
    """),
    md("""
    Three things to read off:

    * **Low peaks**: all schedules are too timid. The decaying ones are even worse here: they
      spend half the run at rates below an already small peak. A schedule does not rescue a rate
      that is too low.
    * **At their best peaks, the three end up close**: a schedule is not magic.
    * **The difference is the width of the good range.** Above the constant rate's best peak it
      falls apart quickly; cosine holds on a little longer; with warmup, even a peak ten times
      higher still trains well. A wide good range is what you want when you cannot afford a fine
      sweep of the peak rate, which is almost always.

    The first 60 steps at the highest peak show the damage. Full-size steps on a fresh network
    throw the loss up (the first updates are the largest and least reliable), and some hidden
    units end up switched off for good: a ReLU unit whose input is negative for every image passes
    no gradient back, so no later step can revive it. Counting those dead units after training:
    """),
    code("""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    early = np.arange(1, 61)
    for kind in ("constant", "warmup_cosine"):
        run = sweep[kind][-1]
        ax.plot(early, run.step_losses[:60], color=colors[kind], label=f"{sch.SCHEDULE_LABELS[kind]}, peak {peaks[-1]}")
    label_axes(ax, "The first 60 steps at a high peak rate", "step", "mini-batch loss (cross-entropy)", legend=True)
    plt.show()
    for kind in ("constant", "warmup_cosine"):
        for run in sweep[kind][-2:]:
            print(f"{sch.SCHEDULE_LABELS[kind]:>28}, peak {run.peak_lr:g}: "
                  f"{sch.dead_units(run.model, data.X_train):.0%} of the {run.model[0].out_features} hidden units dead after training")
    """),
    md("""
    ## 5. Try it: schedule, warmup and peak rate

    Pick a schedule, a warmup (the share of all steps spent rising to the peak; for the constant,
    step, exponential and cosine schedules it adds a linear warmup in front) and a peak rate (log
    scale). Each change retrains the network (well under a second); the constant rate at the same
    peak stays in grey for comparison. Things to try:

    * **cosine** at peak **0.05**, warmup **0%**, then **10%**: the end is the same, the start calmer;
    * **constant** at peak **0.3**, warmup **0%**, then **10%**: warmup alone rescues much of it;
    * **one-cycle** with warmup **30%** against **5%**;
    * any schedule at peak **1**: too high for everything; the panel says what `diagnose` makes of it.
    """),
    code("""
    seed_0_runs = [runs[0] for runs in results.values()]   # trained above: no need to train them again
    sch.schedule_explorer(data, kind="warmup_cosine", warmup_fraction=0.1, peak_lr=0.05, known_runs=seed_0_runs)
    """, ignore_output=True),
    md("""
    ## 6. What a schedule is worth in steps

    Schedules do not make steps cheaper; they make each step count for more. One way to price that:
    take the best constant-rate run from the sweep (its best peak), note its final training loss,
    and ask how many steps the best warmup-cosine run needed to get there.
    """),
    code("""
    def best_run(kind):
        return min(sweep[kind], key=lambda run: run.val_loss)

    constant, scheduled = best_run("constant"), best_run("warmup_cosine")
    target = constant.smoothed_losses[-1]
    reached = int(np.argmax(scheduled.smoothed_losses <= target)) + 1 if (scheduled.smoothed_losses <= target).any() else None
    print(f"best constant rate: peak {constant.peak_lr:g}, smoothed training loss after {total_steps} steps {target:.4f}, "
          f"validation loss {constant.val_loss:.4f}")
    print(f"best warmup + cosine: peak {scheduled.peak_lr:g}, validation loss {scheduled.val_loss:.4f}")
    if reached is None:
        print("warmup + cosine did not reach that training loss within the run")
    else:
        saved = 1 - reached / total_steps
        print(f"warmup + cosine reached the constant run's final training loss after {reached} steps: "
              f"{saved:.0%} fewer steps")
        price, hours = 0.85, 3.5  # dollars per GPU-hour; a small fine-tuning job
        print(f"on a {hours}-GPU-hour job at ${price}/GPU-hour (${hours * price:.2f}), that is "
              f"${hours * price * saved:.2f} saved per run, or a better model for the same bill")
    """),
    md("""
    ## Rules of thumb

    From this lesson's runs:

    1. **Always decay.** At the same peak, every decaying schedule ended with a lower validation
       loss than the constant rate, and those that glide to zero also with the lowest training
       loss. Cosine or linear decay to zero is a safe default.
    2. **Add a short warmup, 5-10% of the steps.** It costs little at a moderate peak and makes a
       high peak usable; fine-tuning recipes for large pre-trained models use it for exactly that
       reason (with peaks around 1e-5 to 1e-4 for AdamW).
    3. **Tune the peak together with the schedule.** Decaying schedules stay good over a wider
       range of peaks, up to several times the constant rate's best; none rescues a peak that is
       too low.
    4. **Which decaying schedule matters less than having one.** The best few were within
       seed-to-seed noise here; take the one your framework makes easiest and spend the tuning
       budget on the peak rate.
    5. **Set the schedule's length to the real number of steps.** Cosine and linear decays reach
       zero at the step count you give them; stopping early leaves the rate high, and one-cycle
       refuses to run past its end.
    """),
]


def main():
    path = write_notebook("course/05_lr_schedules.ipynb", CELLS, id_prefix="l05")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
