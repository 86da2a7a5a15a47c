"""Layers for building models, PyTorch-shaped (``torch.nn``): ``Module``, ``Parameter``, containers, layers, losses.

Same names, arguments, defaults, parameter shapes and ``state_dict`` keys as PyTorch, so code and weights move
between the two (``state_dict`` holds numpy arrays; ``load_state_dict`` takes numpy arrays, Tensors or torch tensors).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 3, seed=0))
>>> model(Tensor(np.ones((4, 1, 4, 4), dtype=np.float32))).shape
(4, 3)
>>> sum(p.numel() for p in model.parameters())
29

Modules: ``module`` (Module, Parameter), ``containers`` (Sequential, ModuleList, ModuleDict), ``layers`` (Linear,
Conv2d, Dropout, Dropout2d, Identity, Flatten), ``normalization`` (BatchNorm1d/2d, LayerNorm), ``activation``,
``pooling`` (with AdaptiveAvgPool2d), ``loss``, ``init`` (initialisers), ``hooks`` (module hooks), ``utils``
(gradient clipping). ``nn.functional`` is ``tinygrad_cnn.functional``, importable under both names
(``import tinygrad_cnn.nn.functional as F``, as PyTorch's ``torch.nn.functional``).
"""

import sys

from .. import functional
from . import init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .layers import Conv2d, Dropout, Dropout2d, Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss, SquaredErrorLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, LPPool2d, MaxPool2d

sys.modules[__name__ + ".functional"] = functional  # one module under PyTorch's path too (as os.path)

__all__ = [
    "GELU",
    "AdaptiveAvgPool2d",
    "Dropout2d",
    "LayerNorm",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "LPPool2d",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SquaredErrorLoss",
    "Tanh",
    "functional",
    "init",
    "utils",
]
