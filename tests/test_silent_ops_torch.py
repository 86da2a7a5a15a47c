"""Issue 17's classes against PyTorch: a cheap sample of tests/sweeps/silent_ops.py (the full sweep prints its
counts: ``PYTHONPATH=. python tests/sweeps/silent_ops.py``). The oracles without PyTorch are in
tests/test_silent_ops.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")

_spec = importlib.util.spec_from_file_location("silent_ops_sweep", Path(__file__).parent / "sweeps" / "silent_ops.py")
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


@pytest.mark.parametrize("area", ["indexing", "setitem", "losses", "conv_pool", "promotion"])
def test_sampled_sweep_agrees_with_pytorch(area):
    function, count = sweep.AREAS[area]
    failures = [what for _, ok, what in function(np.random.default_rng(17), max(15, count // 60)) if not ok]
    assert not failures, failures[:5]


def test_sampled_float16_reductions_agree_with_pytorch_or_the_exact_value():
    failures = [(area, what) for area, ok, what in sweep.reductions(np.random.default_rng(17), 28) if not ok]
    assert not failures, failures[:5]


def test_max_dim_matches_pytorch_values_indices_and_gradient():
    x = np.array([[1.0, 3.0, 3.0], [np.nan, 0.0, np.nan], [2.0, 2.0, 2.0]])
    for name in ("max", "min"):
        for dim, keep in ((0, False), (1, True), (-1, False)):
            xt = torch.tensor(x, requires_grad=True)
            rt = getattr(xt, name)(dim, keepdim=keep)
            rt.values.backward(torch.ones_like(rt.values))
            ours = sweep.Tensor(x, requires_grad=True)
            ro = getattr(ours, name)(dim, keepdim=keep)
            ro.values.backward(np.ones(ro.values.shape))
            np.testing.assert_array_equal(ro.values.data, rt.values.detach().numpy())
            np.testing.assert_array_equal(ro.indices.data, rt.indices.numpy())
            np.testing.assert_array_equal(ours.grad, xt.grad.numpy())
