"""How fast the course widgets answer a slider move: compute plus redraw, per update.

Run from the repository root::

    .venv/bin/python benchmarks/bench_widgets.py            # 30 moves per control
    .venv/bin/python benchmarks/bench_widgets.py --moves 60

For every widget control it makes ``--moves`` simulated slider moves (distinct values,
so the trajectory cache cannot answer from memory) through ``InteractiveFigure.set`` -
the same observers a mouse drag triggers - and reports the median and 90th percentile
of the time per update. Figures use the Agg canvas; its draw is the redraw proxy (in
JupyterLab ipympl then PNG-encodes the changed pixels and sends them to the browser; the
last row measures that path too, on an ipympl canvas without a browser).
Targets from the course issue: median under 100 ms per update, and the default six
optimizers x 300 steps computed in under 50 ms.

The "CPU ms" column is the CPU time this process used per update: on a machine shared
with other work it stays close to what an idle machine would show, while wall time grows.
Timings depend on the machine: the first line prints a calibration (a pure-Python loop
of 10**7 additions; about 0.4 s on a current laptop core) to compare machines by.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from coursekit import widgets as W
from coursekit.surfaces import RACE_SURFACES, get_surface
from coursekit.trajectories import race

UPDATE_TARGET_MS = 100.0
SIX_TRAJECTORIES_TARGET_MS = 50.0


def calibration_seconds() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(10**7):
        total += i
    return time.perf_counter() - start


def _timed(function, repeats):
    """(wall ms, CPU ms) per call; CPU time is what this process used, whatever else runs."""
    wall, cpu = [], []
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function(i)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return np.array(wall), np.array(cpu)


def bench_six_trajectories(repeats):
    """Median ms to compute the default race (six optimizers x 300 steps), per surface."""
    rows = []
    for key in RACE_SURFACES:
        surface = get_surface(key)
        settings = W.race_settings(W.DEFAULT_RACE, lr=surface.default_lr["sgd"],
                                   adaptive_lr=surface.default_lr["adaptive"])
        wall, cpu = _timed(lambda i: race(surface, settings, steps=300), repeats)
        rows.append((key, float(np.median(wall)), float(np.percentile(wall, 90)), float(np.median(cpu))))
    return rows


def bench_updates(widget, control, values):
    """Times of ``widget.set(control=value)`` for each value (compute + redraw)."""
    values = list(values)
    widget.set(**{control: values[0]})  # settle: the first move may lay out or fill caches
    return _timed(lambda i: widget.set(**{control: values[1 + i]}), len(values) - 1)


def ipympl_race():
    """The race widget on an ipympl canvas, in the state a connected browser puts it in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipympl's toolbar warns about a traitlets deprecation
        widget = W.optimizer_race(interactive=True)
    canvas = widget.fig.canvas
    canvas.draw()  # the browser's first request: a full frame
    canvas.syncing_data_url = False  # what ipympl does once a browser reports "initialized"
    return widget


def bench_full_redraw(widget, repeats):
    canvas = widget.fig.canvas
    return _timed(lambda i: canvas.draw(), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30, help="simulated slider moves per control")
    args = parser.parse_args(argv)
    n = args.moves

    print(f"calibration: 10**7 Python additions take {calibration_seconds():.2f} s on this machine")
    print()
    print(f"Six optimizers x 300 steps ({', '.join(W.DEFAULT_RACE)}), no cache, "
          f"target median < {SIX_TRAJECTORIES_TARGET_MS:.0f} ms")
    print(f"{'surface':<16}{'median ms':>10}{'p90 ms':>9}{'CPU ms':>9}  verdict (on the median)")
    for key, median, p90, cpu in bench_six_trajectories(n):
        verdict = "ok" if median < SIX_TRAJECTORIES_TARGET_MS else "OVER TARGET"
        print(f"{key:<16}{median:>10.1f}{p90:>9.1f}{cpu:>9.1f}  {verdict}")
    print()

    rows = []
    race_widget = W.optimizer_race(interactive=False)
    valley = get_surface("valley")
    rows.append(("optimizer_race", "lr (reruns SGD, Momentum, Nesterov)",
                 bench_updates(race_widget, "lr", np.geomspace(0.01, 0.1, n + 1))))
    rows.append(("optimizer_race", "adaptive_lr (reruns AdaGrad, RMSProp, Adam)",
                 bench_updates(race_widget, "adaptive_lr", np.geomspace(0.03, 0.3, n + 1))))
    rows.append(("optimizer_race", "momentum (reruns Momentum, Nesterov)",
                 bench_updates(race_widget, "momentum", np.round(np.linspace(0.5, 0.95, n + 1), 2))))
    rows.append(("optimizer_race", "beta1 (reruns Adam)",
                 bench_updates(race_widget, "beta1", np.round(np.linspace(0.5, 0.95, n + 1), 2))))
    race_widget.set(lr=valley.default_lr["sgd"], adaptive_lr=valley.default_lr["adaptive"])
    rows.append(("optimizer_race", "full redraw (surface switch, resize)", bench_full_redraw(race_widget, n)))

    explorer = W.lr_explorer(interactive=False)
    rows.append(("lr_explorer", "lr (reruns one SGD path + diagnose)",
                 bench_updates(explorer, "lr", np.geomspace(1e-3, 0.6, n + 1))))
    rows.append(("lr_explorer", "full redraw", bench_full_redraw(explorer, n)))

    demo = W.descent_demo(interactive=False)
    rows.append(("descent_demo", "lr", bench_updates(demo, "lr", np.geomspace(0.05, 2.2, n + 1))))

    # The same race on an ipympl canvas, as JupyterLab runs it: after the blit, ipympl
    # PNG-encodes the changed pixels for the browser (no browser here: the message goes nowhere).
    live = ipympl_race()
    rows.append(("race on ipympl", "lr, plus ipympl's PNG diff for the browser",
                 bench_updates(live, "lr", np.geomspace(0.01, 0.1, n + 1))))

    print(f"Per update: compute + redraw, {n} moves each, target median < {UPDATE_TARGET_MS:.0f} ms")
    print(f"{'widget':<16}{'control':<46}{'median ms':>10}{'p90 ms':>9}{'CPU ms':>9}  verdict")
    for widget_name, control, (times, cpu) in rows:
        median = float(np.median(times))
        if control.startswith("full redraw"):
            verdict = "(reference: not a slider move)"
        else:
            verdict = "ok" if median < UPDATE_TARGET_MS else "OVER TARGET"
        print(f"{widget_name:<16}{control:<46}{median:>10.1f}{np.percentile(times, 90):>9.1f}"
              f"{np.median(cpu):>9.1f}  {verdict}")


if __name__ == "__main__":
    main()
