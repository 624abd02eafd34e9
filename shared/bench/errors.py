"""The one error the harness raises: the benchmark cannot go on, and the message says why."""


class BenchmarkError(RuntimeError):
    """The benchmark cannot go on; the message says why in one line."""
