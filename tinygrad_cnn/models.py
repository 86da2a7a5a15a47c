"""Ready-made CNNs for (N, 1, H, W) images, as ``nn.Sequential`` (so their ``state_dict`` keys are those of the
same ``torch.nn.Sequential``): :func:`small` (the default for the 8×8 digits), :func:`lenet` and :func:`textbook`
(the book's network, at the book's initial parameters).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, models
>>> model = models.small(num_classes=10, image_size=8, seed=0)
>>> model(Tensor(np.zeros((2, 1, 8, 8), dtype=np.float32))).shape
(2, 10)
>>> [key for key in model.state_dict()]
['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import nn
from . import random as _random
from ._checks import check_int, check_pair

__all__ = ["MODELS", "build", "lenet", "lenet5", "small", "textbook", "to_torch"]


def _size(image_size: Any) -> tuple[int, int]:
    return check_pair(image_size, "image_size", "models", minimum=1)


def small(num_classes: int = 10, in_channels: int = 1, image_size: int | tuple[int, int] = 8, *,
          dtype: Any = np.float32, seed: Any = None) -> nn.Sequential:
    """Two padded 3×3 convolutions (32 and 64 channels), each with ReLU and 2×2 max pooling, then one linear layer.

    (N, C, H, W) -> conv 32 -> (N, 32, H, W) -> pool -> (H/2, W/2) -> conv 64 -> pool -> (N, 64, H/4, W/4) -> (N,
    num_classes). On the 8×8 digits: 64·2·2 = 256 features, 21,386 parameters in all. ``seed`` (or a
    generator) makes the initialisation reproducible; without it the global generator of ``manual_seed``.
    """
    h, w = _size(image_size)
    if h < 4 or w < 4:
        raise ValueError(f"small: image_size must be at least 4x4 (two 2x2 poolings), got {h}x{w}")
    rng = _random.generator(seed, where="small")
    num_classes = check_int(num_classes, "num_classes", "small", minimum=1)
    in_channels = check_int(in_channels, "in_channels", "small", minimum=1)
    return nn.Sequential(
        # (N, 32, H/2, W/2)
        nn.Conv2d(in_channels, 32, 3, padding=1, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, H/4, W/4)
        nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), num_classes, dtype=dtype, seed=rng),  # (N, num_classes)
    )


def lenet(num_classes: int = 10, in_channels: int = 1, image_size: int | tuple[int, int] = 28, *,
          dtype: Any = np.float32, seed: Any = None) -> nn.Sequential:
    """The LeNet-style CNN of the benchmarks: conv(→8, 3×3) → relu → maxpool 2 → conv(8→16, 3×3) → relu →
    maxpool 2 → linear(→ num_classes), no padding; on 28×28 images the linear layer has 16·5·5 = 400 inputs.

    Needs images of at least 10×10 (for the 8×8 digits use :func:`small`).
    """
    h, w = _size(image_size)
    out_h, out_w = ((h - 2) // 2 - 2) // 2, ((w - 2) // 2 - 2) // 2  # after conv 3, pool 2, conv 3, pool 2
    if out_h < 1 or out_w < 1:
        raise ValueError(f"lenet: image_size must be at least 10x10 (two unpadded 3x3 convolutions and two 2x2 "
                         f"poolings), got {h}x{w}; use models.small for smaller images")
    rng = _random.generator(seed, where="lenet")
    num_classes = check_int(num_classes, "num_classes", "lenet", minimum=1)
    in_channels = check_int(in_channels, "in_channels", "lenet", minimum=1)
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, 3, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 8, (H-2)/2, ...)
        nn.Conv2d(8, 16, 3, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, out_h, out_w)
        nn.Flatten(), nn.Linear(16 * out_h * out_w, num_classes, dtype=dtype, seed=rng),  # (N, num_classes)
    )


def lenet5(num_classes: int = 10, in_channels: int = 1, image_size: int | tuple[int, int] = 28, *,
           dtype: Any = np.float32, seed: Any = None) -> nn.Sequential:
    """LeNet-5 as usually taught (LeCun et al. 1998, with ReLU and max pooling): conv(→6, 5×5, padding 2) → relu →
    maxpool 2 → conv(6→16, 5×5) → relu → maxpool 2 → linear(→120) → relu → linear(120→84) → relu →
    linear(84→num_classes). On 28×28 images: 16·5·5 = 400 features, 61,706 parameters; the default for
    ``--dataset mnist-sample``. Needs images of at least 12×12.
    """
    h, w = _size(image_size)
    out_h, out_w = (h // 2 - 4) // 2, (w // 2 - 4) // 2  # conv 5 pad 2 keeps H, pool 2, conv 5, pool 2
    if out_h < 1 or out_w < 1:
        raise ValueError(f"lenet5: image_size must be at least 12x12 (a padded and an unpadded 5x5 convolution and "
                         f"two 2x2 poolings), got {h}x{w}; use models.small for smaller images")
    rng = _random.generator(seed, where="lenet5")
    num_classes = check_int(num_classes, "num_classes", "lenet5", minimum=1)
    in_channels = check_int(in_channels, "in_channels", "lenet5", minimum=1)
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, H/2, W/2)
        nn.Conv2d(6, 16, 5, dtype=dtype, seed=rng), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, out_h, out_w)
        nn.Flatten(), nn.Linear(16 * out_h * out_w, 120, dtype=dtype, seed=rng), nn.ReLU(),  # (N, 120)
        nn.Linear(120, 84, dtype=dtype, seed=rng), nn.ReLU(),  # (N, 84)
        nn.Linear(84, num_classes, dtype=dtype, seed=rng),  # (N, num_classes)
    )


def textbook(num_classes: int = 3, in_channels: int = 1, image_size: int | tuple[int, int] = 6, *,
             dtype: Any = np.float64, seed: Any = None) -> nn.Sequential:
    """The book's network at the book's initial parameters (``tinygrad_cnn.textbook.initial_parameters``):
    3 filters 3×3 on the 6×6 image, sigmoid, 2×2 max pooling, a fully connected layer 12 → 3, sigmoid
    (:func:`tinygrad_cnn.textbook.tensor_net.sequential`, the one build of it as a ``Sequential``).

    Trained in the book with the squared error C = ½ Σ (t − a)² summed over the images and gradient descent
    with η = 0.2 (``tinygrad-cnn train --dataset textbook --model textbook``). The output weights
    w^O_n[k, i, j] become the ``Linear`` weight row n, flattened in (k, i, j) order, which is ``Flatten``'s order.
    ``seed`` is accepted for a uniform signature and unused (the start is the book's).

    >>> import numpy as np
    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> model = textbook()
    >>> bool(np.array_equal(model[4].weight.data, initial_parameters()["output_weights"].reshape(3, 12)))
    True
    """
    from .textbook import tensor_net

    if (check_int(num_classes, "num_classes", "textbook"), check_int(in_channels, "in_channels", "textbook"),
            _size(image_size)) != (3, 1, (6, 6)):
        raise ValueError(f"textbook: the book's network takes 1-channel 6x6 images and has 3 classes; got "
                         f"num_classes={num_classes}, in_channels={in_channels}, image_size={image_size}")
    return tensor_net.sequential(dtype=dtype)


MODELS: dict[str, Callable[..., nn.Sequential]] = {"small": small, "lenet": lenet, "lenet5": lenet5,
                                                     "textbook": textbook}


def build(name: str, num_classes: int, in_channels: int, image_size: Any, *, dtype: Any = np.float32,
          seed: Any = None) -> nn.Sequential:
    """The model called ``name`` (a key of :data:`MODELS`) for the given data shape."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {tuple(MODELS)}, got {name!r}")
    return MODELS[name](num_classes, in_channels, image_size, dtype=dtype, seed=seed)


def to_torch(model: nn.Module) -> Any:
    """The same network as a ``torch.nn.Sequential`` with a copy of the weights (needs PyTorch).

    Handles ``Sequential`` models of ``Conv2d``, ``Linear``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``MaxPool2d``,
    ``AvgPool2d`` and ``Flatten`` (the models of this module); the layer positions, hence the
    ``state_dict`` keys, are the same, so ``torch_model.load_state_dict`` takes our checkpoint's ``model``
    entry converted with ``torch.from_numpy``.
    """
    import torch

    if not isinstance(model, nn.Sequential):
        raise TypeError(f"to_torch: expected an nn.Sequential, got {type(model).__name__}")
    layers = []
    for index, layer in enumerate(model):
        if isinstance(layer, nn.Conv2d):
            layers.append(torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                          layer.padding, layer.dilation, layer.groups, layer.bias is not None))
        elif isinstance(layer, nn.Linear):
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features, layer.bias is not None))
        elif isinstance(layer, nn.MaxPool2d):
            layers.append(torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                                             ceil_mode=layer.ceil_mode))
        elif isinstance(layer, nn.AvgPool2d):
            layers.append(torch.nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode,
                                             layer.count_include_pad))
        elif isinstance(layer, nn.Flatten):
            layers.append(torch.nn.Flatten(getattr(layer, "start_dim", 1), getattr(layer, "end_dim", -1)))
        elif type(layer) in (nn.ReLU, nn.Sigmoid, nn.Tanh):
            layers.append(getattr(torch.nn, type(layer).__name__)())
        else:
            raise TypeError(f"to_torch: layer {index} ({type(layer).__name__}) has no PyTorch counterpart here")
    state = model.state_dict()
    dtype = next(iter(state.values())).dtype if state else np.float32
    torch_model = torch.nn.Sequential(*layers).to(getattr(torch, np.dtype(dtype).name))
    torch_model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()})
    return torch_model
