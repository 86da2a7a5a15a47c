"""Gradient checking for users' own ops and ours: finite differences and Hypothesis strategies.

- ``gradcheck``, ``gradgradcheck`` (second order),
  ``numerical_grad``, ``numerical_jacobian``, ``analytical_jacobian``, ``GradcheckError``:
  numpy only.
- ``strategies``: Hypothesis strategies (needs the ``test`` extra: ``pip install 'tinygrad_cnn[test]'``).
- ``checks``: the registry of property checks over every built-in op (also needs Hypothesis).

>>> from tinygrad_cnn import Tensor
>>> from tinygrad_cnn.testing import gradcheck
>>> x = Tensor([0.3, -0.7], requires_grad=True)
>>> bool(gradcheck(lambda t: t.tanh().sum(), [x]))
True
"""

from __future__ import annotations

import importlib
from typing import Any

from .gradcheck import (
    GradcheckError,
    GradcheckReport,
    analytical_jacobian,
    gradcheck,
    numerical_grad,
    numerical_jacobian,
)
from .gradgradcheck import gradgradcheck

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "analytical_jacobian",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
    "numerical_jacobian",
    "strategies",
    "checks",
]


def __getattr__(name: str) -> Any:
    # the Hypothesis-based modules load on first use, so gradcheck works without the test extra
    if name in ("strategies", "checks"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
