"""Generate course/08_gradient_clipping.ipynb (lesson 8: exploding gradients and gradient clipping).

    .venv/bin/python tools/notebooks/lesson08.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/08_gradient_clipping.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 8 · Gradient clipping: insurance against exploding gradients

    Models that read long sequences (recurrent networks, and the transformers behind today's language
    models reading long documents or conversations) now and then produce a gradient hundreds of times
    larger than usual. One such step can throw away what the model learned over the steps before it:
    the loss **spikes**, sometimes for good. **Gradient clipping** caps the size of each step. It is
    on by default in most fine-tuning recipes, usually at a threshold of 1.0.

    **After this lesson you can decide**

    * whether a run needs clipping, and how to spot exploding gradients in its logs;
    * whether to clip by norm or by value;
    * which threshold to use (1.0 or 5.0 or something else), from the gradient norms you measure;
    * what clipping costs (next to nothing) and what an unclipped spike can cost.
    """),
    code("""
    %matplotlib inline
    import time

    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit import clipping as cl
    from coursekit.log_ticks import plain_log_ticks
    from coursekit.style import apply_style, color_cycle, label_axes
    from minigrad.nn.utils import clip_grad_norm_

    apply_style()
    """),
    md("""
    ## 1. Why gradients explode

    A recurrent network reads a sequence one element at a time and keeps a **memory** (its hidden
    state), updated at every step with the same weights. To learn, the gradient has to travel back
    through every one of those steps, and at each one it is multiplied by (roughly) those same
    recurrent weights. Multiply by a number a little below 1 fifty times and almost nothing is left:
    0.9⁵⁰ ≈ 0.005. A little above 1, and it blows up: 1.1⁵⁰ ≈ 117.

    Measured on our small network (16 memory units, untrained): how much the network's answer moves
    when an input *k* steps before the end changes. The **gain** sets the size of the recurrent
    weights.
    """),
    code("""
    gains = [0.5, 1.0, 1.5, 2.5]
    fig, ax = plt.subplots(figsize=(9, 4.6))
    for gain, color in zip(gains, color_cycle(len(gains))):
        steps_back, influence = cl.input_influence(gain, seq_len=100)
        ax.plot(steps_back, influence, color=color, label=f"gain {gain}")
        print(f"gain {gain}: influence of the input 1 step back {influence[1]:.2g}, 50 steps back {influence[50]:.2g}")
    ax.set_yscale("log")
    label_axes(ax, "How far back can the network feel an input?", "steps before the end of the sequence",
               "size of the gradient (log scale)", legend=True)
    plt.show()
    """),
    md("""
    The vertical axis spans dozens of decades: with small recurrent weights the gradient from fifty
    steps back has all but vanished (the network cannot learn long-range patterns: *vanishing*
    gradients). With large ones it grows without bound (*exploding* gradients). Training pushes a
    network that needs a long memory towards the boundary between the two, where a small change of
    the weights can tip it over: that is when the spikes come.

    ## 2. The model and its task

    The network reads a sequence of 50 random numbers, one per step, and must report a **fading sum**
    at the end: the last number counts fully, the one before 0.9 times, the one before that 0.81
    times, and so on, like a running score of daily signals where recent days matter most. Each
    optimizer step draws a fresh batch of 32 sequences (there is no fixed training set to overfit).
    It trains with SGD, momentum 0.9, learning rate 0.05; every run below starts from the same
    weights and sees the same batches, so only the clipping differs.
    """),
    code("""
    model = cl.TinyRNN(hidden=cl.HIDDEN, gain=cl.GAIN, seed=0)
    n_weights = sum(p.data.size for p in model.parameters())
    print(f"recurrent network: {cl.HIDDEN} memory units, {n_weights} weights, unrolled over {cl.SEQ_LEN} steps")
    print(f"training: {cl.STEPS} steps of SGD (lr {cl.LR}, momentum 0.9) on batches of 32 fresh sequences")
    """),
    md("""
    ## 3. Training without clipping

    Alongside the loss, log the **gradient norm** of every step: the length of the whole gradient
    vector, all weights together (the same number `clip_grad_norm_` returns). Both on log scales,
    because a spike is a jump by a factor, not by an amount.

    **A note on the numbers.** Exploding gradients make training *chaotic*: a difference in the
    thirteenth digit of a weight, the kind two different processors produce when they round, is
    enough to move a spike or remove it. The outputs below are those of the machine that ran this
    notebook; on yours the spikes may land elsewhere, with different numbers. The patterns the
    lesson draws from them hold; section 5 checks them over several seeds.
    """),
    code("""
    off = cl.train_rnn(None, lr=cl.LR, seed=cl.SEED)
    print(off.summary())
    print("diagnose:", off.diagnosis)
    """, ignore_output=True),
    code("""
    fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(13, 4.5))
    cl.plot_traces(ax_loss, ax_norm, [off])
    plt.show()
    """),
    code("""
    typical = np.median(off.grad_norms[:30])
    spike = int(np.argmax(off.grad_norms))
    best_step, best_loss = cl.best_point(off.losses)
    print(f"typical gradient norm over the first 30 steps: {typical:.2f}")
    print(f"largest: step {spike + 1}, gradient norm {off.grad_norms[spike]:,.0f} "
          f"({off.grad_norms[spike] / typical:,.0f} times typical)")
    print(f"loss around it: {np.round(off.losses[spike - 3:spike + 4], 2)}")
    print(f"best loss (10-step average) {best_loss:.3f} at step {best_step}; at the end {off.final_loss:.3f}")
    """, ignore_output=True),
    md("""
    The run learns for a while, then grows unsteady: the gradient norm starts to jump, and one step
    arrives with a gradient thousands of times its usual size. That step throws the weights far off;
    the loss jumps and never gets back to where it was. Every step after the run's best point was
    paid for and lost. In a real job this is the "periodic instability spike" that is hard to
    diagnose unless you log the gradient norm.

    ## 4. Clipping by norm

    `clip_grad_norm_(parameters, max_norm)` looks at the whole gradient as one long vector. If its
    length is above `max_norm`, it shrinks every entry by the same factor so that the length becomes
    `max_norm`; the direction stays exactly the same. If it is below, nothing changes. It goes between
    computing the gradient and taking the step:

    ```python
    loss.backward()
    total_norm = clip_grad_norm_(model.parameters(), max_norm=1.0)  # returns the norm before clipping: log it
    optimizer.step()
    ```

    Two common thresholds, 1.0 and 5.0, on the same run (same starting weights, same batches):
    """),
    code("""
    norm_1 = cl.train_rnn("norm", 1.0, lr=cl.LR, seed=cl.SEED)
    norm_5 = cl.train_rnn("norm", 5.0, lr=cl.LR, seed=cl.SEED)
    for run in (off, norm_1, norm_5):
        print(run.summary())
    """, ignore_output=True),
    code("""
    fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(13, 4.5))
    cl.plot_traces(ax_loss, ax_norm, [off, norm_5, norm_1])
    plt.show()
    """),
    md("""
    Both thresholds stop the catastrophe. The gradient norm here is typically between 1 and 2, so a
    threshold of 1.0 shortens about half of the steps a little, and every spike a lot; 5.0 touches only
    the rare large steps. The right panel shows why a threshold is easy to choose once you log the
    norm: the typical level is plain to see, and the spikes stand out by orders of magnitude.

    ## 5. One run proves little: four seeds

    Where spikes land is a matter of chance, so compare the settings over several runs: four seeds,
    each a different start and a different stream of batches (the featured run above is seed 3).
    """),
    code("""
    settings = [(None, None), ("norm", 1.0), ("norm", 5.0)]
    study = cl.seed_study(settings, seeds=[0, 1, 2])
    for setting, run in zip(settings, (off, norm_1, norm_5)):
        study[setting].append(run)
    print("final loss per seed:  seed 0   seed 1   seed 2   seed 3   (largest gradient norm)")
    for setting, runs in study.items():
        losses = "".join(f"{run.final_loss:9.3f}" for run in runs)
        print(f"{runs[0].name:<20}{losses}   ({max(run.grad_norms.max() for run in runs):,.0f})")
    """, ignore_output=True),
    code("""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for offset, (setting, runs) in zip((-0.15, 0.0, 0.15), study.items()):
        style = cl.clip_style(*setting)
        ax.plot(np.arange(4) + offset, [run.final_loss for run in runs], marker="o", markersize=9,
                linestyle="none", color=style["color"], label=runs[0].name)
    ax.set_yscale("log")
    plain_log_ticks(ax, "y")
    ax.set_xticks(range(4), [f"seed {seed}" for seed in range(4)])
    label_axes(ax, "Final loss of each run", "run (starting weights and batches)",
               "final loss (mean squared error, log scale)", legend=True)
    plt.show()
    mean_final = {runs[0].name: np.mean([run.final_loss for run in runs]) for runs in study.values()}
    print("average final loss over the four seeds, best first:", ", ".join(sorted(mean_final, key=mean_final.get)))
    """),
    md("""
    Without clipping, every seed ended far above clipping at 1.0, which was the best, or tied for it,
    every time. At
    5.0 the result depends on the run: as good as 1.0 on some seeds, several times worse on others,
    once even worse than no clipping at all. A step five times the typical length can still knock the
    model off, and when it happens is chance. The threshold protects reliably when it sits near the
    gradient norms the model **normally** has.

    ## 6. Clipping by value

    `clip_grad_value_(parameters, clip_value)` clamps each entry of the gradient on its own into
    `[-clip_value, clip_value]`. Large entries are cut, small ones are kept, so unlike clipping by norm
    it **changes the direction** of the step. How much: the cosine between the gradient before and
    after clipping (1 means the same direction).
    """),
    code("""
    value_01 = cl.train_rnn("value", 0.1, lr=cl.LR, seed=cl.SEED)
    value_1 = cl.train_rnn("value", 1.0, lr=cl.LR, seed=cl.SEED)
    for run in (norm_1, value_01, value_1):
        print(run.summary())
    for run in (value_01, value_1):
        print(f"{run.name}: cosine before/after clipping, mean {run.cosines.mean():.3f}, "
              f"lowest {run.cosines.min():.3f}")
    """, ignore_output=True),
    code("""
    fig, (ax_loss, ax_cos) = plt.subplots(1, 2, figsize=(13, 4.5))
    for run in (norm_1, value_01, value_1):
        style = cl.clip_style(run.mode, run.threshold)
        if run.mode == "value" and run.threshold >= 1:
            style["linestyle"] = ":"
        steps = np.arange(1, len(run.losses) + 1)
        ax_loss.plot(steps, run.losses, label=run.name, linewidth=1.6, **style)
        ax_cos.plot(steps[:len(run.cosines)], run.cosines, label=run.name, linewidth=1.4, **style)
    ax_loss.set_yscale("log")
    plain_log_ticks(ax_loss, "y")
    label_axes(ax_loss, "Training loss", "optimizer step", "loss (mean squared error, log scale)", legend=True)
    label_axes(ax_cos, "Does the clipped step point the same way?", "optimizer step",
               "cosine, gradient before vs after clipping", legend=True)
    ax_cos.set_ylim(0.5, 1.02)
    plt.show()
    """),
    md("""
    Clipping by value at 0.1 also tames this run (here it even ended a little lower), but it bends
    nearly every step: the threshold is small enough to touch almost every step, so it acts on the
    direction of training all the time, not only in emergencies, and the right value depends on how
    many weights there are and on their scale. At 1.0 it hardly bends anything, and it barely limits
    the length either:
    a gradient can be huge with every entry below 1 when there are many entries (this small network
    has a few hundred; a language model has millions), so harmful steps get through. That is why
    recipes for transformers clip **by norm**: one number, a direction that is kept, and a cap on the
    length of every step.

    ## 7. Try it: threshold, mode and learning rate

    The threshold slider runs on a log scale from 0.01 to 100, with **off** at the far right. The run
    without clipping at the same learning rate stays in the background, faint; black dots mark the
    steps where clipping changed the gradient. Each move trains a fresh network (about a second;
    settings you have visited are remembered). Things to try:

    * threshold **1** by norm, then **5**, **20**, **off**: at which point do the spikes come back?
    * threshold **0.1** by norm: every step is clipped; clipping then acts like a smaller learning rate;
    * learning rate **0.01** with clipping **off**: a smaller rate also avoids the spikes, at the
      price of slower training; and **0.2** with clipping at 1: how far does the insurance go?
    """),
    code("""
    cl.clipping_widget(threshold=1.0, lr=cl.LR, mode="norm", seed=cl.SEED,
                       reference=[off, norm_1, norm_5, value_01, value_1])
    """, ignore_output=True),
    md("""
    ## 8. What clipping costs

    Clipping by norm adds one pass over the gradients per step (square, add, maybe scale). Measured
    against a whole training step of this network:
    """),
    code("""
    params = list(model.parameters())
    x, y = cl.fading_sum_batch(np.random.default_rng(0), 32, cl.SEQ_LEN)
    started = time.perf_counter()
    for _ in range(5):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
    step_time = (time.perf_counter() - started) / 5
    started = time.perf_counter()
    for _ in range(200):
        clip_grad_norm_(params, 1.0)
    clip_time = (time.perf_counter() - started) / 200
    print(f"forward + backward: {step_time * 1e3:.1f} ms; clip_grad_norm_: {clip_time * 1e3:.3f} ms "
          f"({clip_time / step_time:.2%} of a step)")
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    From this lesson's runs (this machine's numbers are printed below):

    1. **Log the gradient norm of every step.** `clip_grad_norm_` returns it for free. Spikes of
       hundreds or thousands of times the typical norm are the signature of exploding gradients; a
       loss curve alone shows them only after the damage is done.
    2. **Turn clipping on for recurrent and transformer models on long sequences.** It costs a
       fraction of a percent of a step; without it, every seed here ended far worse than with clipping
       at 1.0, and the featured run lost the progress it had made.
    3. **Clip by norm.** It keeps the direction of every step and caps its length. Clipping by value
       either bends the steps (small thresholds) or lets harmful steps through (large ones).
    4. **Set the threshold near the typical gradient norm.** 1.0 is the common default for
       transformers and was the most reliable here, where norms ran at 1 to 2. A threshold several
       times the typical norm (5.0 here) helps, but not every time. If the log shows clipping on
       nearly every step, the threshold is too low or the learning rate too high.
    5. **Clipping is insurance, not a fix for a bad learning rate.** It keeps a good run from being
       wrecked by a rare step; a rate that is too high needs lowering (lessons 2 and 6).
    6. **Judge settings over a few runs, not one.** Spikes are chance events: a single run can make
       a weak setting look fine.
    """),
    code("""
    wasted = cl.STEPS - best_step
    print(f"typical gradient norm (median, unclipped run): {np.median(off.grad_norms):.2f}; "
          f"largest {off.grad_norms.max():,.0f}")
    print(f"no clipping: final loss {off.final_loss:.3f}; {wasted} of {cl.STEPS} steps ({wasted / cl.STEPS:.0%}) "
          f"came after the run's best point")
    print(f"clip by norm 1.0: final loss {norm_1.final_loss:.3f}, clipped on {norm_1.clipped_fraction:.0%} of steps")
    print(f"clip by norm 5.0: final loss {norm_5.final_loss:.3f}, clipped on {norm_5.clipped_fraction:.0%} of steps")
    print(f"on the brief's $2.98 job, that share of the steps is ${2.98 * wasted / cl.STEPS:.2f} paid for nothing, "
          f"and a rerun costs the full $2.98 again")
    """, ignore_output=True),
]


def main():
    path = write_notebook("course/08_gradient_clipping.ipynb", CELLS, id_prefix="l08")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
