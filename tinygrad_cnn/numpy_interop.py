"""numpy and Tensor, one documented behaviour (the methods ``Tensor.__array__``/``__array_ufunc__`` call these).

- ``np.asarray(t)`` gives the (read-only) data of a tensor that does not require grad, and raises for one
  that does, as PyTorch's ``.numpy()``: the result would fall out of the graph without a word.
- numpy's operators with a Tensor operand run the Tensor's operator: ``array * t`` is
  ``t.__rmul__(array)``, a differentiable Tensor.
- Any other ufunc (``np.exp(t)``) raises a TypeError naming the Tensor method to call instead.

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> np.asarray(Tensor([1.0, 2.0]))
array([1., 2.])
>>> np.array([2.0, 3.0]) * Tensor([1.0, 2.0], requires_grad=True)
Tensor([2., 6.], grad_fn=Mul)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_array(tensor: Any, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
    if tensor._requires_grad:
        raise RuntimeError(
            "numpy: cannot convert a tensor that requires grad (the result would not be differentiated); "
            "use t.detach().numpy() or t.data to read its values"
        )
    array = tensor._data if dtype is None else tensor._data.astype(dtype, copy=False)
    return np.array(array, copy=True) if copy else array


def call_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    names = _NUMPY_OPERATORS.get(ufunc)
    if names is not None and method == "__call__" and len(inputs) == 2 and not kwargs:
        left, right = inputs
        if hasattr(left, "__array_ufunc__") and hasattr(left, "_ctx"):  # a Tensor on the left
            return getattr(left, names[0])(right)
        return getattr(right, names[1])(left)
    method_name = _UFUNC_METHODS.get(ufunc.__name__, ufunc.__name__)
    raise TypeError(
        f"numpy's {ufunc.__name__} does not work on a Tensor (its result would not be differentiated): "
        f"use the Tensor method (t.{method_name}()) or apply numpy to the values (np.{ufunc.__name__}(t.data))"
    )


# numpy's operator ufuncs with a Tensor operand run the Tensor's operator: ufunc -> (method, reflected method)
_NUMPY_OPERATORS: dict[Any, tuple[str, str]] = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.less: ("__lt__", "__gt__"),
    np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"),
    np.greater_equal: ("__ge__", "__le__"),
    np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"),
}
_UFUNC_METHODS = {"absolute": "abs", "negative": "__neg__", "maximum": "maximum", "minimum": "minimum", "clip": "clip"}
