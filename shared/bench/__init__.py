"""``nox -s bench``: how fast each stage is, measured as ratios against practical ceilings.

These machines are noisy, so no absolute number is trusted on its own: every figure is the
ratio of two medians taken in one run, with the two sides (A and B) measured in alternating
rounds, A, B, A, B, so that whatever else the machine does falls on both.

The orchestrator uses only the standard library. The apps under test run as real servers, each
in its own virtual environment (every chapter installs the package ``neodyme``), on a fresh
PostgreSQL database, and ``wrk`` drives the load.
"""
