"""Stacked training benchmark: S small networks trained at once through minigrad's autograd
(``minigrad.func``: stack_module_state, vmap over functional_call, one backward, per-network
gradient norms) against the same step written by hand in NumPy (forward, loss gradient and
backward typed out, as the course's sweeps were before they moved onto minigrad).

Shapes are the lessons': the classifier of lessons 5-7 (64 inputs, 64 hidden ReLU units, 10
classes, batches of 64, float64, Adam with one learning rate per network) at S = 24 and 105,
and lesson 8's recurrent network (16 tanh units unrolled over 50 steps, batches of 32, SGD with
momentum, clipping by norm per network) at S = 36. Both sides of a row run interleaved in one
process on one BLAS thread (as the lessons train); the script prints medians and the ratio.
Target: minigrad at most 1.3x the hand-written step (goal 1.1x).

    .venv/bin/python benchmarks/bench_stacked.py [--repeats 60]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import minigrad as mg
from minigrad.func import stack_module_state, vmap
from minigrad.nn.utils import clip_grads_with_norm_, get_total_norm
from minigrad.optim import functional as OF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "course"))
from coursekit import clipping, sweep  # noqa: E402
from coursekit.range_test import make_mlp  # noqa: E402

TARGET, GOAL = 1.3, 1.1


# -- the classifier ----------------------------------------------------------------------------------------------------
def mlp_minigrad(count, rng):
    models = [make_mlp(seed=i) for i in range(count)]
    params, _ = stack_module_state(models)
    losses_of, norms_of = sweep.stacked_loss(models[0]), vmap(get_total_norm)
    lrs, states = np.geomspace(1e-4, 1e-1, count)[:, None], [{} for _ in params]

    def step(x, y):
        for p in params.values():
            p.grad = None
        losses = losses_of(params, mg.Tensor(x), mg.Tensor(y))
        losses.sum().backward()
        norms = norms_of([p.grad for p in params.values()]).data
        for p, state in zip(params.values(), states):
            OF.adam(p.data, p.grad, state, lr=lrs.reshape(-1, *[1] * (p.ndim - 1)))
        return losses.data, norms
    return step


def mlp_numpy(count, rng):
    models = [make_mlp(seed=i) for i in range(count)]
    w1, b1, w2, b2 = (np.stack([np.array(p.data) for p in column])
                      for column in zip(*(m.parameters() for m in models)))
    params = [w1, b1, w2, b2]
    lrs, states = np.geomspace(1e-4, 1e-1, count)[:, None], [{} for _ in params]

    def step(x, y):
        hidden = np.maximum(np.matmul(x, w1.transpose(0, 2, 1)) + b1[:, None, :], 0.0)
        logits = np.matmul(hidden, w2.transpose(0, 2, 1)) + b2[:, None, :]
        shifted = logits - logits.max(axis=2, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=2, keepdims=True)
        rows = np.arange(len(y))
        losses = (np.log(total[:, :, 0]) - shifted[:, rows, y]).mean(axis=1)
        grad_logits = exp / total
        grad_logits[:, rows, y] -= 1.0
        grad_logits /= len(y)
        grad_w2 = np.matmul(grad_logits.transpose(0, 2, 1), hidden)
        grad_b2 = grad_logits.sum(axis=1)
        grad_hidden = np.matmul(grad_logits, w2) * (hidden > 0)
        grad_w1 = np.matmul(grad_hidden.transpose(0, 2, 1), x)
        grad_b1 = grad_hidden.sum(axis=1)
        grads = [grad_w1, grad_b1, grad_w2, grad_b2]
        norms = np.sqrt(sum(np.einsum("sk,sk->s", g.reshape(count, -1), g.reshape(count, -1)) for g in grads))
        for p, g, state in zip(params, grads, states):
            OF.adam(p, g, state, lr=lrs.reshape(-1, *[1] * (p.ndim - 1)))
        return losses, norms
    return step


def mlp_batch(rng, size=64):
    return rng.standard_normal((size, 64)), rng.integers(0, 10, size)


# -- lesson 8's recurrent network ----------------------------------------------------------------------------------------
def rnn_minigrad(count, rng):
    models = [clipping.TinyRNN(seed=0) for _ in range(count)]
    params, _ = stack_module_state(models)
    loss_of, norms_of = clipping.stacked_rnn_loss(models[0]), vmap(get_total_norm)
    clip = vmap(clip_grads_with_norm_, in_dims=(0, None, 0))
    states = [{} for _ in params]

    def step(x, y):
        for p in params.values():
            p.grad = None
        losses = loss_of(params, x, y)
        losses.sum().backward()
        norms = norms_of([p.grad for p in params.values()])
        clip(list(params.values()), 1.0, norms)
        for p, state in zip(params.values(), states):
            OF.sgd(p.data, p.grad, state, lr=0.05, momentum=0.9)
        return losses.data, norms.data
    return step


def rnn_numpy(count, rng):
    model = clipping.TinyRNN(seed=0)
    params = [np.repeat(np.array(p.data)[None], count, axis=0) for p in model.parameters()]
    w_in, w_rec, w_out, b_out = params  # (S, 2, H), (S, H, H), (S, 1, H), (S, 1)
    states = [{} for _ in params]

    def step(x, y):
        batch, length = x.shape
        inputs = np.stack([x, np.ones_like(x)], axis=-1).transpose(1, 0, 2)  # (T, B, 2)
        hs = [np.zeros((count, batch, w_rec.shape[1]))]
        for t in range(length):
            hs.append(np.tanh(np.matmul(inputs[t], w_in) + np.matmul(hs[-1], w_rec)))
        out = np.matmul(hs[-1], w_out.transpose(0, 2, 1))[..., 0] + b_out
        error = out - y
        losses = np.mean(error * error, axis=1)
        d_out = 2.0 * error / batch
        g_out = np.einsum("sb,sbh->sh", d_out, hs[-1])[:, None, :]
        g_bias = d_out.sum(axis=1, keepdims=True)
        d_h = d_out[:, :, None] * w_out
        g_in, g_rec = np.zeros_like(w_in), np.zeros_like(w_rec)
        for t in range(length - 1, -1, -1):
            d_a = d_h * (1.0 - hs[t + 1] ** 2)
            g_in += np.matmul(inputs[t].T, d_a)
            g_rec += np.matmul(hs[t].transpose(0, 2, 1), d_a)
            d_h = np.matmul(d_a, w_rec.transpose(0, 2, 1))
        grads = [g_in, g_rec, g_out, g_bias]
        norms = np.sqrt(sum(np.einsum("sk,sk->s", g.reshape(count, -1), g.reshape(count, -1)) for g in grads))
        coef = np.minimum(1.0 / (norms + 1e-6), 1.0)
        for p, g, state in zip(params, grads, states):
            OF.sgd(p, g * coef.reshape(-1, *[1] * (g.ndim - 1)), state, lr=0.05, momentum=0.9)
        return losses, norms
    return step


def rnn_batch(rng):
    return clipping._fading_sums(rng, 32, clipping.SEQ_LEN)


ROWS = [("classifier, S = 1, batch 8", mlp_minigrad, mlp_numpy, lambda rng: mlp_batch(rng, 8), 1),
        ("classifier, S = 24", mlp_minigrad, mlp_numpy, mlp_batch, 24),
        ("classifier, S = 105", mlp_minigrad, mlp_numpy, mlp_batch, 105),
        ("recurrent (lesson 8), S = 36", rnn_minigrad, rnn_numpy, rnn_batch, 36)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args(argv)
    print(f"{'shape':<32}{'minigrad ms':>12}{'NumPy ms':>10}{'ratio':>8}")
    worst = 0.0
    with threadpool_limits(1), np.errstate(all="ignore"):
        for name, ours, theirs, batch_of, count in ROWS:
            rng = np.random.default_rng(0)
            steps = {"minigrad": ours(count, rng), "numpy": theirs(count, rng)}
            first = batch_of(rng)
            a, b = steps["minigrad"](*first), steps["numpy"](*first)  # one step each: the same numbers
            np.testing.assert_allclose(a[0], b[0], rtol=1e-9)
            np.testing.assert_allclose(a[1], b[1], rtol=1e-9)
            times = {key: [] for key in steps}
            for _ in range(args.repeats):
                data = batch_of(rng)
                for key, step in steps.items():  # interleaved: both see the same machine load
                    started = time.perf_counter()
                    step(*data)
                    times[key].append(time.perf_counter() - started)
            ms = {key: 1e3 * statistics.median(values) for key, values in times.items()}
            ratio = ms["minigrad"] / ms["numpy"]
            worst = max(worst, ratio)
            print(f"{name:<32}{ms['minigrad']:>12.3f}{ms['numpy']:>10.3f}{ratio:>7.2f}x")
    verdict = "within goal" if worst <= GOAL else ("within target" if worst <= TARGET else "OVER TARGET")
    print(f"worst ratio {worst:.2f}x: {verdict} (target {TARGET}x, goal {GOAL}x)")


if __name__ == "__main__":
    main()
