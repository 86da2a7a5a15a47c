"""What :func:`tinygrad_cnn.textbook.layerwise.backprop` needs to know about a model that only a forward pass
shows: the order a module's forward calls its layers in, and the masks its Dropout layers drew (MATH.md,
"Calling layers in turn" and (G15)). ``layerwise`` imports only numpy, so it is told them by the caller.

>>> import numpy as np
>>> from tinygrad_cnn import nn
>>> from tinygrad_cnn.deltas import engine_backprop
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc, self.act = nn.Linear(2, 2, seed=0, dtype=np.float64), nn.Tanh()
...     def forward(self, x):
...         return self.act(self.fc(x))
>>> x = np.ones((1, 2))
>>> _, rec = engine_backprop(Net(), x, np.zeros((1, 2)), "squared_error")
>>> layerwise_arguments(rec, x)
{'masks': {}, 'order': ['fc', 'act']}
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["layerwise_arguments"]


def layerwise_arguments(rec: Any, x: np.ndarray) -> dict[str, Any]:
    """``masks=`` (each training Dropout's keep mask, by layer name) and, when the recorded forward was a chain,
    ``order=`` (the layers in call order) for ``layerwise.backprop``, from a recording of ``engine_backprop``.

    A chain: the leaf layers, in the order they were called, each received the previous one's output (the
    first one ``x``) and the last one's output is the model's. Anything else (a residual sum, a functional op
    between layers) gives no ``order``, and ``layerwise`` refuses a model that is not a Sequential."""
    leaves = [(key, layer) for key, layer in rec.layers.items() if not list(layer.module.children())]
    found: dict[str, Any] = {"masks": {key: layer.keep for key, layer in leaves if layer.keep is not None}}
    previous = np.asarray(x)
    for _key, layer in leaves:
        if layer.input is None or not np.array_equal(layer.input, previous):
            return found
        previous = layer.output
    if leaves and rec.output is not None and np.array_equal(previous, rec.output):
        found["order"] = [key for key, _ in leaves]
    return found
