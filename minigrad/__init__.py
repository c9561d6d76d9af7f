"""minigrad: a small tensor autograd library on NumPy (CuPy on a GPU).

Names, arguments and defaults follow PyTorch, so what you learn here transfers::

    import minigrad as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x ** 2).sum()
    loss.backward()
    x.grad  # array([2., 4., 6.], dtype=float32)
"""
from . import autograd, backend
from .autograd import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .backend import cuda_is_available
from .factories import arange, full, ones, ones_like, rand, randint, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .tensor import (Tensor, bool_, cat, clamp, float32, float64, int64, maximum, minimum, stack, tensor,
                     where)

__version__ = "0.1.0"


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def relu(x):
    return x.relu()


def abs(x):
    return x.abs()


def sum(x, dim=None, keepdim=False):
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)


def matmul(a, b):
    return a @ b


def softmax(x, dim=-1):
    return x.softmax(dim)


def log_softmax(x, dim=-1):
    return x.log_softmax(dim)


from . import nn, optim, training, utils  # noqa: E402  (they build on the names above)
