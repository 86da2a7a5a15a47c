"""The Hessian of C_T in the six biases, MATH.md (H1)-(H6): the formulas (plain numpy), central differences of
the formulas' own gradient and the tensor engine's double backward agree to 1e-9 or better."""

from __future__ import annotations

import re
from importlib.resources import files

import numpy as np
import pytest

from tinygrad_cnn.cli import textbook as cli
from tinygrad_cnn.textbook import formulas, hessian, initial_parameters, load_data, optimized_parameters, tensor_net
from tinygrad_cnn.textbook.comparison import HESSIAN_TOLERANCE, HessianComparison, compare_hessians

IMAGES, TARGETS = load_data()
PARAMETERS = {"initial": initial_parameters(), "optimized": optimized_parameters()}


@pytest.mark.parametrize("pool", formulas.POOLS)
@pytest.mark.parametrize("which", sorted(PARAMETERS))
def test_the_formulas_differences_and_engine_agree_to_1e_9(which, pool):
    result = compare_hessians(PARAMETERS[which], IMAGES, TARGETS, pool)
    assert result.agrees(), result.pairs
    assert max(result.pairs.values()) <= HESSIAN_TOLERANCE
    assert result.pairs[("formulas", "engine")] <= 1e-13  # two exact computations: rounding only
    assert np.abs(result.formulas).max() > 1e-2  # not trivially zero


def test_the_hessian_is_symmetric_and_the_output_block_diagonal():
    h = hessian.bias_hessian(initial_parameters(), IMAGES, TARGETS)
    np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(h[:3, :3], np.diag(np.diag(h[:3, :3])))  # (H2)


def test_the_output_block_is_the_second_unit_error_summed_over_images():
    # (H1), (H2) written out for every image from forward's units
    units = formulas.forward(initial_parameters(), IMAGES)
    s = formulas.sigmoid(units["z_O"])
    eps = (s * (1 - s)) ** 2 + (units["a_O"] - TARGETS) * s * (1 - s) * (1 - 2 * s)
    h = hessian.bias_hessian(initial_parameters(), IMAGES, TARGETS)
    np.testing.assert_allclose(np.diag(h[:3, :3]), eps.sum(axis=0), rtol=1e-13)


def test_max_pooling_curvature_is_sigma_second_at_the_winner():
    # one image, one filter: (H5) for max pooling is a''(z^F) of the block's first maximum
    params, image, target = initial_parameters(), IMAGES[5], TARGETS[5]
    units = formulas.forward(params, image)
    g = formulas.pooling_factor(units["a_F"], "max")  # (3, 4, 4): the indicator (23)
    winners = hessian.sigmoid_second(units["z_F"])[g == 1].reshape(3, 2, 2)  # row-major: one per block
    d_aP = np.einsum("n,nkij->kij", formulas.deltas(params, image, target)["delta_O"], params["output_weights"])
    s_F = formulas.sigmoid(units["z_F"])
    s = (g * s_F * (1 - s_F)).reshape(3, 2, 2, 2, 2).sum(axis=(2, 4))  # (H3) by block (k, i', j')
    u = np.einsum("nkij,kij->nk", params["output_weights"], s)
    s_O = formulas.sigmoid(units["z_O"])
    eps = (s_O * (1 - s_O)) ** 2 + (units["a_O"] - target) * s_O * (1 - s_O) * (1 - 2 * s_O)
    expected = np.einsum("n,nk,nl->kl", eps, u, u) + np.diag((d_aP * winners).sum(axis=(1, 2)))  # (H6)
    np.testing.assert_allclose(hessian.bias_hessian(params, image, target)[3:, 3:], expected, rtol=1e-12)


def test_the_engine_hessian_is_the_tensor_nets_double_backward():
    h = tensor_net.bias_hessian(initial_parameters(), IMAGES[:10], TARGETS[:10], "l2")
    np.testing.assert_allclose(h, hessian.bias_hessian(initial_parameters(), IMAGES[:10], TARGETS[:10], "l2"),
                               rtol=0, atol=1e-13)


def test_bad_input_is_refused_as_in_the_formulas():
    with pytest.raises(ValueError, match="pool must be one of"):
        hessian.bias_hessian(initial_parameters(), IMAGES, TARGETS, pool="median")
    with pytest.raises(ValueError, match="targets must have shape"):
        hessian.bias_hessian(initial_parameters(), IMAGES, TARGETS[:3])
    with pytest.raises(ValueError, match="missing key"):
        tensor_net.bias_hessian({"filter_weights": np.zeros((3, 3, 3))}, IMAGES, TARGETS)


def test_math_md_states_h1_to_h6_and_indexes_them():
    document = "MATH.md"
    text = files("tinygrad_cnn.textbook").joinpath(document).read_text(encoding="utf-8")
    body, _, index = text.partition("## Index from each equation to the code")
    contents = body[: body.index("## Where the code differs")]
    assert "(H1)-(H6)" in contents  # listed at the top
    for n in range(1, 7):
        assert re.search(rf"\*\*\(H{n}\)\*\*", body), f"(H{n}) is not stated"
        section = index[index.index("### The Hessian of C_T in the biases"):]
        assert re.search(rf"\(H{n}\)", section), f"(H{n}) is not in the index"


def test_the_textbook_command_prints_the_hessian_line_and_fails_on_a_disagreement(monkeypatch, capsys):
    assert cli.main(["--steps", "0"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("Hessian of C_T in the 6 biases"))
    assert "formulas vs differences" in line and "formulas vs engine" in line and "differences vs engine" in line
    bad = HessianComparison(np.zeros((6, 6)), np.zeros((6, 6)), np.ones((6, 6)),
                            {("formulas", "differences"): 0.0, ("formulas", "engine"): 1.0})
    monkeypatch.setattr(cli, "compare_hessians", lambda *args, **kwargs: bad)
    assert cli.main(["--steps", "0"]) == 1
    assert "bias Hessians disagree: formulas vs engine" in capsys.readouterr().err
