"""Generate course/playground.ipynb, the instructor's page of live demos with preset buttons.

    .venv/bin/python tools/notebooks/playground_build.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/playground.ipynb

The demos and their presets live in ``course/coursekit/playground.py``; this page only
arranges them. It also runs as an app without code cells:
``.venv/bin/voila course/playground.ipynb`` (``make playground``).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_builder import code, md, write_notebook  # noqa: E402

CELLS = [
    md("""
    # Instructor playground

    The course's three most-asked-for demos on one page, in large type for a projector. Each has
    **preset buttons** that jump to a telling setting; the sliders stay live, so you can go on from
    there with the room. The line under the buttons says what the preset shows.

    * **The learning rate** (lesson 2): too low, just right, too high.
    * **Exploding gradients and clipping** (lesson 8): a recurrent network without clipping, then
      clipped at 1.0.
    * **Adam vs SGD on a ravine** (lesson 4): the same learning rate, two very different paths.

    In JupyterLab, run all cells (*Run ▸ Run All Cells*). For a clean screen without code, start it
    as an app: `.venv/bin/voila course/playground.ipynb` (or `make playground`).
    """),
    md("""
    ### What each preset shows

    Computed just now (seeded, so the same on every machine): your crib sheet for the talk.
    """),
    code("""
    from coursekit import playground

    results = playground.run_presets()
    print(playground.cheat_sheet(results))
    """),
    md("""
    ## 1. The learning rate

    Plain gradient descent on a valley 20 times steeper across than along. Left: the path; middle:
    the loss (log scale), titled with `diagnose`'s verdict; right: how many steps each learning rate
    needs, with the wall at the critical rate 2/L. Ask the room where the cheapest rate is before
    pressing *just right*.
    """),
    code("""
    playground.learning_rate_demo()
    """, ignore_output=True),
    md("""
    ## 2. Exploding gradients and clipping

    A small recurrent network reads 50-step sequences. Without clipping, one step with a huge
    gradient throws the weights off and the loss never recovers; capping the gradient norm at 1.0
    costs nothing and removes the spikes. The grey trace is always the run without clipping.
    """),
    code("""
    playground.clipping_demo(results)
    """, ignore_output=True),
    md("""
    ## 3. Adam vs SGD on a ravine

    The race starts with six optimizers at their fair learning rates. *Adam vs SGD on a ravine* gives
    both the same rate: SGD's step along the flat floor is tiny, Adam rescales each weight's step and
    heads for the minimum. Tick more boxes to bring Momentum or AdamW back in.
    """),
    code("""
    playground.race_demo()
    """, ignore_output=True),
    md("""
    ---
    Each demo is the lesson's own widget (`coursekit.widgets.lr_explorer`,
    `coursekit.clipping.clipping_widget`, `coursekit.widgets.optimizer_race`); the presets are plain
    data in `coursekit/playground.py`.
    """),
]

if __name__ == "__main__":
    path = write_notebook("course/playground.ipynb", CELLS, id_prefix="playground")
    print(f"wrote {path}")
