"""Every built-in op's backward agrees with central finite differences on Hypothesis-drawn inputs.

The checks come from the library's registry (``tinygrad_cnn.testing.checks``), the same one the
``tinygrad-cnn gradcheck`` command runs, so the suite and the command cannot drift apart.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing.checks import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
@given(data=st.data())
def test_backward_matches_finite_differences(check, data):
    case = data.draw(check.cases(), label="case")
    assert gradcheck(case.fn, list(case.inputs), **check.gradcheck_options)
