"""The momentum phase map: regions from the iteration matrix, checked against running the optimizer."""
import math

import numpy as np
import pytest
from minigrad.optim import functional as OF

from coursekit.phase_map import (REGIONS, classify, divergence_lr, eigenvalues, momentum_phase_map, phase_map)
from coursekit.surfaces import get_surface
from coursekit.trajectories import stability_limit, trajectory

LRS = np.geomspace(1e-3, 2.0, 37)
BETAS = np.round(np.linspace(0.0, 0.99, 23), 3)
CURVATURES = (0.2, 4.0)


def simulate(rule, lr, beta, curvature, steps):
    """x along one direction of curvature ``curvature`` under minigrad's own SGD rule, from x = 1.

    ``lr`` and ``curvature`` may be arrays (one setting per entry, run side by side: the rule works
    entry by entry, so each entry's numbers are those of a run alone); then the result is (steps + 1, K).
    """
    one = np.ndim(lr) == 0 and np.ndim(curvature) == 0
    lr, curvature = np.broadcast_arrays(np.atleast_1d(lr).astype(float), np.atleast_1d(curvature).astype(float))
    x = np.ones(lr.shape)  # at least one entry: the rule updates its arrays in place
    xs = [x.copy()]
    state = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            OF.sgd(x, curvature * x, state, lr=lr, momentum=beta, nesterov=rule == "Nesterov")
            xs.append(x.copy())
    return np.array(xs)[:, 0] if one else np.array(xs)


def simulated_finals(rule, steps):
    """``{(lr, beta, curvature): x after steps}`` for every setting of ``rule``, one vectorised run per β."""
    grid_lr, grid_lam = (a.ravel() for a in np.meshgrid(LRS, CURVATURES, indexing="ij"))
    finals = {}
    for beta in BETAS:
        last = simulate(rule, grid_lr, float(beta), grid_lam, steps)[-1]
        finals.update({(float(lr), float(beta), float(lam)): value
                       for lr, lam, value in zip(grid_lr, grid_lam, last)})
    return finals


def settings():
    for rule in ("Momentum", "Nesterov"):
        for lam in CURVATURES:
            for lr in LRS:
                for beta in BETAS:
                    yield rule, float(lr), float(beta), lam


@pytest.mark.parametrize("rule", ["Momentum", "Nesterov"])
def test_predicted_divergence_is_simulated_divergence_away_from_the_boundary(rule):
    checked = {True: 0, False: 0}
    finals = simulated_finals(rule, 600)
    for r, lr, beta, lam in settings():
        if r != rule:
            continue
        radius = abs(eigenvalues(rule, lr, beta, lam)[0])
        if abs(radius - 1) < 0.03:
            continue  # on the boundary 600 steps cannot tell growth from decay
        predicted = REGIONS[classify(rule, lr, beta, lam)] == "diverges"
        final = finals[lr, beta, float(lam)]
        simulated = not math.isfinite(final) or abs(final) > 1.0
        assert predicted == simulated, (rule, lr, beta, lam, radius, final)
        checked[predicted] += 1
    assert checked[True] > 50 and checked[False] > 200  # both sides really sampled


def sign_pattern(xs):
    """'monotone' (never changes sign), 'oscillation' (flips every step) or 'ripples' (flips, not every step)."""
    flips = np.sign(xs[1:]) != np.sign(xs[:-1])
    if not flips.any():
        return "monotone"
    return "oscillation" if flips.all() else "ripples"


def test_converging_regions_match_the_simulated_sign_pattern():
    seen = set()
    for rule, lr, beta, lam in settings():
        z = eigenvalues(rule, lr, beta, lam)
        radius, angle = abs(z[0]), abs(np.angle(z[0]))
        if not (0.3 < radius < 0.97):
            continue  # diverging, or shrinking too fast to watch for 90 steps
        complex_pair = abs(z[0].imag) > 1e-9
        if complex_pair and not (0.15 < angle < math.pi - 0.15):
            continue  # spirals too slowly or too nearly a zigzag to tell in 60 steps
        if not complex_pair and abs(z[1]) > 0.7 * radius:
            continue  # the second eigenvalue still shows after 30 steps
        region = REGIONS[classify(rule, lr, beta, lam)]
        assert region == sign_pattern(simulate(rule, lr, beta, lam, 90)[30:]), (rule, lr, beta, lam, z)
        seen.add(region)
    assert seen == {"monotone", "ripples", "oscillation"}


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("curvature", CURVATURES)
def test_the_map_edge_is_the_stability_limit(beta, curvature):
    for rule in ("Momentum", "Nesterov"):
        assert divergence_lr(rule, curvature, beta) == pytest.approx(stability_limit(rule, curvature, beta), rel=1e-9)
    assert divergence_lr("SGD", curvature) == pytest.approx(2 / curvature, rel=1e-9)


@pytest.mark.parametrize("rule", ["Momentum", "Nesterov"])
def test_the_surface_map_predicts_which_runs_of_the_2d_trajectory_diverge(rule):
    valley = get_surface("valley")
    pmap = phase_map(valley, rule, n_lr=31, betas=np.round(np.linspace(0, 0.98, 8), 2))
    both = 0
    for j, beta in enumerate(pmap.betas):
        for i, lr in enumerate(pmap.lrs):
            if abs(pmap.radius[j, i] - 1) < 0.03:
                continue
            run = trajectory(rule, valley, steps=300, lr=float(lr), momentum=float(beta))
            assert (REGIONS[pmap.regions[j, i]] == "diverges") == run.diverged, (rule, lr, beta)
            both += run.diverged
    assert both > 10


def test_a_setting_takes_the_most_visible_behaviour_of_its_two_directions():
    pmap = phase_map("valley", "Momentum")
    assert set(np.unique(pmap.regions)) == {0, 1, 2, 3}
    np.testing.assert_array_equal(pmap.regions, pmap.per_curvature.max(axis=0))
    # SGD is the bottom row (β = 0): smooth below 1/L, zigzag up to 2/L, diverges above
    assert pmap.region_at(0.2, 0.0) == "monotone"
    assert pmap.region_at(0.4, 0.0) == "oscillation"
    assert pmap.region_at(0.6, 0.0) == "diverges"
    assert pmap.region_at(0.6, 0.9) == "ripples"  # momentum 0.9 still converges there


def test_the_map_refuses_surfaces_without_constant_curvature_and_unknown_rules():
    with pytest.raises(ValueError, match="not a quadratic"):
        phase_map("rosenbrock")
    with pytest.raises(ValueError, match="rule must be one of"):
        phase_map("valley", "Adam")


def test_clicking_the_map_sets_both_sliders_and_the_path_follows():
    widget = momentum_phase_map(interactive=False)
    ax_map, ax_path = widget.fig.axes[:2]
    assert widget.summary == (
        "Momentum at learning rate 0.0316, momentum β 0.90, on the ill-conditioned valley: the marked point of the "
        "phase map converges in ripples, a damped oscillation (both directions ripple); the "
        "error shrinks by a factor of about 0.949 per step. Its path from (-5, -2) ends 7.40e-05 above the minimum "
        "after 100 steps; plain SGD at the same rate ends 0.703 above the minimum after 100 steps.")
    before = widget.state["path"].points.copy()
    widget.click(ax_map, 0.5, 0.5)
    assert widget.controls["lr"].value == pytest.approx(0.501187, rel=1e-5)
    assert widget.controls["momentum"].value == 0.5
    assert widget.state["region"] == "ripples" and not widget.state["path"].diverged
    assert not np.array_equal(widget.state["path"].points, before)
    assert widget.clicks == 1  # one click, one update for both sliders
    assert "learning rate 0.501, momentum β 0.50" in widget.summary and "converges in ripples" in widget.summary
    assert "plain SGD at the same rate moves away from the minimum" in widget.summary  # 0.501 > 2/L
    widget.set(rule="Nesterov")  # the same setting diverges with Nesterov
    assert widget.state["region"] == "diverges" and widget.state["path"].diverged
    assert widget.summary.startswith("Nesterov at learning rate 0.501, momentum β 0.50, on the ill-conditioned valley: "
                                     "the marked point of the phase map diverges (the flat direction moves smoothly, "
                                     "the steep one diverges); the error grows by a factor of about")
    assert f"Its path from (-5, -2) diverged at step {widget.state['path'].diverged_at};" in widget.summary
    widget.click(ax_path, -2.0, 2.5)
    np.testing.assert_array_equal(widget.state["path"].points[0], [-2.0, 2.5])
    line = widget.code_line
    assert line == ("momentum_phase_map(surface='valley', lr=0.501187, momentum=0.5, rule='Nesterov', "
                    "start=(-2.0, 2.5))")
    again = eval(line, {"momentum_phase_map": lambda **k: momentum_phase_map(interactive=False, **k)})
    assert again.state["region"] == "diverges" and again.state["start"] == (-2.0, 2.5)
