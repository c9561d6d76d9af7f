"""Checks for the exercise notebooks: ``check_<task>(your_function)``, one module per lesson.

Each check runs your function on a few cases. It prints one line starting with ✓ when all
are right; otherwise it raises ``CheckFailed`` with the case, the expected and the actual
result, and the likely mistake in plain words.
"""
from ._core import CheckFailed
from .unfinished import UnfinishedTask, explain_unfinished_tasks
from .gradient_descent import check_gd_step, check_gradient_descent, check_mse_grad, check_softplus
from .learning_rate import check_largest_stable_lr, check_lr_regime, check_steps_to_tolerance
from .minibatches import check_minibatch_grad, check_minibatch_indices, check_sgd_epoch
from .optimizers import check_adam_step, check_adamw_step, check_momentum_step, check_rmsprop_step
from .schedules import check_schedule_steps, check_step_decay, check_warmup_cosine
from .range_test import check_lr_sweep, check_range_test, check_smooth_losses, check_suggest_lr
from .batch_size import check_epoch_time, check_gradient_noise, check_scale_lr
from .clipping import check_clip_grad_norm, check_clip_grad_value, check_global_grad_norm
from .finetuning import check_early_stopping, check_linear_warmup_lr, check_savings, check_training_cost

__all__ = [
    "CheckFailed", "UnfinishedTask", "explain_unfinished_tasks",
    "check_gd_step", "check_mse_grad", "check_softplus", "check_gradient_descent",
    "check_largest_stable_lr", "check_lr_regime", "check_steps_to_tolerance",
    "check_minibatch_indices", "check_minibatch_grad", "check_sgd_epoch",
    "check_momentum_step", "check_rmsprop_step", "check_adam_step", "check_adamw_step",
    "check_schedule_steps", "check_step_decay", "check_warmup_cosine",
    "check_lr_sweep", "check_smooth_losses", "check_range_test", "check_suggest_lr",
    "check_scale_lr", "check_gradient_noise", "check_epoch_time",
    "check_global_grad_norm", "check_clip_grad_norm", "check_clip_grad_value",
    "check_early_stopping", "check_linear_warmup_lr", "check_training_cost", "check_savings",
]
