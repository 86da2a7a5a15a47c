"""Tests of the scalar engine ``Value``.

Gradients from ``backward()`` are checked against central finite differences
of the same function written on plain floats, on inputs kept away from kinks
and domain edges; exact derivatives are checked where they are obvious.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn.value import Value, _walk

# ----------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------


def central_difference(f: Callable[..., float], xs: list[float], i: int, h: float = 1e-6) -> float:
    """∂f/∂x_i at xs by (f(x + h e_i) - f(x - h e_i)) / 2h, in float64, step scaled to |x_i|."""
    step = h * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += step
    down[i] -= step
    return (f(*up) - f(*down)) / (up[i] - down[i])


def assert_close(got: float, want: float, what: str) -> None:
    assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6), f"{what}: backward {got!r}, finite difference {want!r}"


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float, gap: float = 1e-3) -> st.SearchStrategy[float]:
    return floats(lo, hi).filter(lambda x: abs(x) > gap)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ----------------------------------------------------------------------
# every op against finite differences
# ----------------------------------------------------------------------

# name -> (op on a Value, the same function on floats, inputs away from kinks and domain edges)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, floats(-10, 10)),
    "exp": (lambda v: v.exp(), math.exp, floats(-10, 10)),
    "log": (lambda v: v.log(), math.log, floats(0.05, 50)),
    "tanh": (lambda v: v.tanh(), math.tanh, floats(-5, 5)),
    "sigmoid": (lambda v: v.sigmoid(), sigmoid, floats(-15, 15)),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x), away_from_zero(-10, 10)),
    "square": (lambda v: v**2, lambda x: x**2, floats(-10, 10)),
    "cube of a negative": (lambda v: v**3, lambda x: x**3, floats(-5, -0.1)),
    "sqrt": (lambda v: v**0.5, math.sqrt, floats(0.05, 50)),
    "power -1.5": (lambda v: v**-1.5, lambda x: x**-1.5, floats(0.1, 10)),
    "inverse of a negative": (lambda v: v**-1, lambda x: 1 / x, floats(-10, -0.1)),
    "composite": (
        lambda v: (v * v.sigmoid() + 1).log() - v.tanh() / 3,
        lambda x: math.log(x * sigmoid(x) + 1) - math.tanh(x) / 3,
        floats(-4, 4),
    ),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_gradient_matches_finite_difference(name: str, data: st.DataObject) -> None:
    op, f, inputs = UNARY[name]
    x = data.draw(inputs, label="x")
    v = Value(x)
    out = op(v)
    out.backward()
    assert math.isclose(out.data, f(x), rel_tol=1e-12, abs_tol=1e-300)
    assert_close(v.grad, central_difference(f, [x], 0), f"d {name}(x)/dx at x={x!r}")


# name -> (function of two arguments, valid for Values and floats alike; (a, b) inputs)
BINARY = {
    "add": (lambda a, b: a + b, st.tuples(floats(-10, 10), floats(-10, 10))),
    "sub": (lambda a, b: a - b, st.tuples(floats(-10, 10), floats(-10, 10))),
    "mul": (lambda a, b: a * b, st.tuples(floats(-10, 10), floats(-10, 10))),
    "div": (lambda a, b: a / b, st.tuples(floats(-10, 10), away_from_zero(-10, 10, gap=0.1))),
    "pow": (lambda a, b: a**b, st.tuples(floats(0.1, 5), floats(-3, 3))),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("form", ["Value op Value", "Value op number", "number op Value"])
@given(data=st.data())
def test_binary_gradient_matches_finite_difference(name: str, form: str, data: st.DataObject) -> None:
    f, inputs = BINARY[name]
    a, b = data.draw(inputs, label="(a, b)")
    va, vb = Value(a), Value(b)
    left = a if form == "number op Value" else va
    right = b if form == "Value op number" else vb
    out = f(left, right)
    assert isinstance(out, Value)
    out.backward()
    assert math.isclose(out.data, f(a, b), rel_tol=1e-12, abs_tol=1e-300)
    if isinstance(left, Value):
        assert_close(va.grad, central_difference(f, [a, b], 0), f"∂({form})/∂a for {name} at {(a, b)}")
    else:
        assert va.grad == 0.0
    if isinstance(right, Value):
        assert_close(vb.grad, central_difference(f, [a, b], 1), f"∂({form})/∂b for {name} at {(a, b)}")
    else:
        assert vb.grad == 0.0


# ----------------------------------------------------------------------
# exact derivatives
# ----------------------------------------------------------------------


def grads(f: Callable[..., Value], *xs: float) -> list[float]:
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    return [v.grad for v in vs]


@given(a=floats(-1e3, 1e3), b=floats(-1e3, 1e3))
def test_exact_derivatives_of_arithmetic(a: float, b: float) -> None:
    assert grads(lambda x, y: x + y, a, b) == [1.0, 1.0]
    assert grads(lambda x, y: x - y, a, b) == [1.0, -1.0]
    assert grads(lambda x, y: x * y, a, b) == [b, a]
    assert grads(lambda x: x**2, a) == [2.0 * a]
    assert grads(lambda x: -x, a) == [-1.0]
    assert grads(lambda x: 3 * x - 2, a) == [3.0]


@given(x=floats(-20, 20))
def test_exact_derivatives_of_functions(x: float) -> None:
    assert grads(lambda v: v.exp(), x) == [math.exp(x)]
    assert grads(lambda v: v.tanh(), x) == [1.0 - math.tanh(x) ** 2]
    assert grads(lambda v: v.relu(), x) == [1.0 if x > 0 else 0.0]
    s = sigmoid(x)
    assert math.isclose(grads(lambda v: v.sigmoid(), x)[0], s * (1 - s), rel_tol=1e-12, abs_tol=1e-300)


def test_known_values() -> None:
    assert grads(lambda v: v.sigmoid(), 0.0) == [0.25]
    assert grads(lambda v: v.log(), 4.0) == [0.25]
    assert grads(lambda v: v**0.5, 4.0) == [0.25]  # 1 / (2 sqrt 4)
    assert grads(lambda a, b: a**b, 2.0, 3.0)[0] == 12.0  # 3 · 2²
    assert math.isclose(grads(lambda a, b: a**b, 2.0, 3.0)[1], 8 * math.log(2.0), rel_tol=1e-15)
    assert grads(lambda v: 1 / v, 4.0) == [-1 / 16]


def test_relu_kink_has_zero_gradient() -> None:
    for zero in (0.0, -0.0, 0):
        v = Value(zero)
        out = v.relu()
        out.backward()
        assert out.data == 0.0
        assert v.grad == 0.0


def test_relu_of_negative_is_zero_with_zero_gradient() -> None:
    v = Value(-3.0)
    out = v.relu()
    out.backward()
    assert (out.data, v.grad) == (0.0, 0.0)


# ----------------------------------------------------------------------
# reverse operators with a number on the left
# ----------------------------------------------------------------------


@given(x=away_from_zero(-5, 5, gap=0.1), c=floats(-5, 5))
def test_reverse_operators(x: float, c: float) -> None:
    v = Value(x)
    cases = [
        (c + v, c + x, 1.0),
        (c - v, c - x, -1.0),
        (c * v, c * x, c),
        (c / v, c / x, -c / x**2),
    ]
    for out, value, derivative in cases:
        v.grad = 0.0
        out.backward()
        assert math.isclose(out.data, value, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(v.grad, derivative, rel_tol=1e-12, abs_tol=1e-12)


@given(x=floats(-3, 3), c=floats(0.1, 5))
def test_number_to_the_power_of_a_value(x: float, c: float) -> None:
    v = Value(x)
    out = c**v
    out.backward()
    assert math.isclose(out.data, c**x, rel_tol=1e-12)
    assert_close(v.grad, central_difference(lambda e: c**e, [x], 0), f"d({c}**x)/dx")
    assert math.isclose(v.grad, c**x * math.log(c), rel_tol=1e-12, abs_tol=1e-300)


def test_reverse_operators_return_values_for_numpy_scalars() -> None:
    v = Value(2.0)
    for out in (np.float64(3) + v, np.float32(3) * v, np.int64(3) - v, np.float64(3) / v, np.float64(3) ** v):
        assert type(out) is Value
        assert type(out.data) is float


# ----------------------------------------------------------------------
# graphs: re-use, diamonds, random DAGs, repeated backward, long chains
# ----------------------------------------------------------------------


def test_square_by_self_multiplication() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond_sums_both_paths() -> None:
    # a feeds b and c, both feed d:  d = (2a)(a + 1),  dd/da = 2(a + 1) + 2a = 4a + 2
    a = Value(1.5)
    b = a * 2
    c = a + 1
    d = b * c
    d.backward()
    assert a.grad == 4 * 1.5 + 2
    assert (b.grad, c.grad, d.grad) == (c.data, b.data, 1.0)


def test_input_used_in_many_places() -> None:
    x = Value(0.7)
    y = x * x * x + x.tanh() * x - x
    y.backward()
    want = 3 * 0.7**2 + (1 - math.tanh(0.7) ** 2) * 0.7 + math.tanh(0.7) - 1
    assert math.isclose(x.grad, want, rel_tol=1e-12)


# A random DAG: each step combines two earlier nodes (inputs or results).  add, sub
# and mul take only "bounded" nodes (inputs and tanh/sigmoid results), so values
# stay small and finite differences stay accurate.
STEPS = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "tanh_mul": lambda p, q: (p * q).tanh(),
    "sigmoid_add": lambda p, q: (p + q).sigmoid(),
}
FLOAT_STEPS = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "tanh_mul": lambda p, q: math.tanh(p * q),
    "sigmoid_add": lambda p, q: sigmoid(p + q),
}
SQUASHING = ("tanh_mul", "sigmoid_add")


@st.composite
def dag_programs(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, int, int]]]:
    inputs = draw(st.lists(floats(-1.5, 1.5), min_size=1, max_size=4))
    bounded = list(range(len(inputs)))  # indices of nodes with |value| <= 1.5
    steps = []
    for k in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(sorted(STEPS)))
        pool = range(len(inputs) + k) if kind in SQUASHING else bounded
        i, j = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        if kind in SQUASHING:
            bounded.append(len(inputs) + k)
        steps.append((kind, i, j))
    return inputs, steps


def run_program(steps: list[tuple[str, int, int]], xs: list, table: dict) -> object:
    nodes = list(xs)
    for kind, i, j in steps:
        nodes.append(table[kind](nodes[i], nodes[j]))
    out = nodes[len(xs)]  # sum every result, so that every step (and its sharing) matters
    for node in nodes[len(xs) + 1 :]:
        out = out + node
    return out


@given(program=dag_programs())
def test_random_dag_gradient_matches_finite_difference(program: tuple[list[float], list]) -> None:
    inputs, steps = program
    leaves = [Value(x) for x in inputs]
    run_program(steps, leaves, STEPS).backward()

    def f(*xs: float) -> float:
        return run_program(steps, list(xs), FLOAT_STEPS)

    for i, leaf in enumerate(leaves):
        assert_close(leaf.grad, central_difference(f, inputs, i), f"∂out/∂x{i}")


@given(program=dag_programs())
def test_topological_order_puts_operands_first(program: tuple[list[float], list]) -> None:
    inputs, steps = program
    out = run_program(steps, [Value(x) for x in inputs], STEPS)
    results, leaves = _walk(out)
    position = {id(node): k for k, node in enumerate(results)}
    assert len(position) == len(results), "a result appears twice"
    assert results[-1] is out
    assert all(node._a is not None for node in results)
    assert sorted(id(leaf) for leaf in leaves) == sorted({id(x) for x in leaves}), "a leaf appears twice"
    reached = {id(node) for node in results + leaves}
    for node in results:
        for operand in (node._a, node._b):
            if operand is not None:
                assert id(operand) in reached
                if operand._a is not None:
                    assert position[id(operand)] < position[id(node)]


@given(program=dag_programs())
def test_backward_twice_doubles_leaf_gradients_exactly(program: tuple[list[float], list]) -> None:
    inputs, steps = program
    leaves = [Value(x) for x in inputs]
    out = run_program(steps, leaves, STEPS)
    out.backward()
    once = [leaf.grad for leaf in leaves]
    interior = [node.grad for node in _walk(out)[0]]
    out.backward()
    assert [leaf.grad for leaf in leaves] == [2.0 * g for g in once]
    # interior nodes are recomputed, not accumulated
    assert [node.grad for node in _walk(out)[0]] == interior
    assert out.grad == 1.0


def test_backward_of_a_leaf_accumulates_one() -> None:
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_from_two_outputs_accumulates_on_shared_leaves() -> None:
    x = Value(2.0)
    y = x * x  # dy/dx = 4
    z = x * 3  # dz/dx = 3
    y.backward()
    z.backward()
    assert x.grad == 7.0


def test_million_node_chain_backpropagates_without_recursion() -> None:
    x = Value(0.5)
    y = x
    n = 1_000_000
    for _ in range(n):
        y = y + 1.0
    assert y.data == 0.5 + n
    y.backward()
    assert x.grad == 1.0
    # a chain of multiplications by 1 + 2^-20 checks that every link is multiplied in once
    z = Value(1.0)
    w = z
    for _ in range(1000):
        w = w * (1 + 2.0**-20)
    w.backward()
    assert z.grad == math.prod([1 + 2.0**-20] * 1000)


# ----------------------------------------------------------------------
# Value ** Value and power edge cases
# ----------------------------------------------------------------------


def test_value_power_value_with_negative_base_and_integer_exponent() -> None:
    a, b = Value(-2.0), Value(3.0)
    out = a**b
    out.backward()
    assert out.data == -8.0
    assert a.grad == 12.0  # 3 · (-2)²
    assert math.isnan(b.grad)  # ∂/∂b needs log(-2), as in PyTorch


def test_power_edge_derivatives() -> None:
    assert grads(lambda v: v**0, 0.0) == [0.0]  # x^0 = 1 is constant
    assert grads(lambda v: v**1, 0.0) == [1.0]
    assert grads(lambda v: v**2, 0.0) == [0.0]
    assert grads(lambda v: v**0.5, 0.0) == [math.inf]  # sqrt rises vertically at 0
    assert grads(lambda b: 0**b, 2.0) == [0.0]  # 0^b = 0 for all b > 0


def test_relu_passes_nan_through() -> None:
    assert math.isnan(Value(math.nan).relu().data)


def test_overflow_gives_inf_not_an_exception() -> None:
    assert Value(1000.0).exp().data == math.inf
    assert (Value(10.0) ** 1000).data == math.inf
    assert (Value(-10.0) ** 1001).data == -math.inf
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


# ----------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["3", [1.0], None, 1 + 2j, np.complex128(1), Value(1.0), np.array([1.0, 2.0])])
def test_non_numeric_data_is_a_type_error_naming_the_argument(bad: object) -> None:
    with pytest.raises(TypeError, match=r"Value\(data\): expected a real number.*got .* of type"):
        Value(bad)


@pytest.mark.parametrize("good", [3, 2.5, True, np.float32(1.5), np.float64(-2.0), np.int64(7)])
def test_numeric_data_is_stored_as_float(good: object) -> None:
    v = Value(good)
    assert type(v.data) is float
    assert v.data == float(good)
    assert type(v.grad) is float and v.grad == 0.0


@pytest.mark.parametrize("op", [lambda v: v + "1", lambda v: "1" * v, lambda v: v - None, lambda v: v ** [2]])
def test_operator_with_non_number_is_a_type_error(op: Callable) -> None:
    with pytest.raises(TypeError, match="unsupported operand|can't multiply"):
        op(Value(1.0))


@pytest.mark.parametrize(
    "op, message",
    [
        (lambda: Value(0.0).log(), r"Value\.log: expected data > 0, got 0\.0"),
        (lambda: Value(-1.0).log(), r"Value\.log: expected data > 0, got -1\.0"),
        (lambda: Value(math.nan).log(), r"Value\.log: expected data > 0, got nan"),
        (lambda: Value(-8.0) ** 0.5, r"Value \*\* number: a negative base -8\.0 to the non-integer power 0\.5"),
        (lambda: Value(-8.0) ** Value(0.5), r"Value \*\* Value: a negative base -8\.0 to the non-integer power"),
        (lambda: (-8) ** Value(0.5), r"number \*\* Value: a negative base -8\.0 to the non-integer power"),
        (lambda: Value(0.0) ** -1, r"Value \*\* number: 0 to the negative power -1\.0"),
        (lambda: Value(0.0) ** Value(-2.0), r"Value \*\* Value: 0 to the negative power -2\.0"),
        (lambda: 0 ** Value(-2.0), r"number \*\* Value: 0 to the negative power -2\.0"),
        (lambda: Value(1.0) / 0, r"Value / number: the divisor is 0"),
        (lambda: Value(1.0) / Value(0.0), r"Value / Value: the divisor is 0"),
        (lambda: 1 / Value(0.0), r"number / Value: the divisor is 0"),
    ],
)
def test_domain_errors_are_value_errors_with_clear_messages(op: Callable, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        op()


# ----------------------------------------------------------------------
# repr and Graphviz export
# ----------------------------------------------------------------------


def test_repr_shows_data_and_grad() -> None:
    x = Value(2)
    y = x * 3
    y.backward()
    assert repr(x) == "Value(data=2.0, grad=3.0)"
    assert repr(y) == "Value(data=6.0, grad=1.0)"


NODE = re.compile(r'^\s*(n\d+) \[label="([^"]*)"\];$', re.M)
EDGE = re.compile(r'^\s*(n\d+) -> (n\d+) \[label="([^"]*)"\];$', re.M)


def test_to_dot_has_every_node_and_edge() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a  # a is used twice
    e = d.tanh()
    e.backward()
    dot = e.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert "rankdir=TB;" in dot

    nodes = dict(NODE.findall(dot))
    assert len(nodes) == 5
    by_label = {}
    for name, label in nodes.items():
        op, data, grad = label.split("\\n")
        by_label[op, float(data.removeprefix("data=")), float(grad.removeprefix("grad="))] = name
    expected = {
        "a": ("leaf", a),
        "b": ("leaf", b),
        "c": ("*", c),
        "d": ("+", d),
        "e": ("tanh", e),
    }
    name_of = {}
    for key, (op, v) in expected.items():
        matches = [
            n
            for (o, data, grad), n in by_label.items()
            if o == op
            and math.isclose(data, v.data, rel_tol=1e-5)
            and math.isclose(grad, v.grad, rel_tol=1e-5, abs_tol=1e-9)
        ]
        assert len(matches) == 1, f"node {key} ({op}, {v}) not found once in\n{dot}"
        name_of[key] = matches[0]

    edges = sorted((src, dst) for src, dst, _ in EDGE.findall(dot))
    want = sorted(
        (name_of[s], name_of[t]) for s, t in [("a", "c"), ("b", "c"), ("c", "d"), ("a", "d"), ("d", "e")]
    )
    assert edges == want
    # edges carry the local derivatives: ∂c/∂a = b, ∂c/∂b = a
    labels = {(s, t): float(lab) for s, t, lab in EDGE.findall(dot)}
    assert labels[name_of["a"], name_of["c"]] == b.data
    assert labels[name_of["b"], name_of["c"]] == a.data


def test_to_dot_rankdir() -> None:
    dot = (Value(1.0) + 1).to_dot(rankdir="LR")
    assert "rankdir=LR;" in dot
    with pytest.raises(ValueError, match=r"Value\.to_dot\(rankdir\): expected one of .*got 'XY'"):
        Value(1.0).to_dot(rankdir="XY")
    with pytest.raises(TypeError, match=r"Value\.to_dot\(rankdir\): expected a str, got int"):
        Value(1.0).to_dot(rankdir=3)  # type: ignore[arg-type]


def test_to_dot_renders_with_graphviz_when_installed(tmp_path) -> None:
    import shutil
    import subprocess

    dot_binary = shutil.which("dot")
    if dot_binary is None:
        pytest.skip("Graphviz `dot` is not installed (Debian: apt-get install graphviz)")
    x = Value(0.5)
    y = (x * x + x.exp()).sigmoid()
    y.backward()
    result = subprocess.run([dot_binary, "-Tsvg"], input=y.to_dot(), capture_output=True, text=True, check=True)
    assert "<svg" in result.stdout


# ----------------------------------------------------------------------
# cross-check against micrograd, where it is installed
# ----------------------------------------------------------------------

# operations micrograd has, written for both engines; each maps [-1, 1]² into [-1, 1] with
# local derivatives of size <= 1, so no value or gradient grows and tolerances can be tight
MICROGRAD_STEPS = {
    "mean": lambda p, q: (p + q) * 0.5,
    "half_difference": lambda p, q: (p - q) * 0.5,
    "mul": lambda p, q: p * q,
    "relu_mul": lambda p, q: (p * q).relu(),
    "square_mean": lambda p, q: ((p + q) * 0.5) ** 2,
}


@given(
    inputs=st.lists(away_from_zero(-1.0, 1.0), min_size=1, max_size=4),
    picks=st.lists(
        st.tuples(st.sampled_from(sorted(MICROGRAD_STEPS)), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=10,
    ),
)
def test_gradients_agree_with_micrograd(inputs: list[float], picks: list[tuple[str, int, int]]) -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    steps = [(kind, i % (len(inputs) + k), j % (len(inputs) + k)) for k, (kind, i, j) in enumerate(picks)]
    ours = [Value(x) for x in inputs]
    theirs = [micrograd.Value(x) for x in inputs]
    out_ours = run_program(steps, ours, MICROGRAD_STEPS)
    out_theirs = run_program(steps, theirs, MICROGRAD_STEPS)
    out_ours.backward()
    out_theirs.backward()
    assert out_ours.data == out_theirs.data  # the same float operations in the same order
    for i, (v, w) in enumerate(zip(ours, theirs)):
        # the sums of path contributions may be added in another order: allow rounding
        message = f"∂out/∂x{i}: ours {v.grad}, micrograd {w.grad}"
        assert math.isclose(v.grad, w.grad, rel_tol=1e-9, abs_tol=1e-9), message


# ----------------------------------------------------------------------
# edges: ±0, ±inf, NaN, ties and selections, as PyTorch 2.13 (float64) computes them
# ----------------------------------------------------------------------

INF, NAN = math.inf, math.nan

# (name, op on Values, op on torch tensors, inputs, expected output, expected gradient of each input).
# The expected numbers are PyTorch 2.13's (torch.relu/abs/sqrt/maximum/minimum on float64 scalars, backward of 1);
# test_edge_table_matches_pytorch re-derives them when torch is installed.
EDGES = [
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [-0.0], -0.0, [0.0]),
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [0.0], 0.0, [0.0]),
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [INF], INF, [1.0]),
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [-INF], 0.0, [0.0]),
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [NAN], NAN, [1.0]),
    ("relu", lambda v: v.relu(), lambda t: t.relu(), [-1.0], 0.0, [0.0]),
    ("abs", lambda v: abs(v), lambda t: t.abs(), [-0.0], 0.0, [0.0]),
    ("abs", lambda v: v.abs(), lambda t: t.abs(), [0.0], 0.0, [0.0]),
    ("abs", lambda v: abs(v), lambda t: t.abs(), [INF], INF, [1.0]),
    ("abs", lambda v: abs(v), lambda t: t.abs(), [-INF], INF, [-1.0]),
    ("abs", lambda v: abs(v), lambda t: t.abs(), [NAN], NAN, [0.0]),
    ("abs", lambda v: abs(v), lambda t: t.abs(), [-2.0], 2.0, [-1.0]),
    ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt(), [-0.0], -0.0, [-INF]),
    ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt(), [0.0], 0.0, [INF]),
    ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt(), [INF], INF, [0.0]),
    ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt(), [NAN], NAN, [NAN]),
    ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt(), [4.0], 2.0, [0.25]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [1.0, 1.0], 1.0, [0.5, 0.5]),
    # a tie of 0.0 and −0.0 gives the second operand's zero, as numpy and PyTorch's vectorized kernels do (PyTorch's
    # 0-d path gives the first): a deliberate choice, the same in both engines
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [0.0, -0.0], -0.0, [0.5, 0.5]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [INF, INF], INF, [0.5, 0.5]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [2.0, 1.0], 2.0, [1.0, 0.0]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [-INF, 1.0], 1.0, [0.0, 1.0]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [NAN, 1.0], NAN, [1.0, 1.0]),
    ("maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [1.0, NAN], NAN, [1.0, 1.0]),
    ("minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b), [2.0, 1.0], 1.0, [0.0, 1.0]),
    ("minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b), [1.0, 1.0], 1.0, [0.5, 0.5]),
    ("minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b), [NAN, 1.0], NAN, [1.0, 1.0]),
    ("minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b), [-INF, INF], -INF, [1.0, 0.0]),
]
EDGE_IDS = [f"{name}{tuple(inputs)}" for name, _, _, inputs, _, _ in EDGES]


def same_float(got: float, want: float) -> bool:
    """Equal as IEEE values, NaN equal to NaN, and the sign of a zero counts."""
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize("name, op, _torch_op, inputs, out, grads_", EDGES, ids=EDGE_IDS)
def test_edge_values_and_gradients(name, op, _torch_op, inputs, out, grads_) -> None:
    leaves = [Value(x) for x in inputs]
    result = op(*leaves)
    result.backward()
    assert same_float(result.data, out), f"{name}{tuple(inputs)} = {result.data!r}, PyTorch {out!r}"
    for i, (leaf, want) in enumerate(zip(leaves, grads_)):
        assert same_float(leaf.grad, want), f"∂{name}/∂x{i} at {tuple(inputs)} = {leaf.grad!r}, PyTorch {want!r}"


@pytest.mark.parametrize("name, _op, torch_op, inputs, out, grads_", EDGES, ids=EDGE_IDS)
def test_edge_table_matches_pytorch(name, _op, torch_op, inputs, out, grads_) -> None:
    torch = pytest.importorskip("torch")
    # 8 copies of each input, so PyTorch runs its vectorized kernels: on a 0.0/−0.0 tie its scalar path (fewer than
    # 8 elements) returns the first operand and its vectorized path the second
    leaves = [torch.full((8,), x, dtype=torch.float64, requires_grad=True) for x in inputs]
    result = torch_op(*leaves)
    result.sum().backward()
    assert all(same_float(value, out) for value in result.tolist())
    assert all(same_float(g, want) for leaf, want in zip(leaves, grads_) for g in leaf.grad.tolist())


def test_maximum_and_minimum_with_a_number() -> None:
    x = Value(3.0)
    m = x.maximum(5)
    m.backward()
    assert (m.data, x.grad) == (5.0, 0.0)
    with pytest.raises(TypeError, match=r"Value\.maximum\(other\): expected a Value or a real number, got str"):
        x.maximum("5")


@pytest.mark.parametrize(
    "build, x, want",
    [
        # a selection passes no gradient, so an infinite upstream gradient (sqrt' at 0) gives 0 (PyTorch: 0)
        (lambda v: v.relu().sqrt(), -1.0, 0.0),
        (lambda v: v.relu().sqrt(), 0.0, 0.0),
        (lambda v: v.relu().sqrt(), -INF, 0.0),
        (lambda v: (v.maximum(1.0) - 1.0).sqrt(), 0.0, 0.0),  # v loses: maximum selects the constant
        (lambda v: (v.minimum(-1.0) + 1.0).sqrt(), 0.0, 0.0),
        (lambda v: (v**0 - 1.0).sqrt(), 2.0, 0.0),  # x^0 is constant (PyTorch's pow masks exponent 0 too)
        # a product is not a selection: 0 · inf = NaN, as in PyTorch
        (lambda v: (v * 0.0).sqrt(), 2.0, NAN),
        (lambda v: abs(v).sqrt(), 0.0, NAN),  # PyTorch: abs' = sgn(0) = 0 multiplies, NaN too
    ],
)
def test_a_mask_selects_and_does_not_multiply(build: Callable, x: float, want: float) -> None:
    v = Value(x)
    build(v).backward()
    assert same_float(v.grad, want), f"got {v.grad!r}, PyTorch gives {want!r}"


def test_mask_table_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def grad(f, x):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        f(t).backward()
        return t.grad.item()

    assert grad(lambda t: t.relu().sqrt(), -1.0) == 0.0
    assert grad(lambda t: (t.maximum(torch.tensor(1.0, dtype=torch.float64)) - 1.0).sqrt(), 0.0) == 0.0
    assert grad(lambda t: (t**0 - 1.0).sqrt(), 2.0) == 0.0
    assert math.isnan(grad(lambda t: (t * 0.0).sqrt(), 2.0))
    assert math.isnan(grad(lambda t: t.abs().sqrt(), 0.0))


def test_sqrt_of_a_negative_is_a_value_error() -> None:
    for bad in (-1.0, -INF):
        with pytest.raises(ValueError, match=r"Value\.sqrt: expected data >= 0, got -"):
            Value(bad).sqrt()


# ----------------------------------------------------------------------
# threads: concurrent backward calls on graphs that share leaves
# ----------------------------------------------------------------------


def test_concurrent_backward_accumulates_exactly_on_shared_leaves() -> None:
    import sys
    import threading

    shared = [Value(float(k)) for k in range(300)]  # leaves every thread's graphs use
    n_threads, calls = 6, 20

    def work() -> None:
        for _ in range(calls):
            out = shared[0] * 1.0  # a separate graph per call: ∂out/∂leaf = 2 for every leaf
            for leaf in shared:
                out = out + leaf + leaf
            out = out - shared[0]
            out.backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside every read-add-write
    try:
        threads = [threading.Thread(target=work) for _ in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    # every call adds exactly 2 to each leaf (integers: exact in floats): 6 · 20 · 2 = 240
    assert [leaf.grad for leaf in shared] == [n_threads * calls * 2.0] * len(shared)


def test_backward_does_not_reset_a_leaf_while_it_runs() -> None:
    class RecordingLeaf(Value):
        """A leaf that logs every value assigned to its ``grad``."""

        __slots__ = ("writes",)

        def __init__(self, data: float) -> None:
            self.writes: list[float] = []
            super().__init__(data)

        @property
        def grad(self) -> float:
            return Value.grad.__get__(self)

        @grad.setter
        def grad(self, value: float) -> None:
            self.writes.append(value)
            Value.grad.__set__(self, value)

    x = RecordingLeaf(2.0)
    x.grad = 10.0
    y = x * x + x  # ∂y/∂x = 2x + 1 = 5, reaching x along three edges
    y.backward()
    assert x.writes == [0.0, 10.0, 15.0]  # __init__, the assignment, then one write of the finished sum


@given(w=floats(-5, 5), c=floats(-5, 5), z=floats(-5, 5))
def test_mul_add_is_one_node_with_the_derivatives_of_w_times_c_plus_z(w: float, c: float, z: float) -> None:
    vw, vz = Value(w), Value(z)
    out = vw.mul_add(c, vz)
    out.backward()
    assert out.data == w * c + z
    assert (vw.grad, vz.grad) == (c, 1.0)
    assert out._a is vw and out._b is vz  # one node, two operands
    vw2 = Value(w)
    out2 = vw2.mul_add(c, z)  # a number addend
    out2.backward()
    assert (out2.data, vw2.grad) == (w * c + z, c)
    with pytest.raises(TypeError, match=r"Value\.mul_add\(c\): expected a real number, got Value"):
        vw.mul_add(vz, 1.0)


# The tensor engine on this branch predates the "ops" helper's alignment with PyTorch (issue 10): these rows
# disagree there (relu(-0.0) gives 0.0; relu' and maximum'/minimum' at NaN give 0; abs' at NaN gives NaN).
# Not strict, so the suite passes before and after that merge; delete the set once both engines agree.
TENSOR_ENGINE_GAPS: set[str] = set()  # edge rows where the tensor engine is known to differ (none today)


@pytest.mark.parametrize("name, op, torch_op, inputs, out, grads_", EDGES, ids=EDGE_IDS)
def test_edge_table_the_two_engines_agree(request, name, op, torch_op, inputs, out, grads_) -> None:
    from tinygrad_cnn import Tensor

    if request.node.callspec.id in TENSOR_ENGINE_GAPS:
        request.applymarker(pytest.mark.xfail(reason="tensor engine not yet aligned with PyTorch here", strict=False))
    leaves = [Value(x) for x in inputs]
    result = op(*leaves)
    result.backward()
    tensors = [Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in inputs]
    t_result = torch_op(*tensors)  # the same method names on Tensor as on torch.Tensor
    t_result.backward(np.ones(()))
    assert same_float(result.data, t_result.item())
    for leaf, t in zip(leaves, tensors):
        want = t.grad.item()
        assert same_float(leaf.grad, want), f"{name}{tuple(inputs)}: Value {leaf.grad!r}, Tensor {want!r}"


# ----------------------------------------------------------------------
# comparisons: of data, a plain bool, no node (issue 17, class 15)
# ----------------------------------------------------------------------

COMPARISONS = {"<": (lambda a, b: a < b), "<=": (lambda a, b: a <= b),
               ">": (lambda a, b: a > b), ">=": (lambda a, b: a >= b)}
any_float = st.floats(allow_nan=True, allow_infinity=True)


@pytest.mark.parametrize("op", COMPARISONS)
@given(x=any_float, y=any_float)
def test_comparisons_are_the_floats_comparisons_either_side(op: str, x: float, y: float) -> None:
    compare = COMPARISONS[op]
    want = compare(x, y)  # Python's float comparison: False wherever a NaN is involved
    for left, right in ((Value(x), Value(y)), (Value(x), y), (x, Value(y)), (Value(x), np.float64(y)),
                        (np.float64(x), Value(y))):
        got = compare(left, right)
        assert type(got) is bool and got == want, (left, right)


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_take_ints_and_bools_and_build_no_node(op: str) -> None:
    compare = COMPARISONS[op]
    a = Value(1.0)
    for number in (0, 1, 2, True, False, np.int64(1), np.float32(1.5)):
        assert compare(a, number) is compare(1.0, float(number))
        assert compare(number, a) is compare(float(number), 1.0)
    out = a * 2.0
    assert isinstance(compare(out, a), bool)
    out.backward()
    assert a.grad == 2.0  # the comparison added nothing to the graph


def test_equality_and_hash_stay_identity() -> None:
    a, b = Value(2.0), Value(2.0)
    assert a == a and a != b and not (a == 2.0)
    assert a <= b and a >= b  # ordering compares data, equality does not
    assert len({a, b}) == 2 and {a: 1}[a] == 1
    assert hash(a) == object.__hash__(a)


def test_max_and_sorted_return_the_values_themselves() -> None:
    a, b, c = Value(3.0), Value(-1.0), Value(2.0)
    assert max([a, b, c]) is a and min([a, b, c]) is b
    assert sorted([a, b, c]) == [b, c, a]
    top = max([b, c, a])
    (top * 5.0).backward()
    assert (a.grad, b.grad, c.grad) == (5.0, 0.0, 0.0)  # the gradient reaches only the chosen Value
