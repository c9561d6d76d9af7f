"""Exercises for lesson 5: learning-rate schedules."""
from exercise_common import check, code, intro, md, setup, task

NAME = "05_schedules"


def cells():
    return [
        intro(5, NAME, "learning-rate schedules", """
            A schedule is just a function from the step number to a learning rate. You write the
            step count of a fine-tuning run, step decay, and the warmup-then-cosine schedule that
            most transformer recipes use, and the checks compare them, step by step, with
            minigrad's own schedulers.
        """),
        setup("check_schedule_steps", "check_step_decay", "check_warmup_cosine",
              extra="import math\n\nfrom coursekit.style import ROLE_COLORS, color_cycle"),

        task(1, "how many steps, how much warmup", """
            Schedules are set in steps, but a run is planned in epochs. An epoch takes
            $\\lceil n / B \\rceil$ steps (the last, smaller batch is a step too). Warmup is given as a
            fraction of all the training steps, rounded to the nearest whole step.

            Write `schedule_steps(num_examples, batch_size, epochs, warmup_fraction)` returning
            `(total_steps, warmup_steps)`.
        """),
        code('''
            def schedule_steps(num_examples, batch_size, epochs, warmup_fraction):
                """(total_steps, warmup_steps) of a run."""
                ### HINT: math.ceil(num_examples / batch_size) steps per epoch; round(warmup_fraction * total_steps)
                ### BEGIN SOLUTION
                total_steps = math.ceil(num_examples / batch_size) * epochs
                return total_steps, round(warmup_fraction * total_steps)
                ### END SOLUTION
        '''),
        check("schedule_steps"),
        code('''
            total_steps, warmup_steps = schedule_steps(4200, 16, 10, 0.1)
            print(f"the case study: {total_steps} steps, of which {warmup_steps} warm up")
        '''),

        task(2, "step decay", """
            Step decay multiplies the learning rate by `gamma` every `step_size` steps:
            $\\text{lr}(t) = \\text{base\\_lr}\\cdot\\gamma^{\\lfloor t / \\text{step\\_size}\\rfloor}$
            (PyTorch's `StepLR`). Write `step_decay(step, base_lr, step_size, gamma)`.
        """),
        code('''
            def step_decay(step, base_lr, step_size, gamma):
                """The learning rate at `step` under step decay."""
                ### HINT: the exponent counts whole periods: step // step_size
                ### BEGIN SOLUTION
                return base_lr * gamma ** (step // step_size)
                ### END SOLUTION
        '''),
        check("step_decay"),

        task(3, "warmup, then cosine", """
            The schedule of Hugging Face's `get_cosine_schedule_with_warmup` (also in
            `minigrad.optim.lr_scheduler`):

            * during warmup ($t <$ `warmup_steps`) the rate rises linearly from 0:
              $\\text{base\\_lr}\\cdot t / \\text{warmup\\_steps}$;
            * afterwards it follows half a cosine down to 0 at `total_steps`:
              $\\text{base\\_lr}\\cdot \\tfrac12\\,(1 + \\cos(\\pi p))$ with the progress
              $p = (t - \\text{warmup\\_steps}) / (\\text{total\\_steps} - \\text{warmup\\_steps})$.

            Write `warmup_cosine(step, base_lr, warmup_steps, total_steps)`.
        """),
        code('''
            def warmup_cosine(step, base_lr, warmup_steps, total_steps):
                """Linear warmup from 0, then half a cosine down to 0 at total_steps."""
                ### HINT: two cases: step < warmup_steps (a straight line) or not (progress p from 0 to 1, then 0.5 * (1 + math.cos(math.pi * p)))
                ### BEGIN SOLUTION
                if step < warmup_steps:
                    return base_lr * step / warmup_steps
                progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
                return base_lr * 0.5 * (1 + math.cos(math.pi * progress))
                ### END SOLUTION
        '''),
        check("warmup_cosine"),

        md("""
            ## The case study's schedules

            The fine-tuning case study ran 10 epochs over 4,200 examples in batches of 16 at a peak
            rate of 2e-5, warming up over the first 10 % of the steps. Here are your schedules for
            that run, next to a constant rate.
        """),
        code('''
            steps = np.arange(total_steps + 1)
            schedules = {
                "constant": [2e-5] * len(steps),
                "step decay (x0.5 every 2 epochs)": [step_decay(t, 2e-5, 2 * 263, 0.5) for t in steps],
                "warmup + cosine": [warmup_cosine(t, 2e-5, warmup_steps, total_steps) for t in steps],
            }
            fig, ax = plt.subplots(figsize=(6.5, 3.6))
            for colour, (name, lrs) in zip(color_cycle(3), schedules.items()):
                ax.plot(steps, lrs, color=colour, label=name)
            ax.axvline(warmup_steps, color=ROLE_COLORS["threshold"], linestyle=":", label="end of warmup")
            label_axes(ax, "Learning rate over the case study's run", "step", "learning rate", legend=True)
            plt.show()

            average = {name: float(np.mean(lrs)) for name, lrs in schedules.items()}
            for name, value in average.items():
                print(f"{name:<34} mean lr {value:.2e}")
        '''),
        md("""
            Warmup plus cosine spends about half the run's "learning-rate budget" of the constant
            schedule: big steps early, once the optimizer's running averages have settled, and
            small ones at the end, where the model settles into its minimum.
        """),
    ]
