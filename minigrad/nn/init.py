"""Weight initialisation (torch.nn.init names); draws from minigrad's seeded generator."""
import math
import warnings

from .. import backend, random


def _fill(tensor, values):
    tensor.data[...] = backend.to_device(values.astype(tensor.dtype), tensor.device)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, random.generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, random.generator().normal(mean, std, tensor.shape))


def zeros_(tensor):
    tensor.data[...] = 0
    return tensor


def ones_(tensor):
    tensor.data[...] = 1
    return tensor


def fan_in(tensor):
    return tensor.shape[1] * math.prod(tensor.shape[2:]) if tensor.ndim > 1 else tensor.shape[0]


def kaiming_uniform_(tensor, a=math.sqrt(5)):
    """torch's default for Linear weights: U(-b, b) with b = sqrt(6 / ((1 + a^2) fan_in))."""
    if tensor.numel() == 0:  # nn.Linear(0, 3): nothing to draw, and fan_in is 0
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(6.0 / ((1 + a * a) * fan_in(tensor)))
    return uniform_(tensor, -bound, bound)
