"""The GitHub Actions workflow that readers' forks run: valid, and covering every chapter."""

import subprocess
import sys
from pathlib import Path

import yaml

from shared.chapters import REPOSITORY_ROOT, discover_snapshots

WORKFLOW = REPOSITORY_ROOT / ".github" / "workflows" / "ci.yml"


def default_nox_sessions() -> list[str]:
    """What a bare ``nox`` runs: ``nox --list`` marks those sessions with ``*``."""
    listing = subprocess.run(
        [Path(sys.executable).with_name("nox"), "--list"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split()[1] for line in listing.stdout.splitlines() if line.startswith("* ")]


def load_workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_is_valid_against_the_github_workflow_schema():
    result = subprocess.run(
        [
            Path(sys.executable).with_name("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            WORKFLOW,
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_tests_every_chapter_folder_and_side_track():
    matrix = load_workflow()["jobs"]["chapter"]["strategy"]["matrix"]["chapter"]

    assert matrix == [snapshot.name for snapshot in discover_snapshots()]


def test_chapter_jobs_run_with_postgresql_and_redis_required():
    job = load_workflow()["jobs"]["chapter"]

    assert set(job["services"]) == {"postgres", "redis"}
    assert job["env"]["NEODYME_REQUIRE_SERVICES"] == "1"
    assert job["env"]["NEODYME_TEST_POSTGRES_URL"].startswith("postgresql+asyncpg://")
    assert job["steps"][-1]["run"] == "nox -s ${{ matrix.chapter }}"


def test_workflow_runs_every_session_nox_runs_by_default():
    jobs = load_workflow()["jobs"]
    sessions = [snapshot.name for snapshot in discover_snapshots()]
    sessions += jobs["tooling"]["strategy"]["matrix"]["session"]
    sessions += jobs["battery"]["strategy"]["matrix"]["session"]

    assert sorted(sessions) == sorted(default_nox_sessions())


def test_the_battery_runs_with_postgresql_and_redis_required():
    job = load_workflow()["jobs"]["battery"]

    assert set(job["services"]) == {"postgres", "redis"}
    assert job["env"]["NEODYME_REQUIRE_SERVICES"] == "1"
    assert job["steps"][-1]["run"] == "nox -s ${{ matrix.session }}"
