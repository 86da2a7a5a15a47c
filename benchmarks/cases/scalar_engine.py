"""The scalar engine: build and backpropagate a ~200,000-node ``Value`` graph.

The graph is ``N_TERMS`` small expressions ``relu(a·b + c)`` over fresh leaves,
reduced by a balanced pairwise sum, so it is only about ``log2(N_TERMS) + 3``
deep: shallow enough for micrograd's recursive topological sort.  It uses only
operations micrograd has (``+``, ``*``, ``relu``) and no number constants
(micrograd turns each into an extra node), so both engines build the same
graph: ``3·N_TERMS`` leaves, ``3·N_TERMS`` expression nodes and
``N_TERMS - 1`` sums, 199,999 nodes in all.

The timed call makes the leaves from the data, builds the graph and calls
``backward()``; it returns the output so that freeing the graph is not timed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.harness import Case, PeerUnavailable

N_TERMS = 28_572  # 7·N_TERMS - 1 = 199,999 nodes


def _data() -> list[float]:
    """3·N_TERMS numbers in [-1, 1), the same for every contestant."""
    rng = random.Random(0)
    return [rng.uniform(-1.0, 1.0) for _ in range(3 * N_TERMS)]


def _pairwise_sum(terms: list) -> object:
    """((t0 + t1) + (t2 + t3)) + ...: a balanced tree of depth ceil(log2 len(terms))."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def _workload(value_class: type) -> Callable[[], object]:
    data = _data()

    def run() -> object:
        x = [value_class(d) for d in data]
        terms = [(x[i] * x[i + 1] + x[i + 2]).relu() for i in range(0, len(x), 3)]
        out = _pairwise_sum(terms)
        out.backward()
        return out

    return run


def _ours() -> Callable[[], object]:
    from tinygrad_cnn.value import Value

    return _workload(Value)


def _micrograd() -> Callable[[], object]:
    try:
        from micrograd.engine import Value
    except ImportError:
        raise PeerUnavailable("pip install micrograd") from None
    return _workload(Value)


CASES = [
    Case(
        name="scalar_engine_200k",
        description="make 85,716 leaves, build relu(a*b + c) terms summed pairwise (199,999 nodes), backward",
        ours=_ours,
        peers={"micrograd": _micrograd},
        targets={"micrograd": ("speedup>=", 10.0)},  # issue 19 (issue 11: 5x)
    ),
]
