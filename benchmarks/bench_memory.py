"""Memory benchmark: what keeping every loss tensor costs (issue 14, item 3).

The loop a participant writes when they keep ``loss`` instead of ``loss.item()``::

    for step in range(300):
        loss = F.cross_entropy(model(x), y)          # a 64-256-10 MLP, batch 512
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss)

Before ``backward()`` freed the graph, every kept loss held its whole graph and
every intermediate array alive (+461 MB for this loop). Each variant runs in a
fresh process and reports how much its memory grew over the loop: the resident
set (RSS, what a JupyterHub kernel limit counts) and the peak of the arrays
traced by ``tracemalloc`` (NumPy reports its buffers to it).

    .venv/bin/python benchmarks/bench_memory.py [--steps 300]

Variants:
  item           losses.append(loss.item())                      (the advice)
  tensor         losses.append(loss)                             (graph freed by backward)
  retain_graph   losses.append(loss), backward(retain_graph=True) (what every kept loss cost before)
Goal: ``tensor`` grows at most 10 MB.
"""
import argparse
import json
import os
import subprocess
import sys
import tracemalloc

VARIANTS = ("item", "tensor", "retain_graph")
GOAL_MB = 10.0


def rss_mb():
    """The current resident set size of this process, in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(variant, steps):
    import numpy as np

    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import nn, optim

    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((512, 64)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 10, 512))
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    losses = []

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward(retain_graph=variant == "retain_graph")
        opt.step()
        losses.append(loss.item() if variant == "item" else loss)

    for _ in range(3):  # warm-up: optimizer state, NumPy's caches
        step()
    losses.clear()
    tracemalloc.start()
    rss_before = rss_mb()
    traced_before = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        step()
    traced_now, traced_peak = tracemalloc.get_traced_memory()
    return {"variant": variant, "steps": steps, "rss_growth_mb": rss_mb() - rss_before,
            "traced_growth_mb": (traced_now - traced_before) / 1e6,
            "traced_peak_mb": (traced_peak - traced_before) / 1e6}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # one run, in a child process
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run(args.variant, args.steps)))
        return
    print(f"Memory growth over {args.steps} steps of a 64-256-10 MLP at batch 512 (each variant in a fresh process)")
    print(f"{'variant':<14}{'RSS growth':>14}{'traced growth':>16}{'traced peak':>14}")
    results = {}
    for variant in VARIANTS:
        out = subprocess.run([sys.executable, __file__, "--variant", variant, "--steps", str(args.steps)],
                             check=True, capture_output=True, text=True).stdout
        result = results[variant] = json.loads(out.strip().splitlines()[-1])
        print(f"{variant:<14}{result['rss_growth_mb']:>11.1f} MB{result['traced_growth_mb']:>13.1f} MB"
              f"{result['traced_peak_mb']:>11.1f} MB")
    kept = results["tensor"]["rss_growth_mb"]
    verdict = "meets" if kept <= GOAL_MB else "MISSES"
    print(f"keeping the loss tensors grows RSS by {kept:.1f} MB: {verdict} the goal of at most {GOAL_MB:.0f} MB")


if __name__ == "__main__":
    main()
