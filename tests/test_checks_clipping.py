"""Lesson 8's checks: each common mistake is caught with its hint, and right answers pass."""
import numpy as np
import pytest

from coursekit.checks import check_clip_grad_norm, check_clip_grad_value, check_global_grad_norm

from check_helpers import expect_hint, expect_pass


# ---------------------------------------------------------------- global_grad_norm
def global_grad_norm(grads):
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


def test_global_grad_norm_reference_passes(capsys):
    expect_pass(check_global_grad_norm, global_grad_norm, capsys)
    expect_pass(check_global_grad_norm, lambda grads: np.linalg.norm(np.concatenate([g.ravel() for g in grads])),
                capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda grads: sum(np.linalg.norm(g) for g in grads), "you added up the norms of the separate gradients"),
    (lambda grads: sum(np.sum(g ** 2) for g in grads), "the square root is missing"),
    (lambda grads: max(np.linalg.norm(g) for g in grads), "you took the largest of the separate norms"),
    (lambda grads: np.linalg.norm(grads[0]), "only the first gradient counts here"),
    (lambda grads: sum(np.abs(g).sum() for g in grads), "you summed absolute values (an L1 norm)"),
])
def test_global_grad_norm_mistakes(wrong, hint):
    expect_hint(check_global_grad_norm, wrong, hint)


# ---------------------------------------------------------------- clip_grad_norm
def clip_grad_norm(grads, max_norm):
    total = global_grad_norm(grads)
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


def clip_each_on_its_own(grads, max_norm):
    total = global_grad_norm(grads)
    for g in grads:
        norm = np.linalg.norm(g)
        if norm > max_norm:
            g *= max_norm / norm
    return total


def clip_always_rescales(grads, max_norm):
    total = global_grad_norm(grads)
    for g in grads:
        g *= max_norm / total
    return total


def clip_by_value_instead(grads, max_norm):
    total = global_grad_norm(grads)
    for g in grads:
        np.clip(g, -max_norm, max_norm, out=g)
    return total


def clip_to_unit_norm(grads, max_norm):
    total = global_grad_norm(grads)
    if total > max_norm:
        for g in grads:
            g /= total
    return total


def clip_returns_norm_after(grads, max_norm):
    clip_grad_norm(grads, max_norm)
    return global_grad_norm(grads)


def clip_rebinds(grads, max_norm):
    total = global_grad_norm(grads)
    if total > max_norm:
        grads = [g * max_norm / total for g in grads]  # noqa: F841 - a new list: the caller's arrays stay
    return total


def clip_forgets_return(grads, max_norm):
    clip_grad_norm(grads, max_norm)


def test_clip_grad_norm_reference_passes(capsys):
    expect_pass(check_clip_grad_norm, clip_grad_norm, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (clip_each_on_its_own, "each gradient was clipped on its own"),
    (clip_always_rescales, "small gradients were scaled up"),
    (clip_by_value_instead, "that is clipping by value"),
    (clip_to_unit_norm, "the gradients were scaled to norm 1"),
    (clip_returns_norm_after, "you returned the norm after clipping"),
    (clip_rebinds, "the gradients did not change"),
    (clip_forgets_return, "return the total norm before clipping"),
])
def test_clip_grad_norm_mistakes(wrong, hint):
    expect_hint(check_clip_grad_norm, wrong, hint)


# ---------------------------------------------------------------- clip_grad_value
def clip_grad_value(grads, clip_value):
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)


def clip_upper_only(grads, clip_value):
    for g in grads:
        g[g > clip_value] = clip_value


def clip_zero_floor(grads, clip_value):
    for g in grads:
        np.clip(g, 0, clip_value, out=g)


def clip_value_by_norm(grads, clip_value):
    clip_grad_norm(grads, clip_value)


def clip_value_rebinds(grads, clip_value):
    for g in grads:
        g = np.clip(g, -clip_value, clip_value)  # noqa: F841 - a new array, thrown away


def test_clip_grad_value_reference_passes(capsys):
    expect_pass(check_clip_grad_value, clip_grad_value, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (clip_upper_only, "only the upper bound is applied"),
    (clip_zero_floor, "the lower bound is 0"),
    (clip_value_by_norm, "that is clipping by norm"),
    (clip_value_rebinds, "the gradients did not change"),
])
def test_clip_grad_value_mistakes(wrong, hint):
    expect_hint(check_clip_grad_value, wrong, hint)
