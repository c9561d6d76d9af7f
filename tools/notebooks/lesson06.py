"""Generate course/06_lr_range_test.ipynb (lesson 6: the learning-rate range test).

    .venv/bin/python tools/notebooks/lesson06.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/06_lr_range_test.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 6 · The learning-rate range test

    Lesson 2 showed that the learning rate decides whether a run crawls, works or blows up, and that
    the good range can be narrow. Finding it by trial means full training runs at one rate after
    another: slow, and paid for by the hour. The **learning-rate range test** (Leslie Smith, 2015;
    the "LR finder" of fastai) finds it in one short run instead.

    **After this lesson you can decide**

    * which learning rate to start a new training job with, from a test that costs about a hundred
      steps;
    * how to read a range-test plot and its suggested rates without being fooled by them;
    * whether your pick is right, by checking it against rates ten times lower and higher, and what
      that check costs compared with a full search.
    """),
    code("""
    %matplotlib inline
    import math

    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit import range_test as rt
    from coursekit.style import apply_style

    apply_style()
    """),
    md("""
    ## 1. The idea in one sentence

    Train for a short while with a learning rate that **grows a little after every mini-batch**, from
    far too small to far too large, and watch the loss. While the rate is too small to matter, the
    loss stays flat; once it is useful, the loss falls; when it gets too large, the loss shoots up.
    A good rate sits on the falling stretch. The test then puts the model back exactly as it was,
    so it changes nothing: it only looks.

    ## 2. The model we test on

    The same handwritten digits as lesson 3 (8 × 8 pixel images, ten classes, from scikit-learn),
    and a small network: 64 pixels in, one hidden layer of 64 units, ten scores out. It trains with
    **AdamW**, the optimizer most fine-tuning jobs use, on mini-batches of 32 images.
    """),
    code("""
    split = rt.make_split(val_fraction=0.25, seed=0)
    model = rt.make_mlp(seed=0)
    n_weights = sum(p.data.size for p in model.parameters())
    steps_per_epoch = len(rt.train_loader(split))
    print(f"{len(split.y_train)} training images, {len(split.y_val)} validation images")
    print(f"network: {n_weights:,} weights; one epoch = {steps_per_epoch} mini-batches of {rt.DEFAULT_BATCH_SIZE}")
    """),
    md("""
    ## 3. Run the test

    `minigrad.training.lr_find` does the sweep: 100 mini-batches, the rate multiplied by the same
    factor after each one, from `1e-5` to `10`. That is six decades in 100 steps, so each step raises
    the rate by about 15%. The test stops early if the loss climbs far above the best it has seen.
    """),
    code("""
    result = rt.run_range_test(split, start_lr=1e-5, end_lr=10.0, num_iter=100)
    growth = (result.lrs[1] / result.lrs[0] - 1) * 100
    print(result)
    print(f"{len(result.lrs)} steps, each raising the rate by {growth:.0f}%; stopped early: {result.stopped_early}")
    """),
    md("""
    ## 4. Reading the plot

    The horizontal axis is the learning rate on a **log scale**: each grid line is ten times the one
    before. The grey line is the loss of each mini-batch as it came; the blue line is the same loss
    **smoothed** with a running average (each new value counts 2%, the past 98%).
    """),
    code("""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    rt.plot_range_test(ax, result)
    plt.show()
    """),
    md("""
    Read it from left to right:

    * **The flat stretch.** Up to about `1e-3` the rate is too small to move anything: the loss sits
      at about 2.3, the loss of a network that guesses among ten classes (ln 10 = 2.3).
    * **The falling stretch.** The loss drops: these rates teach the network something in a handful
      of steps. A good learning rate is somewhere in here.
    * **The blow-up.** The loss turns and shoots up: these rates are too large.

    One catch: the smoothed curve **lags**. A running average over the last fifty or so steps
    reacts late, and since every step also raises the rate, the whole curve is shifted to the right:
    the grey single-batch losses fall well before the blue curve does. Where each first drops below
    2.0:
    """),
    code("""
    level = 2.0
    raw_below = result.lrs[np.flatnonzero(result.raw_losses < level)[0]]
    smooth_below = result.lrs[np.flatnonzero(result.losses < level)[0]]
    print(f"single mini-batch losses first below {level}: lr {raw_below:.2g}")
    print(f"smoothed loss first below {level}:             lr {smooth_below:.2g}  "
          f"({smooth_below / raw_below:.1f} times further right)")
    """),
    md("""
    This is why nobody picks the bottom of the curve. The rules in common use all back off from it.

    ## 5. The three suggestions

    `lr_find` marks three rates on the curve (fastai's rules):

    * **valley**: the middle of the longest falling stretch of the curve. Cautious,
      and fastai's default.
    * **steep**: where the smoothed loss falls fastest as the rate grows.
    * **minimum**: the rate at the lowest smoothed loss, divided by ten (Smith's original rule of
      thumb: back off a factor ten from where things start to go wrong).

    They are starting points, not answers. We take the **valley**, the safest, and check it.
    """),
    code("""
    for name, lr in result.suggestions.items():
        print(f"{name:>8}: {lr:.2g}")
    pick = result.suggestions["valley"]
    print(f"our pick: {pick:.2g}")
    """),
    md("""
    ## 6. Check the pick: ten times lower and ten times higher

    The range test only looked at a hundred steps, each at a different rate. Before paying for a full
    run, check the pick with three short ones: the pick itself, ten times lower and ten times higher.
    Each trains a fresh network (the same starting weights and the same order of mini-batches) for
    four epochs. `diagnose` (lesson 2) names each curve; a run that blew up would be reported as
    diverged, with its hint, not as an error.
    """),
    code("""
    check = rt.check_pick(split, pick, factors=(0.1, 1.0, 10.0), epochs=4)
    for run in check:
        print(run.summary())
    """),
    code("""
    fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(13, 4.5))
    rt.plot_check(ax_train, check, what="train")
    rt.plot_check(ax_val, check, what="val")
    plt.show()
    """),
    md("""
    What the three curves say:

    * **Ten times lower** works, but slowly: after four epochs it is far behind, and its loss is
      still falling. It would get there, at many times the steps.
    * **The pick** learns fast and is still improving on the validation images at the end.
    * **Ten times higher** learns fastest at first, but its validation loss was lowest after two
      epochs and then rose: it starts memorising the training images sooner (`diagnose` calls it
      overfitting). It is no better at the end, and a rate another few times higher fails outright
      (section 7).

    So the pick holds: the cautious end of a good range, with headroom above it but not much. How many
    steps each run needed to bring its smoothed training loss below 0.5:
    """),
    code("""
    target = 0.5
    for run in check:
        steps = rt.steps_to_reach(run.history, target)
        reached = f"{steps} steps" if steps is not None else f"not within {run.history.num_steps} steps"
        print(f"lr {run.lr:.2g} (x{run.factor:g}): {reached}")
    """),
    md("""
    ## 7. What the range test stands in for

    Is the cheap test any good? The honest way to find the best rate is a **sweep**: full runs at a
    grid of rates, one per half decade from `1e-4` to `3`, each scored on the validation images. It
    costs ten full runs.
    """),
    code("""
    sweep_lrs = np.geomspace(1e-4, 3.0, 10)
    sweep = rt.lr_sweep(split, sweep_lrs, epochs=4)
    for run in sweep:
        print(run.summary())
    """),
    code("""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    rt.plot_sweep(ax, sweep, result)
    plt.show()
    """),
    code("""
    best = min(sweep, key=lambda run: run.final_val_loss)
    pick_run = check[1]
    print(f"best rate of the sweep: {best.lr:.2g} (validation loss {best.final_val_loss:.3f})")
    print(f"valley pick:            {pick:.2g} (validation loss {pick_run.final_val_loss:.3f}), "
          f"{best.lr / pick:.1f} times below the best")
    failing = [run for run in sweep if run.lr > pick and run.final_val_loss >= 2.0]
    print(f"first rate above the pick that ended no better than guessing: {failing[0].lr:.2g}, "
          f"{failing[0].lr / pick:.0f} times the pick")
    print("its first ten losses:", np.round(failing[0].history.step_loss[:10], 1))
    """),
    md("""
    The range test's suggestions land on the good side of the curve: at or a few times below the best
    rate, and far below the rates that fail. From about `0.3` up, runs end near 2.3, the loss of
    guessing; that is where the range test's curve turned up. The failing runs spiked in their first
    steps and never recovered: a rate too high can break a network for good, not just slow it. And
    a final loss close to the starting one can mean a rate far too low *or* far too high: only the
    first steps tell them apart. `diagnose` reads them: the jump above the starting loss is why it
    calls these runs too high, not too slow.

    ## 8. What each choice costs

    Counting optimizer steps (every step costs the same here):
    """),
    code("""
    full_run = check[1].history.num_steps
    test_steps = len(result.lrs)
    check_steps = sum(run.history.num_steps for run in check)
    sweep_steps = sum(run.history.num_steps for run in sweep)
    print(f"{'':<28}{'steps':>7}{'in full runs':>14}")
    for name, steps in [("range test", test_steps), ("check (3 short runs)", check_steps),
                        ("sweep (10 full runs)", sweep_steps)]:
        print(f"{name:<28}{steps:>7}{steps / full_run:>14.1f}")
    """),
    md("""
    In money, take the brief's example job: fine-tuning a model on 4,200 ad copies, batch size 16, ten
    epochs, 3.5 GPU-hours at $0.85 an hour, **$2.98** a run. Steps cost the same whatever their
    learning rate, so the bill follows the step counts. The check here trained for the full four
    epochs; on a real job one epoch each (a tenth of the run) is usually enough to see the curves
    part:
    """),
    code("""
    EXAMPLE_RUN_COST = 3.5 * 0.85           # dollars: 3.5 GPU-hours at $0.85 per GPU-hour
    EXAMPLE_RUN_STEPS = math.ceil(4200 / 16) * 10
    per_step = EXAMPLE_RUN_COST / EXAMPLE_RUN_STEPS
    print(f"one run: {EXAMPLE_RUN_STEPS:,} steps, ${EXAMPLE_RUN_COST:.2f}")
    print(f"range test ({test_steps} steps):     ${test_steps * per_step:.2f}")
    print(f"check: 3 one-epoch runs:        ${3 * EXAMPLE_RUN_STEPS / 10 * per_step:.2f}")
    print(f"sweep: 10 full runs:            ${10 * EXAMPLE_RUN_COST:.2f}")
    """),
    md("""
    ## 9. Try it: pick your own rate

    The slider sets the learning rate; the dashed line shows where it falls on the range-test curve,
    and the right panel trains a fresh network at that rate for four epochs (a few tenths of a
    second per move) and names the curve. The run at the valley rate stays in grey for comparison.
    Things to try:

    * a rate on the **flat stretch** (`1e-4`): the loss hardly moves;
    * rates along the **falling stretch** (`3e-3` to `3e-2`): all of them train;
    * a rate where the curve **turns up** (`0.3` and above): the loss jumps in the first steps and
      the network never recovers.
    """),
    code("""
    rt.range_test_widget(split, result)
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    From this lesson's runs (the numbers are computed below):

    1. **Run a range test before the first real run.** It costs about a hundred steps, a few cents on
       the example job, and it rules out whole decades of rates at once.
    2. **Read the smoothed curve, and back off from its bottom.** The smoothing lags to the right;
       the bottom of the curve is already too high. Take the valley, or the minimum divided by ten.
    3. **Check the pick with ten times lower and higher**, on short runs of a few epochs. A tenth of
       the pick costs many more steps to reach the same loss; ten times the pick shows whether
       there is headroom or a cliff.
    4. **The rate where the curve turns up is a ceiling.** Above it, runs here did not just slow
       down: they broke in the first steps and never recovered.
    5. **A full sweep costs ten runs; the test plus a check costs well under one.** Keep sweeps for
       when the stakes justify them. For fine-tuning large pre-trained models, the usual 1e-5 to
       1e-4 with a warmup is a safe place to start; the range test tells you whether your model is
       an exception.
    """),
    code("""
    slow, picked, fast = (rt.steps_to_reach(run.history, target) for run in check)
    print(f"range test: {test_steps} steps = {test_steps / full_run:.2f} of one 4-epoch run")
    if slow is None:
        print(f"steps to loss {target}: pick {picked}, ten times lower: not reached in {full_run} steps "
              f"(more than {full_run / picked:.0f} times as many)")
    else:
        print(f"steps to loss {target}: pick {picked}, ten times lower {slow} ({slow / picked:.1f} times as many)")
    print(f"best rate of the sweep / pick: {best.lr / pick:.1f}")
    print(f"sweep: {sweep_steps} steps = {sweep_steps / (test_steps + check_steps):.1f} times the test plus the check")
    """),
]


def main():
    path = write_notebook("course/06_lr_range_test.ipynb", CELLS, id_prefix="l06")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
