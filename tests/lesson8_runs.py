"""The runs of lesson 8's featured seed that its claims tests read, computed once per test process.

``featured_runs()``: the runs as the notebook trains them (alone), then from each perturbed start
(stacked: all draws and settings at once), each a ``{setting name: ClipRun}``.
"""
import functools

from coursekit import clipping as cl

JITTER = 1e-15  # relative: a unit or two in the last place of a float64 weight
DRAWS = range(5)

FEATURED_SETTINGS = {
    "off": (None, None, cl.LR),
    "norm_1": ("norm", 1.0, cl.LR),
    "norm_5": ("norm", 5.0, cl.LR),
    "value_01": ("value", 0.1, cl.LR),
    "value_1": ("value", 1.0, cl.LR),
    "norm_01": ("norm", 0.1, cl.LR),  # section 8: "threshold **0.1** by norm: every step is clipped"
    "off_slow": (None, None, 0.01),  # section 8: "learning rate **0.01** with clipping **off**"
}


@functools.lru_cache(maxsize=None)
def featured_runs():
    names = list(FEATURED_SETTINGS)
    alone = {name: cl.train_rnn(*FEATURED_SETTINGS[name], seed=cl.FEATURED_SEED) for name in names}
    slots = [(draw, name) for draw in DRAWS for name in names]
    runs = cl.train_rnns([FEATURED_SETTINGS[name] for _, name in slots], seed=cl.FEATURED_SEED, jitter=JITTER,
                         draws=[draw for draw, _ in slots])
    perturbed = [{name: runs[i * len(names) + j] for j, name in enumerate(names)} for i in range(len(DRAWS))]
    return [alone] + perturbed
