"""Generate course/02_learning_rate.ipynb (lesson 2: the learning rate).

    .venv/bin/python tools/notebooks/lesson02.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/02_learning_rate.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 2 · The learning rate

    The learning rate is the size of each step downhill. It is the setting most likely to make a
    training run fail, and the first thing to check when a model does not learn. This lesson runs
    plain gradient descent with four learning rates on two small losses and measures what each
    choice does and what it costs.

    **After this lesson you can decide**

    * from a loss curve, whether a learning rate is too small, about right, or too large;
    * where the ceiling is: the *critical* learning rate 2/L above which training blows up, and
      why the best rate usually sits not far below it;
    * how many more steps (and so how much more money) a badly chosen rate costs.

    Run the cells from top to bottom (**Shift+Enter**). Every number is computed as you run it.
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit.style import COLORS, ROLE_COLORS, apply_style, label_axes
    from coursekit.surfaces import draw_surface, get_surface
    from coursekit.trajectories import draw_path, trajectory
    from coursekit.widgets import lr_compute, lr_explorer, regime, steps_to_converge

    apply_style()
    bowl, valley = get_surface("bowl"), get_surface("valley")
    """),
    md("""
    ## 1. Two losses with two weights

    Real models have millions of weights, but two are enough to see what a learning rate does.
    Both losses below are *quadratics*, the shape every smooth loss has close to its minimum:

    * the **bowl** is about equally steep in every direction;
    * the **valley** is 20 times steeper across than along (it is the example of the d2l.ai
      book). Most real losses look more like the valley: some weights matter far more than
      others.

    The steepness of a quadratic in each direction is its *curvature*. The largest one is called
    **L**, and it sets the limit on the learning rate: we will see why in section 3.
    """),
    code("""
    for surface in (bowl, valley):
        print(f"{surface.title:24s} loss = {surface.formula:18s}  L = {surface.lipschitz:g}   "
              f"2/L = {surface.critical_lr:g}   steep/flat = {surface.condition_number:g}")
    print(f"both start at {bowl.start}; the minimum (loss 0) is at {bowl.minimum}")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, surface in zip(axes, (bowl, valley)):
        draw_surface(ax, surface)
        label_axes(ax, f"{surface.title}: {surface.formula}", legend=True)
    plt.show()
    """),
    md("""
    ## 2. Four learning rates, two losses

    We take 100 steps of gradient descent from the same start with four learning rates: far
    below the limit 2/L = 0.5, at half of it, just below it, and just above it. The paths come
    from minigrad's own SGD update rule (`minigrad.optim.functional.sgd`).
    """),
    code("""
    RATES = {"too small": 0.001, "right": 0.25, "too large": 0.49, "far too large": 0.6}
    REGIME_COLORS = dict(zip(RATES, [ROLE_COLORS[k] for k in ("too_small", "good", "too_large", "diverges")]))
    STEPS = 100
    runs = {(s.key, name): lr_compute(s, lr, steps=STEPS) for s in (bowl, valley) for name, lr in RATES.items()}

    fig, axes = plt.subplots(2, 4, figsize=(15, 6.6), sharex=True, sharey=True, dpi=80)  # smaller PNG
    for row, surface in zip(axes, (bowl, valley)):
        for ax, (name, lr) in zip(row, RATES.items()):
            run = runs[surface.key, name]
            draw_surface(ax, surface)
            draw_path(ax, run.path, surface, color=REGIME_COLORS[name], markersize=2)
            status = f"diverged at step {run.path.diverged_at}" if run.path.diverged else f"loss {run.path.final_loss:.2g}"
            ax.set_title(f"{surface.title.split()[-1]} · {name}\\nlr {lr:g}: {status}", fontsize=11)
    fig.suptitle(f"{STEPS} steps of gradient descent (white dot: start, star: minimum)")
    plt.show()
    """),
    md("""
    What the four paths show:

    * **too small** (0.001): every step is tiny. After 100 steps the weights have barely left the
      start.
    * **right** (0.25, half of 2/L): the path heads for the minimum. On the bowl it arrives; on
      the valley it quickly drops to the valley floor, then walks slowly along the flat direction.
    * **too large** (0.49, just under 2/L): each step overshoots across the steep direction and
      the path zigzags. It still converges, because every zig is a little smaller than the zag
      before it.
    * **far too large** (0.6, above 2/L): each overshoot is *larger* than the last. The weights
      fly off and the loss explodes.

    ### What their loss curves look like

    On a real model you never see the path: you see the loss curve. `minigrad.training.diagnose`
    reads a loss curve the way an experienced practitioner does and names it. Here it is on our
    eight runs.
    """),
    code("""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, surface in zip(axes, (bowl, valley)):
        for name, lr in RATES.items():
            run = runs[surface.key, name]
            losses = np.maximum(run.path.losses, 1e-12)  # the log axis cannot show 0
            ax.plot(losses, color=REGIME_COLORS[name], label=f"lr {lr:g} ({name}): {run.label}")
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e8)
        label_axes(ax, f"{surface.title}", "step", "loss (log scale)", legend=True, legend_loc="lower left")
    plt.show()

    print(f"{'loss':8s} {'lr':>6s}  {'lr / (2/L)':>10s}  {'diagnose says':14s} hint")
    for (key, name), run in runs.items():
        print(f"{key:8s} {run.lr:6g}  {run.ratio:10.3g}  {run.label:14s} {run.hint}")
    """),
    md("""
    Three things to notice.

    1. **Too small looks like "too slow"**: a loss that creeps down in a straight line. The cure
       is a larger rate, not more patience.
    2. **Far too large looks like "diverging"**: the loss climbs by orders of magnitude within a
       few dozen steps, and `diagnose` reports the step where it blew up.
    3. **The zigzag is invisible in the loss curve.** At 0.49 the loss still falls at every step
       and `diagnose` calls the run healthy. The price shows up elsewhere: in the number of steps
       needed, which the next section measures.
    """),
    md("""
    ## 3. The critical learning rate 2/L

    Along a direction with curvature λ, one step of gradient descent multiplies the distance to
    the minimum by **(1 − lr · λ)**. If that factor lies between −1 and 1 the distance shrinks;
    once lr · λ passes 2, the factor is below −1 and every step overshoots by more than it
    corrects. The steepest direction reaches that point first, at **lr = 2 / L**.

    The table computes the factor for each rate and direction; a factor beyond ±1 means divergence.
    """),
    code("""
    print(f"{'lr':>6s} | {'bowl λ=2':>9s} {'bowl λ=4':>9s} | {'valley λ=0.2':>12s} {'valley λ=4':>10s} | regime")
    for name, lr in RATES.items():
        f = [1 - lr * curvature for curvature in (2.0, 4.0, 0.2, 4.0)]
        print(f"{lr:6g} | {f[0]:9.3f} {f[1]:9.3f} | {f[2]:12.4f} {f[3]:10.3f} | {regime(valley, lr)}")
    """),
    md("""
    Now the same fact measured rather than derived: the loss after 100 steps for 80 learning rates
    between 0.0001 and 1. Left of the dashed line (2/L) every run converges; right of it every run
    diverges. The boundary is sharp: a cliff.
    """),
    code("""
    sweep = np.geomspace(1e-4, 1.0, 80)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for surface, color in ((bowl, COLORS["blue"]), (valley, COLORS["vermillion"])):
        final = np.array([trajectory("SGD", surface, steps=STEPS, lr=lr).final_loss for lr in sweep])
        ax.plot(sweep, np.maximum(final, 1e-30), color=color, marker="o", markersize=3, label=surface.title)
        first_bad = sweep[np.isnan(final)].min()
        print(f"{surface.title:24s}: converges up to lr {sweep[~np.isnan(final)].max():.4f}, "
              f"diverges from lr {first_bad:.4f}  (2/L = {surface.critical_lr:g})")
    ax.axvline(0.5, color=ROLE_COLORS["diverges"], linestyle="--", label="2/L = 0.5")
    ax.axvspan(0.5, 1.0, color=ROLE_COLORS["diverges"], alpha=0.12, label="diverges (no point drawn)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_axes(ax, f"Loss after {STEPS} steps", "learning rate (log scale)", "final loss (log scale)",
               legend=True, legend_loc="lower left")
    plt.show()
    """),
    md("""
    ## 4. What each rate costs in steps

    A training run is paid for by the step. The chart below counts the steps gradient descent
    needs to bring the loss down to one thousandth of where it started, for each learning rate,
    on both losses.
    """),
    code("""
    lrs = np.geomspace(1e-3, 0.6, 70)
    costs = {s.key: steps_to_converge(s, lrs)[1] for s in (bowl, valley)}
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for surface, color in ((bowl, COLORS["blue"]), (valley, COLORS["vermillion"])):
        ax.plot(lrs, costs[surface.key], color=color, label=surface.title)
    ax.axvline(0.5, color=ROLE_COLORS["diverges"], linestyle="--", label="2/L (beyond it: never)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_axes(ax, "Steps to reach 1/1000 of the starting loss", "learning rate (log scale)",
               "steps (log scale)", legend=True)
    plt.show()

    table_lrs = [0.001, 0.01, 0.05, 0.125, 0.25, 0.4, 0.45, 0.49, 0.51]
    cost_bowl = steps_to_converge(bowl, table_lrs)[1]
    cost_valley = steps_to_converge(valley, table_lrs)[1]
    best_bowl, best_valley = np.nanmin(costs["bowl"]), np.nanmin(costs["valley"])
    print(f"{'lr':>6s} | {'bowl steps':>10s} {'x best':>7s} | {'valley steps':>12s} {'x best':>7s}")
    for lr, b, v in zip(table_lrs, cost_bowl, cost_valley):
        show = lambda n, best: (f"{n:10.0f} {n / best:7.1f}" if np.isfinite(n) else f"{'never':>10s} {'-':>7s}")
        print(f"{lr:6g} | {show(b, best_bowl)} | {show(v, best_valley)}")
    print(f"best: bowl {best_bowl:.0f} steps at lr {lrs[np.nanargmin(costs['bowl'])]:.3f}, "
          f"valley {best_valley:.0f} steps at lr {lrs[np.nanargmin(costs['valley'])]:.3f}")
    """),
    md("""
    How to read it:

    * **Too small is expensive in proportion**: ten times smaller than necessary means about ten
      times the steps, ten times the GPU bill.
    * **The cheapest rate sits close to the cliff.** On the valley it is just below 2/L; on the
      bowl it is lower (the zigzag of a too-large rate costs steps again). Either way, one step
      further right and the run never finishes.
    * **The valley is slower at its best rate.** The rate is capped by the steep direction (2/L
      comes from L = 4), but the minimum is reached only when the flat direction (curvature 0.2)
      has been crossed too. The ratio steep/flat, the *condition number*, multiplies the number
      of steps. Lesson 4 shows optimizers that work around this.
    """),
    md("""
    ## 5. Try it yourself

    Drag the learning-rate slider (it is logarithmic: each notch multiplies the rate). The left
    panel shows the path, the middle one the loss curve with `diagnose`'s verdict in its title, and
    the right one where your rate sits on the cost curve; the shaded area is beyond 2/L. Switch
    between the bowl and the valley with the dropdown.

    Things to look for: the rate where the path starts to zigzag (lr · L = 1, that is 0.25 here),
    the rate where it stops converging (0.5), and how flat the cost curve is between them.
    """),
    code("""
    lr_explorer("valley", lr=0.1)
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    Drawn from the runs above:

    1. **A loss that creeps down in a straight line means the rate is too small.** Going ten
       times smaller than necessary made the runs here take about ten times as many steps: ten
       times the cost.
    2. **A loss that climbs, or turns into NaN, means the rate is too large.** Divide it by 10
       first, then narrow down. There is no "slightly diverging": past 2/L every run here failed.
    3. **The best rate is near the edge.** The cheapest runs above used a rate between half of
       2/L and 2/L. In practice, find the rate where training blows up (lesson 6 shows a quick
       test for it) and use one about 3 to 10 times smaller.
    4. **The loss curve does not show everything.** The zigzagging run looked healthy to
       `diagnose` and still cost more steps than a rate half its size on the bowl. Compare runs by
       steps to a target loss, not by the look of the curve.
    5. **Uneven weights slow everything down.** On the valley, the best rate needed several times
       more steps than on the bowl. That gap is what Momentum and Adam (lesson 4) are for.
    """),
]

if __name__ == "__main__":
    print(write_notebook("course/02_learning_rate.ipynb", CELLS, id_prefix="lesson02"))
