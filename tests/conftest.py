"""Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- ``ci`` (the default): derandomized, so a red run reproduces; no deadline (shared, noisy machines);
  few enough examples that the whole suite runs in a few minutes on 2 cores.
- ``dev``: random, more examples, for local exploration.
- ``thorough``: at least 1,000 examples per property.
"""

import os

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
