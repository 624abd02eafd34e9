"""The benchmark's arithmetic: medians, nearest-rank percentiles, ratios, medians of rounds."""

import pytest

from shared.bench.measurement import Measurement, median_measurement
from shared.bench.stats import median, percentile, ratio


def test_median_of_an_odd_and_an_even_count():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        median([])


def test_percentile_is_a_value_that_was_observed():
    samples = [float(n) for n in range(100, 0, -1)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("percent", [0, -1, 101])
def test_percentile_outside_zero_to_hundred_is_an_error(percent):
    with pytest.raises(ValueError):
        percentile([1.0], percent)


def test_ratio_is_a_over_b():
    assert ratio(850.0, 1000.0) == pytest.approx(0.85)


def test_a_baseline_of_zero_is_a_failed_measurement_not_infinity():
    with pytest.raises(ValueError):
        ratio(1.0, 0.0)


def test_median_measurement_takes_each_figure_on_its_own():
    rounds = [
        Measurement(100.0, p50_ms=5.0, p99_ms=50.0, requests=1000, extra={"health_p99_ms": 9.0}),
        Measurement(300.0, p50_ms=1.0, p99_ms=10.0, requests=3000, extra={"health_p99_ms": 1.0}),
        Measurement(200.0, p50_ms=3.0, p99_ms=90.0, requests=2000, extra={"health_p99_ms": 4.0}),
    ]
    assert median_measurement(rounds) == Measurement(
        200.0, p50_ms=3.0, p99_ms=50.0, requests=2000, extra={"health_p99_ms": 4.0}
    )


def test_median_measurement_leaves_out_figures_no_round_has():
    summary = median_measurement([Measurement(4.0, extra={"hash_ms": 500.0})])
    assert (summary.p50_ms, summary.p99_ms, summary.requests) == (None, None, None)
    assert summary.to_json() == {"value": 4.0, "hash_ms": 500.0}
