"""What a run compares: scenarios per chapter, how each app is started, the options."""

from pathlib import Path

import pytest

from shared.bench import cli
from shared.bench.apps import chapter_app, chapter_settings
from shared.bench.envs import Environment
from shared.bench.errors import BenchmarkError
from shared.bench.postgres import database_name, plain_dsn, with_database
from shared.bench.runner import with_redis_database
from shared.bench.scenarios import CACHE_SETTING, all_scenarios
from shared.chapters import Chapter

ENVIRONMENT = Environment("ch10", Path("/envs/ch10"))


def chapter(tmp_path, number: int, env_example: str = "", deployment: bool = False) -> Chapter:
    path = tmp_path / f"ch{number:02d}"
    path.mkdir()
    (path / ".env.example").write_text(env_example)
    if deployment:
        (path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    return Chapter(name=path.name, number=number, path=path)


def names(scenarios) -> list[str]:
    return [scenario.name for scenario in scenarios]


def test_a_chapter_without_a_cache_runs_every_scenario_but_the_cache_ones(tmp_path):
    scenarios = all_scenarios(chapter(tmp_path, 10), chapter(tmp_path, 9))
    assert names(scenarios) == ["health", "users-me", "todos", "login-storm", "workers"]


def test_a_chapter_with_a_cache_compares_it_on_and_off(tmp_path):
    subject = chapter(tmp_path, 12, f"{CACHE_SETTING}=30\n")
    scenarios = {s.name: s for s in all_scenarios(subject, chapter(tmp_path, 11))}
    assert list(scenarios) == [
        "health",
        "users-me",
        "users-me-cached",
        "cache",
        "todos",
        "login-storm",
        "workers",
    ]
    assert scenarios["users-me"].a.app == "ch12-cache-off"
    assert scenarios["users-me-cached"].a.app == "ch12"
    assert (scenarios["cache"].a.app, scenarios["cache"].b.app) == ("ch12", "ch12-cache-off")
    assert scenarios["todos"].b.app == "ch11"
    # Several workers without Redis turn ch12's cache off: both sides run without it.
    assert (scenarios["workers"].a.app, scenarios["workers"].b.app) == (
        "ch12-2-workers",
        "ch12-cache-off",
    )
    assert scenarios["todos"].target.minimum_ratio == 2.5


def test_todos_are_not_compared_with_a_chapter_before_api_v1(tmp_path):
    assert "todos" not in names(all_scenarios(chapter(tmp_path, 8), chapter(tmp_path, 7)))


def test_the_login_storm_is_measured_against_the_bcrypt_ceiling(tmp_path):
    storm = {s.name: s for s in all_scenarios(chapter(tmp_path, 10), None)}["login-storm"]
    assert storm.a.login and storm.a.path == "/api/v1/auth/token"
    assert storm.b.path is None
    assert storm.target.max_health_p99_ms == 50


def test_chapters_with_a_serve_command_run_it(tmp_path):
    settings = chapter_settings("postgresql+asyncpg://db", "k" * 48, workers=2)
    spec = chapter_app("ch10", chapter(tmp_path, 10, deployment=True), ENVIRONMENT, settings)
    assert spec.command == ["-m", "neodyme", "serve"]
    assert spec.prestart is None
    assert spec.env["NEODYME_WORKERS"] == "2"


def test_chapters_before_ch10_are_migrated_then_served_by_uvicorn_without_access_log(tmp_path):
    settings = chapter_settings("postgresql+asyncpg://db", "k" * 48, workers=1)
    spec = chapter_app("ch09", chapter(tmp_path, 9), ENVIRONMENT, settings)
    assert spec.prestart == ["-m", "alembic", "upgrade", "head"]
    assert spec.command[:3] == ["-m", "uvicorn", "neodyme.main:app"]
    assert "--no-access-log" in spec.command
    assert spec.cwd.name == "ch09"


def test_apps_run_with_production_settings():
    settings = chapter_settings("postgresql+asyncpg://db", "k" * 48, workers=1)
    assert settings["NEODYME_ENVIRONMENT"] == "production"
    assert settings["NEODYME_LOG_LEVEL"] == "WARNING"
    assert int(settings["NEODYME_BCRYPT_ROUNDS"]) >= 12
    assert settings["NEODYME_PORT"] == "{port}"


def test_database_urls_are_rewritten_for_each_app_and_for_asyncpg():
    admin = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    assert with_database(admin, "b1") == "postgresql+asyncpg://postgres@127.0.0.1:5432/b1"
    assert plain_dsn(admin) == "postgresql://postgres@127.0.0.1:5432/postgres"
    name = database_name("ch10-2-workers")
    assert name.startswith("neodyme_bench_ch10_2_workers_")
    assert name != database_name("ch10-2-workers")


def test_each_app_gets_its_own_redis_database():
    assert with_redis_database("redis://127.0.0.1:6379", 0) == "redis://127.0.0.1:6379/0"
    assert with_redis_database("redis://127.0.0.1:6379/10", 2) == "redis://127.0.0.1:6379/12"


def test_quick_runs_are_short_and_written_outside_the_committed_results():
    options = cli.build_options(cli.parse_args(["--quick", "--chapter", "ch10"]))
    assert (options.rounds, options.load.duration_s) == (2, 1)
    full = cli.build_options(cli.parse_args(["--chapter", "ch10", "--scenario", "health"]))
    assert (full.rounds, full.load.duration_s) == (5, 10)
    assert names(full.scenarios) == ["health"]
    assert cli.QUICK_RESULTS_DIR != cli.RESULTS_DIR


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--chapter", "ch10", "--scenario", "nope"], "no scenario nope for ch10"),
        (["--chapter", "ch05"], "--chapter must be one of"),
    ],
)
def test_bad_options_are_one_clear_error(arguments, message):
    with pytest.raises(BenchmarkError, match=message):
        cli.build_options(cli.parse_args(arguments))


@pytest.mark.parametrize("option", ["--rounds", "--duration", "--connections", "--todos"])
@pytest.mark.parametrize("value", ["0", "1.5", "many"])
def test_counts_and_durations_are_whole_numbers_above_zero(option, value, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args([option, value])
    assert "must be a whole number above zero" in capsys.readouterr().err


def test_render_of_a_missing_file_is_one_line(tmp_path, capsys):
    assert cli.main(["--render", str(tmp_path / "nothing.json")]) == 1
    assert capsys.readouterr().err.startswith("bench: error: cannot read results from")


def test_render_prints_the_markdown_of_a_results_file(tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text(
        '{"date": "2026-01-01T00:00:00Z", "settings": {"subject": "ch10", "rounds": 1, '
        '"duration_s": 1, "connections": 1}, "machine": {"cores": 2, "cpu": "x", '
        '"system": "Linux", "python": "3.11", "postgresql": "15", "wrk": "wrk", '
        '"libraries": {}}, "scenarios": []}'
    )
    assert cli.main(["--render", str(results)]) == 0
    assert "Measured 2026-01-01T00:00:00Z" in capsys.readouterr().out
