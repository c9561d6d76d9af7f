"""Generate course/00_welcome.ipynb (lesson 0: welcome, how to use the course).

    .venv/bin/python tools/notebooks/lesson00.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/00_welcome.ipynb
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Lesson 0 · Welcome

    This course is about the engine inside every neural network you fine-tune, buy or pay someone
    to train: **stochastic gradient descent (SGD)** and its family (Momentum, RMSProp, AdaGrad,
    Adam, AdamW). It is written for people who make decisions about training runs (which
    settings to use, why a run failed, what a run will cost), not for researchers. There is no
    calculus to do by hand: every idea is a plot you can move with a slider, and every number is
    computed in front of you.

    **After this lesson you can decide**

    * which lessons answer the questions you have today (the map in section 2);
    * how to run the course on your machine and check that it works;
    * how to read and use the sliders in every lesson.
    """),
    md("""
    ## 1. How to run it

    The course is a folder of Jupyter notebooks plus two Python packages: `minigrad`, a small
    deep-learning library written from scratch for the course (it follows PyTorch's names, so
    what you learn here transfers), and `coursekit`, the plots and widgets of the lessons.

    From the top folder of the course:

    | command | what it does |
    |---|---|
    | `make lab` | opens JupyterLab on the `course/` folder; start with this notebook |
    | `make test` | runs the test suite, including every lesson from top to bottom, to check your setup |

    In a notebook, run the cells in order with **Shift+Enter**. If something looks wrong, use
    *Kernel → Restart Kernel and Run All Cells*: every lesson is built to run from top to bottom
    in under a minute, with fixed random seeds, so you see the same numbers as everyone else.

    If you are reading this on GitHub or in a notebook viewer, the widgets appear as still
    pictures of their starting position; open the notebook in JupyterLab to move them.
    """),
    code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    import minigrad
    from coursekit.style import OPTIMIZER_COLORS, OPTIMIZER_LINESTYLES, apply_style, label_axes
    from coursekit.widgets import descent_1d, descent_demo

    apply_style()
    print(f"minigrad {minigrad.__version__} is ready")
    """),
    md("""
    ## 2. The map of the course

    | lesson | title | after it you can decide |
    |---|---|---|
    | 00 | Welcome | how to run the course and use its sliders |
    | 01 | Gradient descent from scratch | whether a gradient can be trusted, and whether a run needs a larger step or just more steps |
    | 02 | The learning rate | from a loss curve, whether the learning rate is too small or too large, and what each choice costs |
    | 03 | SGD and mini-batches | which batch size gives useful gradients at an acceptable cost per step |
    | 04 | Optimizers | which optimizer to start from, what momentum and betas do, and why AdamW is not Adam with weight decay |
    | 05 | Learning-rate schedules | whether to use warmup and decay, and which schedule |
    | 06 | The learning-rate range test | how to pick a learning rate in minutes instead of by trial and error |
    | 07 | Batch size | when a larger batch saves time and when it costs accuracy, and how to rescale the learning rate |
    | 08 | Gradient clipping | when loss spikes come from exploding gradients and which clipping threshold to use |
    | 09 | Case study: fine-tuning | a complete, costed fine-tuning run from a failing first attempt to a good model |

    Lessons 1 to 4 build on each other; after that, go to whichever lesson answers your question.
    Each lesson ends with **rules of thumb** drawn from its own measurements.

    ## 3. Colours that mean the same thing everywhere

    Every optimizer keeps one colour in every lesson, chosen from a palette that stays readable
    for the common forms of colour blindness (Okabe and Ito's). Pairs of related optimizers share
    a colour family and differ in line style.
    """),
    code("""
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    steps = np.arange(60)
    for rank, (name, color) in enumerate(OPTIMIZER_COLORS.items()):
        ax.plot(steps, np.exp(-steps / (12 + 6 * rank)), color=color, linestyle=OPTIMIZER_LINESTYLES[name], label=name)
    ax.set_yscale("log")
    label_axes(ax, "The optimizer colours (illustrative curves)", "step", "loss (log scale)")
    ax.legend(ncols=2, loc="lower left")
    plt.show()
    """),
    md("""
    ## 4. How the sliders work

    Every lesson has at least one widget: a figure with controls above it. Move a control and
    the figure redraws in place. The controls you will meet:

    * **learning-rate sliders are logarithmic**: each notch multiplies the rate by the same
      factor, because learning rates that matter span several powers of ten (0.0001 to 1);
    * **batch-size sliders** move in powers of two (16, 32, 64, ...), the sizes used in practice;
    * the **clipping-threshold slider** is logarithmic too, with **off** at its far end;
    * **checkboxes** choose which optimizers race; **dropdowns** choose a loss or a schedule.

    The ranges only allow settings that make sense, so no combination raises an error. A setting
    that makes training blow up is shown as exactly that: the curve leaves the plot and a label
    says at which step it diverged.

    Below is the smallest widget of the course: gradient descent on a one-weight loss, a parabola
    with its minimum at w = 0. Each dot is one step, starting from w = −4. Drag the slider.
    """),
    code("""
    descent_demo(lr=0.3)
    """, ignore_output=True),
    md("""
    Try 0.3, then 1.0, then 1.5, then 2.2. The numbers behind the widget come from a plain
    function, `descent_1d`, which you can call yourself:
    """),
    code("""
    for lr in (0.1, 0.3, 1.0, 1.5, 1.9, 2.2):
        ws, losses = descent_1d(lr=lr, steps=12)
        path = " ".join(f"{w:6.2f}" for w in ws[:6])
        print(f"lr {lr:3.1f}: w = {path} ...  after 12 steps w = {ws[-1]:9.3g}, loss = {losses[-1]:.3g}")
    """),
    md("""
    Four behaviours in one table, and the subject of lesson 2: a small rate creeps towards the
    bottom; a rate of 1 (for this curve) lands on it in one step; between 1 and 2 the weight jumps
    across the bottom every step but still closes in; above 2 every jump overshoots by more than
    the last and the loss grows without limit.

    ## Rules of thumb

    From this lesson's demo:

    1. **Learning rates live on a log scale.** Between 0.1 and 2.2 the same model went from slow,
       to one-step convergence, to divergence; try rates in factors of 3 or 10, not in small
       increments.
    2. **Faster is fine up to a hard limit.** Here every rate below 2 converged and every rate
       above it diverged: there is no gentle failure on the far side.
    3. **Run notebooks top to bottom**, and restart the kernel when in doubt: the lessons are
       seeded, so your numbers should match the ones in this text.
    """),
]

if __name__ == "__main__":
    print(write_notebook("course/00_welcome.ipynb", CELLS, id_prefix="lesson00"))
