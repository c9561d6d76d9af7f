"""Generate course/01_gradient_descent.ipynb (lesson 1: gradient descent from scratch).

    .venv/bin/python tools/notebooks/lesson01.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/01_gradient_descent.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 1 · Gradient descent from scratch

    Every model you fine-tune or pay someone to train is fitted the same way: compute how wrong it is
    (the **loss**), work out which way each weight should move to make it less wrong (the
    **gradient**), take a small step that way, repeat. This lesson builds that loop by hand, on real
    data, with nothing hidden.

    **After this lesson you can decide**

    * whether a gradient your code computes can be trusted: check it against finite differences in
      one line;
    * whether a training run is held back by its learning rate, or simply needs more steps;
    * whether the inputs need standardising before training (they almost always do: below it is the
      difference between a model that is finished in 300 steps and one that is nowhere near).

    Run the cells from top to bottom (**Shift+Enter**). Every number is computed as you run it.
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    import minigrad as mg
    from coursekit import gradient_descent as gd
    from coursekit.datasets import DIABETES_DESCRIPTIONS, diabetes
    from coursekit.style import COLORS, OPTIMIZER_COLORS, ROLE_COLORS, apply_style, label_axes

    apply_style()
    """),
    md("""
    ## 1. The data and the question

    scikit-learn ships a small medical data set: for 442 patients, ten measurements taken at a
    first visit, and a score for how far their diabetes had progressed one year later. We start
    with one question: **how well does body-mass index (bmi) predict that score?**

    Both columns are *standardised*: shifted and scaled so that each has mean 0 and standard
    deviation 1. A patient with bmi = 1 is one standard deviation heavier than average. (Section 9
    shows why this matters so much for training.)

    The model has a single weight `w`: predicted score = `w` × bmi.
    """),
    code("""
    one = diabetes(["bmi"])
    print(f"{one.n} patients; input: {DIABETES_DESCRIPTIONS['bmi']}; target: {one.target_name}")
    print(f"bmi: mean {one.X.mean():.2f}, std {one.X.std():.2f}   score: mean {one.y.mean():.2f}, std {one.y.std():.2f}")
    print(f"(in original units the score has mean {one.y_mean:.1f} and standard deviation {one.y_std:.1f})")
    """),
    md("""
    ## 2. A loss turns "how wrong" into one number

    For a given `w`, the model makes 442 predictions. The **mean squared error** averages the
    squared gaps between prediction and truth: one number, lower is better. As a function of `w`
    it is a bowl (a parabola), and training means finding the bottom of the bowl.

    `gd.LeastSquares` holds the data and computes this loss with minigrad. Because it is a bowl,
    its exact bottom is also known (ordinary least squares), which lets us grade gradient descent
    against the right answer.
    """),
    code("""
    problem = gd.LeastSquares(one.X, one.y)
    candidates = [0.0, 0.3, 1.0, float(problem.minimum[0])]
    for w in candidates:
        print(f"w = {w:5.3f}   loss = {problem.value([w]):.4f}")
    print(f"the bottom of the bowl: w = {problem.minimum[0]:.4f}, loss = {problem.min_loss:.4f}")
    """),
    code("""
    fig, (ax_data, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_data.scatter(one.X[:, 0], one.y, s=10, color=COLORS["grey"], alpha=0.6, label="patients")
    line_x = np.linspace(-2.5, 4, 2)
    ws_grid = np.linspace(-1.2, 2.2, 200)
    ax_loss.plot(ws_grid, problem.grid_values(ws_grid[:, None]), color=COLORS["grey"], label="loss(w)")
    for w, color in zip(candidates, [COLORS["sky_blue"], COLORS["orange"], COLORS["reddish_purple"], COLORS["black"]]):
        ax_data.plot(line_x, w * line_x, color=color, label=f"w = {w:.2f}")
        ax_loss.plot([w], [problem.value([w])], "o", color=color, markersize=8, label=f"w = {w:.2f}")
    label_axes(ax_data, "Four candidate models", "bmi (standard deviations from the mean)",
               "disease progression (standardised)", legend=True)
    label_axes(ax_loss, "Their losses: a bowl", "weight w", "loss (mean squared error)", legend=True)
    plt.show()
    """),
    md("""
    ## 3. The gradient: which way is downhill, and how steep

    The **gradient** of the loss is its slope at the current `w`: positive means "the loss rises if
    `w` grows", so `w` should shrink. minigrad computes it the way PyTorch does: build the loss from
    tensor operations, call `backward()`, read `w.grad`.
    """),
    code("""
    w = mg.tensor([0.0], dtype=mg.float64, requires_grad=True)
    loss = problem(w)          # mean((X w - y)^2), recorded as a graph of operations
    loss.backward()            # walk the graph backwards: d loss / d w
    print(f"loss at w = 0: {loss.item():.6f}")
    print(f"gradient from minigrad: {w.grad[0]:.6f}")
    """),
    md("""
    **Check it by hand.** A slope is rise over run: nudge `w` a little each way and see how much
    the loss changes. This *central difference* needs nothing but two loss evaluations, so it works
    for any model, and it is how every autograd library is tested.
    """),
    code("""
    def loss_at(w):
        return problem.value([w])

    h = 1e-5
    by_hand = (loss_at(0.0 + h) - loss_at(0.0 - h)) / (2 * h)
    print(f"central difference:     {by_hand:.6f}")
    print(f"minigrad:               {w.grad[0]:.6f}")
    print(f"difference:             {abs(by_hand - w.grad[0]):.1e}")
    """),
    md("""
    **How big a nudge?** Too big, and the slope is averaged over a curved stretch; too small, and
    the two losses agree in all but their last digits, so rounding error takes over. The one-sided
    *forward* difference `(f(w+h) − f(w)) / h` is off by an amount proportional to `h`; the central
    difference cancels that error (on a parabola, exactly), leaving only rounding, which grows as
    `h` shrinks. That is why gradient checks use 64-bit floats and `h` around `1e-6`.
    """),
    code("""
    hs = np.logspace(-12, -1, 45)
    forward_error, central_error = gd.difference_errors(loss_at, 0.0, float(w.grad[0]), hs)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.loglog(hs, forward_error, color=COLORS["orange"], label="forward difference (f(w+h) − f(w)) / h")
    ax.loglog(hs, np.maximum(central_error, 1e-17), color=COLORS["blue"], label="central difference (f(w+h) − f(w−h)) / 2h")
    ax.axvline(1e-6, color=COLORS["grey"], linestyle="--", linewidth=1, label="gradcheck's h = 1e-6")
    label_axes(ax, "Error of a finite-difference slope", "nudge size h (weight units)",
               "absolute error of the slope", legend=True)
    plt.show()
    """),
    md("""
    ## 4. Let minigrad check every gradient: `gradcheck`

    Checking one weight by hand is fine; a real model has many. `mg.gradcheck(fn, inputs)` nudges
    every input element both ways and compares with `backward()`. Here it checks the full model
    of section 8 (ten weights and an intercept) on all 442 patients.
    """),
    code("""
    full = diabetes()                                   # all ten measurements, standardised
    X, y = mg.tensor(full.X), mg.tensor(full.y)

    def mse(weights, intercept):
        residual = X @ weights + intercept - y
        return (residual * residual).mean()

    weights = mg.tensor(np.zeros(10), requires_grad=True)     # float64: needed for a fine check
    intercept = mg.tensor(np.zeros(1), requires_grad=True)
    print("gradcheck passed:", mg.gradcheck(mse, [weights, intercept]))
    """),
    md("""
    A check that cannot fail proves nothing, so here is one that does. `SquareWithBug` is a new
    operation with a hand-written backward that forgets the factor 2 in d(x²)/dx = 2x: exactly the
    kind of slip a custom layer contains. `gradcheck` catches it and says where.
    """),
    code("""
    class SquareWithBug(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x          # wrong: should be grad_output * 2 * x

    x = mg.tensor([0.5, -1.5, 2.0], dtype=mg.float64, requires_grad=True)
    try:
        mg.gradcheck(lambda t: SquareWithBug.apply(t).sum(), [x])
    except mg.GradcheckError as error:
        print("caught:", error)
    """),
    md("""
    ## 5. One step downhill, then many

    Gradient descent is one line: `w ← w − lr × gradient`. The **learning rate** `lr` sets how far
    each step goes, as a multiple of the slope. Here is the whole algorithm, from scratch, for the
    one-weight model, starting from a bad guess `w = −1`:
    """),
    code("""
    lr = 0.1
    w = mg.tensor([-1.0], dtype=mg.float64, requires_grad=True)
    print("step        w     loss   gradient")
    for step in range(8):
        w.zero_grad()                     # forget the previous step's gradient
        loss = problem(w)
        loss.backward()
        print(f"{step:4d} {w.data[0]:8.4f} {loss.item():8.4f} {w.grad[0]:10.4f}")
        w.data -= lr * w.grad             # the step: this line is gradient descent
    """),
    md("""
    Each step shrinks the distance to the bottom by the same factor, because near the bottom the
    slope is proportional to that distance. `gd.gradient_descent` runs the same loop (the step is
    minigrad's own SGD rule, the one `minigrad.optim.SGD` uses) and records the path.
    """),
    code("""
    path = gd.gradient_descent(problem, start=[-1.0], lr=0.1, steps=25)
    fig, (ax_path, ax_curve) = plt.subplots(1, 2, figsize=(11, 4))
    ax_path.plot(ws_grid, problem.grid_values(ws_grid[:, None]), color=COLORS["grey"], label="loss(w)")
    ax_path.plot(path.points[:, 0], path.losses, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=4,
                 linewidth=1, label="gradient-descent steps")
    ax_path.plot(problem.minimum, [problem.min_loss], "*", markersize=14, color=ROLE_COLORS["minimum"], label="minimum")
    label_axes(ax_path, "25 steps at learning rate 0.1", "weight w", "loss (mean squared error)", legend=True)
    ax_curve.semilogy(path.losses - problem.min_loss, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=3)
    label_axes(ax_curve, "A straight line on a log scale: steady progress", "step", "loss − minimum loss (log scale)")
    plt.show()
    print(f"after {path.steps} steps: w = {path.final[0]:.4f} (the bottom is at {problem.minimum[0]:.4f})")
    """),
    md("""
    ## 6. Two weights: downhill on a map

    Add a second measurement, **s5** (the log of a blood-fat level, triglycerides). With two weights
    the loss is a bowl over a plane; we draw it as a map with contour lines, like a hiking map. The
    gradient points straight uphill, across the contour lines, and gradient descent walks the other
    way. The bowl is oval and tilted because bmi and s5 are correlated, so "straight downhill" does
    not point at the bottom: the path curves.
    """),
    code("""
    two = diabetes(["bmi", "s5"])
    problem2 = gd.LeastSquares(two.X, two.y)
    path2 = gd.gradient_descent(problem2, start=gd.START_2D, lr=0.1, steps=40)
    print(f"correlation of bmi and s5: {np.corrcoef(two.X.T)[0, 1]:.2f}")
    print(f"bottom of the bowl: w_bmi = {problem2.minimum[0]:.4f}, w_s5 = {problem2.minimum[1]:.4f}, "
          f"loss {problem2.min_loss:.4f}")
    within = gd.steps_to_reach(path2.losses, problem2.min_loss * 1.01)
    print(f"gradient descent at lr 0.1 gets within 1% of the best loss after {within} steps")
    """),
    code("""
    xmin, xmax, ymin, ymax = gd.EXTENT_2D
    W1, W2 = np.meshgrid(np.linspace(xmin, xmax, 121), np.linspace(ymin, ymax, 121))
    Z = problem2.grid_values(np.stack([W1, W2], axis=-1))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    contours = ax.contour(W1, W2, Z, levels=problem2.min_loss + np.geomspace(0.01, 8, 12),
                          colors=COLORS["grey"], linewidths=0.7)
    ax.clabel(contours, fmt="%.2f", fontsize=8)
    ax.plot(*path2.points.T, "o-", color=OPTIMIZER_COLORS["SGD"], markersize=3, linewidth=1.2, label="40 steps, lr 0.1")
    ax.plot(*problem2.minimum, "*", markersize=14, color=ROLE_COLORS["minimum"], label="minimum")
    ax.plot(*gd.START_2D, "o", markersize=8, markerfacecolor="white", markeredgecolor=ROLE_COLORS["start"], label="start")
    ax.set_aspect("equal")
    label_axes(ax, "Gradient descent on the two-weight loss", "weight on bmi", "weight on s5", legend=True)
    plt.show()
    """),
    md("""
    ## 7. Try it: learning rate and number of steps

    The learning-rate slider is on a log scale (each notch multiplies the rate); the second slider
    sets how many steps run. Things to try:

    * **0.01**: every step is tiny; 100 steps are not enough.
    * **0.1 to 0.3**: a smooth slide to the bottom.
    * **0.5**: the one-weight model lands on the bottom in a single step (a lucky exact fit of the
      bowl's curvature); the two-weight model starts to overshoot.
    * **0.8**: the one-weight model zigzags across the bottom and still converges; the two-weight
      model overshoots further each time: its steep direction is steeper.
    * **above 1**: both blow up.

    The title says where each blows up. That limit is `2 / L`, where L is the curvature of the
    steepest direction: lesson 2 is about exactly this.
    """),
    code("""
    gd.descent_explorer(lr=0.1, steps=20)
    """, ignore_output=True),
    md("""
    ## 8. A real model: all ten measurements

    Now the full model: the score predicted from all ten standardised measurements plus an
    intercept, `nn.Linear(10, 1)`. We train it by **full-batch gradient descent**: every step uses
    all 442 patients, so every gradient is exact. `gd.fit_full_batch` runs minigrad's `fit` with a
    data loader whose one batch is the whole data set and `optim.SGD` as the optimizer.

    The bowl's curvature, computed from the data, tells us the largest learning rate that will
    not blow up; we train at well under half of it.
    """),
    code("""
    with_intercept = np.column_stack([full.X, np.ones(full.n)])
    best = gd.LeastSquares(with_intercept, full.y)   # the exact answer, for grading
    print(f"largest safe learning rate (2/L): {best.critical_lr:.3f}")
    print(f"best possible loss (least squares): {best.min_loss:.4f}")

    run = gd.fit_full_batch(full.X, full.y, lr=0.1, steps=300, seed=0)
    losses = run.losses
    print(f"loss before training: {losses[0]:.4f}; after {len(losses)} steps: {losses[-1]:.4f}")
    for tolerance in (0.10, 0.01, 0.005):
        print(f"within {tolerance:.1%} of the best loss after {gd.steps_to_reach(losses, best.min_loss * (1 + tolerance))} steps")
    """),
    code("""
    predicted = full.target_in_units(run.predict(full.X))
    actual = full.target_in_units(full.y)
    rmse = float(np.sqrt(np.mean((predicted - actual) ** 2)))
    baseline = float(np.sqrt(np.mean((actual.mean() - actual) ** 2)))

    fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(losses, color=ROLE_COLORS["train"], label="training loss (full batch)")
    ax_loss.axhline(best.min_loss, color=ROLE_COLORS["minimum"], linestyle="--", linewidth=1, label="best possible")
    label_axes(ax_loss, "Full-batch gradient descent, lr 0.1", "step", "loss (MSE, standardised units²)", legend=True)
    ax_fit.scatter(actual, predicted, s=10, color=ROLE_COLORS["train"], alpha=0.6, label="patients")
    ax_fit.plot([25, 346], [25, 346], color=COLORS["grey"], linestyle="--", linewidth=1, label="perfect prediction")
    label_axes(ax_fit, "Predicted against actual", "actual progression score", "predicted progression score", legend=True)
    plt.show()
    print(f"typical error (RMSE): {rmse:.1f} score points; always guessing the average: {baseline:.1f}")
    """),
    md("""
    The curve drops fast and flattens: most of the work is done in the first few dozen steps, and
    the rest polishes. How close did it get to the exact least-squares answer? The table compares
    the weights. Where a measurement is nearly independent of the others (age, sex, bmi, bp, s6)
    they agree closely. The blood measurements s1 to s5 are strongly related to each other, which
    gives the bowl long, almost flat valleys: moving along one barely changes the loss, so gradient
    descent drifts there very slowly. The loss is nearly optimal, yet those weights are far from
    settled. Two lessons: a flat loss curve does not mean every weight has settled, and the
    individual weights of correlated inputs are not worth reading meaning into.
    """),
    code("""
    learned = np.append(run.model.weight.data.reshape(-1), run.model.bias.data)
    names = list(full.feature_names) + ["intercept"]
    correlations = np.corrcoef(full.X.T)
    print(f"correlation of s1 and s2: {correlations[4, 5]:.2f}; of s3 and s4: {correlations[6, 7]:.2f}")
    print(f"{'weight':>10} {'gradient descent':>17} {'least squares':>14}")
    for name, a, b in zip(names, learned, best.minimum):
        print(f"{name:>10} {a:17.3f} {b:14.3f}")
    """),
    md("""
    ## 9. Why we standardised: the same model in raw units

    The raw measurements live on very different scales (sex is coded 1 or 2, total cholesterol is
    around 190 with a spread of 35) and far from zero. The loss bowl becomes a thin, steep-walled
    canyon: the steepest direction forces a tiny learning rate, and the flattest direction then
    barely moves. The ratio of the two curvatures, the **condition number**, counts roughly how
    many steps plain gradient descent needs. Same model, same data, same 300 steps, each run at
    the same fraction (40%) of its own largest safe learning rate:
    """),
    code("""
    raw = diabetes(standardize_features=False)
    raw_best = gd.LeastSquares(np.column_stack([raw.X, np.ones(raw.n)]), raw.y)
    raw_run = gd.fit_full_batch(raw.X, raw.y, lr=0.4 * raw_best.critical_lr, steps=300, seed=0)
    standard_run = gd.fit_full_batch(full.X, full.y, lr=0.4 * best.critical_lr, steps=300, seed=0)

    print(f"{'':>14} {'largest safe lr':>16} {'condition number':>17} {'loss after 300 steps':>21} {'best possible':>14}")
    for name, fitted, exact in (("standardised", standard_run, best), ("raw units", raw_run, raw_best)):
        print(f"{name:>14} {exact.critical_lr:16.3g} {exact.condition_number:17.3g} {fitted.losses[-1]:21.4f} {exact.min_loss:14.4f}")
    """),
    code("""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.semilogy(standard_run.losses - best.min_loss, color=COLORS["blue"], label="standardised inputs")
    ax.semilogy(raw_run.losses - raw_best.min_loss, color=COLORS["vermillion"], label="raw inputs")
    label_axes(ax, "Same model, same steps: scaling decides", "step", "loss − best possible loss (log scale)", legend=True)
    plt.show()
    """),
    md("""
    The raw-unit run drops at first (the intercept and the large-scale directions are easy) and
    then stalls far above the best loss. Nothing is wrong with its learning rate: it is already 40%
    of the largest safe value. Only rescaling the inputs fixes it. The same holds for any model:
    normalised inputs (and, inside deep networks, normalisation layers) are what make a single
    learning rate work for all weights.

    ## 10. What a step costs

    Training cost is steps × time per step × price of the hardware. The measured time per step of
    the full-batch run above (your machine; it varies from run to run):
    """),
    code("""
    seconds_per_step = float(np.median(run.history.step_time))
    print(f"median time per full-batch step: {seconds_per_step * 1e3:.2f} ms")
    print(f"300 steps: {300 * seconds_per_step:.2f} s")
    """, ignore_output=True),
    md("""
    ## Rules of thumb

    Drawn from this lesson's runs (the numbers are computed below):

    1. **Check gradients once, with central differences in float64.** `mg.gradcheck` caught the
       missing factor 2 instantly. It costs two forward passes per weight, so check a small model or
       a small batch, never a full training job.
    2. **Standardise inputs before anything else.** With raw units the same model, data and number
       of steps ended many times above the best loss; standardised, it was within a fraction of a
       percent. It costs one line and saves most of the steps.
    3. **The steepest direction caps the learning rate (2/L); the flattest decides the number of
       steps.** Above the cap the loss blows up; well below it, progress crawls.
    4. **Read the loss curve on a log scale.** A straight falling line means steady progress; a
       flat line far above where you expect means the run is stuck (scaling, or a too-small rate).
    5. **Full-batch gradient descent is exact but pays a full pass over the data for every step.**
       Lesson 3 replaces it with cheap, noisy mini-batch steps.
    """),
    code("""
    steps_1pct = gd.steps_to_reach(losses, best.min_loss * 1.01)
    raw_gap = raw_run.losses[-1] / raw_best.min_loss - 1
    standard_gap = standard_run.losses[-1] / best.min_loss - 1
    print(f"full model, standardised, lr 0.1: within 1% of the best loss in {steps_1pct} steps")
    print(f"after 300 steps: standardised {standard_gap:.2%} above the best loss, raw units {raw_gap:.0%} above")
    print(f"condition numbers: standardised {best.condition_number:.3g}, raw {raw_best.condition_number:.3g} "
          f"(about {raw_best.condition_number / best.condition_number:.0f} times more steps for plain gradient descent)")
    price = 0.85  # dollars per GPU-hour, a typical cloud price
    slowdown = raw_best.condition_number / best.condition_number
    print(f"at ${price}/GPU-hour, a job that needs 1 GPU-hour on standardised inputs would need roughly "
          f"{slowdown / 24 / 365:.0f} GPU-years (${slowdown * price:,.0f}) on raw ones")
    """),
]


def main():
    path = write_notebook("course/01_gradient_descent.ipynb", CELLS, id_prefix="l01")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
