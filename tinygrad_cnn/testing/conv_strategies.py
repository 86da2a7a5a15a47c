"""Hypothesis strategies that draw *valid* conv2d and pooling configurations and their inputs (public API).

A configuration is a small frozen dataclass holding every argument of one call: the input's shape and
the layer's hyper-parameters, drawn so that the call is legal (groups divide both channel counts,
padding at most half the kernel for pooling, ``'same'`` only with stride 1, an image large enough for
at least one output, no pooling window made of padding only). Strides are drawn both below and above
the kernel size, so windows both overlap and leave gaps. Sizes are kept small: each example must be
cheap enough to ``gradcheck`` with a full finite-difference Jacobian.

- ``conv2d_configs()`` -> ``Conv2dConfig``; ``conv2d_inputs()`` -> ``(config, x, weight, bias)``
- ``pool2d_configs(kind)`` -> ``Pool2dConfig`` for ``kind`` in ``'max'``, ``'avg'``, ``'lp'``;
  ``pool2d_inputs(kind)`` -> ``(config, x)``, with pairwise-distinct elements for max pooling (no ties
  within the finite-difference step) and positive elements for Lp pooling

>>> from hypothesis import given
>>> from tinygrad_cnn.ops.conv import conv2d
>>> from tinygrad_cnn.testing import gradcheck
>>> @given(conv2d_inputs())
... def test_conv2d_gradient(case):
...     config, x, weight, bias = case
...     assert gradcheck(lambda *t: conv2d(*t, **config.kwargs()), [x, weight, bias])
>>> test_conv2d_gradient()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tinygrad_cnn.testing.conv_strategies needs Hypothesis: pip install 'tinygrad_cnn[test]' "
        "(or pip install hypothesis)"
    ) from error

from ..ops.window import output_size
from ..tensor import Tensor
from .array_strategies import arrays

__all__ = [
    "Conv2dConfig",
    "Pool2dConfig",
    "conv2d_configs",
    "conv2d_inputs",
    "pool2d_configs",
    "pool2d_inputs",
]

Pair = tuple[int, int]
POOL_KINDS = ("max", "avg", "lp")


# ------------------------------------------------------------------------------------------- conv2d
@dataclass(frozen=True)
class Conv2dConfig:
    """One legal ``conv2d`` call: shapes and hyper-parameters (everything but the values).

    ``batch`` is None for a 3-D (unbatched) input. ``padding`` is a pair, ``'valid'`` or ``'same'``.
    """

    batch: int | None
    in_channels: int
    out_channels: int
    groups: int
    height: int
    width: int
    kernel_size: Pair
    stride: Pair
    padding: Pair | str
    dilation: Pair
    bias: bool

    @property
    def input_shape(self) -> tuple[int, ...]:
        chw = (self.in_channels, self.height, self.width)
        return chw if self.batch is None else (self.batch, *chw)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def padding_sides(self) -> tuple[int, int, int, int]:
        """The padding as (top, bottom, left, right), ``'same'`` putting the odd extra on the bottom/right."""
        return _padding_sides(self.padding, self.kernel_size, self.dilation)

    @property
    def output_shape(self) -> tuple[int, ...]:
        top, bottom, left, right = self.padding_sides
        ho = output_size(self.height, self.kernel_size[0], self.stride[0], (top, bottom), self.dilation[0])
        wo = output_size(self.width, self.kernel_size[1], self.stride[1], (left, right), self.dilation[1])
        chw = (self.out_channels, ho, wo)
        return chw if self.batch is None else (self.batch, *chw)

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``conv2d`` besides x, weight and bias."""
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation, "groups": self.groups}


def _padding_sides(padding: Pair | str, kernel: Pair, dilation: Pair) -> tuple[int, int, int, int]:
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    return (padding[0], padding[0], padding[1], padding[1])


def _smallest_size(kernel: int, dilation: int, padding_total: int) -> int:
    """The smallest input length that leaves room for one (dilated) window."""
    return max(1, dilation * (kernel - 1) + 1 - padding_total)


@st.composite
def conv2d_configs(
    draw: st.DrawFn,
    max_batch: int = 2,
    max_groups: int = 2,
    max_channels_per_group: int = 2,
    max_kernel: int = 3,
    max_stride: int = 3,
    max_dilation: int = 2,
    max_padding: int = 2,
    max_extra_size: int = 3,
    unbatched: bool = True,
) -> Conv2dConfig:
    """Legal conv2d configurations, small enough for a full ``gradcheck``.

    Groups divide both channel counts by construction (channels = groups × per-group counts);
    ``padding`` is a pair, ``'valid'`` or (with stride 1 only) ``'same'``; the image is between the
    smallest size that gives one output and ``max_extra_size`` larger. With ``unbatched``, a 3-D input
    (no batch axis) is drawn sometimes.
    """
    groups = draw(st.integers(1, max_groups))
    in_channels = groups * draw(st.integers(1, max_channels_per_group))
    out_channels = groups * draw(st.integers(1, max_channels_per_group))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    padding_mode = draw(st.sampled_from(["pair", "pair", "valid", "same"]))
    if padding_mode == "same":  # 'same' needs stride 1
        stride = (1, 1)
    else:
        stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    padding: Pair | str = padding_mode
    if padding_mode == "pair":
        padding = (draw(st.integers(0, max_padding)), draw(st.integers(0, max_padding)))
    top, bottom, left, right = _padding_sides(padding, kernel, dilation)
    return Conv2dConfig(
        batch=draw(st.one_of(st.none(), st.integers(1, max_batch)) if unbatched else st.integers(1, max_batch)),
        in_channels=in_channels,
        out_channels=out_channels,
        groups=groups,
        height=_smallest_size(kernel[0], dilation[0], top + bottom) + draw(st.integers(0, max_extra_size)),
        width=_smallest_size(kernel[1], dilation[1], left + right) + draw(st.integers(0, max_extra_size)),
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        bias=draw(st.booleans()),
    )


@st.composite
def conv2d_inputs(
    draw: st.DrawFn,
    configs: st.SearchStrategy[Conv2dConfig] | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = True,
) -> tuple[Conv2dConfig, Tensor, Tensor, Tensor | None]:
    """``(config, x, weight, bias)`` for one conv2d call: Tensors of ``dtype`` with values in [−1, 1]
    (``bias`` is None when ``config.bias`` is False). ``configs`` defaults to ``conv2d_configs()``."""
    config = draw(configs if configs is not None else conv2d_configs())

    def tensor(shape: tuple[int, ...]) -> Tensor:
        values = draw(arrays(shape=shape, dtype=dtype, min_value=-1.0, max_value=1.0))
        return Tensor(values, requires_grad=requires_grad)

    x, weight = tensor(config.input_shape), tensor(config.weight_shape)
    bias = tensor((config.out_channels,)) if config.bias else None
    return config, x, weight, bias


# ------------------------------------------------------------------------------------------ pooling
@dataclass(frozen=True)
class Pool2dConfig:
    """One legal pooling call: ``kind`` (``'max'``, ``'avg'`` or ``'lp'``), the input's shape, the arguments.

    ``batch`` is None for a 3-D input. Fields that a kind does not take keep their defaults
    (``dilation`` (1, 1) except for max, ``padding`` (0, 0) for lp, ``norm_type`` for lp only,
    ``divisor_override`` for avg only).
    """

    kind: str
    batch: int | None
    channels: int
    height: int
    width: int
    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil_mode: bool = False
    count_include_pad: bool = True
    norm_type: float = 2.0
    divisor_override: int | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        chw = (self.channels, self.height, self.width)
        return chw if self.batch is None else (self.batch, *chw)

    @property
    def output_shape(self) -> tuple[int, ...]:
        sizes = (self.height, self.width)
        ho, wo = (
            output_size(
                sizes[a], self.kernel_size[a], self.stride[a], self.padding[a], self.dilation[a], self.ceil_mode
            )
            for a in (0, 1)
        )
        chw = (self.channels, ho, wo)
        return chw if self.batch is None else (self.batch, *chw)

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``max_pool2d`` / ``avg_pool2d`` / ``lp_pool2d`` besides x."""
        common = {"kernel_size": self.kernel_size, "stride": self.stride, "ceil_mode": self.ceil_mode}
        if self.kind == "max":
            return {**common, "padding": self.padding, "dilation": self.dilation}
        if self.kind == "avg":
            return {
                **common, "padding": self.padding, "count_include_pad": self.count_include_pad,
                "divisor_override": self.divisor_override,
            }
        return {"norm_type": self.norm_type, **common}


def _has_empty_window(size: int, kernel: int, stride: int, padding: int, dilation: int, out: int) -> bool:
    """Whether some window along one axis reads padding only (possible with dilation and padding)."""
    for i in range(out):
        reads = [i * stride - padding + t * dilation for t in range(kernel)]
        if not any(0 <= r < size for r in reads):
            return True
    return False


@st.composite
def pool2d_configs(
    draw: st.DrawFn,
    kind: str = "max",
    max_batch: int = 2,
    max_channels: int = 2,
    max_kernel: int = 3,
    max_stride: int = 3,
    max_dilation: int = 2,
    max_extra_size: int = 3,
    norm_types: tuple[float, ...] = (1.0, 2.0, 3.0, 1.5),
    unbatched: bool = True,
) -> Pool2dConfig:
    """Legal pooling configurations of ``kind``: padding at most half the kernel (max, avg), dilation
    (max only), ``ceil_mode`` either way, ``count_include_pad`` either way (avg), ``norm_type`` from
    ``norm_types`` (lp), ``divisor_override`` None or 1–5 (avg); the image between the smallest size
    with one output and ``max_extra_size`` more."""
    if kind not in POOL_KINDS:
        raise ValueError(f"pool2d_configs: kind must be one of {POOL_KINDS}, got {kind!r}")
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    padding = (0, 0)
    if kind != "lp":
        padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    dilation = (1, 1)
    if kind == "max":
        dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    sizes = [
        _smallest_size(k, d, 2 * p) + draw(st.integers(0, max_extra_size))
        for k, d, p in zip(kernel, dilation, padding)
    ]
    ceil_mode = draw(st.booleans())
    outs = [output_size(sizes[a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode) for a in (0, 1)]
    # with dilation and padding a window can fall wholly in the padding: such a call is refused, so skip it
    assume(not any(_has_empty_window(sizes[a], kernel[a], stride[a], padding[a], dilation[a], outs[a]) for a in (0, 1)))
    return Pool2dConfig(
        kind=kind,
        batch=draw(st.one_of(st.none(), st.integers(1, max_batch)) if unbatched else st.integers(1, max_batch)),
        channels=draw(st.integers(1, max_channels)),
        height=sizes[0],
        width=sizes[1],
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        count_include_pad=draw(st.booleans()) if kind == "avg" else True,
        norm_type=draw(st.sampled_from(norm_types)) if kind == "lp" else 2.0,
        divisor_override=draw(st.one_of(st.none(), st.integers(1, 5))) if kind == "avg" else None,
    )


@st.composite
def pool2d_inputs(
    draw: st.DrawFn,
    kind: str = "max",
    configs: st.SearchStrategy[Pool2dConfig] | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = True,
    gap: float = 1e-3,
) -> tuple[Pool2dConfig, Tensor]:
    """``(config, x)`` for one pooling call of ``kind``; ``configs`` defaults to ``pool2d_configs(kind)``.

    The values of ``x`` suit a finite-difference check of that kind: for ``'max'`` every two elements
    are at least ``gap`` apart (no ties within the step, so the max is differentiable); for ``'lp'`` they
    are in [0.2, 2] (positive: ``a^p`` is smooth and every window's norm is nonzero); for ``'avg'`` in [−1, 1].
    """
    config = draw(configs if configs is not None else pool2d_configs(kind))
    if config.kind != kind:
        raise ValueError(f"pool2d_inputs: configs drew kind {config.kind!r}, expected {kind!r}")
    if kind == "max":
        values = arrays(shape=config.input_shape, dtype=dtype, min_value=-2.0, max_value=2.0, distinct=True, gap=gap)
    elif kind == "lp":
        values = arrays(shape=config.input_shape, dtype=dtype, min_value=0.2, max_value=2.0)
    else:
        values = arrays(shape=config.input_shape, dtype=dtype, min_value=-1.0, max_value=1.0)
    return config, Tensor(draw(values), requires_grad=requires_grad)
