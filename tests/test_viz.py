"""tinygrad_cnn.viz: the tensor graph as DOT text (no graphviz needed) and drawn (when graphviz is there)."""

import importlib.util
import shutil

import numpy as np
import pytest

from tinygrad_cnn import Tensor, models, viz
from tinygrad_cnn import functional as F
from tinygrad_cnn.value import Value


def _lines(dot):
    return [line.strip() for line in dot.splitlines()]


def test_dot_names_ops_shapes_dtypes_and_requires_grad():
    x = Tensor(np.ones((2, 1, 6, 6)))  # a constant input
    model = models.textbook()
    out = F.squared_error(model(x), np.zeros((2, 3)))
    dot = viz.to_dot(out, names=dict(model.named_parameters()))
    assert dot.startswith("digraph Tensor {") and dot.endswith("}")
    assert 'label="constant\\n(2, 1, 6, 6) float64"' in dot
    assert 'label="0.weight: leaf\\n(3, 1, 3, 3) float64\\nrequires_grad"' in dot
    for op in ("Conv2d", "Sigmoid", "MaxPool2d"):
        assert any(line.startswith("n") and f'label="{op}' in line for line in _lines(dot)), op
    assert "grad" not in dot.replace("requires_grad", "")  # no backward yet: no gradient shown
    n_nodes = sum(1 for line in _lines(dot) if "[label=" in line)
    n_edges = sum(1 for line in _lines(dot) if "->" in line)
    assert n_edges >= n_nodes - 1  # connected: every node but the root feeds another


def test_dot_after_backward_shows_the_gradients_and_edges_go_input_to_result():
    w = Tensor([1.0, -2.0], requires_grad=True)
    h = w * Tensor([3.0, 5.0])
    h.retain_grad()
    y = h.sum()
    y.backward()
    lines = _lines(viz.to_dot(y, names={"w": w}))
    assert 'n0 [label="w: leaf\\n(2,) float64\\nrequires_grad\\ngrad=[3. 5.]"];' in lines
    assert 'n2 [label="Mul\\n(2,) float64\\nrequires_grad\\ngrad=[1. 1.]"];' in lines
    assert {"n0 -> n2;", "n1 -> n2;", "n2 -> n3;"} <= set(lines)
    assert "grad=" not in viz.to_dot(y, grads=False)
    big = Tensor(np.arange(10.0), requires_grad=True)
    (big * big).sum().backward()
    assert "grad: |g|max=18" in viz.to_dot(big)


def test_dot_float32_and_a_shared_input_drawn_once():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    dot = viz.to_dot((x * x).sum())
    assert dot.count("leaf") == 1 and "(3,) float32" in dot
    assert _lines(dot).count("n0 -> n1;") == 2  # x is both inputs of x * x


def test_value_and_tensor_share_the_frame():
    a = Value(2.0)
    v, t = _lines((a * 3).to_dot()), _lines(viz.to_dot(Tensor(2.0, requires_grad=True) * 3))
    assert v[1:4] == t[1:4]  # rankdir, node and edge styles


@pytest.mark.parametrize("call, error, match", [
    (lambda: viz.to_dot(np.ones(2)), TypeError, "expected a Tensor, got ndarray"),
    (lambda: viz.to_dot(Tensor(1.0), rankdir="UP"), ValueError, "expected one of"),
    (lambda: viz.to_dot(Tensor(1.0), names={"w": 1.0}), TypeError, "mapping of str to Tensor"),
    (lambda: viz.render(Tensor(1.0), "g", format="pdf"), ValueError, "expected one of \\('svg', 'png'\\)"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_render_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    if importlib.util.find_spec("graphviz") is None:
        match = "graphviz Python package"
    else:
        match = "dot program"
    with pytest.raises(ImportError, match=match + r".*\[graph\]"):
        viz.render(Tensor(1.0, requires_grad=True) * 2, tmp_path / "g")


@pytest.mark.skipif(importlib.util.find_spec("graphviz") is None or shutil.which("dot") is None,
                    reason="drawing needs the graphviz package and dot (the 'graph' extra and apt-get install "
                           "graphviz)")
@pytest.mark.parametrize("format, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_render_draws_a_file(tmp_path, format, magic):
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    path = viz.render((w @ w).sum(), tmp_path / "graph", format=format)
    assert path == tmp_path / f"graph.{format}" and path.read_bytes().startswith(magic)
