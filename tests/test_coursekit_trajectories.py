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
