"""Exercises for lesson 4: the optimizers."""
from exercise_common import check, code, intro, md, setup, task

NAME = "04_optimizers"


def cells():
    return [
        intro(4, NAME, "optimizers", """
            Momentum, RMSProp, Adam and AdamW each change one thing about the plain gradient step.
            You write all four the way minigrad (and PyTorch) does: a function that updates the
            parameter array and its `state` dictionary in place. Then you race your own
            optimizers on the lesson's valley.
        """),
        setup("check_momentum_step", "check_rmsprop_step", "check_adam_step", "check_adamw_step",
              extra="from minigrad.optim import functional as OF\nfrom coursekit.style import optimizer_style"),

        md("""
            **The contract.** Every function below has the form `rule(param, grad, state, **settings)`.
            It changes `param` *in place* (`param -= ...`; writing `param = param - ...` would only
            rebind a local name and the caller would see nothing) and returns nothing. `state` is a
            dictionary that starts empty (`{}`) and keeps whatever the rule must remember between
            steps. This is exactly how `minigrad.optim.functional` is written; the optimizer
            classes just call these functions for every parameter.
        """),
        task(1, "momentum", """
            Momentum keeps a running velocity $v$ and steps along it:
            $v \\leftarrow \\mu v + g$, then $\\theta \\leftarrow \\theta - \\text{lr}\\cdot v$ (on the
            first step $v = g$). Store $v$ in `state["momentum_buffer"]`.
        """),
        code('''
            def momentum_step(param, grad, state, lr=0.01, momentum=0.9):
                """SGD with momentum (PyTorch's form), updating param and state in place."""
                ### HINT: read the velocity from state (None on the first call: start from grad), update it, store it back, then step along it in place
                ### BEGIN SOLUTION
                velocity = state.get("momentum_buffer")
                velocity = grad.copy() if velocity is None else momentum * velocity + grad
                state["momentum_buffer"] = velocity
                param -= lr * velocity
                ### END SOLUTION
        '''),
        check("momentum_step"),

        task(2, "RMSProp", """
            RMSProp divides each coordinate's step by the root mean square of its recent
            gradients, so steep and flat directions move at similar speeds:
            $s \\leftarrow \\alpha s + (1-\\alpha) g^2$, then
            $\\theta \\leftarrow \\theta - \\text{lr}\\cdot g / (\\sqrt{s} + \\varepsilon)$
            with $s$ starting at zero. Store $s$ in `state["square_avg"]`.
        """),
        code('''
            def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8):
                """RMSProp, updating param and state in place."""
                ### HINT: s = alpha * s + (1 - alpha) * grad**2 (s starts at zeros); eps goes outside the square root
                ### BEGIN SOLUTION
                square_avg = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad ** 2
                state["square_avg"] = square_avg
                param -= lr * grad / (np.sqrt(square_avg) + eps)
                ### END SOLUTION
        '''),
        check("rmsprop_step"),

        task(3, "Adam, with bias correction", """
            Adam keeps two running averages, of the gradient ($m$) and of its square ($v$), both
            starting at zero, and counts the steps $t$ from 1:

            $$m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\quad
              \\hat m = \\frac{m}{1-\\beta_1^t}, \\quad \\hat v = \\frac{v}{1-\\beta_2^t}, \\quad
              \\theta \\leftarrow \\theta - \\text{lr}\\cdot\\frac{\\hat m}{\\sqrt{\\hat v} + \\varepsilon}.$$

            The divisions by $1 - \\beta^t$ are the *bias correction*: they undo the pull towards the
            zero start, which matters in the first few hundred steps. Keep `t`, `m` and `v` in `state`.
        """),
        code('''
            def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                """Adam with bias correction, updating param and state in place."""
                ### HINT: on the first call set state["step"] = 0 and m, v to zeros; then increase the step count before using it
                ### BEGIN SOLUTION
                beta1, beta2 = betas
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
                state["step"] += 1
                t = state["step"]
                state["exp_avg"] = m = beta1 * state["exp_avg"] + (1 - beta1) * grad
                state["exp_avg_sq"] = v = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad ** 2
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                param -= lr * m_hat / (np.sqrt(v_hat) + eps)
                ### END SOLUTION
        '''),
        check("adam_step"),

        task(4, "AdamW's decoupled weight decay", """
            Weight decay pulls every weight towards zero. Adam with an L2 penalty adds
            $\\lambda\\theta$ to the gradient, but then Adam's division by $\\sqrt{\\hat v}$ rescales
            the decay too: weights with large gradients are barely decayed. AdamW *decouples* it:
            first shrink every weight by the same factor, $\\theta \\leftarrow \\theta\\,(1 - \\text{lr}\\cdot\\lambda)$,
            then take a plain Adam step with the unchanged gradient.

            Write `adamw_step` with your `adam_step`.
        """),
        code('''
            def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
                """AdamW: decoupled weight decay, then an Adam step, in place."""
                ### HINT: shrink param in place by the factor (1 - lr * weight_decay), then call your adam_step with the unchanged grad
                ### BEGIN SOLUTION
                param *= 1 - lr * weight_decay
                adam_step(param, grad, state, lr=lr, betas=betas, eps=eps)
                ### END SOLUTION
        '''),
        check("adamw_step"),

        md("""
            ## Race your optimizers

            The lesson's ill-conditioned valley $L(w) = 0.1\\,w_1^2 + 2\\,w_2^2$ from $(-5, -2)$: 20
            times steeper across than along. Plain SGD (minigrad's) against your three; each
            optimizer in its course colour.
        """),
        code('''
            def loss(w):
                return 0.1 * w[0] ** 2 + 2 * w[1] ** 2

            def grad(w):
                return np.array([0.2 * w[0], 4 * w[1]])

            def race(rule, steps=100, **settings):
                w, state, losses = np.array([-5.0, -2.0]), {}, []
                for _ in range(steps):
                    losses.append(loss(w))
                    rule(w, grad(w), state, **settings)
                return losses

            curves = {
                "SGD": race(OF.sgd, lr=0.4),
                "Momentum": race(momentum_step, lr=0.1, momentum=0.8),
                "RMSProp": race(rmsprop_step, lr=0.1, alpha=0.9),
                "Adam": race(adam_step, lr=0.3),
            }
            for name, losses in curves.items():
                print(f"{name:<9} loss after 100 steps: {losses[-1]:.2e}")
        '''),
        code('''
            fig, ax = plt.subplots(figsize=(6.5, 3.8))
            for name, losses in curves.items():
                ax.plot(losses, **optimizer_style(name))
            ax.set_yscale("log")
            label_axes(ax, "Your optimizers on the valley 0.1·w1² + 2·w2²", "step", "loss (log scale)", legend=True)
            plt.show()
        '''),
        md("""
            On a smooth quadratic with well-tuned rates, momentum wins by orders of magnitude, and
            Adam and RMSProp end up hovering: their steps are normalised by the gradient's size, so
            they do not shrink as the gradient does near the minimum (a decaying schedule, lesson 5,
            fixes that). Their strength lies elsewhere: they work across a much wider range of
            learning rates and with parameters of very different scales, which is what real
            networks have.
        """),
        md("""
            ## Decoupled decay, seen

            One weight receives large gradients, the other none at all. With the same decay setting,
            Adam with L2 and AdamW treat them very differently.
        """),
        code('''
            def final_weights(rule, steps=200, **settings):
                w, state = np.array([1.0, 1.0]), {}
                rng = np.random.default_rng(0)
                for _ in range(steps):
                    g = np.array([rng.normal(0.0, 5.0), 0.0])  # noisy large gradient; no gradient at all
                    rule(w, g, state, **settings)
                return w

            adam_l2 = final_weights(OF.adam, lr=0.01, weight_decay=0.1)
            adamw = final_weights(adamw_step, lr=0.01, weight_decay=0.1)
            print("after 200 steps      busy weight   idle weight")
            print(f"Adam + L2            {adam_l2[0]:>10.3f}   {adam_l2[1]:>10.3f}")
            print(f"AdamW (yours)        {adamw[0]:>10.3f}   {adamw[1]:>10.3f}")
        '''),
        md("""
            Adam with L2 drives the idle weight towards zero at full speed (its only gradient is
            the decay, which Adam normalises to a step of size lr), while AdamW shrinks both weights
            by the same gentle factor, $(1 - 0.01 \\cdot 0.1)^{200} \\approx 0.82$, on top of what the
            gradients do. That predictability is why AdamW is the default for fine-tuning transformers.
        """),
    ]
