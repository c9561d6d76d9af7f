"""The "predict, then check" questions of lessons 1-8 (see :mod:`coursekit.predict`).

One function per question, named ``lessonN_<what>``. Each computes its right answer with the
lesson's own functions (the ones its tables, plots and sliders use) when the cell runs, and
takes the lesson's objects as arguments where the lesson built them, so the question can
never contradict what the lesson shows. Hints may quote computed numbers: they are shown only
for a choice that was picked and is wrong.
"""
from __future__ import annotations

import numpy as np

from . import gradient_descent as gd
from .learning_rate import regime, steps_to_converge
from .predict import ask
from .surfaces import get_surface
from .trajectories import trajectory

__all__ = [
    "lesson1_which_blows_up", "lesson1_fastest_rate",
    "lesson2_which_zigzags", "lesson2_fastest_rate", "lesson2_first_to_diverge",
    "lesson3_knee", "lesson3_jitter",
    "lesson4_still_converging", "lesson4_race_winner",
    "lesson5_lowest_val",
    "lesson6_pick_from_curve", "lesson6_best_check",
    "lesson7_widest_gap", "lesson7_best_rule",
    "lesson8_clips_most", "lesson8_share_clipped",
]


def _steps(n) -> str:
    return "it never got there" if n is None or not np.isfinite(n) else f"{int(n)} steps"


# ------------------------------------------------------------------ lesson 1
def lesson1_which_blows_up(lr: float = 0.8, steps: int = 20):
    """At ``lr``, which of lesson 1's two models moves away from its minimum (the slider's title)?"""
    path_1d, path_2d = gd.descent_compute(lr, steps)
    away = [p.diverged or p.losses[-1] > p.losses[0] for p in (path_1d, path_2d)]
    one, two = gd.lesson1_problems()
    answer = {(True, True): "both", (False, False): "neither",
              (True, False): "only the one-weight model", (False, True): "only the two-weight model"}[tuple(away)]
    limits = f"the one-weight model blows up above {one.critical_lr:.2f}, the two-weight model above {two.critical_lr:.2f}"
    return ask(
        f"Set the learning rate to {lr:g} and the steps to {steps}. Which model ends further from its "
        "minimum than it started?",
        {"only the one-weight model": "The one-weight bowl is the gentler of the two: its curvature is "
                                      "lower, so it tolerates larger steps. Look at which direction is steepest.",
         "only the two-weight model": "The two-weight bowl has a steeper direction (bmi and s5 are "
                                      "correlated), and the steepest direction sets the limit 2/L.",
         "both": f"Each model has its own limit 2/L, set by its steepest direction: {limits}.",
         "neither": "A rate can be too large: past 2/L every step overshoots the bottom by more than "
                    "it corrects. Compare the rate with each model's limit in the slider's title."},
        answer, explain=f"{limits[0].upper()}{limits[1:]}: the steeper bowl sets the lower limit.")


def lesson1_fastest_rate(rates=(0.01, 0.1, 0.5, 0.9), max_steps: int = 300):
    """Which rate brings the two-weight loss within 1% of its best in the fewest steps?"""
    _, two = gd.lesson1_problems()
    target = two.min_loss * 1.01
    reached = {lr: gd.steps_to_reach(gd.gradient_descent(two, gd.START_2D, lr, max_steps).losses, target)
               for lr in rates}
    fastest = min((lr for lr in rates if reached[lr] is not None), key=lambda lr: reached[lr])
    hint = {
        "small": "Each step is a small fraction of the slope: safe, but the steps add up ({n}).",
        "large": "Too large: beyond 2/L = {limit:.2f} each step overshoots further ({n}).",
        "mid": "Smooth, but a larger rate still below the limit gets there sooner ({n}).",
    }
    choices = {}
    for lr in rates:
        kind = "large" if lr > two.critical_lr else ("small" if lr < 0.05 else "mid")
        choices[f"{lr:g}"] = hint[kind].format(n=_steps(reached[lr]), limit=two.critical_lr)
    return ask(
        "On the two-weight loss, which learning rate gets within 1% of the best loss in the fewest steps?",
        choices, f"{fastest:g}",
        explain=f"{reached[fastest]} steps; the cheapest rate sits below, but close to, the blow-up limit "
                f"{two.critical_lr:.2f}.")


# ------------------------------------------------------------------ lesson 2
def lesson2_fastest_rate(surface="valley", rates=(0.05, 0.25, 0.45, 0.55)):
    """Which rate reaches 1/1000 of the starting loss in the fewest steps (section 4's count)?"""
    surface = get_surface(surface)
    _, counts = steps_to_converge(surface, list(rates))
    best = int(np.nanargmin(counts))
    choices = {}
    for lr, n in zip(rates, counts):
        if not np.isfinite(n):
            choices[f"{lr:g}"] = (f"Past 2/L = {surface.critical_lr:g} the run never arrives: every step "
                                  "overshoots the steep direction by more than it corrects.")
        else:
            choices[f"{lr:g}"] = (f"It gets there, in {int(n)} steps. Smaller rates pay in proportion; "
                                  "the cheapest rate sits just below the cliff at 2/L.")
    return ask(
        f"On the {surface.title.lower()}, which of these rates reaches 1/1000 of the starting loss in "
        "the fewest steps?", choices, f"{rates[best]:g}",
        explain=f"{int(counts[best])} steps, just below the cliff at 2/L = {surface.critical_lr:g}.")


def lesson2_first_to_diverge(surface="valley", rates=(0.3, 0.45, 0.55, 0.8), steps: int = 100):
    """As the rate rises through ``rates``, which is the first whose run diverges (loss NaN)?"""
    surface = get_surface(surface)
    diverged = {lr: not np.isfinite(trajectory("SGD", surface, steps=steps, lr=lr).final_loss) for lr in rates}
    first = min(lr for lr in rates if diverged[lr])
    choices = {}
    for lr in rates:
        if diverged[lr]:
            choices[f"{lr:g}"] = "It diverges, but a smaller rate on the list diverges already."
        else:
            choices[f"{lr:g}"] = (f"lr × L = {lr * surface.lipschitz:g} is below 2: the factor (1 − lr·λ) stays "
                                  "between −1 and 1 in every direction, so this run still converges.")
    return ask(
        f"Raise the rate on the {surface.title.lower()}: which of these is the first to diverge?",
        choices, f"{first:g}",
        explain=f"lr × L = {first * surface.lipschitz:g} is past 2: the steep direction (L = "
                f"{surface.lipschitz:g}) overshoots more each step. The limit is 2/L = {surface.critical_lr:g}.")


def lesson2_which_zigzags(surface="valley", rates=(0.1, 0.2, 0.35, 0.6)):
    """Which of ``rates`` gives a path that zigzags but still converges (``regime``, as section 3's table)?"""
    surface = get_surface(surface)
    regimes = {lr: regime(surface, lr) for lr in rates}
    zigzag = [lr for lr in rates if regimes[lr] == "too large (zigzags)"]
    if len(zigzag) != 1:
        raise ValueError(f"expected exactly one zigzagging rate among {rates}, got {zigzag}")
    hints = {"too small": "Far below the limit the steps are tiny: the path creeps straight down.",
             "good": "lr × L is at most 1 here: each step lands short of the valley floor, so the path "
                     "does not cross it.",
             "far too large (diverges)": f"Past 2/L = {surface.critical_lr:g} the path does not zigzag back: "
                                         "it flies off (diverges)."}
    return ask(
        f"On the {surface.title.lower()}, which rate makes the path zigzag across the valley and still reach "
        "the minimum?", {f"{lr:g}": hints.get(regimes[lr], "") for lr in rates}, f"{zigzag[0]:g}",
        explain=f"lr × L = {zigzag[0] * surface.lipschitz:g}, between 1 and 2: each step overshoots the steep "
                "direction, by less than it corrects.")


# ------------------------------------------------------------------ lesson 3
def lesson3_knee(steps_needed: dict, within: float = 1.10):
    """From section 4's table (batch -> steps to the loss target): the smallest batch within ``within``
    times the fewest steps, the knee past which the step count stops falling."""
    fewest = min(steps_needed.values())
    sizes = sorted(steps_needed)
    knee = min(b for b in sizes if steps_needed[b] <= within * fewest)
    choices = {}
    for b in sizes:
        if b < knee:
            choices[str(b)] = (f"Batch {b} needs {steps_needed[b]} steps; a larger batch still cuts the "
                               "steps noticeably: its gradient is too noisy for this learning rate.")
        else:
            choices[str(b)] = (f"Batch {b} needs {steps_needed[b]} steps, about the fewest, but so does a "
                               "smaller batch: past the knee the extra examples are wasted.")
    return ask(
        "Same learning rate, growing batch: at which batch size does the number of steps to the loss "
        f"target stop falling (the smallest batch within {within - 1:.0%} of the fewest steps)?",
        choices, str(knee),
        explain=f"{steps_needed[knee]} steps against {fewest} for the largest batches; each step's "
                "gradient is accurate enough from here on.")


def lesson3_jitter(small: int = 1, large: int = 16, lr: float = 0.1, steps: int = 100):
    """How much smaller the loss above the minimum (the slider panel's 'last half') gets from
    batch ``small`` to ``large``: answered with the widget's own ``minibatch_compute``."""
    from .minibatches import minibatch_compute, stationary_gap

    problem = gd.lesson1_problems()[1]
    gaps = [stationary_gap(minibatch_compute(b, lr, steps, problem=problem)[0], problem) for b in (small, large)]
    ratio = gaps[0] / gaps[1]
    k = large // small
    factors = {"no change: the jitter comes from the learning rate": 1,
               f"about {int(round(k ** 0.5))} times (√{k})": k ** 0.5,
               f"about {k} times (in proportion to the batch)": k,
               f"about {k * k} times ({k}²)": k * k}
    answer = min(factors, key=lambda c: abs(np.log(factors[c] / ratio)))
    hints = [
        "The learning rate sets the step, but the batch sets how noisy its direction is: more "
        "examples per step, less noise, a tighter hover.",
        "That is how the typical error of one gradient shrinks (1/√B). The excess loss goes with "
        "the square of that error: the variance, 1/B.",
        "The excess loss follows the gradient's variance, which falls as 1/B.",
        "That would be the variance squared. The gradient's variance falls as 1/B, and the hover "
        "follows it.",
    ]
    return ask(
        f"At learning rate {lr:g}, the batch-{small} path hovers above the minimum. Make the batch {k} "
        f"times larger ({large}): how much smaller does the loss above the minimum get?",
        dict(zip(factors, hints)), answer,
        explain=f"{gaps[0]:.3g} → {gaps[1]:.3g}, {ratio:.0f} times smaller: it follows the gradient noise, "
                "which falls as 1/B.")


# ------------------------------------------------------------------ lesson 4
_IDEAS = {
    "SGD": "Plain SGD's rate is capped by the steep direction, so it crawls along the flat one.",
    "Momentum": "Momentum adds up the gradients that agree (along the floor) and cancels those that flip "
                "(across it), but it adds up gradient noise too.",
    "Nesterov": "Nesterov is Momentum with a look-ahead: it damps overshoot at low rates, and has the lowest rate limit.",
    "AdaGrad": "AdaGrad's steps shrink from the first one: at the adaptive family's usual rate it stalls; "
               "it needs a larger rate.",
    "RMSProp": "RMSProp divides each weight's step by that weight's recent gradient size; the split works best "
               "when the steep and flat directions line up with the weights.",
    "Adam": "Adam divides each weight's step by that weight's gradient size: it helps when the steep and flat "
            "directions line up with the weights, and it shortens steps where gradients are mostly noise.",
    "AdamW": "AdamW is Adam with decoupled weight decay.",
}


def lesson4_still_converging(lr: float = 0.6, surface="valley", optimizers=("SGD", "Momentum", "Nesterov")):
    """At SGD-family rate ``lr``, which of ``optimizers`` still converge (``race_compute``, as the race widget)?"""
    from .optimizers import race_compute
    from .trajectories import stability_limit

    surface = get_surface(surface)
    paths = race_compute(surface.key, optimizers, lr=lr)
    alive = tuple(name for name in optimizers if not paths[name].diverged)
    options = {(): "none of them", tuple(optimizers): "all three" if len(optimizers) == 3 else "all of them"}
    options.update({(name,): f"only {name}" for name in optimizers})
    options.update({tuple(n for n in optimizers if n != out): " and ".join(n for n in optimizers if n != out)
                    for out in optimizers})
    limits = ", ".join(f"{n} {stability_limit(n, surface.lipschitz):.2f}" for n in optimizers)
    hint = (f"Each rule diverges above its own limit on this curvature (L = {surface.lipschitz:g}): "
            "Momentum's velocity partly cancels from one overshoot to the next, which raises its limit; "
            "Nesterov's look-ahead lowers it.")
    chosen = [(), (optimizers[1],), tuple(n for n in optimizers if n != optimizers[2]), tuple(optimizers)]
    return ask(
        f"On the {surface.title.lower()}, set the SGD-family rate to {lr:g} (momentum 0.9): which of "
        f"{', '.join(optimizers)} still converge?",
        {options[c]: hint for c in chosen}, options[alive],
        explain=f"The limits from theory are {limits}: at {lr:g} only the rules whose limit lies above "
                "it converge (section 1 measures the same order).")


def lesson4_race_winner(surface="tilted-valley", optimizers=("SGD", "Momentum", "Adam"), *, settle=False):
    """Which optimizer reaches 1/100 of the way to the minimum first (or, ``settle=True``, settles
    lowest over the last 100 steps), at the surface's suggested rates: section 3's table."""
    from .optimizers import race_compute

    surface = get_surface(surface)
    low = surface.loss(surface.minimum)
    paths = race_compute(surface.key, optimizers)
    if settle:
        score = {n: float(np.mean(p.losses[-100:]) - low) for n, p in paths.items()}
        shown = {n: f"settles {v:.3f} above the minimum" for n, v in score.items()}
        question = "which optimizer settles lowest (average loss above the minimum over the last 100 steps)?"
    else:
        reached = {n: p.steps_to(low + 0.01 * (p.losses[0] - low)) for n, p in paths.items()}
        score = {n: np.inf if v is None else v for n, v in reached.items()}
        shown = {n: _steps(v) for n, v in reached.items()}
        question = "which optimizer gets 99% of the way to the minimum in the fewest steps?"
    winner = min(optimizers, key=lambda n: score[n])
    lr = surface.default_lr
    return ask(
        f"On the {surface.title.lower()}, at lr {lr['sgd']:g} for the SGD family and {lr['adaptive']:g} for the "
        "adaptive one, " + question,
        {n: f"{_IDEAS[n]} Here: {shown[n]}." for n in optimizers}, winner,
        explain=f"{winner}: {shown[winner]}. {_IDEAS[winner]}")


# ------------------------------------------------------------------ lesson 5
_SCHEDULE_IDEAS = {
    "constant": "A constant rate keeps its last steps as big as its first, so at a high peak it keeps "
                "bouncing; at a too-low peak, though, it is the one that keeps making progress.",
    "cosine": "Cosine glides to zero, so it settles; but without warmup its first full-size steps hit a "
              "fresh network at the peak, and at a too-low peak it spends half the run at even smaller rates.",
    "constant+warmup": "Warmup spares the fresh network full-size first steps, which limits the damage; "
                       "but without a decay the last steps are still as big as the peak.",
    "warmup_cosine": "Warmup + cosine starts gently and glides to zero: it makes a high peak usable, but "
                     "it cannot rescue a peak that is already too low.",
}


def lesson5_lowest_val(data, peak_lr: float, candidates=(("constant", 0.0), ("constant", 0.1), ("warmup_cosine", 0.1)),
                       *, total_steps: int = 300, seed: int = 0, known=()):
    """Which (schedule, warmup) ends with the lowest validation loss at ``peak_lr``? Trained with
    ``train_with_schedule`` (the sweep's and the slider's function); runs in ``known`` with the same
    schedule, peak and warmup are reused instead of trained again."""
    from .schedules import SCHEDULE_LABELS, train_with_schedule

    def run_for(kind, warmup):
        for run in known:
            if (run.kind, run.peak_lr, run.warmup_fraction) == (kind, float(peak_lr), float(warmup)):
                return run
        return train_with_schedule(data, kind, peak_lr=peak_lr, warmup_fraction=warmup,
                                   total_steps=total_steps, seed=seed)

    def label(kind, warmup):
        name = SCHEDULE_LABELS[kind]
        return name if kind.startswith("warmup") else f"{name}, {warmup:.0%} warmup"

    losses = {label(k, w): run_for(k, w).val_loss for k, w in candidates}
    losses = {c: (np.inf if not np.isfinite(v) else v) for c, v in losses.items()}
    best = min(losses, key=losses.get)
    kinds = {label(k, w): ("constant+warmup" if k == "constant" and w > 0 else k) for k, w in candidates}
    shown = lambda c: "diverged" if not np.isfinite(losses[c]) else f"validation loss {losses[c]:.3f}"
    return ask(
        f"Peak rate {peak_lr:g}, {total_steps} steps: which of these ends with the lowest validation loss?",
        {c: f"{_SCHEDULE_IDEAS[kinds[c]]} Here: {shown(c)}." for c in losses}, best,
        explain=f"{shown(best).capitalize()}, against " + ", ".join(f"{shown(c)} ({c})" for c in losses if c != best) + ".")


# ------------------------------------------------------------------ lesson 6
def lesson6_pick_from_curve(result, flat_lr: float = 1e-4):
    """Which rate to start from, read off the range-test ``result`` the lesson's way: its ``valley``
    suggestion (the rate section 5 picks), against a flat-stretch rate, the bottom of the smoothed
    curve and ten times that bottom."""
    losses = np.asarray(result.losses, dtype=float)
    lrs = np.asarray(result.lrs, dtype=float)
    bottom = float(lrs[np.nanargmin(losses)])
    roles = {
        "pick": float(result.suggestions["valley"]),
        "flat": flat_lr,
        "bottom": bottom,
        "beyond": 10 * bottom,
    }
    hints = {
        "flat": "On the flat stretch the loss sits at its starting value: the rate is too small to move anything.",
        "bottom": "This is the bottom of the smoothed curve. The curve lags to the right, so its bottom is "
                  "already where the loss is about to shoot up: the rules back off from it.",
        "beyond": "Past the bottom the loss turns and shoots up: these rates are too large.",
        "pick": "",
    }
    labels = {role: f"{lr:.2g}" for role, lr in roles.items()}
    if len(set(labels.values())) < len(labels):
        raise ValueError(f"the range test's readings coincide at two digits: {labels}")
    order = sorted(roles, key=roles.get)
    return ask(
        "Look at the range-test curve of section 4. Which of these is a good, safe rate to start training with?",
        {labels[r]: hints[r] for r in order}, labels["pick"],
        explain="The middle of the longest falling stretch (the 'valley' suggestion): the cautious end of "
                "the good range, with headroom above it. Section 6 checks it.")


def lesson6_best_check(check):
    """Of section 6's check runs (x0.1, the pick, x10, four epochs each), which ends with the
    lowest validation loss? ``check`` is the list ``check_pick`` returned."""
    names = {run.factor: f"{run.lr:.2g} (x{run.factor:g})" for run in check}
    best = min(check, key=lambda run: run.final_val_loss)
    hint = {True: "Too low a rate is safe but slow: after four epochs its loss is still far behind ({v}).",
            False: "A higher rate learns fastest at first, but starts memorising the training images sooner "
                   "(its validation loss was lowest at epoch {e}, then rose): here {v}."}
    choices = {}
    for run in check:
        v = "diverged" if run.diverged else f"validation loss {run.final_val_loss:.3f}"
        epochs = run.history.epoch_val_loss
        e = int(np.argmin(epochs)) + 1 if epochs else "?"
        choices[names[run.factor]] = hint[run.factor < 1].format(v=v, e=e)
    return ask(
        "Four epochs each at ten times lower than the pick, the pick, and ten times higher: which ends "
        "with the lowest validation loss?",
        choices, names[best.factor],
        explain=f"Validation loss {best.final_val_loss:.3f}, against "
                + ", ".join(f"{r.final_val_loss:.3f} ({names[r.factor]})" for r in check if r is not best) + ".")


# ------------------------------------------------------------------ lesson 7
def lesson7_widest_gap(same_lr: dict):
    """Same rate, same epochs (section 3's ``same_lr``, batch -> run): which batch ends with the
    widest gap between validation and training loss?"""
    gaps = {b: (run.gap if np.isfinite(run.gap) else -np.inf) for b, run in same_lr.items()}
    widest = max(gaps, key=gaps.get)
    lr = next(iter(same_lr.values())).lr
    choices = {}
    for b, run in same_lr.items():
        steps = f"{run.steps} steps in all, gap {run.gap:.2f}"
        if b > widest:
            choices[str(b)] = (f"At the same rate a bigger batch takes fewer steps per epoch ({steps}): it "
                               "fits the noisy labels less, so its gap stays smaller.")
        else:
            choices[str(b)] = (f"A smaller batch does take more steps ({steps}), but here it did not fit the "
                               "labels furthest.")
    return ask(
        f"Same learning rate ({lr:g}), same number of epochs: which batch size ends with the widest gap "
        "between validation and training loss?",
        choices, str(widest),
        explain=f"Gap {same_lr[widest].gap:.2f} in {same_lr[widest].steps} steps: the most steps fit the "
                "training set furthest, wrong labels included.")


def lesson7_best_rule(by_rule: dict, batch_size: int = 512):
    """At ``batch_size``, which learning-rate rule (section 5's ``by_rule``: rule -> batch -> run)
    ends with the lowest validation loss?"""
    runs = {rule: by_rule[rule][batch_size] for rule in ("none", "sqrt", "linear")}
    score = {rule: (run.final_val_loss if np.isfinite(run.final_val_loss) else np.inf) for rule, run in runs.items()}
    names = {"none": "the same rate", "sqrt": "square-root rule", "linear": "linear rule"}
    label = {rule: f"{names[rule]} (lr {run.lr:.3g})" for rule, run in runs.items()}
    shown = {rule: ("diverged" if run.diverged else f"validation loss {run.final_val_loss:.3f}, "
                    f"diagnose: {run.diagnosis.label}") for rule, run in runs.items()}
    ideas = {"none": "Keeping the rate while the batch grows means far fewer steps of the same size: the run "
                     "has barely started to learn.",
             "sqrt": "The square-root rule raises the rate more gently: safe, but it can train less per epoch.",
             "linear": "The linear rule multiplies the rate by the batch factor, and every model has a ceiling "
                       "on the rate: far enough up, the rule walks into it."}
    best = min(score, key=score.get)
    return ask(
        f"From the batch-32 recipe (lr 0.05) to batch {batch_size}: which rate ends with the lowest validation loss?",
        {label[r]: f"{ideas[r]} Here: {shown[r]}." for r in runs}, label[best],
        explain=f"{shown[best].capitalize()}. " + ideas[best])


# ------------------------------------------------------------------ lesson 8
_CLIP_IDEAS = {
    "norm": "Clipping by norm acts whenever the length of the whole gradient is above the threshold; "
            "compare the threshold with the typical gradient norm of this model.",
    "value": "Clipping by value acts on one entry at a time: it changes a step only when some single "
             "entry is above the threshold, and most entries of a gradient with hundreds of them are small.",
}


def _clip_label(run) -> str:
    return f"by {run.mode} at {run.threshold:g}"


def lesson8_clips_most(runs):
    """Of the clipped ``runs`` (this lesson's ``ClipRun`` objects), which changed the gradient on the
    largest share of its steps (``clipped_fraction``, the share the summaries print)?"""
    most = max(runs, key=lambda run: run.clipped_fraction)
    typical = float(np.median(np.concatenate([run.grad_norms for run in runs])))
    return ask(
        "Same network, same learning rate, same batches: which setting changes the gradient on the most steps?",
        {_clip_label(r): f"{_CLIP_IDEAS[r.mode]} Here it acted on {r.clipped_fraction:.0%} of the steps." for r in runs},
        _clip_label(most),
        explain=f"{most.clipped_fraction:.0%} of the steps; the typical gradient norm here is {typical:.2f}. "
                + _CLIP_IDEAS[most.mode])


SHARE_BINS = ((0.0, 0.10, "fewer than 10%: only the spikes"), (0.10, 0.40, "10% to 40%"),
              (0.40, 0.90, "40% to 90%: most steps"), (0.90, 1.01, "more than 90%: nearly every step"))


def lesson8_share_clipped(run):
    """On what share of its steps did clipping ``run`` (by norm) act? Its ``grad_norms`` (before
    clipping) show the typical level the threshold meets."""
    share = run.clipped_fraction
    answer = next(label for low, high, label in SHARE_BINS if low <= share < high)
    typical = float(np.median(run.grad_norms))
    hint = (f"Compare the threshold {run.threshold:g} with the typical gradient norm of this run before "
            f"clipping: its median is {typical:.2f}. Clipping acts on every step whose norm is above the threshold.")
    return ask(
        f"Clipping {_clip_label(run)}: on what share of the steps does it shorten the gradient?",
        {label: hint for _, _, label in SHARE_BINS}, answer,
        explain=f"{share:.0%} of the steps (median gradient norm before clipping {typical:.2f}). Clipping that "
                "often also works as a cap on the step size: tune the threshold and the learning rate together.")
