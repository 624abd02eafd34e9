"""Scenario results: ratio of medians, target evaluation, the JSON record and its Markdown."""

import pytest

from shared.bench.markdown import describe_machine, render_markdown
from shared.bench.measurement import Measurement
from shared.bench.results import ScenarioResult, Target


def result(a: list[float], b: list[float], subject="ch12", target=None, **extra) -> ScenarioResult:
    return ScenarioResult(
        name="users-me",
        title="`users/me` vs raw asyncpg",
        subject=subject,
        a_label="ch12 GET /users/me",
        b_label="raw asyncpg by id",
        unit="req/s",
        a_rounds=[Measurement(value, p50_ms=2.0, p99_ms=9.0, extra=extra) for value in a],
        b_rounds=[Measurement(value, p50_ms=1.0, p99_ms=4.0) for value in b],
        target=target,
    )


def test_the_ratio_is_of_the_medians_not_the_median_of_round_ratios():
    scenario = result(a=[100.0, 200.0, 900.0], b=[100.0, 400.0, 1000.0])
    # Round ratios are 1.0, 0.5 and 0.9 (median 0.9); the medians are 200 and 400.
    assert scenario.ratio == pytest.approx(0.5)


@pytest.mark.parametrize(("a", "met"), [([700.0], True), ([699.0], False)])
def test_a_target_is_met_from_its_minimum_ratio_up(a, met):
    assert result(a=a, b=[1000.0], target=Target(0.7, "ch12")).met is met


def test_a_target_set_for_another_chapter_is_not_judged():
    assert result(a=[1.0], b=[1000.0], subject="ch10", target=Target(0.7, "ch12")).met is None


def test_no_target_is_not_judged():
    assert result(a=[1.0], b=[1.0]).met is None


@pytest.mark.parametrize(("health_p99_ms", "met"), [(49.9, True), (50.0, False)])
def test_the_login_storm_also_bounds_health_latency(health_p99_ms, met):
    target = Target(0.8, "ch12", max_health_p99_ms=50)
    storm = result(a=[9.0], b=[10.0], target=target, health_p99_ms=health_p99_ms)
    assert storm.met is met


def test_the_login_storm_without_a_probe_figure_is_not_met():
    target = Target(0.8, "ch12", max_health_p99_ms=50)
    assert result(a=[9.0], b=[10.0], target=target).met is False


def test_the_json_records_rounds_medians_ratio_and_target():
    data = result(a=[300.0, 100.0, 200.0], b=[400.0] * 3, target=Target(0.7, "ch12")).to_json()
    assert [r["value"] for r in data["a"]["rounds"]] == [300.0, 100.0, 200.0]
    assert data["a"]["median"] == {"value": 200.0, "p50_ms": 2.0, "p99_ms": 9.0}
    assert data["b"]["label"] == "raw asyncpg by id"
    assert data["ratio"] == 0.5
    assert data["target"] == {"minimum_ratio": 0.7, "chapter": "ch12"}
    assert data["target_text"] == "≥ 0.7 (ch12)"
    assert data["met"] is False


MACHINE = {
    "cores": 2,
    "cpu": "AMD EPYC",
    "system": "Linux 6.1",
    "python": "3.11.7",
    "postgresql": "15.20",
    "wrk": "wrk 4.1.0",
    "libraries": {"fastapi": "0.165.0", "sqlalchemy": "2.1.9", "redis": "6.1.0"},
}


def results_file(*scenarios: ScenarioResult, note=None) -> dict:
    return {
        "date": "2026-11-21T23:00:00Z",
        "note": note,
        "settings": {"subject": "ch12", "rounds": 5, "duration_s": 10.0, "connections": 16},
        "machine": MACHINE,
        "scenarios": [scenario.to_json() for scenario in scenarios],
    }


def test_markdown_has_one_row_per_scenario_with_figures_ratio_and_verdict():
    login = Target(0.8, "ch12", max_health_p99_ms=50)
    markdown = render_markdown(
        results_file(
            result(a=[800.0], b=[1000.0], target=Target(0.7, "ch12")),
            result(a=[5.0], b=[10.0], target=login, health_p99_ms=12.5),
        )
    )
    rows = [line for line in markdown.splitlines() if line.startswith("| `users/me`")]
    assert len(rows) == 2
    assert rows[0].split(" | ")[3:8] == [
        "800.0 req/s, p50 2.0 ms, p99 9.0 ms",
        "1,000.0 req/s, p50 1.0 ms, p99 4.0 ms",
        "**0.80**",
        "≥ 0.7 (ch12)",
        "yes |",
    ]
    assert "/health p99 12.5 ms" in rows[1]
    assert rows[1].endswith("| **no** |")


def test_markdown_states_when_where_and_how_it_was_measured():
    data = results_file(result(a=[1.0], b=[1.0]), note="other jobs ran")
    data["load_average"] = {"start": [3.5, 2.0, 1.0], "end": [4.25, 3.0, 2.0]}
    markdown = render_markdown(data)
    assert "Measured 2026-11-21T23:00:00Z" in markdown
    assert "(5 rounds of 10 s per side" in markdown
    assert "Load average (1 min): 3.5 at the start, 4.25 at the end." in markdown
    assert "Note: other jobs ran" in markdown
    assert "| — | — |" in markdown


def test_a_quick_run_says_so():
    data = results_file(result(a=[1.0], b=[1.0]))
    assert "quick smoke run" not in render_markdown(data)
    assert "quick smoke run" in render_markdown({**data, "quick": True})


def test_machine_description_names_cores_software_and_versions_in_a_fixed_order():
    assert describe_machine(MACHINE) == (
        "2 cores (AMD EPYC), Linux 6.1, Python 3.11.7, PostgreSQL 15.20, wrk 4.1.0; "
        "fastapi 0.165.0, sqlalchemy 2.1.9."
    )


def test_a_pipe_in_a_label_does_not_break_the_table():
    scenario = result(a=[1.0], b=[1.0])
    data = results_file(scenario)
    data["scenarios"][0]["a"]["label"] = "a | b"
    assert "a \\| b" in render_markdown(data)
