"""Layers, models and losses, as torch.nn."""
from . import functional, init, utils
from .layers import (GELU, Dropout, Embedding, Identity, LayerNorm, Linear, ModuleList, ReLU, Sequential, Sigmoid,
                     Tanh)
from .module import Module, Parameter
from .gpt import GPT, GPTConfig


class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return functional.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, ignore_index=-100, reduction="mean"):
        super().__init__()
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):
        return functional.cross_entropy(input, target, self.ignore_index, self.reduction)

