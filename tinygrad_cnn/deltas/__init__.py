"""Every layer's unit error δ = ∂C/∂(output), recorded from the engine and checked four ways.

:func:`record` is a context manager that, during a forward and backward pass of any model, keeps every
layer's input, output and δ (for a conv or linear layer, δ at its pre-activation z: the book's neuron unit
error), keyed by the layer's name in ``named_modules()``, and the gradient each parameter received. It wraps
each layer's ``forward`` and hooks the outputs and parameters with ``register_hook``; leaving the context
removes every wrapper and hook, and the model's ``.grad`` ends as a plain backward leaves it.

:func:`compare` computes, for a model, an input batch and a target, every layer's δ and parameter gradients
from up to four sources and reports how far apart they are:

* ``engine``: the tensor engine (:func:`record`);
* ``layerwise``: the book's unit-error method written out in numpy (:mod:`tinygrad_cnn.textbook.layerwise`,
  for a chain of the layers it covers: a Sequential, or any module whose forward calls them in turn);
* ``finite differences``: central differences of the loss with respect to each layer's output and each
  parameter (a random subsample of units for large layers);
* ``yours``: δ (or parameter gradients) you derived yourself, a dict keyed by layer (or parameter) name;
* any further derivation given as ``sources={name: source}`` (on the book's network, :data:`book.SOURCES`:
  the book's formulas and the scalar engine).

One result type (:class:`Comparison` of :class:`Row` s), one tolerance policy
(:mod:`tinygrad_cnn.testing.tolerances`), one table printer (:func:`report.format_table`), also for the
book's comparison ``tinygrad-cnn textbook`` prints (:func:`book.compare`).

>>> import numpy as np
>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                       nn.Linear(2, 3, seed=0))
>>> x, labels = np.random.default_rng(0).normal(size=(4, 1, 4, 4)), np.array([0, 1, 2, 0])
>>> result = compare(model, x, labels)
>>> result.agrees(), result.failing_layers()
(True, [])
"""

from . import book
from .chain import layerwise_arguments
from .comparison import (
    ENGINE_TOLERANCE,
    FD_EPSILON,
    FD_TOLERANCE,
    SOURCES,
    USER_TOLERANCE,
    Comparison,
    Row,
    compare,
)
from .recording import LayerRecord, Recording, engine_backprop, loss_tensor, record, textbook_model

__all__ = [
    "ENGINE_TOLERANCE",
    "FD_EPSILON",
    "FD_TOLERANCE",
    "SOURCES",
    "USER_TOLERANCE",
    "Comparison",
    "book",
    "LayerRecord",
    "Recording",
    "Row",
    "compare",
    "engine_backprop",
    "layerwise_arguments",
    "loss_tensor",
    "record",
    "textbook_model",
]
