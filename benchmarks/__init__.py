"""Benchmarks of tinygrad_cnn against peer libraries, measured in one process.

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``) from the
repository root; see ``benchmarks/README.md``. Cases live in
``benchmarks/cases/<topic>.py``, each module defining ``CASES``, a list of
:class:`benchmarks.harness.Case`.
"""

from benchmarks.harness import Case, PeerUnavailable

__all__ = ["Case", "PeerUnavailable"]
