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
from .backend import cuda_is_available, get_default_device, set_default_device
from .factories import arange, full, ones, ones_like, rand, randint, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .tensor import (Tensor, bool_, cat, clamp, float32, float64, from_numpy, int32, int64, maximum, minimum, stack,
                     tensor, where)

bool = bool_  # torch.bool's name (NumPy's bool_); int32 is torch.int, int64 torch.long

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


# torch's functions that are methods of the tensor here
def sin(x):
    return x.sin()


def cos(x):
    return x.cos()


def erf(x):
    return x.erf()


def prod(x, dim=None, keepdim=False):
    return x.prod(dim, keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return x.std(dim, unbiased, keepdim, correction=correction)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return x.var(dim, unbiased, keepdim, correction=correction)


def logsumexp(x, dim, keepdim=False):
    return x.logsumexp(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return x.argmax(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return x.argmin(dim, keepdim)


def max(x, dim=None, keepdim=False):  # noqa: A001 (torch's name)
    return x.max(dim, keepdim)


def min(x, dim=None, keepdim=False):  # noqa: A001
    return x.min(dim, keepdim)


def clone(x):
    return x.clone()


def gather(x, dim, index):
    return x.gather(dim, index)


def masked_fill(x, mask, value):
    return x.masked_fill(mask, value)


def any(x, dim=None, keepdim=False):  # noqa: A001
    return x.any(dim, keepdim)


def all(x, dim=None, keepdim=False):  # noqa: A001
    return x.all(dim, keepdim)


def isnan(x):
    return x.isnan()


def isinf(x):
    return x.isinf()


def isfinite(x):
    return x.isfinite()


def eq(a, b):
    return a == b


def ne(a, b):
    return a != b


def lt(a, b):
    return a < b


def le(a, b):
    return a <= b


def gt(a, b):
    return a > b


def ge(a, b):
    return a >= b


from . import nn, optim, training, utils  # noqa: E402  (they build on the names above)
