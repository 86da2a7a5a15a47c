"""``set_num_threads``/``get_num_threads``: the threads numpy's BLAS uses (matmul and the convolutions built on it),
set through ``threadpoolctl`` (a dependency of this package) as PyTorch's functions set its intra-op threads. If
``threadpoolctl`` has been removed from the environment both raise a ``RuntimeError`` saying so, rather than silently
doing nothing.

>>> import tinygrad_cnn as torch
>>> torch.get_num_threads() >= 1
True
"""

from __future__ import annotations

from typing import Any

from ._checks import is_int

__all__ = ["get_num_threads", "set_num_threads"]

_limits: Any = None  # the threadpoolctl limiter of the last set_num_threads (kept alive: it holds the setting)


def _threadpoolctl(where: str) -> Any:
    try:
        import threadpoolctl
    except ImportError:
        raise RuntimeError(f"{where}: needs the threadpoolctl package to reach numpy's BLAS threads "
                           "(pip install threadpoolctl)") from None
    return threadpoolctl


def get_num_threads() -> int:
    """The largest thread count among numpy's BLAS thread pools (1 if there are none)."""
    pools = _threadpoolctl("get_num_threads").threadpool_info()
    return max((int(p["num_threads"]) for p in pools), default=1)


def set_num_threads(num: int) -> None:
    """Limit numpy's BLAS thread pools to ``num`` threads (a positive int), for the rest of the process."""
    global _limits
    if not is_int(num) or isinstance(num, bool):
        raise TypeError(f"set_num_threads: num must be an int, got {type(num).__name__} {num!r}")
    if num < 1:
        raise ValueError(f"set_num_threads: num must be positive, got {num}")
    _limits = _threadpoolctl("set_num_threads").threadpool_limits(limits=int(num))
