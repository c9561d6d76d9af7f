"""Exercises for lesson 1: gradient descent from scratch."""
from exercise_common import check, code, intro, md, setup, task

NAME = "01_gradient_descent"


def cells():
    return [
        intro(1, NAME, "gradient descent from scratch", """
            In the lesson you watched gradient descent walk downhill. Here you write it: one step,
            the gradient of a real model's loss, the backward pass of a new operation in minigrad,
            and the loop that ties them together. At the end your code fits a model to real
            patient data, and you compare its answer with the exact one.
        """),
        setup("check_gd_step", "check_mse_grad", "check_softplus", "check_gradient_descent",
              extra="import minigrad as mg\nfrom coursekit.datasets import diabetes"),

        task(1, "one step downhill", """
            The gradient points in the direction in which the loss rises fastest. One step of
            gradient descent moves the parameters a little the other way:

            $$w_{\\text{new}} = w - \\text{lr} \\cdot \\nabla L(w)$$

            Write `gd_step(w, grad, lr)`: it returns the new parameters as a new array and leaves
            `w` as it was.
        """),
        code('''
            def gd_step(w, grad, lr):
                """The parameters after one gradient-descent step of size lr."""
                ### HINT: move against the gradient, by lr times it
                ### BEGIN SOLUTION
                return w - lr * grad
                ### END SOLUTION
        '''),
        check("gd_step"),

        task(2, "the gradient of a model's loss", """
            A linear model predicts $\\hat y = Xw + b$ for a table $X$ of $n$ examples (rows) and
            $d$ features (columns). Its loss is the mean squared error
            $L = \\frac1n \\sum_i r_i^2$, with the residuals $r = Xw + b - y$. The chain rule gives

            $$\\frac{\\partial L}{\\partial w} = \\frac{2}{n} X^\\top r, \\qquad
              \\frac{\\partial L}{\\partial b} = \\frac{2}{n} \\sum_i r_i .$$

            Write `mse_grad(w, b, X, y)` returning the pair `(dw, db)`: `dw` an array like `w`,
            `db` a number.
        """),
        code('''
            def mse_grad(w, b, X, y):
                """The gradient of mean((X @ w + b - y)**2) with respect to w and b."""
                ### HINT: compute the residuals r = X @ w + b - y first; X.T @ r sums over the examples
                ### BEGIN SOLUTION
                residual = X @ w + b - y
                n = len(y)
                return 2 * X.T @ residual / n, 2 * residual.sum() / n
                ### END SOLUTION
        '''),
        check("mse_grad"),
        md("""
            minigrad can compute the same gradient for you: build the loss from tensors and call
            `backward()`. Your formula and the autograd engine should agree to the last digits.
        """),
        code('''
            rng = np.random.default_rng(0)
            X_small, y_small = rng.normal(size=(5, 3)), rng.normal(size=5)
            w_t = mg.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
            b_t = mg.tensor(np.array(0.3), requires_grad=True)
            loss = ((mg.tensor(X_small) @ w_t + b_t - mg.tensor(y_small)) ** 2).mean()
            loss.backward()

            dw, db = mse_grad(w_t.numpy(), 0.3, X_small, y_small)
            print("yours:   ", np.round(dw, 6), round(db, 6))
            print("minigrad:", np.round(w_t.grad, 6), round(float(b_t.grad), 6))
        '''),

        task(3, "the backward pass of a new operation", """
            minigrad knows the derivative of every operation it offers. To add a new one you write
            its forward and its backward, exactly as in PyTorch, by subclassing
            `minigrad.autograd.Function`.

            Softplus is a smooth version of ReLU: $\\text{softplus}(x) = \\log(1 + e^x)$. Its
            derivative is the sigmoid, $\\sigma(x) = 1 / (1 + e^{-x})$. In `backward`, the chain rule
            multiplies this local derivative by `grad_output`, the gradient arriving from the loss.

            Complete `forward` (compute softplus with tensor operations such as `x.exp()`,
            `.log()`, and save `x` for later) and `backward` (return the gradient with respect to
            `x`).
        """),
        code('''
            class Softplus(mg.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ### HINT: ctx.save_for_backward(x), then return log(1 + exp(x)) built from tensor methods
                    ### BEGIN SOLUTION
                    ctx.save_for_backward(x)
                    return (1 + x.exp()).log()
                    ### END SOLUTION

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    ### HINT: the local derivative is x.sigmoid(); multiply it by grad_output
                    ### BEGIN SOLUTION
                    return grad_output * x.sigmoid()
                    ### END SOLUTION
        '''),
        md("""
            `mg.gradcheck` nudges every input by a tiny amount, measures how the output changes
            (finite differences), and compares with your backward. It returns `True` when they
            agree and raises an error naming the worst element when they do not.
        """),
        code('''
            x = mg.tensor(np.linspace(-3.0, 3.0, 7), requires_grad=True)  # float64, as gradcheck needs
            mg.gradcheck(Softplus.apply, [x])
        '''),
        check("softplus", "Softplus"),

        task(4, "the loop", """
            Gradient descent repeats the step: compute the gradient where you are, step, repeat.
            Write `gradient_descent(grad_fn, w0, lr, steps)` that returns the whole path as an
            array of `steps + 1` rows: `w0` first, then the point after each step. `grad_fn(w)`
            returns the gradient at `w`. Use your `gd_step`, and do not change the caller's `w0`.
        """),
        code('''
            def gradient_descent(grad_fn, w0, lr, steps):
                """The path of gradient descent from w0: an array of steps + 1 rows."""
                ### HINT: keep a list of points starting with w0; append each new point; return np.array(the list)
                ### BEGIN SOLUTION
                w = np.array(w0, dtype=float)
                path = [w]
                for _ in range(steps):
                    w = gd_step(w, grad_fn(w), lr)
                    path.append(w)
                return np.array(path)
                ### END SOLUTION
        '''),
        check("gradient_descent"),

        md("""
            ## Your code on real data

            scikit-learn ships a small medical data set: 442 diabetes patients, ten measurements
            each, and how far the disease progressed a year later. We fit a linear model on two
            of the measurements (body-mass index and a blood-serum value), both standardised,
            with your `mse_grad` and `gradient_descent`. The parameters are packed in one vector
            `theta = [w1, w2, b]`.
        """),
        code('''
            data = diabetes(["bmi", "s5"])
            X, y = data.X, data.y

            def loss(theta):
                return float(np.mean((X @ theta[:-1] + theta[-1] - y) ** 2))

            def grad(theta):
                dw, db = mse_grad(theta[:-1], theta[-1], X, y)
                return np.append(dw, db)

            path = gradient_descent(grad, np.zeros(3), lr=0.1, steps=60)
            losses = [loss(theta) for theta in path]

            # The exact least-squares answer, for comparison.
            X1 = np.column_stack([X, np.ones(len(y))])
            exact = np.linalg.lstsq(X1, y, rcond=None)[0]

            print(f"loss at the start:        {losses[0]:.4f}")
            print(f"loss after 60 steps:      {losses[-1]:.4f}")
            print(f"best possible (exact):    {loss(exact):.4f}")
            print("theta after 60 steps:    ", np.round(path[-1], 4) + 0.0)  # + 0.0 turns -0.0 into 0.0
            print("exact theta:             ", np.round(exact, 4) + 0.0)
        '''),
        code('''
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.plot(losses, label="gradient descent (lr = 0.1)")
            ax.axhline(loss(exact), color="grey", linestyle=":", label="exact least squares")
            label_axes(ax, "Fitting disease progression with your gradient descent", "step",
                       "mean squared error (standardised units²)", legend=True)
            plt.show()
        '''),
        md("""
            Sixty cheap steps land within a hair of the exact answer. For a linear model the exact
            answer is available directly; for a neural network it is not, and these same few lines
            (step, gradient, loop) are how every network is trained.
        """),
    ]
