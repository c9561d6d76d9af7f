"""The exercise checks accept right answers in any numeric type a participant may return, with a tolerance that
follows the dtype they computed in, and show wrong answers with enough digits to see the difference."""
import math

import numpy as np
import pytest

import minigrad as mg
import coursekit.checks as checks
from coursekit.checks import CheckFailed, check_global_grad_norm

import test_checks_batch_size as batch_size
import test_checks_clipping as clipping
import test_checks_finetuning as finetuning
import test_checks_gradient_descent as gradient_descent
import test_checks_learning_rate as learning_rate
import test_checks_minibatches as minibatches
import test_checks_optimizers as optimizers
import test_checks_range_test as range_test
import test_checks_schedules as schedules
from check_helpers import expect_pass

# Every check with a right implementation (the ones tests/test_checks_*.py pass).
RIGHT_ANSWERS = {
    "scale_lr": (checks.check_scale_lr, batch_size.scale_lr),
    "gradient_noise": (checks.check_gradient_noise, batch_size.gradient_noise),
    "epoch_time": (checks.check_epoch_time, batch_size.epoch_time),
    "global_grad_norm": (checks.check_global_grad_norm, clipping.global_grad_norm),
    "clip_grad_norm": (checks.check_clip_grad_norm, clipping.clip_grad_norm),
    "clip_grad_value": (checks.check_clip_grad_value, clipping.clip_grad_value),
    "early_stopping": (checks.check_early_stopping, finetuning.early_stopping),
    "linear_warmup_lr": (checks.check_linear_warmup_lr, finetuning.linear_warmup_lr),
    "training_cost": (checks.check_training_cost, finetuning.training_cost),
    "savings": (checks.check_savings, lambda baseline, improved: 1 - improved / baseline),
    "gd_step": (checks.check_gd_step, gradient_descent.gd_step),
    "mse_grad": (checks.check_mse_grad, gradient_descent.mse_grad),
    "gradient_descent": (checks.check_gradient_descent, gradient_descent.gradient_descent),
    "largest_stable_lr": (checks.check_largest_stable_lr, learning_rate.largest_stable_lr),
    "lr_regime": (checks.check_lr_regime, learning_rate.lr_regime),
    "steps_to_tolerance (loop)": (checks.check_steps_to_tolerance, learning_rate.steps_loop),
    "steps_to_tolerance (formula)": (checks.check_steps_to_tolerance, learning_rate.steps_by_formula),
    "minibatch_indices": (checks.check_minibatch_indices, minibatches.minibatch_indices),
    "minibatch_grad": (checks.check_minibatch_grad, minibatches.minibatch_grad),
    "sgd_epoch": (checks.check_sgd_epoch, minibatches.sgd_epoch),
    "momentum_step": (checks.check_momentum_step, optimizers.momentum_step),
    "rmsprop_step": (checks.check_rmsprop_step, optimizers.rmsprop_step),
    "adam_step": (checks.check_adam_step, optimizers.adam_step),
    "adamw_step": (checks.check_adamw_step, optimizers.adamw_step),
    "lr_sweep": (checks.check_lr_sweep, np.geomspace),
    "smooth_losses": (checks.check_smooth_losses, range_test.smooth_losses),
    "range_test": (checks.check_range_test, range_test.range_test),
    "suggest_lr": (checks.check_suggest_lr, lambda lrs, smoothed: lrs[np.argmin(smoothed)] / 10),
    "schedule_steps": (checks.check_schedule_steps, schedules.schedule_steps),
    "step_decay": (checks.check_step_decay, schedules.step_decay),
    "warmup_cosine": (checks.check_warmup_cosine, schedules.warmup_cosine),
}


def retyped(value, float_type, int_type=int):
    """``value`` with every float turned into ``float_type`` (arrays too) and every int into ``int_type``."""
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(retyped(item, float_type, int_type) for item in value)
    if isinstance(value, dict):
        return {key: retyped(item, float_type, int_type) for key, item in value.items()}
    if isinstance(value, (int, np.integer)):
        return int_type(value)
    if isinstance(value, (float, np.floating)):
        return float_type(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(float_type)
    return value


def returning_numpy_scalars(fn):
    return lambda *args, **kwargs: retyped(fn(*args, **kwargs), np.float64, np.int64)


def returning_float32(fn):
    return lambda *args, **kwargs: retyped(fn(*args, **kwargs), np.float32)


def computing_in_float32(fn):
    """``fn`` run on float32 copies of its float arguments, written back into the caller's arrays and state."""
    def in_float32(*args, **kwargs):
        written_back = []

        def to_float32(value):
            if isinstance(value, np.ndarray) and value.dtype == np.float64:
                copy = value.astype(np.float32)
                written_back.append((value, copy))
                return copy
            if isinstance(value, (list, tuple)):
                return type(value)(to_float32(item) for item in value)
            if isinstance(value, dict):  # an optimizer's state: the participant's buffers stay float32
                written_back.append((value, value))
                return value
            return np.float32(value) if isinstance(value, float) else value

        result = fn(*to_float32(args), **kwargs)
        for original, copy in written_back:
            if original is not copy:
                original[...] = copy
        return retyped(result, np.float32)
    return in_float32


def one_number_in(container):
    """Return one number as ``container(number)``: a one-element array or a (float32) minigrad tensor."""
    def wrap(fn):
        def wrapped(*args, **kwargs):
            result = fn(*args, **kwargs)
            is_number = isinstance(result, (int, float, np.number)) and not isinstance(result, (bool, np.bool_))
            return container(result) if is_number else result
        return wrapped
    return wrap


RETURN_TYPES = {
    "NumPy scalars": returning_numpy_scalars,
    "float32 results": returning_float32,
    "computed in float32": computing_in_float32,
    "one-element arrays": one_number_in(lambda x: np.array([x])),
    "0-d tensors": one_number_in(mg.tensor),
    "one-element tensors": one_number_in(lambda x: mg.tensor([x])),
}
# clip_grad_value clamps the caller's float64 arrays in place: float32 rounding could only get there by a
# deliberate cast and write-back, which is what computing_in_float32 does.
NOT_IN_FLOAT32 = {"clip_grad_value"}


@pytest.mark.parametrize("return_type", RETURN_TYPES)
@pytest.mark.parametrize("task", RIGHT_ANSWERS)
def test_every_check_accepts_a_right_answer_of_any_numeric_type(task, return_type, capsys):
    if task in NOT_IN_FLOAT32 and return_type == "computed in float32":
        pytest.skip("clamps the caller's float64 arrays in place")
    check, right = RIGHT_ANSWERS[task]
    expect_pass(check, RETURN_TYPES[return_type](right), capsys)


@pytest.mark.parametrize("answer", [
    lambda norm: np.float32(norm),
    lambda norm: np.float16(norm),
    lambda norm: np.longdouble(norm),
    lambda norm: np.array([norm]),
    lambda norm: np.array([[norm]], dtype=np.float32),
    lambda norm: mg.tensor(norm),
    lambda norm: mg.tensor([norm]),
    lambda norm: norm,
], ids=["np.float32", "np.float16", "np.longdouble", "array (1,)", "float32 array (1, 1)", "0-d tensor",
        "one-element tensor", "float"])
def test_global_grad_norm_accepts_the_right_norm_in_any_numeric_type(answer, capsys):
    expect_pass(check_global_grad_norm, lambda grads: answer(clipping.global_grad_norm(grads)), capsys)


def test_a_norm_computed_with_float32_tensors_is_accepted(capsys):
    def global_grad_norm(grads):
        return sum((mg.tensor(g.astype(np.float32)) ** 2).sum() for g in grads).sqrt()

    expect_pass(check_global_grad_norm, global_grad_norm, capsys)


def failure(implementation):
    with pytest.raises(CheckFailed) as info:
        check_global_grad_norm(implementation)
    return str(info.value)


def expected_and_got(message):
    lines = {line.split(":")[0].strip(): line.split(":", 1)[1].strip() for line in message.splitlines()[1:3]}
    return lines["expected"], lines["got"]


@pytest.mark.parametrize("dtype, error", [(np.float32, 1e-4), (np.float64, 1e-7), (float, 1e-8)])
def test_an_answer_off_by_more_than_its_dtype_rounds_is_rejected_with_visibly_different_values(dtype, error):
    # float32 rounds to 6e-8 relative, so 1e-4 is a real difference; float64 answers keep the check's own 1e-9.
    message = failure(lambda grads: dtype(clipping.global_grad_norm(grads) * (1 + error)))
    expected, got = expected_and_got(message)
    assert expected != got, message
    assert math.isclose(float(expected), float(got), rel_tol=10 * error)


def test_a_float32_tolerance_is_no_wider_than_float32_rounding_needs():
    # 32 eps (3.8e-6) for float32: an answer 1e-5 off is wrong, whatever dtype carries it
    assert "wrong total norm" in failure(lambda grads: np.float32(clipping.global_grad_norm(grads) * (1 + 1e-5)))


def test_a_softplus_computed_in_float32_is_accepted_and_gradcheck_is_skipped(capsys):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.float().exp()).log()

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.float().sigmoid()

    expect_pass(checks.check_softplus, gradient_descent.softplus_class(forward, backward), capsys)
    float64_softplus = gradient_descent.softplus_class(gradient_descent.forward_ok, gradient_descent.backward_ok)
    checks.check_softplus(float64_softplus)
    assert "gradcheck agrees" in capsys.readouterr().out  # a float64 Function is still gradchecked
