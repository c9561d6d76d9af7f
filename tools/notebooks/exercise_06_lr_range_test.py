"""Exercises for lesson 6: the learning-rate range test."""
from exercise_common import check, code, intro, md, setup, task

NAME = "06_lr_range_test"


def cells():
    return [
        intro(6, NAME, "the learning-rate range test", """
            The range test trains briefly while the learning rate grows exponentially, watches the
            loss, and stops when it explodes. You write its four parts (the sweep of rates, the
            smoothing of the noisy losses, the loop with its stopping rule, and the suggestion),
            then run your test on a real classifier and check its pick against rates ten times
            lower and higher.
        """),
        setup("check_lr_sweep", "check_smooth_losses", "check_range_test", "check_suggest_lr",
              extra=("import math\n\nimport minigrad as mg\nimport minigrad.nn.functional as F\n"
                     "from minigrad.optim import functional as OF\nfrom coursekit.datasets import digits\n"
                     "from coursekit.style import ROLE_COLORS, color_cycle")),

        task(1, "the sweep", """
            Rates worth trying span many decades (1e-7 to 10), so they are spaced evenly on a log
            scale: each rate a fixed factor above the previous one,
            $\\text{lr}_i = \\text{lr}_{\\min}\\,(\\text{lr}_{\\max}/\\text{lr}_{\\min})^{i/(\\text{num}-1)}$.
            Write `lr_sweep(lr_min, lr_max, num)` returning an array that starts at `lr_min` and
            ends at `lr_max`.
        """),
        code('''
            def lr_sweep(lr_min, lr_max, num):
                """num learning rates from lr_min to lr_max, evenly spaced on a log scale."""
                ### HINT: np.geomspace does exactly this, or use the formula with i = np.arange(num)
                ### BEGIN SOLUTION
                return lr_min * (lr_max / lr_min) ** (np.arange(num) / (num - 1))
                ### END SOLUTION
        '''),
        check("lr_sweep"),

        task(2, "smoothing the losses", """
            Mini-batch losses are noisy. The range test reads an exponential moving average
            instead: $a_n = \\beta a_{n-1} + (1-\\beta)\\,\\ell_n$ with $a_0 = 0$, *debiased* as
            $a_n / (1 - \\beta^n)$ because the average starts at zero (the same correction as Adam's).
            Write `smooth_losses(losses, beta=0.98)` returning the debiased averages, one per loss.
        """),
        code('''
            def smooth_losses(losses, beta=0.98):
                """The debiased exponential moving average of the losses."""
                ### HINT: loop with n counting from 1 (enumerate(losses, start=1)); update the running average, append it divided by (1 - beta**n)
                ### BEGIN SOLUTION
                average, smoothed = 0.0, []
                for n, loss in enumerate(losses, start=1):
                    average = beta * average + (1 - beta) * loss
                    smoothed.append(average / (1 - beta ** n))
                return np.array(smoothed)
                ### END SOLUTION
        '''),
        check("smooth_losses"),

        task(3, "the loop", """
            Write `range_test(train_step, lrs, beta=0.98, stop_factor=4.0)`. For each rate in
            turn: `loss = train_step(lr)` trains one step at that rate and returns its loss; update
            the debiased average; record the rate and the smoothed loss. Stop right after recording
            a smoothed loss that is not finite or exceeds `stop_factor` times the best (lowest)
            smoothed loss before it: the loss is exploding and further steps only waste time.
            Return `(rates tried, smoothed losses)` as two arrays.
        """),
        code('''
            def range_test(train_step, lrs, beta=0.98, stop_factor=4.0):
                """Train one step per rate while the smoothed loss stays below stop_factor x its best."""
                ### HINT: keep average, best = math.inf and two lists; after recording, break if not math.isfinite(value) or value > stop_factor * best; then best = min(best, value)
                ### BEGIN SOLUTION
                average, best, tried, smoothed = 0.0, math.inf, [], []
                for n, lr in enumerate(lrs, start=1):
                    average = beta * average + (1 - beta) * train_step(lr)
                    value = average / (1 - beta ** n)
                    tried.append(lr)
                    smoothed.append(value)
                    if not math.isfinite(value) or value > stop_factor * best:
                        break
                    best = min(best, value)
                return np.array(tried), np.array(smoothed)
                ### END SOLUTION
        '''),
        check("range_test"),

        task(4, "the suggestion", """
            At the lowest point of the curve the loss is about to blow up, so that rate is too
            high to train with. A simple, robust pick (fastai's "minimum" rule) is a tenth of it.
            Write `suggest_lr(lrs, smoothed)`.
        """),
        code('''
            def suggest_lr(lrs, smoothed):
                """A tenth of the rate at the lowest smoothed loss."""
                ### HINT: np.argmin finds the position of the lowest loss
                ### BEGIN SOLUTION
                return float(lrs[np.argmin(smoothed)] / 10)
                ### END SOLUTION
        '''),
        check("suggest_lr"),

        md("""
            ## Your range test on a real classifier

            A small neural network (one hidden layer of 64 ReLU units) that classifies
            scikit-learn's handwritten digits, built with minigrad and trained with plain SGD on
            mini-batches of 64 images. `make_train_step` returns the `train_step(lr)` your loop
            expects.
        """),
        code('''
            split = digits(val_fraction=0.2, seed=0)
            X_train, y_train = split.X_train.astype(np.float32), split.y_train
            X_val, y_val = split.X_val.astype(np.float32), split.y_val

            def new_model():
                mg.manual_seed(0)
                return mg.nn.Sequential(mg.nn.Linear(64, 64), mg.nn.ReLU(), mg.nn.Linear(64, 10))

            def make_train_step(model, seed=0, batch_size=64):
                rng = np.random.default_rng(seed)
                def train_step(lr):
                    idx = rng.choice(len(y_train), batch_size, replace=False)
                    loss = F.cross_entropy(model(mg.tensor(X_train[idx])), mg.tensor(y_train[idx]))
                    model.zero_grad()
                    loss.backward()
                    for p in model.parameters():
                        OF.sgd(p.data, p.grad, {}, lr=lr)
                    return loss.item()
                return train_step

            tried, smoothed = range_test(make_train_step(new_model()), lr_sweep(1e-4, 100.0, 100))
            pick = suggest_lr(tried, smoothed)
            print(f"tried {len(tried)} of 100 rates; lowest smoothed loss at lr = {tried[np.argmin(smoothed)]:.3g}")
            print(f"suggested learning rate: {pick:.3g}")
        '''),
        code('''
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.plot(tried, smoothed, color=ROLE_COLORS["train"], label="smoothed loss")
            ax.axvline(pick, color=ROLE_COLORS["minimum"], linestyle=":", label=f"suggestion {pick:.2g}")
            ax.set_xscale("log")
            label_axes(ax, "Your range test on the digits network", "learning rate (log scale)",
                       "smoothed training loss (cross-entropy)", legend=True)
            plt.show()
        '''),
        md("""
            ## Check the pick

            Train a fresh model for 300 steps at the suggestion, and at ten times less and ten times
            more, and compare the validation loss.
        """),
        code('''
            def validation_loss(model):
                with mg.no_grad():
                    return F.cross_entropy(model(mg.tensor(X_val)), mg.tensor(y_val)).item()

            results = {}
            for name, lr in [("pick / 10", pick / 10), ("pick", pick), ("pick x 10", pick * 10)]:
                model = new_model()
                step = make_train_step(model, seed=1)
                for _ in range(300):
                    step(lr)
                results[name] = validation_loss(model)
                print(f"{name:<10} lr = {lr:<8.3g} validation loss after 300 steps: {results[name]:.3f}")
            print(f"(guessing at random scores ln 10 = {math.log(10):.3f})")
        '''),
        md("""
            Ten times lower learns far more slowly in the same budget; ten times higher sits where
            the sweep's loss was about to explode, and the network ends no better than guessing.
            A range test costs about a hundred steps (here a fraction of a second, on a real model a
            few minutes) and replaces a grid of full training runs.
        """),
    ]
