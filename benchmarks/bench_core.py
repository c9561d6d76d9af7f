"""Training-step benchmark: an MLP 784-256-256-10 in float32 (weights as plain tensors).

Times forward + cross-entropy + backward (and, with --step, an optimizer step)
for minigrad, the same computation hand-written in NumPy, and PyTorch on the
CPU when it is installed; the three run interleaved in one process, and the
script prints medians and ratios. Targets: minigrad within 1.2x of NumPy and
at most 1.5x PyTorch at every batch size.

    .venv/bin/python benchmarks/bench_core.py [--repeats 50] [--step none|adam|sgd]
"""
import argparse
import os
import statistics
import time

# Idle thread pools must sleep, not spin: PyTorch's OpenMP workers spinning after
# its step would slow the NumPy and minigrad steps interleaved with it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

SIZES = (784, 256, 256, 10)


def init_weights(rng):
    return [((rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32), np.zeros(o, np.float32))
            for i, o in zip(SIZES[:-1], SIZES[1:])]


def minigrad_step(weights, with_step):
    params = [mg.tensor(a.copy(), requires_grad=True) for pair in weights for a in pair]
    optimizer = {"adam": lambda: mg.optim.Adam(params, lr=1e-3),
                 "sgd": lambda: mg.optim.SGD(params, lr=1e-2, momentum=0.9)}.get(with_step, lambda: None)()

    def step(x, y):
        h = mg.from_numpy(x)  # no copy, as torch.from_numpy below and the NumPy step
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = F.cross_entropy(h, y)
        for p in params:
            p.grad = None
        loss.backward()
        if optimizer:
            optimizer.step()
        return loss.item()
    return step


def numpy_step(weights, with_step):
    params = [a.copy() for pair in weights for a in pair]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    t = [0]

    def step(x, y):
        acts, h = [x], x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = np.maximum(h, 0)
            acts.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = len(y)
        loss = -logp[np.arange(n), y].mean()
        g = np.exp(logp)
        g[np.arange(n), y] -= 1
        g /= n
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            grads[i], grads[i + 1] = acts[i // 2].T @ g, g.sum(axis=0)
            if i:
                g = (g @ params[i].T) * (acts[i // 2] > 0)
        if with_step == "sgd":  # SGD with momentum, written out
            for p, gr, (buf, _) in zip(params, grads, moments):
                if t[0]:
                    buf *= 0.9
                    buf += gr
                else:
                    buf[...] = gr
                p -= 1e-2 * buf
            t[0] += 1
        elif with_step == "adam":  # Adam, written out
            t[0] += 1
            for p, gr, (m, v) in zip(params, grads, moments):
                m *= 0.9
                m += 0.1 * gr
                v *= 0.999
                v += 0.001 * gr * gr
                denom = np.sqrt(v / (1 - 0.999 ** t[0])) + 1e-8
                p -= (1e-3 / (1 - 0.9 ** t[0])) * m / denom
        return float(loss)
    return step


def torch_step(weights, with_step):
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    params = [torch.tensor(a.copy(), requires_grad=True) for pair in weights for a in pair]
    optimizer = {"adam": lambda: torch.optim.Adam(params, lr=1e-3),
                 "sgd": lambda: torch.optim.SGD(params, lr=1e-2, momentum=0.9)}.get(with_step, lambda: None)()

    def step(x, y):
        h = torch.from_numpy(x)
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, torch.from_numpy(y))
        for p in params:
            p.grad = None
        loss.backward()
        if optimizer:
            optimizer.step()
        return loss.item()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--step", choices=["none", "adam", "sgd"], default="none",
                        help="include an optimizer step: Adam, or SGD with momentum 0.9")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    weights = init_weights(rng)
    makers = {"minigrad": minigrad_step, "numpy": numpy_step}
    try:
        import torch  # noqa: F401
        makers["torch"] = torch_step
    except ImportError:
        print("PyTorch not installed: comparing with NumPy only")

    step_names = {"none": "", "adam": " + Adam step", "sgd": " + SGD-momentum step"}
    what = "forward + cross-entropy + backward" + step_names[args.step]
    print(f"MLP {'-'.join(map(str, SIZES))}, float32, {what}; median of {args.repeats} interleaved runs")
    print(f"{'batch':>6} " + " ".join(f"{name + ' ms':>12}" for name in makers)
          + f" {'vs numpy':>9}" + (f" {'vs torch':>9}" if "torch" in makers else ""))
    for batch in (16, 64, 512):
        x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
        y = rng.integers(0, SIZES[-1], batch)
        steps = {name: make(weights, args.step) for name, make in makers.items()}
        times = {name: [] for name in makers}
        for name, step in steps.items():  # warm up
            step(x, y)
        for _ in range(args.repeats):
            for name, step in steps.items():
                start = time.perf_counter()
                step(x, y)
                times[name].append(time.perf_counter() - start)
        med = {name: statistics.median(ts) * 1e3 for name, ts in times.items()}
        row = f"{batch:>6} " + " ".join(f"{med[name]:>12.3f}" for name in makers)
        row += f" {med['minigrad'] / med['numpy']:>8.2f}x"
        if "torch" in med:
            row += f" {med['minigrad'] / med['torch']:>8.2f}x"
        print(row)


if __name__ == "__main__":
    main()
