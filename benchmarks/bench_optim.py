"""Optimizer-step-only benchmark: minigrad vs hand-written NumPy vs PyTorch CPU (when importable).

    .venv/bin/python benchmarks/bench_optim.py            # 1M and 10M float32 parameters
    .venv/bin/python benchmarks/bench_optim.py --quick    # 1M only, fewer repeats

Part 1 times ``optimizer.step()`` alone (gradients already in place) for Adam and
SGD with momentum 0.9, the parameters split into four tensors as in a small
model. The three implementations run interleaved, round after round, in one
process, so drifts in machine load hit them alike; medians are printed with the
ratio to PyTorch and to the NumPy baseline.

Part 2 times one functional update on a float64 2-vector, the lessons'
trajectory engine's unit of work (it calls it 6 x 300 times per slider move;
target: under 20 µs for Adam).
"""
import argparse
import statistics
import time
import timeit

import numpy as np

import minigrad as mg
from minigrad.optim import SGD, Adam
from minigrad.optim import functional as OF

try:
    import torch
except ImportError:  # PyTorch is optional: only a reference
    torch = None

LR, BETAS, EPS, MOMENTUM = 1e-3, (0.9, 0.999), 1e-8, 0.9


class NumpyAdam:
    """The textbook NumPy Adam, as one would write it by hand."""

    def __init__(self, params, grads):
        self.params, self.grads, self.t = params, grads, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self):
        self.t += 1
        beta1, beta2 = BETAS
        for p, g, m, v in zip(self.params, self.grads, self.m, self.v):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** self.t)
            v_hat = v / (1 - beta2 ** self.t)
            p -= LR * m_hat / (np.sqrt(v_hat) + EPS)


class NumpySGD:
    def __init__(self, params, grads):
        self.params, self.grads, self.bufs = params, grads, None

    def step(self):
        if self.bufs is None:
            self.bufs = [g.copy() for g in self.grads]
        else:
            for buf, g in zip(self.bufs, self.grads):
                buf *= MOMENTUM
                buf += g
        for p, buf in zip(self.params, self.bufs):
            p -= LR * buf


def make_contenders(kind, n_params, rng):
    shapes = [(n_params // 4,)] * 4
    start = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    contenders = {}

    tensors = [mg.tensor(p.copy(), requires_grad=True) for p in start]
    for t, g in zip(tensors, grads):
        t.grad = g.copy()
    contenders["minigrad"] = (Adam(tensors, lr=LR, betas=BETAS, eps=EPS) if kind == "Adam"
                              else SGD(tensors, lr=LR, momentum=MOMENTUM)).step

    arrays = [p.copy() for p in start]
    contenders["numpy"] = (NumpyAdam if kind == "Adam" else NumpySGD)(arrays, [g.copy() for g in grads]).step

    if torch is not None:
        torch_params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
        for t, g in zip(torch_params, grads):
            t.grad = torch.tensor(g.copy())
        contenders["torch"] = (torch.optim.Adam(torch_params, lr=LR, betas=BETAS, eps=EPS) if kind == "Adam"
                               else torch.optim.SGD(torch_params, lr=LR, momentum=MOMENTUM)).step
    return contenders


def bench_steps(kind, n_params, rounds, rng):
    contenders = make_contenders(kind, n_params, rng)
    times = {name: [] for name in contenders}
    for step in contenders.values():  # warm up: state allocation happens on the first step
        step()
    for _ in range(rounds):
        for name, step in contenders.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def bench_two_vector(repeats):
    grad = np.array([0.3, -1.2])
    rules = {
        "sgd (momentum 0.9)": (OF.sgd, dict(lr=0.1, momentum=0.9)),
        "adagrad": (OF.adagrad, dict(lr=0.1)),
        "rmsprop": (OF.rmsprop, dict(lr=0.01)),
        "adam": (OF.adam, dict(lr=0.1)),
        "adamw": (OF.adamw, dict(lr=0.1)),
    }
    rows = {}
    for name, (rule, kwargs) in rules.items():
        theta, state = np.array([-5.0, -2.0]), {}
        timer = timeit.Timer(lambda: rule(theta, grad, state, **kwargs))
        rows[name] = statistics.median(t / 1000 for t in timer.repeat(repeat=repeats, number=1000))
    if torch is not None:  # the same Adam step through torch.optim on a 2-element tensor, for scale
        theta = torch.tensor([-5.0, -2.0], dtype=torch.float64, requires_grad=True)
        theta.grad = torch.tensor([0.3, -1.2], dtype=torch.float64)
        optimizer = torch.optim.Adam([theta], lr=0.1)
        timer = timeit.Timer(optimizer.step)
        rows["adam via torch.optim (reference)"] = statistics.median(
            t / 1000 for t in timer.repeat(repeat=repeats, number=1000))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M parameters only, fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="timed steps per contender")
    args = parser.parse_args()
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    rng = np.random.default_rng(0)

    print(f"numpy {np.__version__}", end="")
    print(f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch not installed")
    print("\nOptimizer step only (median ms per step; ratio = minigrad / other)")
    print(f"{'optimizer':<14}{'params':>8}{'minigrad':>10}{'numpy':>10}{'torch':>10}{'vs numpy':>10}{'vs torch':>10}")
    for kind in ("Adam", "SGD"):
        for n in sizes:
            rounds = args.rounds or (10 if args.quick else (30 if n <= 1_000_000 else 10))
            med = bench_steps(kind, n, rounds, rng)
            label = f"{kind}" + (" (m=0.9)" if kind == "SGD" else "")
            torch_ms = f"{med['torch'] * 1e3:10.2f}" if "torch" in med else f"{'-':>10}"
            vs_torch = f"{med['minigrad'] / med['torch']:9.2f}x" if "torch" in med else f"{'-':>10}"
            print(f"{label:<14}{n // 1_000_000:>7}M{med['minigrad'] * 1e3:10.2f}{med['numpy'] * 1e3:10.2f}"
                  f"{torch_ms}{med['minigrad'] / med['numpy']:9.2f}x{vs_torch}")

    print("\nOne functional update on a float64 2-vector (median µs per call; target for adam: < 20 µs)")
    for name, seconds in bench_two_vector(repeats=5 if args.quick else 15).items():
        print(f"  {name:<34}{seconds * 1e6:8.2f} µs")


if __name__ == "__main__":
    main()
