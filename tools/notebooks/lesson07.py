"""Generate course/07_batch_size.ipynb (lesson 7: batch size, throughput, generalisation, scaling rules).

    .venv/bin/python tools/notebooks/lesson07.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/07_batch_size.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 7 · Batch size: speed against what the model learns

    Lesson 3 showed that a mini-batch gradient is a noisy estimate whose noise falls as the batch
    grows. This lesson is about the decision that follows. A bigger batch keeps the hardware busier,
    so each example costs less time; but it also means fewer optimizer steps per pass over the data,
    and it changes what the model learns. Vendors and training scripts will ask you to pick a batch
    size, and often to "scale the learning rate" with it.

    **After this lesson you can decide**

    * which batch size to train with, given how fast your hardware processes examples;
    * whether to change the learning rate when you change the batch size, and by which rule (linear
      or square root), and where that rule stops working;
    * what a bigger batch buys in wall-clock time and money, and what it can cost in model quality.
    """),
    code("""
    %matplotlib inline
    import matplotlib.pyplot as plt

    from coursekit import batch_size as bs
    from coursekit.style import apply_style

    apply_style()
    """),
    md("""
    ## 1. A task where memorising shows

    The gap between training and validation loss only shows on a task a model can partly memorise.
    We take 512 of scikit-learn's handwritten digits for training and 500 others for validation, and
    replace a fifth of all labels by a class drawn at random (a seeded, reproducible choice): a stand-in
    for an agency data set of a few hundred examples labelled by people who sometimes disagree. The
    network (one hidden layer of 128 units, about 10,000 weights) is large enough to learn the wrong
    labels by heart if it trains long enough. It trains with SGD and momentum 0.9; the base recipe is
    batch size 32 with learning rate 0.05.
    """),
    code("""
    split = bs.noisy_digits(n_train=512, n_val=500, label_noise=0.2, seed=0)
    wrong_train, wrong_val = bs.wrong_label_fraction(split, seed=0)
    n_weights = sum(p.data.size for p in bs.make_model().parameters())
    print(f"{len(split.y_train)} training and {len(split.y_val)} validation images, {n_weights:,} weights")
    print(f"labels that are wrong: {wrong_train:.1%} of the training set, {wrong_val:.1%} of the validation set")
    print("(a fifth were redrawn at random; a random label is right one time in ten)")
    """),
    md("""
    ## 2. Throughput: examples per second

    The first thing a bigger batch buys is speed per example. One step with 128 examples is one large
    matrix product instead of 128 small ones, and the fixed cost of a step (Python, memory, launching
    work) is paid once. Measured here on one CPU core, for one full training step (forward, backward,
    update); your numbers will differ, which is the point: **measure on your own hardware**.
    """),
    code("""
    sizes = [2 ** k for k in range(0, 10)]
    throughput = bs.measure_throughput(sizes, timed_steps=20)
    fastest = max(throughput, key=throughput.get)
    for b in sizes:
        print(f"batch {b:>4}: {throughput[b]:>9,.0f} examples/s")
    print(f"fastest on this machine: batch {fastest}, {throughput[fastest] / throughput[1]:.0f} times batch 1")
    """, ignore_output=True),
    code("""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bs.plot_throughput(ax, throughput)
    plt.show()
    """),
    md("""
    Examples per second climb steeply at first and then flatten, or even dip, once the hardware is
    saturated. A CPU saturates early; a GPU, with thousands of arithmetic units, keeps gaining up to
    batches of hundreds or thousands. Past the knee a bigger batch buys no more speed per example.

    ## 3. Same learning rate, different batch sizes

    Now train the same network for 30 epochs (30 passes over the 512 training images) at four batch
    sizes, all with learning rate 0.05. After every epoch the model is scored on the whole training
    set and on the validation set.
    """),
    code("""
    same_lr = bs.compare_batch_sizes(split, [8, 32, 128, 512], base_lr=0.05, rule="none", epochs=30)
    for run in same_lr.values():
        print(run.summary(), "|", run.diagnosis.label)
    """),
    code("""
    runs = list(same_lr.values())
    fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    bs.plot_curves(ax_train, runs, which="train", title="Training set")
    bs.plot_curves(ax_val, runs, which="val", title="Validation set")
    plt.show()
    """),
    md("""
    Each epoch is the same 512 examples, but not the same number of steps: batch 8 takes 64 steps per
    epoch, batch 512 takes one (the whole training set: plain full-batch gradient descent).

    * **Batch 8** fits the training set furthest, and memorises the wrong labels with it: its
      validation loss turns up after a few epochs and the gap between the curves is the widest.
    * **Batch 512** has taken only 30 steps in all: it has barely started to learn. Small gap,
      poor model: `diagnose` calls it too slow.
    * In between, batches 32 and 128 trade the two.

    At a fixed learning rate and a fixed number of epochs, the batch size mostly changes **how far
    training gets**. The generalisation gap follows: the more a run fits these noisy labels, the
    wider it gets.

    ## 4. What the same 30 epochs cost in time
    """),
    code("""
    print(f"{'batch':>6}{'steps':>7}{'seconds':>9}{'examples/s':>12}")
    for run in same_lr.values():
        print(f"{run.batch_size:>6}{run.steps:>7}{run.seconds:>9.2f}{run.examples_per_second:>12,.0f}")
    """, ignore_output=True),
    md("""
    The same 15,360 examples go through the network in each run, but batch 8 takes several times
    longer than batch 128: the throughput of section 2, paid in wall-clock time. So the tempting
    move is a bigger batch. The catch is section 3: with the same learning rate, a bigger batch
    learns less per epoch. That is what the scaling rules are for.

    ## 5. The scaling rules

    When the batch grows by a factor k, each step averages k times as many examples, and the run
    takes k times fewer steps. Two rules say how to change the learning rate:

    * **Linear**: multiply the rate by k (Goyal et al., 2017). The reasoning: k small steps of SGD
      move the weights about as far as one step of k times the size. The usual rule for SGD.
    * **Square root**: multiply by √k. The noise of a mini-batch gradient falls as √k (lesson 3), so
      this keeps the noise of each step about the same. Cautious; often used with Adam.

    Put them to the test: starting from the recipe at batch 32 (lr 0.05), go down to batch 8 and up
    to 128 and 512 with each rule.
    """),
    code("""
    for b in (8, 128, 512):
        print(f"batch {b:>3}: linear lr {bs.scale_lr(0.05, 32, b, 'linear'):.4g}, "
              f"square-root lr {bs.scale_lr(0.05, 32, b, 'sqrt'):.4g}")
    by_rule = {"none": same_lr}
    for rule in ("sqrt", "linear"):
        scaled = bs.compare_batch_sizes(split, [8, 128, 512], base_lr=0.05, rule=rule, epochs=30)
        by_rule[rule] = {8: scaled[8], 32: same_lr[32], 128: scaled[128], 512: scaled[512]}
    for rule in ("sqrt", "linear"):
        print(f"-- {rule} rule")
        for run in by_rule[rule].values():
            print(run.summary(), "|", run.diagnosis.label)
    """),
    code("""
    fig, (ax_linear, ax_sqrt) = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    bs.plot_curves(ax_linear, list(by_rule["linear"].values()), which="val", title="Linear rule: validation loss")
    bs.plot_curves(ax_sqrt, list(by_rule["sqrt"].values()), which="val", title="Square-root rule: validation loss")
    plt.show()
    """),
    md("""
    * **Linear works, up to a limit.** With the linear rule, batches 8, 32 and 128 give almost the
      same curves: the rule really does turn one recipe into another. At batch 512 it asks for a
      learning rate of 0.8, and the run becomes unstable: `diagnose` sees the loss bouncing. Every
      model has such a ceiling on the rate, and the linear rule walks straight into it. Large-batch
      recipes add a warmup (lesson 5) for exactly this reason, and it only moves the limit.
    * **Square root is safe but lags.** It never asked for a dangerous rate here, but at batch 128
      its rate is too low to keep up with the batch-32 recipe after the same number of epochs; at
      batch 8 its rate is too high and the run memorises more.

    The final validation loss of every run, side by side (hatched: the run went unstable):
    """),
    code("""
    fig, (ax_val, ax_gap) = plt.subplots(1, 2, figsize=(13, 4.5))
    bs.plot_bars(ax_val, by_rule, [8, 32, 128, 512], metric="val")
    bs.plot_bars(ax_gap, by_rule, [8, 32, 128, 512], metric="gap")
    plt.show()
    """),
    md("""
    ## 6. And the generalisation gap?

    The brief says large batches tend to find "sharper" solutions that generalise worse (Keskar et
    al., 2017). In these runs, what set the gap was how far each run had fitted the noisy labels:
    with the linear rule matching the recipes, batches 8 to 128 ended with similar gaps, and no
    large-batch penalty shows. Published large-batch penalties appear with batches of thousands on
    large models, far beyond this task, and careful tuning (warmup, longer training) removes much of
    them. The practical reading: **hold the recipe (rate per batch size) fixed, and the batch size
    becomes mostly a question of speed, up to the rule's limit**. Early stopping takes care of the
    rest; the best validation loss each run reached along the way:
    """),
    code("""
    print(f"{'batch':>6}{'none':>8}{'sqrt':>8}{'linear':>8}   best validation loss over the 30 epochs")
    for b in (8, 32, 128, 512):
        row = "".join(f"{by_rule[rule][b].best_val_loss:>8.3f}" for rule in ("none", "sqrt", "linear"))
        print(f"{b:>6}{row}")
    """),
    md("""
    ## 7. Try it: batch size and learning rate

    The batch-size slider moves in powers of two, the learning rate on a log scale. Each move trains a
    fresh network for 30 epochs (up to a few seconds for the smallest batches; settings you have
    visited are remembered). Left: the training and validation curves, with the gap and `diagnose`'s
    verdict in the title. Right: validation loss against the measured training time. The batch-32
    recipe stays in grey. Things to try:

    * batch **128** with lr **0.05**, then **0.2** (linear rule): same curve, a fraction of the time;
    * batch **512** with lr **0.8**: the linear rule's limit; then **0.2** (square root);
    * batch **8** with lr **0.05**: the fastest memorising, the widest gap.
    """),
    code("""
    bs.batch_size_widget(split, batch_size=32, lr=0.05, reference=same_lr[32])
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    From this lesson's runs (the numbers are computed below; the times are this machine's):

    1. **Measure throughput first.** Examples per second rise with the batch only up to the knee of
       your hardware. Past it a bigger batch buys nothing; below it you pay for idle hardware.
    2. **Change the batch, change the rate.** The same rate at a bigger batch quietly trains less per
       epoch. The linear rule carried the batch-32 recipe to batches 8 and 128 almost unchanged.
    3. **The linear rule has a ceiling.** At batch 512 it asked for lr 0.8 and the run went unstable.
       Past a few times the base batch, scale more gently (square root), add warmup, and check the
       curve with `diagnose`.
    4. **For small data sets, stay small.** With a few hundred or a few thousand examples, batches of
       16 to 64 give many steps per epoch and train well; the brief's fine-tuning job used 16.
    5. **The gap follows how far you train, not the batch by itself**, in runs like these: use
       early stopping and a validation set, whatever the batch size.
    """),
    code("""
    recipe, bigger = by_rule["linear"][32], by_rule["linear"][128]
    print(f"linear rule, batch 128 vs the batch-32 recipe: validation loss {bigger.final_val_loss:.3f} vs "
          f"{recipe.final_val_loss:.3f}, in {bigger.steps} steps instead of {recipe.steps}")
    print(f"linear rule at batch 512 (lr {by_rule['linear'][512].lr:g}): {by_rule['linear'][512].diagnosis.label}; "
          f"square root (lr {by_rule['sqrt'][512].lr:g}): {by_rule['sqrt'][512].diagnosis.label}")
    print(f"same rate at batch 8: gap {same_lr[8].gap:.2f}; at batch 128: gap {same_lr[128].gap:.2f}")
    """),
    code("""
    speedup = recipe.seconds / bigger.seconds
    print(f"measured: batch 128 with the linear rule took {bigger.seconds:.2f} s, the batch-32 recipe "
          f"{recipe.seconds:.2f} s ({speedup:.1f} times faster)")
    print(f"on the brief's $2.98 fine-tuning job, the same speed-up would make it ${2.98 / speedup:.2f}")
    """, ignore_output=True),
]


def main():
    path = write_notebook("course/07_batch_size.ipynb", CELLS, id_prefix="l07")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
