"""Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- ``ci`` (the default): derandomized, so a red run reproduces; no deadline (shared, noisy machines);
  few enough examples that the whole suite runs in a few minutes on 2 cores.
- ``dev``: random, more examples, for local exploration.
- ``thorough``: at least 1,000 examples per property.
"""

import os
import re

import pytest
from hypothesis import HealthCheck, settings

_quiet_health = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", max_examples=25, derandomize=True, deadline=None, print_blob=True, suppress_health_check=_quiet_health
)
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_quiet_health)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, print_blob=True, suppress_health_check=_quiet_health
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ------------------------------------------------------------------------------------------ optional packages
# What to install for each optional package a test may need. A test that imports one with
# ``pytest.importorskip`` is skipped without it, and its reason then says which extra brings it
# (tests/test_ci.py checks that every package a test skips on is listed here).
OPTIONAL = {
    "torch": "PyTorch (pip install torch; its CPU-only build is enough)",
    "sklearn": "scikit-learn, the 'digits' extra (pip install -e \".[digits]\")",
    "matplotlib": "matplotlib, the 'plot' extra (pip install -e \".[plot]\")",
    "micrograd": "micrograd, the 'compare' extra (pip install -e \".[compare]\")",
    "mygrad": "MyGrad, the 'compare' extra (pip install -e \".[compare]\")",
    "threadpoolctl": "threadpoolctl, the 'bench' extra (pip install -e \".[bench]\")",
    "tqdm": "tqdm, the 'progress' extra (pip install -e \".[progress]\")",
    "nbclient": "nbclient, the 'notebooks' extra (pip install -e \".[notebooks]\")",
    "nbformat": "nbformat, the 'notebooks' extra (pip install -e \".[notebooks]\")",
    "ipykernel": "ipykernel, the 'notebooks' extra (pip install -e \".[notebooks]\")",
}
_NOT_IMPORTED = re.compile(r"could not import '([\w.]+)'")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Name the extra in the reason of a test skipped for a missing optional package."""
    report = (yield).get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        found = _NOT_IMPORTED.search(reason)
        if found and found.group(1).split(".")[0] in OPTIONAL:
            report.longrepr = (path, line, f"needs {OPTIONAL[found.group(1).split('.')[0]]}: {reason}")
