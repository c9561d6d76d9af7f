"""Exercises for lesson 9: the fine-tuning case study, and what it costs."""
from exercise_common import check, code, intro, md, setup, task

NAME = "09_finetuning_cost"


def cells():
    return [
        intro(9, NAME, "the fine-tuning case study and its bill", """
            The case study fine-tuned a 125-million-parameter model on 4,200 approved ad copies:
            AdamW at 2e-5, linear warmup over the first 10 % of the steps, batch size 16, gradient
            clipping at 1.0, and early stopping with patience 2. You write the two decisions that
            ended the run and set its rate (early stopping and the warmup schedule) and the
            arithmetic an agency needs to quote it: steps, GPU-hours, dollars, and the saving.
        """),
        setup("check_early_stopping", "check_linear_warmup_lr", "check_training_cost", "check_savings",
              extra="import math\n\nfrom coursekit.style import ROLE_COLORS"),

        task(1, "early stopping", """
            After each epoch, compare the validation loss with the best so far. An epoch *improves*
            if its loss is below `best - min_delta`; then it becomes the best and the count of bad
            epochs goes back to 0. Otherwise the count grows, and when it reaches `patience`,
            training stops. Epochs are counted from 1.

            Write `early_stopping(val_losses, patience, min_delta=0.0)` returning
            `(stop_epoch, best_epoch)`: the epoch after which training stops (the last epoch if it
            never does) and the epoch whose weights you keep.
        """),
        code('''
            def early_stopping(val_losses, patience, min_delta=0.0):
                """(stop_epoch, best_epoch) for a run watched with early stopping; epochs count from 1."""
                ### HINT: loop with enumerate(val_losses, start=1); keep best, best_epoch and bad_epochs
                ### BEGIN SOLUTION
                best, best_epoch, bad_epochs = math.inf, None, 0
                for epoch, loss in enumerate(val_losses, start=1):
                    if loss < best - min_delta:
                        best, best_epoch, bad_epochs = loss, epoch, 0
                    else:
                        bad_epochs += 1
                        if bad_epochs >= patience:
                            return epoch, best_epoch
                return len(val_losses), best_epoch
                ### END SOLUTION
        '''),
        check("early_stopping"),

        task(2, "linear warmup, then linear decay", """
            The case study's schedule (`get_linear_schedule_with_warmup` in Hugging Face and in
            `minigrad.optim.lr_scheduler`): the rate rises linearly from 0 at step 0 to `base_lr` at
            step `warmup_steps`, then falls linearly to 0 at `total_steps`:
            $\\text{base\\_lr}\\cdot(\\text{total\\_steps} - t)/(\\text{total\\_steps} - \\text{warmup\\_steps})$.
            Write `linear_warmup_lr(step, base_lr, warmup_steps, total_steps)`.
        """),
        code('''
            def linear_warmup_lr(step, base_lr, warmup_steps, total_steps):
                """Linear warmup from 0 to base_lr, then linear decay to 0 at total_steps."""
                ### HINT: two straight lines: step / warmup_steps while warming up, then (total_steps - step) / (total_steps - warmup_steps)
                ### BEGIN SOLUTION
                if step < warmup_steps:
                    return base_lr * step / warmup_steps
                return base_lr * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
                ### END SOLUTION
        '''),
        check("linear_warmup_lr"),

        task(3, "the bill", """
            A cloud provider bills GPU-hours: every GPU, for every hour of the run. Given the
            measured seconds per training step, write
            `training_cost(num_examples, batch_size, epochs, seconds_per_step, usd_per_gpu_hour, num_gpus=1)`
            returning `(steps, gpu_hours, usd)`: the steps are $\\lceil n/B\\rceil$ per epoch, and
            the dollars are exact (round only when printing).
        """),
        code('''
            def training_cost(num_examples, batch_size, epochs, seconds_per_step, usd_per_gpu_hour, num_gpus=1):
                """(steps, gpu_hours, usd) of a training run."""
                ### HINT: steps = math.ceil(num_examples / batch_size) * epochs; an hour has 3600 seconds
                ### BEGIN SOLUTION
                steps = math.ceil(num_examples / batch_size) * epochs
                gpu_hours = steps * seconds_per_step * num_gpus / 3600
                return steps, gpu_hours, gpu_hours * usd_per_gpu_hour
                ### END SOLUTION
        '''),
        check("training_cost"),

        task(4, "the saving", """
            Write `savings(baseline, improved)`: the fraction of the baseline's cost (or time)
            that the improved run saves, e.g. `0.4` when it costs 6 instead of 10.
        """),
        code('''
            def savings(baseline, improved):
                """The fraction of the baseline saved by the improved run."""
                ### BEGIN SOLUTION
                return 1 - improved / baseline
                ### END SOLUTION
        '''),
        check("savings"),

        md("""
            ## The case study, computed

            The validation losses of the case study's 10-epoch run (lowest at epoch 7), its
            learning-rate schedule, and the bill at the case's measured 6.845 seconds per step on
            one GPU at $0.85 per GPU-hour.
        """),
        code('''
            val_losses = [2.10, 1.70, 1.45, 1.30, 1.22, 1.18, 1.16, 1.17, 1.19, 1.22]
            stop_epoch, best_epoch = early_stopping(val_losses, patience=2)
            print(f"early stopping: stop after epoch {stop_epoch}, keep the weights of epoch {best_epoch}")

            full = training_cost(4200, 16, 10, 6.845, 0.85)
            stopped = training_cost(4200, 16, stop_epoch, 6.845, 0.85)
            best_only = training_cost(4200, 16, best_epoch, 6.845, 0.85)
            for name, (steps, hours, usd) in [("10 epochs, no early stopping", full),
                                              (f"stopped after epoch {stop_epoch}", stopped),
                                              (f"up to the best epoch ({best_epoch})", best_only)]:
                print(f"{name:<30} {steps:>5} steps  {hours:4.2f} GPU-hours  ${usd:.2f}")
            print(f"early stopping saves {savings(full[2], stopped[2]):.0%} of the 10-epoch bill")
        '''),
        code('''
            total_steps = full[0]
            warmup_steps = round(0.1 * total_steps)
            steps = np.arange(total_steps + 1)
            lrs = [linear_warmup_lr(t, 2e-5, warmup_steps, total_steps) for t in steps]

            fig, ax = plt.subplots(figsize=(6.5, 3.4))
            ax.plot(steps, lrs, color=ROLE_COLORS["lr"], label="linear warmup, then decay")
            ax.axvline(stopped[0], color=ROLE_COLORS["threshold"], linestyle=":",
                       label=f"early stop (epoch {stop_epoch})")
            label_axes(ax, "The case study's learning rate", "step", "learning rate", legend=True)
            plt.show()
        '''),
        md("""
            Early stopping paid for itself twice: a cheaper run, and the weights of the best epoch
            rather than of a slightly overfitted last one. Note that the schedule was planned for 10
            epochs, so at the stop the rate had not yet decayed to zero; that is normal, and one
            reason to set the planned length generously and let early stopping end the run.
        """),
    ]
