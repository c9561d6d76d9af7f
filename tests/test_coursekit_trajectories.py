"""The trajectory engine runs minigrad's functional update rules, caches, and flags divergence."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from minigrad.optim import functional as OF
from coursekit.surfaces import get_surface
from coursekit.trajectories import RULES, TrajectoryCache, draw_path, drawable, race, trajectory

BY_HAND = {
    "SGD": (OF.sgd, {"lr": 0.05}),
    "Momentum": (OF.sgd, {"lr": 0.05, "momentum": 0.9}),
    "Nesterov": (OF.sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "AdaGrad": (OF.adagrad, {"lr": 0.3}),
    "RMSProp": (OF.rmsprop, {"lr": 0.03}),
    "Adam": (OF.adam, {"lr": 0.1, "betas": (0.8, 0.99)}),
    "AdamW": (OF.adamw, {"lr": 0.1, "weight_decay": 0.1}),
}


def _by_hand(function, surface, steps, seed=0, **hyperparams):
    param, state = np.array(surface.start, dtype=float), {}
    oracle = surface.gradient_oracle(seed)
    points = [param.copy()]
    for _ in range(steps):
        function(param, oracle(param), state, **hyperparams)
        points.append(param.copy())
    return np.array(points)


@pytest.mark.parametrize("name", list(BY_HAND))
@pytest.mark.parametrize("key", ["valley", "beale", "noisy"])
def test_paths_are_the_functional_rules_called_by_hand(name, key):
    function, hyperparams = BY_HAND[name]
    surface = get_surface(key)
    kwargs = {k: v for k, v in hyperparams.items() if k not in RULES[name][1]}
    path = trajectory(name, surface, steps=60, seed=7, **kwargs)
    expected = _by_hand(function, surface, 60, seed=7, **hyperparams)
    assert path.points.shape == (61, 2) and path.losses.shape == (61,)
    n = path.diverged_at if path.diverged else 61  # (Momentum at lr 0.05 blows up on Beale)
    assert n > 1
    np.testing.assert_array_equal(path.points[:n], expected[:n])
    np.testing.assert_allclose(path.losses[:n], surface.loss(expected[:n]))
    assert np.isnan(path.points[n:]).all()
    points, losses = path  # unpacks like a tuple
    assert points is path.points and losses is path.losses


def test_a_plain_function_can_be_the_rule():
    path = trajectory(OF.sgd, "valley", steps=5, lr=0.1)
    np.testing.assert_array_equal(path.points, _by_hand(OF.sgd, get_surface("valley"), 5, lr=0.1))


def test_critical_learning_rate_separates_convergence_from_divergence():
    valley = get_surface("valley")
    below = trajectory("SGD", valley, steps=300, lr=0.98 * valley.critical_lr)
    above = trajectory("SGD", valley, steps=300, lr=1.05 * valley.critical_lr)
    assert not below.diverged and below.final_loss < 1e-3 * below.losses[0]
    assert above.diverged
    n = above.diverged_at
    assert 0 < n <= 300
    assert np.isnan(above.points[n:]).all() and np.isfinite(above.points[:n]).all()
    assert above.losses[n - 1] <= 1e6 * above.losses[0] < np.inf
    assert above.status() == f"SGD: diverged at step {n}"
    assert np.isnan(above.final_loss)


def test_overflowing_run_is_caught_without_warnings():
    with np.errstate(all="raise"):  # the engine must not leak floating-point errors
        path = trajectory("SGD", "rosenbrock", steps=300, lr=0.05)
    assert path.diverged and path.diverged_at < 10


def test_steps_to_threshold():
    path = trajectory("SGD", "valley", steps=200, lr=0.25)
    n = path.steps_to(1e-2)
    assert path.losses[n] <= 1e-2 < path.losses[n - 1]
    assert path.steps_to(-1.0) is None


def test_cache_recomputes_only_what_a_control_affects():
    cache = TrajectoryCache()
    settings = {
        "SGD": {"lr": 0.05},
        "Momentum": {"lr": 0.05, "momentum": 0.9},
        "Adam": {"lr": 0.1, "betas": (0.9, 0.999)},
        "AdamW": {"lr": 0.1, "betas": (0.9, 0.999), "weight_decay": 0.01},
    }
    first = race("valley", settings, cache=cache)
    assert cache.last_computed == ("SGD", "Momentum", "Adam", "AdamW")
    again = race("valley", settings, cache=cache)
    assert cache.last_computed == ()
    assert all(again[name] is first[name] for name in settings)

    settings["Adam"] = {"lr": 0.1, "betas": (0.8, 0.999)}  # Adam's beta1 moved
    moved = race("valley", settings, cache=cache)
    assert cache.last_computed == ("Adam",)
    assert not np.array_equal(moved["Adam"].points, first["Adam"].points)
    assert moved["SGD"] is first["SGD"]

    race("rosenbrock", settings, cache=cache)  # another surface: everything reruns
    assert cache.last_computed == tuple(settings)
    assert cache.hits == 7 and cache.misses == 9


def test_cache_keys_include_steps_seed_and_start():
    cache = TrajectoryCache(maxsize=2)
    a = cache.get("SGD", "noisy", steps=10, seed=0, lr=0.1)
    b = cache.get("SGD", "noisy", steps=10, seed=1, lr=0.1)
    assert not np.array_equal(a.points, b.points) and cache.misses == 2
    cache.get("SGD", "noisy", start=(1.0, 1.0), steps=10, lr=0.1)
    assert len(cache) == 2  # the oldest entry was dropped
    cache.get("SGD", "noisy", steps=10, seed=0, lr=0.1)
    assert cache.misses == 4


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lr"):
        trajectory("SGD", "valley", lr=-0.1)
    with pytest.raises(ValueError, match="steps"):
        trajectory("SGD", "valley", steps=-1, lr=0.1)
    with pytest.raises(ValueError, match="start"):
        trajectory("SGD", "valley", start=[1.0, 2.0, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        trajectory("LBFGS", "valley", lr=0.1)
    with pytest.raises(ValueError, match="maxsize"):
        TrajectoryCache(maxsize=0)


def test_drawing_clips_a_diverging_path():
    surface = get_surface("valley")
    path = trajectory("SGD", surface, steps=300, lr=0.6)
    clipped = drawable(path.points, surface.extent)
    finite = clipped[np.isfinite(clipped).all(axis=1)]
    assert finite[:, 0].max() <= 12.0 and np.abs(finite[:, 1]).max() <= 9.0
    ax = Figure().subplots()
    line = draw_path(ax, path, surface)
    assert line.get_label() == f"SGD (diverged at step {path.diverged_at})"


# -- the one divergence rule and the one engine -------------------------------------------------

from coursekit.trajectories import DIVERGENCE_LOSS_FACTOR, descend, divergence, escape_radius, first_diverged


def _first(mask):
    return first_diverged(np.where(mask[:, None], np.nan, 0.0))


def test_the_rule_catches_each_kind_of_divergence_at_its_first_step():
    points = np.zeros((6, 2))
    losses = np.full(6, 0.5)  # below 1: the loss limit is the factor times 1
    assert not divergence(points, losses, escape=10.0).any()
    for row, value, kind in [(3, np.nan, "point not finite"), (2, np.inf, "point infinite"), (4, 10.0, "escaped")]:
        moved = points.copy()
        moved[row, 1] = value
        mask = divergence(moved, losses, escape=10.0)
        assert _first(mask) == row and mask[row:].all() and not mask[:row].any(), kind
    assert _first(divergence(np.where(np.arange(6)[:, None] == 4, 9.99, 0.0), losses, escape=10.0)) is None
    assert _first(divergence(np.full((6, 2), 1e300), escape=None)) is None  # no escape distance: no limit
    for row, value, kind in [(2, np.nan, "loss NaN"), (1, -np.inf, "loss -inf"),
                             (5, DIVERGENCE_LOSS_FACTOR * 1.0001, "loss above the limit")]:
        blown = losses.copy()
        blown[row] = value
        assert _first(divergence(points, blown)) == row, kind
    at_limit = losses.copy()
    at_limit[3] = DIVERGENCE_LOSS_FACTOR  # max(1, |0.5|) = 1: exactly at the limit is still fine
    assert _first(divergence(points, at_limit)) is None
    big = np.full(6, 4.0)
    big[2] = 4.0 * DIVERGENCE_LOSS_FACTOR * 1.01  # a start loss above 1 scales the limit
    assert _first(divergence(points, big)) == 2
    negative = np.full(6, -1e12)  # a very negative loss is not a blow-up (a saddle's), an escape is
    assert _first(divergence(points, negative)) is None


def test_the_rule_decides_each_run_separately():
    points = np.zeros((5, 3, 2))
    points[2, 1] = np.nan
    losses = np.ones((5, 3))
    losses[4, 2] = np.inf
    mask = divergence(points, losses)
    assert mask.shape == (5, 3)
    assert not mask[:, 0].any() and mask[2:, 1].all() and not mask[:2, 1].any() and mask[4:, 2].all()


def test_escape_radius_counts_plot_widths():
    assert escape_radius((-6.0, 6.0, -3.0, 3.0)) == 1000 * 12.0
    assert escape_radius() == 1000.0


@pytest.mark.parametrize("name", ["SGD", "Momentum"])
def test_the_engine_over_several_rates_gives_the_paths_of_one_run_per_rate(name):
    surface = get_surface("valley")
    function, fixed = RULES[name]
    lrs = np.array([0.01, 0.1, 0.45, 1.2, 2.0])  # the last two diverge (SGD above 0.5, Momentum above 0.95)
    starts = np.tile(np.asarray(surface.start, dtype=float), (len(lrs), 1))
    kwargs = dict(loss=surface.loss, escape=escape_radius(surface.extent), **fixed)
    points, losses = descend(function, surface.grad, starts, 200, lr=lrs[:, None], **kwargs)
    assert points.shape == (201, 5, 2) and losses.shape == (201, 5)
    for k, lr in enumerate(lrs):
        alone_points, alone_losses = descend(function, surface.grad, surface.start, 200, lr=lr, **kwargs)
        np.testing.assert_array_equal(points[:, k], alone_points)
        np.testing.assert_array_equal(losses[:, k], alone_losses)
        path = trajectory(name, surface, steps=200, lr=lr)  # (the surface's gradient oracle, one point at a time)
        np.testing.assert_array_equal(points[:, k], path.points)
        assert first_diverged(points[:, k]) == path.diverged_at
    assert [first_diverged(points[:, k]) is None for k in range(5)] == [True, True, True, False, False]


def test_stopping_early_changes_nothing_but_the_work():
    surface = get_surface("valley")
    calls = []

    def gradient(point):
        calls.append(1)
        return surface.grad(point)

    def paired(point):
        calls.append(1)
        return surface.loss(point), surface.grad(point)

    escape = escape_radius(surface.extent)
    full = descend(OF.sgd, gradient, surface.start, 300, loss=surface.loss, escape=escape, lr=0.6)
    assert len(calls) == 300 and first_diverged(full[0]) is not None
    # With the losses computed after the run, a step checks its point (here it escapes a few steps
    # after its loss blew up); with the loss from the gradient call, it checks the loss at once.
    for source, loss, most in ((gradient, surface.loss, 30), (paired, "gradient", first_diverged(full[0]) + 1)):
        calls.clear()
        early = descend(OF.sgd, source, surface.start, 300, loss=loss, escape=escape, stop_early=True, lr=0.6)
        assert len(calls) <= most
        np.testing.assert_array_equal(early[0], full[0])
        np.testing.assert_array_equal(early[1], full[1])
    calls.clear()
    converging = descend(OF.sgd, paired, surface.start, 50, loss="gradient", escape=escape, stop_early=True, lr=0.1)
    assert len(calls) == 51 and np.isfinite(converging[1]).all()  # the last point's loss: one more call
    np.testing.assert_allclose(converging[1], surface.loss(converging[0]))


def test_the_lessons_hold_no_other_descent_loop_or_divergence_rule():
    """Every path of a small problem runs on the engine and is judged by the one rule: no module of
    coursekit but trajectories.py calls a functional update rule itself or defines a divergence constant
    (the stacked network training of sweep.py and clipping.py, and the checks' reference answers, aside)."""
    import ast
    from pathlib import Path

    import coursekit

    root = Path(coursekit.__file__).parent
    rules = {"sgd", "adam", "adamw", "adagrad", "rmsprop", "nadam", "radam", "adamax", "adadelta"}
    networks = {"trajectories.py", "sweep.py", "clipping.py"}
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in rules
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "OF"
                    and relative.name not in networks and relative.parts[0] != "checks"):
                found.append(f"{relative}:{node.lineno} calls OF.{node.func.attr}")
            if (isinstance(node, (ast.Assign, ast.AnnAssign)) and relative.name != "trajectories.py"
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, (int, float))
                    and abs(node.value.value) >= 10  # a limit such as 1e3, not a counter
                    and any(isinstance(t, ast.Name) and ("diverg" in t.id.lower() or "escape" in t.id.lower())
                            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))):
                found.append(f"{relative}:{node.lineno} defines a divergence constant")
    assert found == []


def test_the_engine_at_its_edges():
    surface = get_surface("valley")

    def paired(point):
        return surface.loss(point), surface.grad(point)

    points, losses = descend(OF.sgd, paired, surface.start, 0, loss="gradient", escape=None, lr=0.1)
    assert points.shape == (1, 2) and losses[0] == surface.loss(surface.start)  # no step: the start's loss
    points, losses = descend(OF.sgd, surface.grad, [np.nan, 0.0], 5, loss=surface.loss, escape=None, lr=0.1)
    assert np.isnan(points).all() and first_diverged(points) == 0  # a start that is not finite
    with pytest.raises(TypeError, match="escape"):
        descend(OF.sgd, surface.grad, surface.start, 5, lr=0.1)  # every caller states its escape distance
    with pytest.raises(ValueError, match="one run's points"):
        first_diverged(np.zeros((5, 3, 2)))


def test_stopping_early_over_several_rates_changes_nothing_but_the_work():
    surface = get_surface("valley")
    starts = np.tile(np.asarray(surface.start, dtype=float), (3, 1))
    lrs = np.array([[0.1], [0.6], [2.0]])  # one converges, two diverge
    kwargs = dict(loss=surface.loss, escape=escape_radius(surface.extent), lr=lrs)
    full = descend(OF.sgd, surface.grad, starts, 200, **kwargs)
    early = descend(OF.sgd, surface.grad, starts, 200, stop_early=True, **kwargs)
    np.testing.assert_array_equal(early[0], full[0])
    np.testing.assert_array_equal(early[1], full[1])


def test_lessons_1_and_3_judge_one_least_squares_run_alike():
    """The same problem, start and rate give the same "diverged at step N" in lesson 1 (gradient
    descent) and in lesson 3's full-batch SGD: one rule, with one escape distance (none: the loss tells)."""
    from coursekit.gradient_descent import gradient_descent
    from coursekit.least_squares import EXTENT_2D, lesson1_problems
    from coursekit.minibatches import minibatch_descent

    problem = lesson1_problems()[1]
    (x0, x1, y0, y1), n = EXTENT_2D, len(problem.y)
    for start in [(x, y) for x in np.linspace(x0, x1, 4) for y in np.linspace(y0, y1, 4)]:
        for lr in (0.3, 0.6, 1.0, 1.5):
            one = gradient_descent(problem, start, lr, 60)
            three = minibatch_descent(problem, n, lr, 60, start=start)
            assert one.diverged_at == three.diverged_at, (start, lr)
