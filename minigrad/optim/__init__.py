"""Optimizers and learning-rate schedules, as torch.optim.

Each update rule lives once in :mod:`minigrad.optim.functional` as a function on
arrays; the classes here loop over parameters and call it.
"""
from . import functional, lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "functional", "lr_scheduler"]
