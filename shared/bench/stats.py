"""Medians, percentiles and ratios: the arithmetic behind every figure in the results."""

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("the median of no values is undefined")
    return statistics.median(values)


def percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: a value that was really observed, as wrk reports it."""
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], not {percent}")
    ordered = sorted(values)
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[rank - 1]


def ratio(a: float, b: float) -> float:
    """A's figure over B's; a B of zero means the measurement failed, not an infinite ratio."""
    if b <= 0:
        raise ValueError(f"cannot compare against a baseline of {b}")
    return a / b
