"""Tensor creation functions, PyTorch-shaped: ``tensor``, ``zeros``, ``ones``, ``full``, ``zeros_like``,
``ones_like``, ``arange``, ``randn``, ``rand`` and ``from_numpy``.

Sizes are given as varargs or one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``). The default float is PyTorch's,
float32 (``dtypes.get_default_dtype()``); ``full``, ``arange`` and ``tensor`` infer an integer or bool dtype from
integer or bool values, as PyTorch does. The ``Tensor(...)`` constructor is the exception: it reads Python
numbers as float64, the project's float for the book's network and the gradient checks. Random tensors draw from
``tinygrad_cnn.random.generator``: an explicit ``generator=`` wins over ``seed=``, which wins over the global
generator that ``tinygrad_cnn.manual_seed`` resets.

>>> import tinygrad_cnn as tg
>>> tg.zeros(2, 3).shape, tg.zeros(2).dtype, tg.full((2,), 7).dtype, tg.arange(5).tolist()
((2, 3), dtype('float32'), dtype('int64'), [0, 1, 2, 3, 4])
>>> (tg.randn(3, seed=0) == tg.randn(3, seed=0)).tolist()
[True, True, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_bool, is_int, is_real
from .devices import check_device
from .dtypes import get_default_dtype
from .random import generator as _generator
from .tensor import Tensor

__all__ = ["tensor", "arange", "eye", "from_numpy", "full", "linspace", "ones", "ones_like", "rand", "randint", "randn",
           "randperm", "zeros", "zeros_like"]


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``, with PyTorch's dtype inference (``torch.tensor``).

    Python floats become the default float (float32), ints int64, bools bool; a numpy array or Tensor keeps
    its dtype. ``dtype`` casts; ``device`` must be the CPU (see ``devices``).

    >>> tensor([1.5, 2]).dtype, tensor([1, 2]).dtype, tensor([True]).dtype, tensor(3, dtype=np.float64).dtype
    (dtype('float32'), dtype('int64'), dtype('bool'), dtype('float64'))
    """
    check_device(device, "tensor")
    check_bool(requires_grad, "requires_grad", "tensor")
    if isinstance(data, Tensor):
        array = np.array(data.data)
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
    elif isinstance(data, (bool, int, float, list, tuple)):
        try:
            array = np.array(data)
        except ValueError as error:  # ragged lists
            raise TypeError(f"tensor: data must be a number or a (nested) list of numbers of a regular shape; "
                            f"could not read {data!r:.60} ({error})") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(f"tensor: data must hold numbers (float, int or bool), got {data!r:.60}")
        if array.dtype.kind == "f":
            array = array.astype(get_default_dtype())
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
    else:
        raise TypeError(f"tensor: data must be a number, a (nested) list of numbers, a numpy array or a Tensor, "
                        f"got {type(data).__name__}")
    if dtype is not None:
        array = array.astype(_dtype(dtype, None, "tensor"), copy=False)
    return Tensor(array, requires_grad=requires_grad)


def _size(size: tuple[Any, ...], where: str) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3); every entry a non-negative int."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not is_int(n):
            raise TypeError(f"{where}: size must be ints (varargs or one tuple), got {size!r} containing {n!r}")
        if n < 0:
            raise ValueError(f"{where}: size must be non-negative, got {size!r}")
    return tuple(int(n) for n in size)


def _dtype(dtype: Any, default: Any, where: str) -> np.dtype:
    try:
        chosen = np.dtype(default if dtype is None else dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be a numpy dtype such as np.float32, got {dtype!r}") from None
    if chosen.kind not in "fiub":
        raise TypeError(f"{where}: dtype must be a real numeric dtype (float, int or bool), got {chosen}")
    return chosen


def _made(data: np.ndarray, requires_grad: bool) -> Tensor:
    """The result of a creation function (``device`` was checked by the caller: the CPU)."""
    return Tensor(data, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros of shape ``size`` (the default float, float32, unless ``dtype``)."""
    check_device(device, "zeros")
    return _made(np.zeros(_size(size, "zeros"), _dtype(dtype, get_default_dtype(), "zeros")), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ones of shape ``size`` (the default float, float32, unless ``dtype``)."""
    check_device(device, "ones")
    return _made(np.ones(_size(size, "ones"), _dtype(dtype, get_default_dtype(), "ones")), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64 or
    the default float) unless ``dtype`` is given.

    >>> full((2,), 0.5)
    Tensor([0.5, 0.5], dtype=float32)
    """
    check_device(device, "full")
    shape = _size((size,) if not isinstance(size, (tuple, list)) else tuple(size), "full")
    if isinstance(fill_value, (bool, np.bool_)):
        default: Any = np.bool_
    elif is_int(fill_value):
        default = np.int64
    elif is_real(fill_value):
        default = get_default_dtype()
    else:
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r}")
    return _made(np.full(shape, fill_value, _dtype(dtype, default, "full")), requires_grad)


def _like(t: Any, where: str) -> np.ndarray:
    if isinstance(t, Tensor):
        return t.data
    if isinstance(t, np.ndarray):
        return t
    raise TypeError(f"{where}: input must be a Tensor or a numpy array, got {type(t).__name__}")


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of ``input``'s shape and dtype (or ``dtype``)."""
    check_device(device, "zeros_like")
    data = _like(input, "zeros_like")
    return _made(np.zeros(data.shape, _dtype(dtype, data.dtype, "zeros_like")), requires_grad)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of ``input``'s shape and dtype (or ``dtype``)."""
    check_device(device, "ones_like")
    data = _like(input, "ones_like")
    return _made(np.ones(data.shape, _dtype(dtype, data.dtype, "ones_like")), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False,
           device: Any = None) -> Tensor:
    """``start, start + step, …`` up to but excluding ``end`` (``arange(n)`` counts from 0), as ``torch.arange``.

    int64 when every argument is an integer, else the default float (float32).

    >>> arange(1, 2, 0.25)
    Tensor([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if not is_real(value):
            raise TypeError(f"arange: {name} must be a real number, got {type(value).__name__} {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must be non-zero, got 0")
    default = np.int64 if all(is_int(v) for v in (start, end, step)) else get_default_dtype()
    return _made(np.arange(start, end, step, dtype=_dtype(dtype, default, "arange")), requires_grad)


def _float_for_random(dtype: Any, where: str) -> np.dtype:
    chosen = _dtype(dtype, get_default_dtype(), where)
    if chosen.kind != "f":
        raise TypeError(f"{where}: dtype must be a float dtype, got {chosen}")
    return chosen


def randn(
    *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Standard normal samples of shape ``size`` (drawn in float64, then cast to ``dtype``)."""
    check_device(device, "randn")
    shape = _size(size, "randn")
    chosen = _float_for_random(dtype, "randn")
    check_bool(requires_grad, "requires_grad", "randn")  # before drawing: a failed call leaves the generator
    rng = _generator(seed, generator, where="randn")
    return _made(rng.standard_normal(shape).astype(chosen, copy=False), requires_grad)


def rand(
    *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Uniform samples on [0, 1) of shape ``size`` (drawn in float64, then cast to ``dtype``)."""
    check_device(device, "rand")
    shape = _size(size, "rand")
    chosen = _float_for_random(dtype, "rand")
    check_bool(requires_grad, "requires_grad", "rand")  # before drawing: a failed call leaves the generator
    rng = _generator(seed, generator, where="rand")
    return _made(rng.random(shape).astype(chosen, copy=False), requires_grad)


def eye(n: Any, m: Any = None, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """The ``n × m`` identity (``m = n`` by default), as ``torch.eye``.

    >>> eye(2, 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    check_device(device, "eye")
    rows, cols = _size((n, n if m is None else m), "eye")
    return _made(np.eye(rows, cols, dtype=_dtype(dtype, get_default_dtype(), "eye")), requires_grad)


def linspace(start: Any, end: Any, steps: Any, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included, as ``torch.linspace``.

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    check_device(device, "linspace")
    for name, value in (("start", start), ("end", end)):
        if not is_real(value):
            raise TypeError(f"linspace: {name} must be a real number, got {type(value).__name__} {value!r}")
    if not is_int(steps) or isinstance(steps, bool):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__} {steps!r}")
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _made(np.linspace(start, end, int(steps)).astype(_dtype(dtype, get_default_dtype(), "linspace")),
                 requires_grad)


def randint(low: Any, high: Any = None, size: Any = None, *, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, seed: Any = None, generator: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` in shape ``size`` (int64), as ``torch.randint``:
    ``randint(high, size)`` or ``randint(low, high, size)``.

    >>> randint(3, (4,), seed=0).dtype, bool((randint(2, 5, (20,), seed=1) >= 2).all())
    (dtype('int64'), True)
    """
    check_device(device, "randint")
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError(f"randint: size (a tuple) is required: randint(high, size) or randint(low, high, size), "
                            f"got size {high!r}")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint: high is required: randint(high, size) or randint(low, high, size)")
    for name, value in (("low", low), ("high", high)):
        if not is_int(value) or isinstance(value, bool):
            raise TypeError(f"randint: {name} must be an int, got {type(value).__name__} {value!r}")
    if high <= low:
        raise ValueError(f"randint: high must be greater than low, got low={low}, high={high}")
    shape = _size((size,) if not isinstance(size, (tuple, list)) else tuple(size), "randint")
    chosen = _dtype(dtype, np.int64, "randint")
    rng = _generator(seed, generator, where="randint")
    return _made(rng.integers(int(low), int(high), shape).astype(chosen), requires_grad)


def randperm(n: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, seed: Any = None,
             generator: Any = None) -> Tensor:
    """A random permutation of ``0, …, n − 1`` (int64), as ``torch.randperm``.

    >>> sorted(randperm(4, seed=0).tolist())
    [0, 1, 2, 3]
    """
    check_device(device, "randperm")
    (count,) = _size((n,), "randperm")
    chosen = _dtype(dtype, np.int64, "randperm")
    rng = _generator(seed, generator, where="randperm")
    return _made(rng.permutation(count).astype(chosen), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (a change to one shows in the other), as ``torch.from_numpy``.

    >>> a = np.zeros(2)
    >>> t = from_numpy(a)
    >>> a[0] = 5.0
    >>> t
    Tensor([5., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: the array's data must be real numbers (float, int or bool), got dtype "
                        f"{array.dtype}")
    return Tensor._wrap(array)
