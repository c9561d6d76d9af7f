"""Layers, models and losses, as torch.nn."""
from . import functional, init, utils
from .layers import (ELU, GELU, SiLU, Dropout, Embedding, Hardtanh, Identity, LayerNorm, LeakyReLU, Linear, LogSigmoid,
                     ModuleList, ReLU, ReLU6, Sequential, Sigmoid, Softplus, Tanh)
from .module import Module, Parameter
from .gpt import GPT, GPTConfig


# The losses take torch's arguments in torch's order (size_average and reduce, deprecated there,
# are refused unless None).
class MSELoss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        functional._check_loss_args("MSELoss", reduction, size_average, reduce)
        self.reduction = reduction

    def forward(self, input, target):
        return functional.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__()
        functional._check_loss_args("CrossEntropyLoss", reduction, size_average, reduce)
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return functional.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                        reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(Module):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__()
        functional._check_loss_args("NLLLoss", reduction, size_average, reduce)
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input, target):
        return functional.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(Module):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        functional._check_loss_args("BCELoss", reduction, size_average, reduce)
        self.weight, self.reduction = weight, reduction

    def forward(self, input, target):
        return functional.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__()
        functional._check_loss_args("BCEWithLogitsLoss", reduction, size_average, reduce)
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input, target):
        return functional.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                           pos_weight=self.pos_weight)
