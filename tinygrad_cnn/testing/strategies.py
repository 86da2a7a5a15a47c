"""Hypothesis strategies for property-testing gradients (public API; needs the ``test`` extra).

- shapes, arrays and tensors (``array_strategies``): float64 by default, bounded, optionally with
  elements pairwise apart (``distinct=True``: no ties for max-type ops within the finite-difference
  step) or kept away from kinks (``avoid=(0.0,)``); broadcast-compatible shape tuples; valid axes.
- valid conv2d and pooling configurations and their inputs (``conv_strategies``).

>>> from hypothesis import given
>>> from tinygrad_cnn.testing import gradcheck
>>> from tinygrad_cnn.testing import strategies as tst
>>> @given(tst.tensors(shape=tst.shapes(max_dims=2), avoid=(0.0,), gap=1e-2))
... def test_abs_gradient(x):
...     assert gradcheck(lambda t: t.abs(), [x])
>>> test_abs_gradient()
"""

from .array_strategies import arrays, axes, broadcastable_shapes, shapes, tensors
from .conv_strategies import (
    Conv2dConfig,
    Pool2dConfig,
    conv2d_configs,
    conv2d_inputs,
    pool2d_configs,
    pool2d_inputs,
)

__all__ = [
    "arrays",
    "axes",
    "broadcastable_shapes",
    "shapes",
    "tensors",
    "Conv2dConfig",
    "Pool2dConfig",
    "conv2d_configs",
    "conv2d_inputs",
    "pool2d_configs",
    "pool2d_inputs",
]
