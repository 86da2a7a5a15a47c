"""Benchmark cases, one module per topic.

Each public module here (a name not starting with ``_``) defines ``CASES``, a
list of :class:`benchmarks.harness.Case`; the harness imports them all. Keep
module import cheap: import peers and build data inside the factories, so that
a missing peer is a note in the table and ``--list`` stays instant.
"""
