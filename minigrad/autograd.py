"""User-defined ops (``Function``), as in torch.autograd; grad mode lives in ``grad_mode``."""
from .grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401  (torch.autograd's names)
from .tensor import Tensor, make_result


class FunctionCtx:
    """What ``forward`` hands to ``backward``: saved tensors and any attributes."""

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors


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
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(args):
                raise RuntimeError(
                    f"{cls.__name__}.backward returned {len(grads)} gradients "
                    f"but forward took {len(args)} inputs"
                )
            tensor_grads = [g for a, g in zip(args, grads) if isinstance(a, Tensor)]
            return tuple(None if g is None else (g.data if isinstance(g, Tensor) else g)
                         for g in tensor_grads)

        return make_result(out.data, inputs, backward)


