"""The load test's results: written as JSON and Markdown, and the Markdown says what was found."""

import json

import pytest

from shared.bench.cli import write_results
from shared.load.cli import RESULTS_DIR, build_options, parse_args
from shared.load.report import render_markdown


def step(users: int, held: bool, **changes) -> dict:
    return {
        "users": users,
        "requests": users * 10,
        "failures": 0,
        "requests_per_s": users / 3,
        "p50_ms": 12,
        "p95_ms": 40 if held else 450,
        "p99_ms": 90 if held else 900,
        "server_cores": 0.9,
        "locust_cores": 0.2,
        "machine_busy": 0.55,
        "load_average_1min": 1.5,
        "held": held,
        "errors": [],
        **changes,
    }


@pytest.fixture
def results() -> dict:
    held_step, failed_step = step(300, True), step(600, False, failures=3)
    return {
        "measured_at": "2026-12-06T16:00:00Z",
        "wall_time_s": 500,
        "quick": False,
        "note": "a shared machine",
        "machine": {
            "cores": 2,
            "cpu": "Some CPU",
            "system": "Linux 6",
            "python": "3.11.7",
            "postgresql": "15.20",
            "locust": "2.47.0",
            "libraries": {"fastapi": "0.165.0", "redis": "8.2.0"},
        },
        "load_average": {"start": [0.5, 0.4, 0.3], "end": [2.0, 1.0, 0.5]},
        "settings": {
            "chapter": "ch12",
            "limit_ms": 200.0,
            "first_users": 25,
            "refinements": 2,
            "window_s": 30,
            "settle_s": 5,
            "think_time_s": [1, 5],
        },
        "runs": [
            {
                "workers": 1,
                "steps": [failed_step, held_step],
                "sustained": held_step,
                "saturated": failed_step,
            },
            {"workers": 2, "steps": [step(25, False)], "sustained": None, "saturated": None},
        ],
        "capacity": {
            "assumptions": {"active_fraction": 0.1, "actions_per_minute": 4.0, "headroom": 0.7},
            "ceiling_rps": 100.0,
            "simulated_users": 300,
            "simulated_actions_per_minute": 20.0,
            "registered": {
                "people_active": 1000.0,
                "demand_rps": 66.7,
                "replica_rps": 70.0,
                "replicas": 2,
            },
            "concurrent": {
                "people_active": 10000.0,
                "demand_rps": 666.7,
                "replica_rps": 70.0,
                "replicas": 10,
            },
            "workers": 1,
        },
    }


def test_the_markdown_gives_the_users_the_saturation_and_both_answers(results):
    text = render_markdown(results)

    assert "**300 concurrent users** held, at 100.0 req/s with p95 40 ms" in text
    assert "0.90 cores (9.0 ms of CPU per request)" in text
    assert "At 600 users it saturated (3 requests failed)" in text
    assert "**2 workers**: no step held" in text
    assert "Note: a shared machine" in text
    assert "0.5 at the start, 2.0 at the end" in text
    assert "10,000 × 10% = 1,000 active; × 4 ÷ 60 = 66.7 req/s; ÷ 70.0 → **2 replicas**" in text
    assert "10,000 × 4 ÷ 60 = 666.7 req/s; ÷ 70.0 → **10 replicas**" in text
    assert "9.0 ms of CPU per request, so each core" in text
    assert "at most about 111 req/s" in text


def test_a_saturation_with_the_server_starved_of_cpu_says_so(results):
    assert "the server waited for CPU rather than using up its own" not in render_markdown(results)

    results["runs"][0]["saturated"] |= {"machine_busy": 0.99, "server_cores": 0.1}
    assert "the server waited for CPU rather than using up its own" in render_markdown(results)


def test_the_journey_of_the_sustained_step_is_shown_request_by_request(results):
    results["runs"][0]["sustained"]["requests_by_name"] = {
        "POST /api/v1/todos": {"requests": 25, "failures": 0, "p95_ms": 30},
        "GET /api/v1/todos": {"requests": 75, "failures": 0, "p95_ms": 20},
    }
    text = render_markdown(results)

    assert "The journey at 300 users, request by request:" in text
    assert text.index("| `GET /api/v1/todos` | 75 | 75% | 0 | 20 |") < text.index(
        "| `POST /api/v1/todos` | 25 | 25% | 0 | 30 |"
    )


def test_the_steps_table_is_in_order_of_users(results):
    rows = [line for line in render_markdown(results).splitlines() if line.startswith("| 300")]
    text = render_markdown(results)

    assert len(rows) == 1
    assert text.index("| 300 |") < text.index("| 600 |")
    assert "| 600 | 200.0 | 12 | 450 | 900 | 3 | 0.90 | 55% | 0.20 | 1.5 | **no** |" in text


def test_written_results_read_back_and_match_their_markdown(results, tmp_path):
    markdown = write_results(results, tmp_path, render=render_markdown)

    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert (tmp_path / "results.md").read_text() == markdown == render_markdown(results)


def test_a_quick_run_is_small_and_the_full_run_steps_both_worker_counts():
    quick = build_options(parse_args(["--quick"]))
    full = build_options(parse_args([]))

    assert quick.workers == [1] and quick.plan.ceiling <= 20 and quick.window_s <= 10
    assert full.workers == [1, 2] and full.plan.first == 25 and full.limit_ms == 200
    assert build_options(parse_args(["--quick", "--workers", "2"])).workers == [2]


def test_the_committed_markdown_is_the_committed_json_rendered():
    committed = json.loads((RESULTS_DIR / "results.json").read_text())

    assert (RESULTS_DIR / "results.md").read_text() == render_markdown(committed)
    assert not committed["quick"]
    assert {run["workers"] for run in committed["runs"]} == {1, 2}
