"""The scalar network's training graph builds only the max-pooling winners: the same numbers as the full graph.

``scalar_net.backprop`` and ``cost`` build, with max pooling, only the 12 units of eq. (1) per image that win their
block (the others are dropped by the pooling, and by eq. (23) their δ^F is 0). These tests build the full graph
(every unit, as ``scalar_net.forward`` does) and check that every number agrees bit for bit, ties and the
first-maximum rule included.
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.textbook import initial_parameters, load_data, scalar_net


def _full_graph_backprop(params: dict[str, np.ndarray], images: np.ndarray, targets: np.ndarray):
    """C_T, δ^F and ∂C_T/∂θ from the graph with every unit built (nothing pruned)."""
    p = scalar_net.to_values(params)
    total, all_units = None, []
    for image, target in zip(images.tolist(), targets.tolist()):
        units = scalar_net._forward_image(p, image, "max", every_unit=True)
        c = scalar_net._image_cost(units["a_O"], target)
        total = c if total is None else total + c
        all_units.append(units)
    total.backward()
    delta_F = np.stack([scalar_net._grads_of(units["z_F"]) for units in all_units])
    return total.data, delta_F, p.grads()


def _check_same(params: dict[str, np.ndarray], images: np.ndarray, targets: np.ndarray) -> None:
    cost, delta_F, grads = _full_graph_backprop(params, images, targets)
    result = scalar_net.backprop(params, images, targets, "max")
    assert result.cost == cost
    assert np.array_equal(result.delta_F, delta_F)
    for key, grad in grads.items():
        assert np.array_equal(result.gradients[key], grad), key
    assert scalar_net.cost(params, images, targets, "max") == cost


def test_pruned_max_pooling_graph_gives_the_full_graphs_numbers_bit_for_bit() -> None:
    images, targets = load_data()
    _check_same(initial_parameters(), images[:8], targets[:8])


def test_pruned_graph_keeps_the_first_maximum_rule_at_ties() -> None:
    # zero filter weights: every unit of a block has the same a^F, so the first (top-left) one must win
    images, targets = load_data()
    params = initial_parameters()
    params["filter_weights"] = np.zeros_like(params["filter_weights"])
    _check_same(params, images[:3], targets[:3])
    delta_F = scalar_net.backprop(params, images[:3], targets[:3], "max").delta_F  # (3, 3, 4, 4)
    assert np.all(delta_F[:, :, 0::2, 0::2] != 0.0)  # the top-left unit of every block takes δ^P
    delta_F[:, :, 0::2, 0::2] = 0.0
    assert np.all(delta_F == 0.0)  # and no other unit gets anything


def test_pruned_graph_builds_a_quarter_of_the_filter_units() -> None:
    images, _ = load_data()
    p = scalar_net.to_values(initial_parameters())
    units = scalar_net._forward_image(p, images[0].tolist(), "max", every_unit=False)
    built = [z is not None for z in units["z_F"].flat]
    assert sum(built) == 12
    assert all((z is None) == (a is None) for z, a in zip(units["z_F"].flat, units["a_F"].flat))


def test_backprop_and_cost_pause_the_garbage_collector_and_restore_its_state(monkeypatch) -> None:
    import gc

    images, targets = load_data()
    build, seen = scalar_net._build, []

    def spy(*args):
        seen.append(gc.isenabled())
        total, units = build(*args)
        seen.append(gc.isenabled())
        return total, units

    monkeypatch.setattr(scalar_net, "_build", spy)
    was_enabled = gc.isenabled()
    try:
        gc.enable()
        scalar_net.backprop(initial_parameters(), images[:2], targets[:2], "max")
        assert seen == [False, False] and gc.isenabled()
        gc.disable()
        scalar_net.cost(initial_parameters(), images[:2], targets[:2], "max")
        assert seen == [False] * 4 and not gc.isenabled()  # a disabled collector stays disabled
    finally:
        if was_enabled:
            gc.enable()
