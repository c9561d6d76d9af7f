"""Generate course/04_optimizers.ipynb (lesson 4: Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW).

    .venv/bin/python tools/notebooks/lesson04.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/04_optimizers.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 4 · Optimizers: Momentum, AdaGrad, RMSProp, Adam, AdamW

    Plain gradient descent takes each step straight downhill with one learning rate for every
    weight. The optimizers in this lesson change one of those two things: **Momentum** (and
    **Nesterov**) remember the previous steps; **AdaGrad**, **RMSProp** and **Adam** give every
    weight its own step size; **AdamW** is Adam with weight decay done properly. They race here on
    the same losses, with the same start, using minigrad's own update rules.

    **After this lesson you can decide**

    * which optimizer to start from (and why AdamW is the default for fine-tuning transformers);
    * what momentum and Adam's betas do, and when changing them helps;
    * why "Adam with weight decay" and "AdamW" are not the same setting, and which one a
      training recipe means.

    Each optimizer keeps one colour for the whole course. Run the cells from top to bottom.
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit.optimizer_demos import (decay_versus_gradient, effective_step_sizes, escape_step,
                                           train_digit_classifier)
    from coursekit.style import COLORS, OPTIMIZER_COLORS, apply_style, label_axes, optimizer_style
    from coursekit.surfaces import RACE_SURFACES, draw_surface, get_surface
    from coursekit.trajectories import draw_path, trajectory
    from coursekit.widgets import optimizer_race, race_compute

    apply_style()
    valley = get_surface("valley")
    print("race order and colours:", ", ".join(OPTIMIZER_COLORS))
    """),
    md("""
    ## 1. Momentum: remember where you were going

    On the ill-conditioned valley of lesson 2 (0.1·x1² + 2·x2²), plain SGD with a safe learning
    rate drops quickly to the valley floor and then crawls along it. **Momentum** keeps a running
    sum of past gradients (the *velocity*, decayed by the factor `momentum`, usually 0.9) and
    steps along it. Across the valley the gradients flip sign and cancel; along it they agree and
    add up, so the velocity builds where progress is needed.

    **Nesterov** momentum looks one step ahead before computing the gradient, which damps the
    overshoot a little.
    """),
    code("""
    LR = 0.03
    paths = {name: trajectory(name, valley, steps=300, lr=LR) for name in ("SGD", "Momentum", "Nesterov")}
    target = 1e-3 * valley.loss(valley.start)

    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.3), width_ratios=(1.2, 1))
    draw_surface(ax_path, valley)
    for path in paths.values():
        draw_path(ax_path, path, valley, markersize=2)
        ax_loss.plot(np.maximum(path.losses, 1e-12), **optimizer_style(path.name))
    label_axes(ax_path, f"Same learning rate {LR}, 300 steps", legend=True)
    ax_loss.set_yscale("log")
    label_axes(ax_loss, "Loss", "step", "loss (log scale)", legend=True)
    plt.show()

    for path in paths.values():
        reached = path.steps_to(target)
        print(f"{path.name:9s} steps to 1/1000 of the starting loss: {reached if reached is not None else 'not in 300'}")
    """),
    md("""
    With the same learning rate, Momentum and Nesterov reach the target in a fraction of the
    steps SGD needs, at the price of overshooting and swinging back (the loops in the path). With
    momentum 0.9 the steps along a steady slope become up to 1 / (1 − 0.9) = 10 times longer,
    which is why a momentum run usually wants a smaller learning rate than plain SGD.

    ## 2. One step size per weight: AdaGrad, RMSProp, Adam

    The adaptive methods divide each weight's step by a running measure of how large that weight's
    gradients have been:

    * **AdaGrad** divides by the root of the *sum* of all past squared gradients, so its steps
      only ever shrink;
    * **RMSProp** divides by the root of a *moving average* of recent squared gradients, so it
      forgets old gradients;
    * **Adam** does the same as RMSProp and also uses momentum (β1 for the momentum, β2 for the
      average of squares).

    The *effective* learning rate of a weight is the size of its step divided by the size of its
    gradient. For SGD it is the learning rate, for every weight, always. Below it is measured
    step by step with `minigrad.optim.functional.step_stats` on the valley, for its flat weight x1
    and its steep weight x2.
    """),
    code("""
    sgd_rates = effective_step_sizes("SGD", valley, 100, lr=0.1)
    adam_rates = effective_step_sizes("Adam", valley, 100, lr=0.1)

    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    steps = np.arange(1, 101)
    ax.plot(steps, sgd_rates[:, 0], color=OPTIMIZER_COLORS["SGD"], label="SGD: x1 and x2 (identical)")
    ax.plot(steps, adam_rates[:, 0], color=OPTIMIZER_COLORS["Adam"], label="Adam: flat weight x1")
    ax.plot(steps, adam_rates[:, 1], color=OPTIMIZER_COLORS["Adam"], linestyle=":", label="Adam: steep weight x2")
    ax.set_yscale("log")
    label_axes(ax, "Effective learning rate per weight (lr = 0.1 for both)", "step",
               "|step| / |gradient| (log scale)", legend=True)
    plt.show()

    for name, rates in (("SGD", sgd_rates), ("Adam", adam_rates)):
        ratio = np.median(rates[:30, 0] / rates[:30, 1])
        print(f"{name:4s} first 30 steps: median effective rate x1 {np.median(rates[:30, 0]):.3g}, "
              f"x2 {np.median(rates[:30, 1]):.3g}  (x1 gets {ratio:.1f} times the rate of x2)")
    """),
    md("""
    SGD gives both weights the same rate. Adam gives the flat weight, whose gradients are small,
    a larger effective rate, and the steep one a smaller one: its step is roughly the learning
    rate *in every direction*, whatever the size of the gradient. That is why Adam copes with
    weights of very different sensitivity, and why its learning rate means something different
    from SGD's: **a good Adam learning rate is not a good SGD learning rate.** The race below
    therefore has two learning-rate controls, one for the SGD family and one for the adaptive
    family.

    ## 3. The race

    Seven optimizers, six surfaces, the same start and 300 steps each. The learning rates are
    each surface's suggested pair (one for the SGD family, one for the adaptive family), the
    other settings are PyTorch's defaults (momentum 0.9, betas (0.9, 0.999), AdamW's weight decay
    0.01).

    * **valley**: the ill-conditioned quadratic;
    * **tilted valley**: the same valley turned by 30°, so its axes no longer match the weights;
    * **Rosenbrock**: a curved, flat-bottomed banana-shaped valley;
    * **Beale**: steep walls next to nearly flat plateaus;
    * **saddle**: the start sits almost exactly on a ridge between two minima;
    * **noisy**: the valley with random noise added to every gradient, like a mini-batch.
    """),
    code("""
    ALL = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW")
    races = {key: race_compute(key, ALL) for key in RACE_SURFACES}

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), dpi=80)  # a smaller PNG for a big figure
    for ax, key in zip(axes.ravel(), RACE_SURFACES):
        surface = get_surface(key)
        draw_surface(ax, surface)
        for path in races[key].values():
            draw_path(ax, path, surface, markersize=0, linewidth=1.5)
        lr = surface.default_lr
        ax.set_title(f"{surface.title}\\nlr {lr['sgd']:g} (SGD family), {lr['adaptive']:g} (adaptive)", fontsize=11)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles[2:], labels[2:], loc="lower center", ncols=7, bbox_to_anchor=(0.5, -0.03))
    plt.show()
    """),
    md("""
    The table counts the steps each optimizer needs to bring the loss within 1/100 of the way
    from its start to the minimum; "—" means not within 300 steps. On the noisy valley no run
    ever settles exactly, so its row shows where each one settles instead: the average loss over
    the last 100 steps (lower is better).
    """),
    code("""
    print(f"{'surface':14s}" + "".join(f"{name:>10s}" for name in ALL))
    for key, paths in races.items():
        surface = get_surface(key)
        low = surface.loss(surface.minimum)
        cells = []
        for name in ALL:
            path = paths[name]
            if key == "noisy":
                cells.append(f"{np.mean(path.losses[-100:]) - low:10.3f}")
            else:
                reached = path.steps_to(low + 0.01 * (path.losses[0] - low))
                cells.append(f"{reached if reached is not None else '—':>10}")
        print(f"{key:14s}" + "".join(cells))
    """),
    md("""
    What the race shows (each point is visible in the plots and the table):

    * **No optimizer wins everywhere.** Momentum and Nesterov are hard to beat on the smooth
      valleys and the only ones to cross Rosenbrock's banana in 300 steps; RMSProp is fastest
      where gradient sizes vary wildly (Beale) and where the start is nearly flat (the saddle).
    * **AdaGrad slows down over time**: its steps only shrink, so it stalls before the minimum on
      every surface. That is why RMSProp and Adam, which forget old gradients, replaced it for
      deep networks.
    * **Adam's advantage depends on the axes.** On the tilted valley the steep and flat
      directions mix both weights, and Adam needs about twice as many steps as on the aligned
      valley, while Momentum does not care.
    * **Noise changes the ranking.** On the noisy valley Momentum and Nesterov settle highest:
      momentum adds up the noise along with the signal. Adam and AdamW settle lowest, because they
      divide by the running size of the gradients, noise included, and so take shorter steps
      where the gradients are mostly noise.

    ### Escaping a saddle

    The saddle surface starts at x2 = 0.001, almost exactly on the ridge. The gradient across the
    ridge is about as small as x2 itself, so plain SGD barely moves off it. Step counts until each
    path leaves the ridge (|x2| > 0.5):
    """),
    code("""
    for name, path in races["saddle"].items():
        step = escape_step(path.points)
        print(f"{name:9s} {'stays on the ridge for all 300 steps' if step is None else f'leaves the ridge at step {step}'}")
    """),
    md("""
    RMSProp and Adam divide the tiny gradient by its own tiny size, so they take full-sized steps
    off the ridge within a few steps (Adam a little later: its momentum first has to build up).
    Momentum gets off eventually by accumulating the tiny gradient; plain SGD sits on the ridge. In a large network, flat regions like this are common, and this is one reason adaptive
    methods train deep networks faster.

    ## 4. AdamW: weight decay, done properly

    *Weight decay* pulls every weight a little towards zero at every step, to keep a model from
    relying on a few huge weights. There are two ways to add it to Adam:

    * **Adam with L2** (`Adam(..., weight_decay=λ)`): add λ·w to the gradient. The decay then
      passes through Adam's per-weight scaling like any gradient;
    * **AdamW** (`AdamW(..., weight_decay=λ)`): shrink every weight by the factor (1 − lr·λ), then
      take Adam's step on the gradient alone. The decay is *decoupled* from the scaling.

    For SGD the two are the same. For Adam they are not, and it shows on a real model: a linear
    classifier for scikit-learn's 8×8 handwritten digits (1,437 training images, 360 held out),
    trained for 200 full-batch steps with minigrad's `Adam` and `AdamW` classes at learning rate
    0.01.
    """),
    code("""
    no_decay = train_digit_classifier("Adam", lr=0.01, weight_decay=0.0)
    adam_l2 = train_digit_classifier("Adam", lr=0.01, weight_decay=0.1)
    adamw = train_digit_classifier("AdamW", lr=0.01, weight_decay=0.1)

    print(f"{'run':22s} {'train loss':>10s} {'val accuracy':>13s} {'weight norm':>12s}")
    for label, run in (("no weight decay", no_decay), ("Adam, L2 = 0.1", adam_l2), ("AdamW, decay = 0.1", adamw)):
        print(f"{label:22s} {run.train_loss:10.3f} {run.val_accuracy:13.1%} {np.linalg.norm(run.weight):12.2f}")
    print(f"AdamW's decay alone would shrink a weight by (1 - 0.01 * 0.1) ** 200 = {(1 - 0.01 * 0.1) ** 200:.3f}")
    """),
    md("""
    With the same number λ = 0.1, the two runs are very different models: Adam with L2 shrinks the
    weights to a fraction of their size and loses accuracy, while AdamW shrinks them gently. The
    plot shows why. The 640 weights are sorted into six groups by how large their gradients were
    during training (in the run without decay); for each group, it shows how much weight decay
    shrank them.
    """),
    code("""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for run, name in ((adam_l2, "Adam"), (adamw, "AdamW")):
        rms, ratio = decay_versus_gradient(run, no_decay)
        ax.plot(rms, ratio, marker="o", color=OPTIMIZER_COLORS[name],
                label=f"{'Adam + L2' if name == 'Adam' else 'AdamW'} (weight decay 0.1)")
        print(f"{name:6s} shrink factor per group, smallest to largest gradients: {np.round(ratio, 3)}")
    ax.axhline(1.0, color=COLORS["grey"], linestyle="--", label="no shrinking")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.1)
    label_axes(ax, "How much weight decay shrank each group of weights",
               "typical gradient size of the group (RMS, log scale)", "‖w with decay‖ / ‖w without decay‖",
               legend=True, legend_loc="center right")
    plt.show()
    """),
    md("""
    AdamW shrinks every group by about the same factor, whatever its gradients: the decay does
    what its number says. Adam with L2 shrinks the weights with small gradients almost to zero and
    the others by an amount that depends on their gradients, because the decay term is divided by
    the same per-weight scale as the gradient. Its λ therefore has no fixed meaning: it interacts
    with the learning rate, the data and the model. This is the reason AdamW is the standard
    optimizer for training and fine-tuning transformers, and why a recipe's "weight decay 0.01"
    almost always means AdamW's.

    ## 5. Race them yourself

    Tick the optimizers to race, pick a surface, and move the sliders: the learning rate of the
    SGD family, the learning rate of the adaptive family, momentum (Momentum, Nesterov), and Adam's
    β1 and β2 (Adam, AdamW). Only the optimizers a control affects are recomputed, so the figure
    follows the slider. Runs that blow up are marked with an ✕ where they leave the plot and
    labelled with the step at which they diverged.

    Things to try: raise the SGD-family rate on the valley until Nesterov, then Momentum, then SGD
    diverge; lower β2 to 0.9 on the noisy valley; find the smallest adaptive rate at which Adam
    still escapes the saddle.
    """),
    code("""
    optimizer_race("valley")
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    Drawn from the races and the digit classifier above:

    1. **Start with AdamW** (β1 0.9, β2 0.999, weight decay about 0.01) for fine-tuning and for
       transformers. Its weight decay does what its number says (section 4); in the races it was
       rarely the fastest but reached the target on four of the five noise-free surfaces and
       settled lowest in the noise, with the default betas everywhere.
    2. **Learning rates do not transfer between families.** An SGD rate is a multiplier on the
       gradient; an Adam rate is roughly the step size per weight. When switching optimizer,
       search the learning rate again (lesson 6).
    3. **Momentum 0.9 is the default for SGD, and it makes steps up to 10 times longer**: if SGD
       with momentum diverges where plain SGD did not, lower the learning rate, not the momentum.
    4. **AdaGrad's steps only shrink.** It suits short problems with rare features; for long
       training use RMSProp or Adam.
    5. **"weight_decay" in Adam and in AdamW are different settings.** With the same 0.1, Adam + L2
       shrank the weights several times more than AdamW and cost accuracy. Check which optimizer a
       recipe's weight decay was tuned for before copying the number.
    6. **Compare optimizers by steps to a target loss** on your own problem: the rankings changed
       from one surface to the next.
    """),
]

if __name__ == "__main__":
    print(write_notebook("course/04_optimizers.ipynb", CELLS, id_prefix="lesson04"))
