"""Generate course/03_sgd_minibatches.ipynb (lesson 3: SGD and mini-batches).

    .venv/bin/python tools/notebooks/lesson03.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/03_sgd_minibatches.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 3 · SGD and mini-batches

    Full-batch gradient descent (lesson 1) reads the whole training set before every step. Real
    training sets have millions of examples, so nobody does that: each step looks at a small random
    **mini-batch** instead, and the gradient it gets is a noisy estimate of the true one. That is
    **stochastic gradient descent** (SGD), and the batch size is a setting you will be asked about
    in every fine-tuning job and every vendor quote.

    **After this lesson you can decide**

    * what batch size to use, and when a bigger one buys nothing but a bigger bill;
    * whether a jagged loss curve is healthy mini-batch noise or a problem;
    * what a step and a pass over the data (an **epoch**) cost at each batch size.
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit import minibatches as mb
    from coursekit.datasets import digits
    from coursekit.gradient_descent import EXTENT_2D, lesson1_problems
    from coursekit.log_ticks import plain_log_ticks
    from coursekit.style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, apply_style, label_axes

    apply_style()
    """),
    md("""
    ## 1. The data: handwritten digits

    scikit-learn ships 1,797 handwritten digits, each an 8 × 8 grey image with its label 0 to 9. A
    seeded fifth is held out for validation. The model is the simplest classifier there is,
    **softmax regression**: one weighted sum of the 64 pixels per digit class, plus an intercept;
    the highest score wins. It trains in a blink, so we can afford to train it many times.
    """),
    code("""
    data = digits(val_fraction=0.2, seed=0)
    N = len(data.y_train)
    model = mb.softmax_regression(seed=0)
    n_weights = sum(p.data.size for p in model.parameters())
    print(f"{N} training images, {len(data.y_val)} validation images, {data.num_features} pixels each")
    print(f"softmax regression: {n_weights} weights")

    fig, axes = plt.subplots(2, 8, figsize=(10, 3))
    for ax, image, label in zip(axes.ravel(), data.images_train, data.y_train):
        ax.imshow(image, cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"label {label}", fontsize=10)
        ax.axis("off")
    fig.suptitle("Sixteen training images (8 × 8 pixels)")
    plt.show()
    """),
    md("""
    ## 2. A mini-batch gradient is a noisy estimate

    The gradient of the loss over all training images says exactly which way is downhill. A
    mini-batch gradient uses only `B` randomly chosen images: it points roughly the same way, never
    exactly. The **cosine similarity** measures how well two directions agree: 1 means the same
    direction, 0 means unrelated. Three random batches of each size, at the untrained model:
    """),
    code("""
    full_gradient = mb.flat_gradient(model, data.X_train, data.y_train)
    rng = np.random.default_rng(0)
    print(f"{'batch size':>10}   cosine similarity with the full gradient (three random batches)")
    for batch_size in (1, 32, 512):
        cosines = []
        for _ in range(3):
            batch = rng.choice(N, size=batch_size, replace=False)
            g = mb.flat_gradient(model, data.X_train[batch], data.y_train[batch])
            cosines.append(g @ full_gradient / (np.linalg.norm(g) * np.linalg.norm(full_gradient)))
        print(f"{batch_size:>10}   " + "   ".join(f"{c:.3f}" for c in cosines))
    """),
    md("""
    ## 3. The noise shrinks as 1/B

    How noisy, exactly? For each batch size we draw 100 batches the way a data loader does
    (shuffle, cut into batches) and measure how far each batch gradient lands from the full
    gradient: the mean squared distance, the **variance**. Statistics predicts that it falls as
    1/B: the per-example variance σ² divided by the batch size. Because a batch never repeats an
    example, there is a small correction when B is a sizeable part of the data:
    σ²/B × (N − B)/(N − 1). σ² itself is computed exactly, from all 1,438 single-example
    gradients.
    """),
    code("""
    batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    noise = mb.gradient_noise(model, data.X_train, data.y_train, batch_sizes, draws=100, seed=0)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.loglog(noise.batch_sizes, noise.one_over_b, color=COLORS["grey"], linestyle="--", label="σ² / B")
    ax.loglog(noise.batch_sizes, noise.predicted, color=COLORS["blue"], label="σ² / B × (N − B) / (N − 1)")
    ax.loglog(noise.batch_sizes, noise.variance, "o", color=COLORS["vermillion"], label="measured (100 batches each)")
    plain_log_ticks(ax, "x")
    label_axes(ax, "Gradient noise falls as 1 / batch size", "batch size B (examples, log scale)",
               "mean ‖batch gradient − full gradient‖² (log scale)", legend=True)
    plt.show()

    print(f"{'B':>5} {'measured':>10} {'predicted':>10} {'noise / signal':>15}")
    for b, measured, predicted, ratio in zip(noise.batch_sizes, noise.variance, noise.predicted, noise.relative_noise):
        print(f"{b:>5} {measured:10.4f} {predicted:10.4f} {ratio:15.2f}")
    """),
    md("""
    The measurements sit on the prediction. Two practical readings:

    * **Diminishing returns.** Doubling the batch halves the variance, but the typical error (its
      square root, the "noise / signal" column: typical error over the length of the full
      gradient) shrinks only by √2 ≈ 1.41. Halving the error takes four times the batch.
    * **Small batches are very noisy.** With one example the error is several times larger than the
      signal itself; with a few hundred it is a small fraction of it.

    ## 4. Same learning rate, different batch sizes: steps against epochs

    Does the noise matter for training? We train the same model with the same learning rate (0.5)
    for 250 steps at seven batch sizes, from 1 to the full 1,438, and measure the loss on the
    whole training set after every step. Two views of the same runs: per **step** (left) and per
    **epoch**, that is per example processed (right; one epoch = 1,438 examples).
    """),
    code("""
    sweep_sizes = [1, 4, 16, 32, 128, 512, N]
    runs = [mb.train_with_batch_size(data, b, lr=0.5, steps=250, evaluations=None, seed=0) for b in sweep_sizes]
    colors = mb.batch_size_colors(sweep_sizes)

    fig, (ax_steps, ax_epochs) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for run, color in zip(runs, colors):
        label = "full batch" if run.batch_size == N else f"B = {run.batch_size}"
        ax_steps.plot(run.eval_steps[1:], run.eval_losses[1:], color=color, label=label)
        ax_epochs.plot(run.eval_epochs[1:], run.eval_losses[1:], color=color, label=label)
    ax_steps.set_xscale("log")
    ax_epochs.set_xscale("log")
    plain_log_ticks(ax_steps, "x")
    plain_log_ticks(ax_epochs, "x")
    label_axes(ax_steps, "Per step: big batches win, up to a point", "optimizer steps (log scale)",
               "training loss, all images (cross-entropy)", legend=True)
    label_axes(ax_epochs, "Per example processed: small batches win", "epochs (log scale)")
    plt.show()
    """),
    code("""
    target = 0.5
    print(f"loss target {target}: when did each run first reach it?")
    print(f"{'batch':>6} {'steps/epoch':>12} {'steps':>6} {'epochs':>7} {'examples':>9} {'val. accuracy':>14}")
    steps_needed = {}
    for run in runs:
        steps = mb.first_step_below(run, target)
        steps_needed[run.batch_size] = steps
        label = "full" if run.batch_size == N else str(run.batch_size)
        print(f"{label:>6} {run.steps_per_epoch:12d} {steps:6d} {steps / run.steps_per_epoch:7.2f} "
              f"{steps * run.batch_size:9d} {run.val_accuracy:14.1%}")
    """),
    md("""
    Read the table as two budgets:

    * **Steps** (the left plot) is what you wait for when the hardware handles a whole batch at
      once: each step takes about the same time whatever the batch size. Going from one example
      to a handful cuts the steps sharply; beyond that, bigger batches take the same number of
      steps. Past that knee, each step's gradient is already accurate enough for this learning
      rate, and the extra examples are wasted.
    * **Examples processed** (the right plot) is what you pay for when the hardware is already
      full: time grows with the number of examples. Here the smallest batches are the most
      frugal, because they update the weights after every few examples instead of after
      thousands.

    The sweet spot is the knee: the smallest batch that takes close to the fewest steps. Note also
    the batch of one: it reached the target late and then stayed noisy. At this learning rate its
    noise keeps kicking the weights around the bottom (section 6 shows it on a map).

    ## 5. What a step costs (measured)

    How long does one step take at each batch size on this machine? Forward pass, backward pass
    and update, the median of 30 steps. Multiplying by the steps needed gives the time to reach
    the target. (Timings vary from run to run and machine to machine.)
    """),
    code("""
    seconds_per_step = mb.time_per_step(lambda: mb.softmax_regression(seed=0), data.X_train, data.y_train, sweep_sizes)
    seconds_to_target = np.array([steps_needed[min(b, N)] for b in sweep_sizes]) * seconds_per_step

    fig, (ax_step, ax_target) = plt.subplots(1, 2, figsize=(12, 4))
    ax_step.loglog(sweep_sizes, seconds_per_step * 1e3, "o-", color=COLORS["blue"], label="one step")
    ax_step.loglog(sweep_sizes, np.array(sweep_sizes) * seconds_per_step[0] * 1e3, color=COLORS["grey"],
                   linestyle="--", label="if time grew with the examples")
    label_axes(ax_step, "Cost of one step", "batch size (log scale)", "milliseconds per step (log scale)", legend=True)
    ax_target.loglog(sweep_sizes, seconds_to_target * 1e3, "o-", color=COLORS["vermillion"])
    for ax in (ax_step, ax_target):
        plain_log_ticks(ax, "both")
    label_axes(ax_target, f"Time to reach loss {target}", "batch size (log scale)", "milliseconds (log scale)")
    plt.show()
    print(f"{'batch':>6} {'ms/step':>8} {'ms/epoch':>9} {'ms to target':>13}")
    for b, t, total in zip(sweep_sizes, seconds_per_step, seconds_to_target):
        print(f"{b:>6} {t * 1e3:8.3f} {t * np.ceil(N / b) * 1e3:9.1f} {total * 1e3:13.1f}")
    """, ignore_output=True),
    md("""
    On a CPU, a step with a few hundred examples costs only a few times more than a step with one:
    much of a step's time is fixed overhead. On a GPU the effect is far stronger: up to a batch of
    hundreds or thousands of examples (depending on the model), a step takes about the same time
    whatever the batch size. That is why GPU training uses batches of 32 to 512 rather than single
    examples: the step count falls and the step time hardly moves, until the knee of section 4,
    beyond which you only pay for more examples per step.

    ## 6. The noisy path over the true loss

    To see the noise, go back to lesson 1's two-weight model (diabetes progression from bmi and
    s5, 442 patients), where the true loss can be drawn as a map. Each path below takes 100 SGD
    steps at learning rate 0.1; each step sees only its own batch, but the contours show the loss
    over all patients: the surface we actually want to descend.
    """),
    code("""
    problem = lesson1_problems()[1]
    path_sizes = [1, 8, 64, len(problem.y)]
    paths = [mb.minibatch_descent(problem, b, lr=0.1, steps=100, seed=0) for b in path_sizes]

    xmin, xmax, ymin, ymax = EXTENT_2D
    W1, W2 = np.meshgrid(np.linspace(xmin, xmax, 121), np.linspace(ymin, ymax, 121))
    Z = problem.grid_values(np.stack([W1, W2], axis=-1))
    fig, axes = plt.subplots(1, 4, figsize=(15, 4), sharey=True)
    for ax, path in zip(axes, paths):
        ax.contour(W1, W2, Z, levels=problem.min_loss + np.geomspace(0.01, 8, 12), colors=COLORS["grey"], linewidths=0.6)
        ax.plot(*path.points.T, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=2, linewidth=0.8, label="SGD path")
        ax.plot(*problem.minimum, "*", markersize=12, color=ROLE_COLORS["minimum"], label="minimum")
        name = "full batch (442)" if path.batch_size == len(problem.y) else f"batch size {path.batch_size}"
        label_axes(ax, name, "weight on bmi")
    axes[0].set_ylabel("weight on s5")
    axes[0].legend(loc="upper right")
    plt.show()

    print(f"{'batch':>6} {'epochs':>7} {'loss above the minimum, mean of the last 50 steps':>50}")
    for path in paths:
        print(f"{path.batch_size:>6} {path.epochs:7.2f} {mb.stationary_gap(path, problem):50.2e}")
    """),
    md("""
    All four reach the bottom region in about the same number of steps. The difference is what
    happens there: the full-batch path settles on the minimum, while the small-batch paths keep
    jittering around it, because each batch has its own idea of where the bottom is. The size of
    the jitter (the last column) falls roughly in proportion to 1/B, like the gradient noise.
    A constant learning rate can never fully settle SGD; lowering the rate near the end can
    (that is lesson 5, schedules).

    ## 7. Try it: batch size and learning rate

    The batch-size slider moves in powers of two (512 means all 442 patients: full batch); the
    learning rate is on a log scale. Things to try:

    * batch **1** at lr **0.1**: the path wanders all over the bottom of the bowl;
    * batch **1** at lr **0.01**: calmer but slower: a smaller rate also shrinks the jitter;
    * batch **32** and **128**: the jitter shrinks; the right panel shows the noise floor dropping;
    * any batch at lr **0.8**: above this bowl's limit 2/L (lesson 1), so every batch size blows up.
    """),
    code("""
    mb.minibatch_explorer(batch_size=32, lr=0.1)
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    From this lesson's measurements (computed below):

    1. **Batch noise falls as 1/B, its typical size as 1/√B.** Four times the batch halves the
       error of each gradient, at four times the examples per step.
    2. **Bigger batches cut steps only up to a knee.** Past it, the steps to a given loss stay flat
       while each step processes more examples. Find the knee with two or three short runs at the
       same learning rate, and pick the smallest batch near it.
    3. **Measure the cost of a step before choosing.** On GPUs a step's time is nearly flat up to
       large batches, so batches of 32 to 512 are cheap; on saturated hardware, time follows the
       examples processed and small batches are cheaper.
    4. **A jagged mini-batch loss curve is normal.** Judge a run by a smoothed curve or by the loss
       on a fixed set, not by single steps. The noise floor depends on the learning rate as well
       as the batch: lowering the rate late in training (lesson 5) settles it.
    5. **Batch size and learning rate move together.** Here one learning rate served every batch
       size; lesson 7 tests the rules for raising the rate with the batch.
    """),
    code("""
    small, knee, big = steps_needed[1], steps_needed[16], steps_needed[512]
    print(f"steps to reach loss {target}: batch 1: {small}, batch 16: {knee}, batch 512: {big}")
    print(f"examples processed on the way: batch 16: {knee * 16:,}, batch 512: {big * 512:,} "
          f"({big * 512 / (knee * 16):.0f} times as many for {knee - big} fewer steps)")
    print(f"gradient noise / signal: batch 1: {noise.relative_noise[0]:.2f}, "
          f"batch 32: {noise.relative_noise[5]:.2f}, batch 512: {noise.relative_noise[9]:.2f}")
    print(f"on a GPU where a step costs the same at batch 1 and batch 16, batch 1 takes {small / knee:.1f} times "
          f"the steps: a $10 job becomes ${10 * small / knee:.0f}")
    print(f"where time follows the examples, batch 512 costs {big * 512 / (knee * 16):.0f} times batch 16: "
          f"a $10 job becomes ${10 * big * 512 / (knee * 16):,.0f}")
    """),
]


def main():
    path = write_notebook("course/03_sgd_minibatches.ipynb", CELLS, id_prefix="l03")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
