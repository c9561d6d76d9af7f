"""Exercises for lesson 8: gradient clipping."""
from exercise_common import check, code, intro, md, setup, task

NAME = "08_clipping"


def cells():
    return [
        intro(8, NAME, "gradient clipping", """
            One bad batch can produce a gradient a hundred times larger than usual, and one step
            along it can undo hours of training. Clipping caps the step. You write the global
            gradient norm, clipping by norm (what `clip_grad_norm_` does in minigrad and PyTorch)
            and clipping by value, then watch clipping absorb a corrupted batch.
        """),
        setup("check_global_grad_norm", "check_clip_grad_norm", "check_clip_grad_value",
              extra="from coursekit.datasets import diabetes\nfrom coursekit.style import ROLE_COLORS"),

        md("""
            A model's gradient is a list of arrays, one per parameter (a weight matrix, a bias
            vector, ...). The functions below take such a list.
        """),
        task(1, "the total gradient norm", """
            Clipping looks at all the gradients as one long vector. Its length is the square root
            of the sum of the squares of *all* entries, across all the arrays. Write
            `global_grad_norm(grads)` returning it as a number.
        """),
        code('''
            def global_grad_norm(grads):
                """The L2 norm of all the gradient arrays seen as one vector."""
                ### HINT: add up np.sum(g ** 2) over the arrays, then take the square root once
                ### BEGIN SOLUTION
                return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
                ### END SOLUTION
        '''),
        check("global_grad_norm"),

        task(2, "clipping by norm", """
            If the total norm exceeds `max_norm`, multiply *every* gradient by the same factor
            `max_norm / total_norm`, so the combined step keeps its direction and gets length
            `max_norm`; otherwise leave them alone. Change the arrays in place (`g *= factor`) and
            return the total norm *before* clipping: it is the number to log during training.
        """),
        code('''
            def clip_grad_norm(grads, max_norm):
                """Scale the gradients in place so their total norm is at most max_norm; return the norm before."""
                ### HINT: compute the total with your global_grad_norm; only when it exceeds max_norm, scale every array in place by the same factor
                ### BEGIN SOLUTION
                total = global_grad_norm(grads)
                if total > max_norm:
                    for g in grads:
                        g *= max_norm / total
                return total
                ### END SOLUTION
        '''),
        check("clip_grad_norm"),

        task(3, "clipping by value", """
            The blunter alternative clamps every entry into `[-clip_value, clip_value]` on its own,
            which can change the direction of the step. Write `clip_grad_value(grads, clip_value)`,
            in place, returning nothing.
        """),
        code('''
            def clip_grad_value(grads, clip_value):
                """Clamp every gradient entry into [-clip_value, clip_value], in place."""
                ### HINT: np.clip(g, -clip_value, clip_value, out=g) works in place
                ### BEGIN SOLUTION
                for g in grads:
                    np.clip(g, -clip_value, clip_value, out=g)
                ### END SOLUTION
        '''),
        check("clip_grad_value"),

        md("""
            ## A corrupted batch

            SGD on the diabetes data with batches of 32. At step 60 one batch arrives with its
            targets multiplied by 50 (a unit mix-up in the export, say). Without clipping, that
            single step throws the model far away; with your `clip_grad_norm` at 1.0 it is one
            step of normal length.
        """),
        code('''
            data = diabetes()
            X, y = data.X, data.y

            def train(max_norm=None, steps=150, lr=0.05):
                rng = np.random.default_rng(0)
                w, b = np.zeros(X.shape[1]), np.zeros(1)
                losses, norms = [], []
                for step in range(steps):
                    idx = rng.choice(len(y), 32, replace=False)
                    target = y[idx] * (50 if step == 60 else 1)
                    residual = X[idx] @ w + b - target
                    grads = [2 * X[idx].T @ residual / 32, 2 * residual.mean(keepdims=True)]
                    norm = clip_grad_norm(grads, max_norm) if max_norm else global_grad_norm(grads)
                    w -= lr * grads[0]
                    b -= lr * grads[1]
                    norms.append(norm)
                    losses.append(float(np.mean((X @ w + b - y) ** 2)))
                return losses, norms

            plain, plain_norms = train()
            clipped, clipped_norms = train(max_norm=1.0)
            print(f"gradient norm at the bad step: {plain_norms[60]:.1f} (typical: {np.median(plain_norms):.2f})")
            print(f"loss right after the bad step: without clipping {plain[60]:.2f}, with clipping {clipped[60]:.2f}")
            print(f"loss at the end:               without clipping {plain[-1]:.3f}, with clipping {clipped[-1]:.3f}")
        '''),
        code('''
            fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(10, 3.6))
            ax_loss.plot(plain, color=ROLE_COLORS["validation"], label="no clipping")
            ax_loss.plot(clipped, color=ROLE_COLORS["train"], label="clip at norm 1.0")
            ax_loss.set_yscale("log")
            label_axes(ax_loss, "Full-data loss", "step", "MSE (log scale)", legend=True)
            ax_norm.plot(plain_norms, color=ROLE_COLORS["grad_norm"], label="gradient norm")
            ax_norm.axhline(1.0, color=ROLE_COLORS["threshold"], linestyle=":", label="max_norm = 1.0")
            ax_norm.set_yscale("log")
            label_axes(ax_norm, "Gradient norm before clipping", "step", "norm (log scale)", legend=True)
            plt.show()
        '''),
        md("""
            The spike in the gradient norm is the signature to look for in a training log. Clipping
            turned the catastrophic step into an ordinary one, and training carried on as if the
            bad batch had been a little noisier than usual.
        """),
    ]
