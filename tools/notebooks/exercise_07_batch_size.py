"""Exercises for lesson 7: batch size."""
from exercise_common import check, code, intro, md, setup, task

NAME = "07_batch_size"


def cells():
    return [
        intro(7, NAME, "batch size", """
            Changing the batch size changes three things at once: how noisy each gradient is, how
            many steps an epoch takes, and which learning rate fits. You write the scaling rules for
            the learning rate, measure the gradient noise yourself, and compute what an epoch costs
            in steps and seconds.
        """),
        setup("check_scale_lr", "check_gradient_noise", "check_epoch_time",
              extra="import math\n\nfrom coursekit.datasets import diabetes\nfrom coursekit.style import ROLE_COLORS"),

        task(1, "scaling the learning rate with the batch", """
            A batch $k$ times larger averages away noise, so the step can be larger. Two rules of
            thumb: **linear** scaling multiplies the rate by $k$, **square-root** scaling by
            $\\sqrt{k}$, with $k$ = `batch_size / base_batch_size`. Write
            `scale_lr(base_lr, base_batch_size, batch_size, rule="linear")`; for any other `rule`
            than `"linear"` or `"sqrt"`, raise a `ValueError` that names it.
        """),
        code('''
            def scale_lr(base_lr, base_batch_size, batch_size, rule="linear"):
                """The learning rate for batch_size, scaled from a rate tuned at base_batch_size."""
                ### HINT: ratio = batch_size / base_batch_size; multiply by it or by math.sqrt(it); else raise ValueError(f"unknown rule {rule!r}")
                ### BEGIN SOLUTION
                ratio = batch_size / base_batch_size
                if rule == "linear":
                    return base_lr * ratio
                if rule == "sqrt":
                    return base_lr * math.sqrt(ratio)
                raise ValueError(f"unknown rule {rule!r}: use 'linear' or 'sqrt'")
                ### END SOLUTION
        '''),
        check("scale_lr"),

        task(2, "measure the gradient noise", """
            Given the gradient of every example (one row each), the full-data gradient is their
            mean. A mini-batch gradient is the mean over a random batch. Write
            `gradient_noise(per_example_grads, batch_size, rng, trials=2000)`: draw `trials` batches
            *without replacement* (`rng.choice(n, batch_size, replace=False)`), and return the
            average squared distance $\\lVert g_B - g \\rVert^2$ between the batch gradient and the
            full one. Theory says it falls as $1/B$.
        """),
        code('''
            def gradient_noise(per_example_grads, batch_size, rng, trials=2000):
                """Mean squared distance between a random batch's mean gradient and the full-data gradient."""
                ### HINT: full = per_example_grads.mean(axis=0); for each trial average the rows of one random batch
                ### BEGIN SOLUTION
                full = per_example_grads.mean(axis=0)
                n = len(per_example_grads)
                total = 0.0
                for _ in range(trials):
                    idx = rng.choice(n, batch_size, replace=False)
                    total += np.sum((per_example_grads[idx].mean(axis=0) - full) ** 2)
                return total / trials
                ### END SOLUTION
        '''),
        check("gradient_noise"),

        task(3, "what an epoch costs", """
            An epoch takes $\\lceil n/B \\rceil$ steps (the last, smaller batch still costs a step).
            If one step takes `step_seconds`, write
            `epoch_time(num_examples, batch_size, step_seconds)` returning
            `(steps_per_epoch, epoch_seconds, examples_per_second)`.
        """),
        code('''
            def epoch_time(num_examples, batch_size, step_seconds):
                """(steps_per_epoch, epoch_seconds, examples_per_second)."""
                ### HINT: steps = math.ceil(num_examples / batch_size); a step handles batch_size examples in step_seconds
                ### BEGIN SOLUTION
                steps = math.ceil(num_examples / batch_size)
                return steps, steps * step_seconds, batch_size / step_seconds
                ### END SOLUTION
        '''),
        check("epoch_time"),

        md("""
            ## Gradient noise on real data

            The per-example gradients of a linear model's squared error on the diabetes data, at
            the starting point $w = 0$, and your noise measurement for batch sizes from 1 to 256.
        """),
        code('''
            data = diabetes()
            X, y = data.X, data.y
            w = np.zeros(X.shape[1])
            per_example = 2 * (X @ w - y)[:, None] * X  # row i: the gradient of (x_i·w - y_i)²

            batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
            rng = np.random.default_rng(0)
            noise = [gradient_noise(per_example, b, rng, trials=500) for b in batch_sizes]
            for b, value in zip(batch_sizes, noise):
                print(f"batch {b:>3}: noise {value:.4f}   x batch size = {value * b:.3f}")
        '''),
        code('''
            fig, ax = plt.subplots(figsize=(6, 3.6))
            ax.plot(batch_sizes, noise, "o-", color=ROLE_COLORS["train"], label="measured (your function)")
            ax.plot(batch_sizes, noise[0] / np.array(batch_sizes), ":", color=ROLE_COLORS["threshold"],
                    label="1 / B from batch size 1")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            label_axes(ax, "Mini-batch gradient noise on the diabetes data", "batch size (log scale)",
                       "mean squared error of the gradient", legend=True)
            plt.show()
        '''),
        md("""
            The noise falls as $1/B$ (the product with the batch size stays nearly constant) until
            the batch becomes a large part of the 442 examples, where sampling without replacement
            makes it fall faster. Doubling the batch halves the noise, but it also halves the
            number of steps per epoch: past a point, larger batches buy little.
        """),
        code('''
            print("batch   linear lr   sqrt lr     steps/epoch (4,200 examples)")
            for b in [16, 32, 64, 128, 256, 512]:
                steps, _, _ = epoch_time(4200, b, 1.0)
                print(f"{b:>5}   {scale_lr(2e-5, 16, b):.2e}    {scale_lr(2e-5, 16, b, 'sqrt'):.2e}    {steps}")
        '''),
    ]
