"""Exercises for lesson 2: the learning rate."""
from exercise_common import check, code, intro, md, setup, task

NAME = "02_learning_rate"


def cells():
    return [
        intro(2, NAME, "the learning rate", """
            The lesson showed four kinds of run: too slow, right, oscillating, diverging. On a
            quadratic loss all four follow from one number per direction, the curvature. Here you
            compute the largest safe learning rate, name the regime of a run before starting it,
            and count how many steps (how much money) a learning rate costs.
        """),
        setup("check_largest_stable_lr", "check_lr_regime", "check_steps_to_tolerance",
              extra="import math\n\nfrom minigrad.optim import functional as OF\nfrom coursekit.style import ROLE_COLORS"),

        md("""
            **The model problem.** On the loss $L(w) = \\tfrac12 w^\\top H w$ the gradient is $Hw$,
            so a gradient-descent step is $w \\leftarrow (I - \\text{lr}\\,H)\\,w$. Along each
            eigenvector of $H$ (each axis of the valley) the distance to the minimum is multiplied by
            $1 - \\text{lr}\\cdot c$ at every step, where $c$ is the curvature along that axis (the
            eigenvalue). Everything below follows from that factor.
        """),
        task(1, "the largest stable learning rate", """
            The run converges only if $|1 - \\text{lr}\\cdot c| < 1$ along every axis, that is
            $\\text{lr} < 2 / c$ for every curvature $c$. The steepest axis, with the largest
            curvature $L$, sets the limit: $\\text{lr} < 2/L$.

            Write `largest_stable_lr(H)` for a symmetric matrix `H`. The curvatures are its
            eigenvalues (`np.linalg.eigvalsh(H)`), which differ from its diagonal when the valley
            is turned.
        """),
        code('''
            def largest_stable_lr(H):
                """The learning rate above which gradient descent on 0.5 * w @ H @ w diverges."""
                ### HINT: np.linalg.eigvalsh(H) gives the curvatures; the limit is 2 divided by the largest
                ### BEGIN SOLUTION
                return 2.0 / float(np.linalg.eigvalsh(H).max())
                ### END SOLUTION
        '''),
        check("largest_stable_lr"),

        task(2, "name the regime before you run", """
            On a 1-D quadratic with curvature `curvature`, the factor $f = 1 - \\text{lr}\\cdot c$
            decides what happens:

            * $f \\ge 0$ (lr up to $1/c$): the distance shrinks without changing sign: `"monotone"`;
            * $-1 < f < 0$ (lr between $1/c$ and $2/c$): it flips sign each step while it shrinks: `"oscillating"`;
            * $f \\le -1$ (lr from $2/c$ on): it never shrinks: `"diverging"`.

            Write `lr_regime(lr, curvature)` returning one of these three strings.
        """),
        code('''
            def lr_regime(lr, curvature):
                """'monotone', 'oscillating' or 'diverging': what gradient descent does on a 1-D quadratic."""
                ### HINT: compute factor = 1 - lr * curvature, then compare it with 0 and -1
                ### BEGIN SOLUTION
                factor = 1.0 - lr * curvature
                if factor >= 0:
                    return "monotone"
                if factor > -1:
                    return "oscillating"
                return "diverging"
                ### END SOLUTION
        '''),
        check("lr_regime"),

        task(3, "what a learning rate costs in steps", """
            After $n$ steps the distance to the minimum is $|w_0| \\cdot |f|^n$. Write
            `steps_to_tolerance(lr, curvature, w0, tol)`: the smallest number of steps after which
            $|w| \\le$ `tol`. Return `0` if $|w_0|$ is already within `tol`, and `math.inf` if the
            run never gets there ($|f| \\ge 1$).

            Either simulate the steps in a loop (simple and exact), or solve
            $|w_0|\\,|f|^n \\le \\text{tol}$ for $n$ with logarithms (then take care of $f = 0$, where
            one step lands exactly on the minimum).
        """),
        code('''
            def steps_to_tolerance(lr, curvature, w0, tol):
                """Gradient-descent steps until |w| <= tol on a 1-D quadratic (math.inf if never)."""
                ### HINT: factor = abs(1 - lr * curvature); handle |w0| <= tol and factor >= 1 first, then count
                ### BEGIN SOLUTION
                factor, distance, steps = abs(1.0 - lr * curvature), abs(w0), 0
                if distance <= tol:
                    return 0
                if factor >= 1:
                    return math.inf
                while distance > tol:
                    distance *= factor
                    steps += 1
                return steps
                ### END SOLUTION
        '''),
        check("steps_to_tolerance"),

        md("""
            ## Your functions on the lesson's valley

            The valley $L(w) = \\tfrac12(w_1^2 + 10\\,w_2^2)$ has curvatures 1 and 10. Below, your
            functions name each learning rate's regime along the steep axis and count the steps to
            get both coordinates within 0.001 of the minimum; minigrad's own SGD rule draws the runs.
        """),
        code('''
            H = np.diag([1.0, 10.0])
            limit = largest_stable_lr(H)
            print(f"largest stable learning rate: {limit:.3f}")

            def run(lr, steps=40):
                w, losses = np.array([1.0, 1.0]), []
                for _ in range(steps):
                    losses.append(0.5 * w @ H @ w)
                    OF.sgd(w, H @ w, {}, lr=lr)
                return losses

            colours = {"monotone": ROLE_COLORS["good"], "oscillating": ROLE_COLORS["too_large"],
                       "diverging": ROLE_COLORS["diverges"]}
            fig, ax = plt.subplots(figsize=(6.5, 3.8))
            for lr in [0.02, 0.1, 0.17, 0.205]:
                regime = lr_regime(lr, 10.0)  # the steep axis decides
                steps = max(steps_to_tolerance(lr, c, 1.0, 1e-3) for c in (1.0, 10.0))
                print(f"lr = {lr:<6} {regime:<12} steps to 0.001: {steps}")
                ax.plot(run(lr), color=colours[regime], label=f"lr = {lr} ({regime})",
                        linestyle="-" if lr != 0.02 else "--")
            ax.set_yscale("log")
            label_axes(ax, "The same valley, four learning rates", "step", "loss (log scale)", legend=True)
            plt.show()
        '''),
        md("""
            The fastest run here is the oscillating one: the flat axis (curvature 1) wants a large
            rate, and the steep axis (curvature 10) tolerates anything below 0.2 even though it
            zig-zags. Just past 0.2 everything is lost. That tension between steep and flat
            directions is what momentum and Adam (lesson 4) address.
        """),
    ]
