"""The course's 2-D loss surfaces: exact gradients, drawing data and learning-rate facts."""
import numpy as np
import pytest

from coursekit.surfaces import (
    RACE_SURFACES,
    SURFACES,
    get_surface,
    ill_conditioned_quadratic,
    quadratic,
    rosenbrock,
)


def _random_points(surface, n, rng):
    xmin, xmax, ymin, ymax = surface.extent
    return np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_gradient_matches_central_differences(key, rng):
    surface = SURFACES[key]
    eps = 1e-6
    for point in _random_points(surface, 20, rng):
        numeric = np.array([
            (surface.loss(point + eps * e) - surface.loss(point - eps * e)) / (2 * eps)
            for e in np.eye(2)
        ])
        np.testing.assert_allclose(surface.grad(point), numeric, rtol=1e-5, atol=1e-5 * (1 + np.abs(numeric).max()))


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_vectorised_calls_agree_with_single_points(key, rng):
    surface = SURFACES[key]
    points = _random_points(surface, 7, rng).reshape(7, 1, 2)
    losses, grads = surface.loss(points), surface.grad(points)
    assert losses.shape == (7, 1) and grads.shape == (7, 1, 2)
    for i in range(7):
        assert losses[i, 0] == pytest.approx(surface.loss(points[i, 0]))
        np.testing.assert_allclose(grads[i, 0], surface.grad(points[i, 0]))
    # The oracle the trajectory engine calls gives the exact gradient on noise-free surfaces.
    if surface.gradient_noise == 0:
        np.testing.assert_allclose(surface.gradient_oracle()(points[0, 0]), surface.grad(points[0, 0]))


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_minimum_start_extent_and_levels(key):
    surface = SURFACES[key]
    xmin, xmax, ymin, ymax = surface.extent
    assert xmin <= surface.start[0] <= xmax and ymin <= surface.start[1] <= ymax
    np.testing.assert_allclose(surface.grad(surface.minimum), 0.0, atol=1e-12)
    X, Y, Z = surface.grid(61)
    assert X.shape == Y.shape == Z.shape == (61, 61)
    assert Z.min() >= surface.loss(surface.minimum) - 1e-9  # the minimum is the lowest point drawn
    levels = surface.levels
    assert len(levels) >= 5 and np.all(np.diff(levels) > 0)


def test_quadratic_lipschitz_constant_and_critical_rate():
    valley = get_surface("valley")  # d2l's 0.1 x1^2 + 2 x2^2
    assert valley.loss([-5.0, -2.0]) == pytest.approx(0.1 * 25 + 2 * 4)
    np.testing.assert_allclose(valley.grad([-5.0, -2.0]), [0.2 * -5, 4 * -2])
    assert valley.lipschitz == 4.0 and valley.critical_lr == 0.5 and valley.condition_number == 20.0
    assert get_surface("bowl").condition_number == 2.0


def test_rotation_keeps_curvatures(rng):
    tilted = quadratic((0.5, 3.0), angle_deg=30.0)
    # The Hessian, recovered from gradients, has the requested eigenvalues.
    hessian = np.column_stack([tilted.grad(e) for e in np.eye(2)])
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [0.5, 3.0])
    assert tilted.critical_lr == pytest.approx(2 / 3.0)


def test_ill_conditioned_quadratic_has_the_requested_condition_number():
    surface = ill_conditioned_quadratic(50.0, largest_curvature=2.0)
    assert surface.condition_number == pytest.approx(50.0)
    assert surface.lipschitz == 2.0 and surface.critical_lr == 1.0


def test_rosenbrock_local_curvature_at_minimum():
    surface = rosenbrock()
    assert surface.lipschitz is None and surface.critical_lr is None
    assert surface.local_lipschitz == pytest.approx(1001.6, rel=1e-3)


def test_noisy_oracle_is_seeded_and_centred():
    noisy = get_surface("noisy")
    point = np.array([1.0, -1.0])
    first, second, other = (noisy.gradient_oracle(seed) for seed in (3, 3, 4))
    a = np.array([first(point) for _ in range(300)])
    b = np.array([second(point) for _ in range(300)])
    c = np.array([other(point) for _ in range(300)])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # Noise around the exact gradient with the surface's standard deviation.
    deviation = a - noisy.grad(point)
    assert np.abs(deviation.mean(axis=0)).max() < 0.25
    assert deviation.std() == pytest.approx(noisy.gradient_noise, rel=0.15)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shape"):
        get_surface("valley").loss([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unknown surface"):
        get_surface("nope")
    with pytest.raises(ValueError, match="curvatures"):
        quadratic((0.0, 1.0))
    with pytest.raises(ValueError, match="condition_number"):
        ill_conditioned_quadratic(0.5)


def test_race_surfaces_are_registered():
    assert set(RACE_SURFACES) <= set(SURFACES)
