"""User-defined ops (``Function``), as in torch.autograd; grad mode lives in ``grad_mode``."""
from .grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401  (torch.autograd's names)
from .tensor import Tensor, make_result


class FunctionCtx:
    """What ``forward`` hands to ``backward``: saved tensors and any attributes."""

    def __init__(self):
        self._saved = None

    def save_for_backward(self, *tensors):
        self._saved = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("ctx.saved_tensors is empty: forward never called ctx.save_for_backward(...). "
                               "Save what backward needs in forward, e.g. ctx.save_for_backward(x), then read "
                               "it in backward with (x,) = ctx.saved_tensors")
        return self._saved


class Function:
    """A new op with a hand-written backward, as ``torch.autograd.Function``.

    Subclass it with two static methods and call ``MyOp.apply(*inputs)``::

        class Softplus(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return (1 + x.exp()).log()

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * x.sigmoid()

    ``forward`` runs without recording a graph; ``backward`` returns one
    gradient per input of ``forward`` (``None`` for inputs that need none).
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}")
        inputs = tuple(a for a in args if isinstance(a, Tensor))

        def backward(grad):
            grads = cls.backward(ctx, Tensor(grad))
            grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(args):
                raise RuntimeError(
                    f"{cls.__name__}.backward returned {len(grads)} gradients "
                    f"but forward took {len(args)} inputs"
                )
            return tuple(_gradient_array(cls, index, a, g) for index, (a, g) in enumerate(zip(args, grads))
                         if isinstance(a, Tensor))

        return make_result(out.data, inputs, backward)


def _gradient_array(cls, index, input, grad):
    """The array of one gradient ``backward`` returned, checked against its input (None stays None)."""
    if grad is None:
        return None
    data = grad.data if isinstance(grad, Tensor) else grad
    if not hasattr(data, "shape"):
        raise TypeError(f"{cls.__name__}.backward returned a {type(grad).__name__} as gradient {index}: "
                        f"return a Tensor (or None for an input that needs no gradient)")
    if data.shape != input.shape:
        raise RuntimeError(f"Function {cls.__name__} returned an invalid gradient at index {index}: got shape "
                           f"{tuple(data.shape)} but expected {tuple(input.shape)}, the shape of that input")
    return data
