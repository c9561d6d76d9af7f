"""Exercises for lesson 3: SGD and mini-batches."""
from exercise_common import check, code, intro, md, setup, task

NAME = "03_minibatches"


def cells():
    return [
        intro(3, NAME, "SGD and mini-batches", """
            Full-batch gradient descent reads the whole data set for every step. SGD reads a small
            random batch instead: many more, cheaper, noisier steps. Here you write the three
            pieces of an SGD epoch: the shuffled batches, the gradient on one batch, and the
            epoch loop; then you race batch sizes on the diabetes data.
        """),
        setup("check_minibatch_indices", "check_minibatch_grad", "check_sgd_epoch",
              extra="from coursekit.datasets import diabetes\nfrom coursekit.style import color_cycle"),

        task(1, "shuffled mini-batches", """
            An epoch visits every example exactly once, in a new random order each time. Write
            `minibatch_indices(n, batch_size, rng)`: draw the order with `rng.permutation(n)` (one
            call per epoch, so runs are reproducible), then cut it into consecutive pieces of
            `batch_size` indices. The last piece may be smaller; keep it, or those examples
            would never be trained on. Return a list of index arrays.
        """),
        code('''
            def minibatch_indices(n, batch_size, rng):
                """One epoch of mini-batches: a list of index arrays covering range(n) once, shuffled."""
                ### HINT: one rng.permutation(n), then consecutive slices of it; range(0, n, batch_size) gives the start of each
                ### BEGIN SOLUTION
                order = rng.permutation(n)
                return [order[start:start + batch_size] for start in range(0, n, batch_size)]
                ### END SOLUTION
        '''),
        check("minibatch_indices"),

        task(2, "the gradient on one batch", """
            For a linear model without bias, the loss on a batch of indices `idx` is the mean
            squared error over those rows only:
            $L_B(w) = \\frac{1}{|B|}\\sum_{i\\in B} (x_i^\\top w - y_i)^2$, whose gradient is
            $\\frac{2}{|B|} X_B^\\top (X_B w - y_B)$.

            Write `minibatch_grad(w, X, y, idx)`.
        """),
        code('''
            def minibatch_grad(w, X, y, idx):
                """The gradient of mean((X[idx] @ w - y[idx])**2) with respect to w."""
                ### HINT: select the rows first: Xb, yb = X[idx], y[idx]; then average over len(idx) examples
                ### BEGIN SOLUTION
                Xb, yb = X[idx], y[idx]
                return 2 * Xb.T @ (Xb @ w - yb) / len(idx)
                ### END SOLUTION
        '''),
        check("minibatch_grad"),

        task(3, "one epoch of SGD", """
            Write `sgd_epoch(w, X, y, lr, batches)`: for each batch in `batches`, in order, take
            one step `w ← w − lr · minibatch_grad(w, X, y, batch)`, always at the current `w`.
            Return the weights after the last batch (leave the caller's `w` unchanged).
        """),
        code('''
            def sgd_epoch(w, X, y, lr, batches):
                """The weights after one SGD step per batch."""
                ### HINT: loop over batches; each step uses the gradient at the current w
                ### BEGIN SOLUTION
                w = np.array(w, dtype=float)
                for idx in batches:
                    w = w - lr * minibatch_grad(w, X, y, idx)
                return w
                ### END SOLUTION
        '''),
        check("sgd_epoch"),

        md("""
            ## Racing batch sizes

            Ten epochs on the diabetes data (442 patients, all ten measurements, standardised)
            with your functions, for three batch sizes. The x-axis counts epochs, that is, passes
            over the data, which is what reading the data costs. A batch of 1 takes 442 steps per
            epoch, a batch of 32 takes 14 and the full batch takes one.
        """),
        code('''
            data = diabetes()
            X, y = data.X, data.y

            def mse(w):
                return float(np.mean((X @ w - y) ** 2))

            runs = {}
            for batch_size, lr in [(1, 0.01), (32, 0.05), (442, 0.05)]:
                rng = np.random.default_rng(0)
                w, curve = np.zeros(X.shape[1]), []
                for epoch in range(10):
                    batches = minibatch_indices(len(y), batch_size, rng)
                    w = sgd_epoch(w, X, y, lr, batches)
                    curve.append(mse(w))
                runs[batch_size] = curve
                print(f"batch {batch_size:>3}, lr {lr}: {len(batches):>3} steps per epoch, "
                      f"loss after 1 epoch {curve[0]:.4f}, after 10 epochs {curve[-1]:.4f}")
        '''),
        code('''
            fig, ax = plt.subplots(figsize=(6, 3.5))
            for colour, (batch_size, curve) in zip(color_cycle(3), runs.items()):
                ax.plot(range(1, 11), curve, marker="o", color=colour, label=f"batch size {batch_size}")
            label_axes(ax, "Same number of passes over the data, different batch sizes", "epoch",
                       "training loss (MSE)", legend=True)
            plt.show()
        '''),
        md("""
            After one pass over the data the small batches are far ahead: they have taken 442 and
            14 steps where full-batch descent took one. By the tenth pass the batch of 1 has fallen
            behind again: each of its steps follows a single patient's gradient, and that noise keeps
            it bouncing around the minimum unless its rate decays. Batches of a few dozen get the
            best of both, which is why 16 to 512 is the usual range; lesson 7 adds the hardware's
            side of the trade.
        """),
    ]
