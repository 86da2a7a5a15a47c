"""Every built-in op's backward agrees with central finite differences on Hypothesis-drawn inputs.

The checks come from the library's registry (``tinygrad_cnn.testing.checks``), the same one the
``tinygrad-cnn gradcheck`` command runs, so the suite and the command cannot drift apart.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.checks import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
@given(data=st.data())
def test_backward_matches_finite_differences(check, data):
    case = data.draw(check.cases(), label="case")
    assert gradcheck(case.fn, list(case.inputs), **check.gradcheck_options)


SECOND_ORDER = [c for c in CHECKS if c.second_order]
FIRST_ORDER_ONLY = [c for c in CHECKS if not c.second_order]


@pytest.mark.parametrize("check", SECOND_ORDER, ids=[c.name for c in SECOND_ORDER])
@settings(max_examples=max(10, settings.default.max_examples // 2))  # half the profile's: each is n² FD points
@given(data=st.data())
def test_double_backward_matches_finite_differences_of_the_gradient(check, data):
    case = data.draw(check.cases(), label="case")
    assert gradgradcheck(case.fn, list(case.inputs), **check.gradcheck_options)


def test_every_built_in_op_is_property_tested_at_second_order():
    # the refusal of a numpy-only backward is tested on a user's Function in test_higher_order.py
    assert [c.name for c in FIRST_ORDER_ONLY] == []
