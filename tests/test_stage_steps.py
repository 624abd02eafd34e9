"""Each stage changes only what its lesson needs, and no step between stages is too long to teach.

A stage diff is how an instructor shows a lesson, so every adjacent step is held to a list of
the files it may add, change or remove, and to a budget of changed lines in the application,
its tests and its migrations. A fix carried into every later chapter does not move these
numbers; an edit in one chapter that its neighbours lack does, and fails here until the step
(or this table) is changed on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from itertools import pairwise

import pytest

from shared.chapters import REPOSITORY_ROOT, discover_chapters, discover_tracks
from shared.stagediff.files import FileChange, diff_files
from shared.stagediff.tree import read_tree

CHAPTERS = REPOSITORY_ROOT / "chapters"
COUNTED = ("neodyme/", "tests/", "alembic/")
"""What a step's size counts: the application, its tests and its migrations."""
TARGET = 1300
"""The longest step a chapter should take, in changed lines (added + removed)."""


@dataclass(frozen=True)
class Step:
    """What one chapter may change relative to the previous one, and how much."""

    paths: tuple[str, ...]
    """Glob patterns (``fnmatch``) of the files the step may add, change or remove."""
    budget: int
    """At most this many changed lines under ``COUNTED``."""
    over_target: str = ""
    """Why the budget is above ``TARGET`` for now; empty when it is not."""


COMMON = ("README.md", "pyproject.toml")

STEPS: dict[str, Step] = {
    "ch02": Step(
        (
            "neodyme/core/*",
            "neodyme/main.py",
            "neodyme/models/*",
            "tests/conftest.py",
            "tests/test_openapi.py",
            "tests/test_users.py",
        ),
        budget=340,
    ),
    "ch03": Step(
        (
            "neodyme/main.py",
            "neodyme/models/user.py",
            "neodyme/routes/*",
            "tests/test_openapi.py",
            "tests/test_users.py",
        ),
        budget=490,
    ),
    "ch04": Step(
        (
            "alembic.ini",
            "alembic/*",
            "neodyme/core/migrations.py",
            "neodyme/main.py",
            "neodyme/models/*",
            "tests/conftest.py",
            "tests/test_migrations.py",
            "tests/test_openapi.py",
            "tests/test_users.py",
        ),
        budget=490,
    ),
    "ch05": Step(
        (
            "alembic/env.py",
            "alembic/versions/0003_create_todo.py",
            "neodyme/core/database.py",
            "neodyme/dependencies.py",
            "neodyme/main.py",
            "neodyme/models/todo.py",
            "neodyme/repositories/*",
            "neodyme/routes/*",
            "neodyme/services/*",
            "tests/conftest.py",
            "tests/test_migrations.py",
            "tests/test_openapi.py",
            "tests/test_todo_repository.py",
            "tests/test_todos.py",
            "tests/test_user_repository.py",
        ),
        budget=980,
    ),
    "ch06": Step(
        (
            "neodyme/core/database.py",
            "neodyme/core/exceptions.py",
            "neodyme/dependencies.py",
            "neodyme/main.py",
            "neodyme/models/*",
            "neodyme/repositories/*",
            "neodyme/routes/*",
            "neodyme/resources.py",
            "neodyme/services/todos.py",
            "neodyme/web/*",
            "tests/test_database_outages.py",
            "tests/test_openapi.py",
            "tests/test_problems.py",
            "tests/test_races.py",
            "tests/test_todos.py",
            "tests/test_todo_repository.py",
            "tests/test_users.py",
        ),
        budget=1360,
        over_target=(
            "problems for two resources, the database's failures as 503s and the app's typed"
            " Resources arrive together"
        ),
    ),
    "ch07": Step(
        (
            "alembic/env.py",
            "alembic/versions/*",
            "neodyme/__main__.py",
            "neodyme/core/*",
            "neodyme/dependencies.py",
            "neodyme/main.py",
            "neodyme/models/*",
            "neodyme/repositories/*",
            "neodyme/routes/*",
            "neodyme/resources.py",
            "neodyme/services/*",
            "neodyme/web/middleware.py",
            "neodyme/web/problems.py",
            "tests/*",
        ),
        budget=3190,
        over_target=(
            "passwords, tokens with rotation, login limits, ownership and the CLI are one"
            " lesson, and its tests (test_auth.py alone is 573 lines) come with it"
        ),
    ),
    "ch08": Step(
        (
            ".env.example",
            "alembic.ini",
            "alembic/env.py",
            "neodyme/__main__.py",
            "neodyme/core/config.py",
            "neodyme/core/database.py",
            "neodyme/core/rate_limit.py",
            "neodyme/resources.py",
            "neodyme/core/security.py",
            "neodyme/dependencies.py",
            "neodyme/main.py",
            "neodyme/routes/users.py",
            "neodyme/services/*",
            "tests/*",
        ),
        budget=1200,
    ),
    "ch09": Step(
        (
            "tests/conftest.py",
            "tests/factories.py",
            "tests/test_auth.py",
            "tests/test_cli.py",
            "tests/test_database.py",
            "tests/test_database_outages.py",
            "tests/test_migrations.py",
            "tests/test_problems.py",
            "tests/test_todo_repository.py",
            "tests/test_todos.py",
            "tests/test_user_repository.py",
            "tests/test_users.py",
        ),
        budget=520,
    ),
    "ch10": Step(
        (
            ".dockerignore",
            ".env.example",
            "Dockerfile",
            "docker-compose.yml",
            "alembic/env.py",
            "neodyme/__main__.py",
            "neodyme/core/config.py",
            "neodyme/core/database.py",
            "neodyme/web/docs.py",
            "neodyme/core/exceptions.py",
            "neodyme/core/migrations.py",
            "neodyme/resources.py",
            "neodyme/main.py",
            "neodyme/routes/health.py",
            "tests/conftest.py",
            "tests/processes.py",
            "tests/test_cli.py",
            "tests/test_config.py",
            "tests/test_deployment.py",
            "tests/test_docs.py",
            "tests/test_health.py",
            "tests/test_migrations.py",
        ),
        budget=840,
    ),
    "ch11": Step(
        (
            ".env.example",
            "neodyme/__main__.py",
            "neodyme/core/config.py",
            "neodyme/core/exceptions.py",
            "neodyme/core/security.py",
            "neodyme/dependencies.py",
            "neodyme/main.py",
            "neodyme/observability/*",
            "neodyme/resources.py",
            "neodyme/web/middleware.py",
            "neodyme/web/problems.py",
            "neodyme/routes/health.py",
            "neodyme/routes/metrics.py",
            "tests/conftest.py",
            "tests/test_auth.py",
            "tests/test_deployment.py",
            "tests/test_error_tracking.py",
            "tests/test_health.py",
            "tests/test_logging.py",
            "tests/test_metrics.py",
            "tests/test_problems.py",
            "tests/test_request_id.py",
            "tests/test_security.py",
            "tests/test_todos.py",
        ),
        budget=1320,
        over_target=(
            "logs, metrics, error tracking and the request context are one lesson, and the metrics"
            " also join the app's Resources (resources.py)"
        ),
    ),
    "ch12": Step(
        (
            ".env.example",
            ".github/workflows/deploy.yml",
            "alembic/versions/*",
            "deploy/aws/*",
            "docker-compose.yml",
            "nginx.conf",
            "neodyme/*",
            "tests/*",
        ),
        budget=2310,
        over_target=(
            "caching, shared limits, keyset pages and several processes each bring their tests:"
            " test_cache.py, test_redis.py, test_hot_paths.py and test_scale_out.py"
        ),
    ),
    "ch12-graph": Step(
        (
            ".env.example",
            "alembic/env.py",
            "alembic/versions/0010_*",
            "docker-compose.yml",
            "neodyme/__main__.py",
            "neodyme/core/config.py",
            "neodyme/core/exceptions.py",
            "neodyme/dependencies.py",
            "neodyme/graph/*",
            "neodyme/main.py",
            "neodyme/models/*",
            "neodyme/observability/metrics.py",
            "neodyme/repositories/*",
            "neodyme/resources.py",
            "neodyme/routes/*",
            "neodyme/services/*",
            "neodyme/web/paths.py",
            "neodyme/web/problems.py",
            "tests/*",
        ),
        budget=1940,
        over_target=(
            "a second database is one lesson: the blockers with their recursive SQL, the outbox"
            " and its worker, the projection, and the tests that run it against a real Bolt server"
        ),
    ),
}


def chapter_names() -> list[str]:
    return [chapter.name for chapter in discover_chapters(REPOSITORY_ROOT)]


def steps() -> list[tuple[str, str]]:
    """Each chapter after the one before it; each side track after the chapter it starts from."""
    tracks = [(track.base, track.name) for track in discover_tracks(REPOSITORY_ROOT)]
    return list(pairwise(chapter_names())) + tracks


def changes(old: str, new: str) -> list[FileChange]:
    return diff_files(read_tree(CHAPTERS / old), read_tree(CHAPTERS / new)).changes


def touched_paths(change: FileChange) -> set[str]:
    """Both paths of a renamed file, the one path of any other change."""
    return {side.path for side in (change.old, change.new) if side is not None}


def size(step_changes: list[FileChange]) -> int:
    return sum(
        change.added + change.removed for change in step_changes if change.path.startswith(COUNTED)
    )


def test_every_step_has_an_entry():
    assert sorted(STEPS) == [new for _, new in steps()]


@pytest.mark.parametrize(("old", "new"), steps(), ids=lambda name: name)
def test_a_step_changes_only_the_files_of_its_lesson(old, new):
    allowed = COMMON + STEPS[new].paths
    strays = sorted(
        path
        for change in changes(old, new)
        for path in touched_paths(change)
        if not any(fnmatch(path, pattern) for pattern in allowed)
    )
    assert strays == [], f"{old} -> {new} changes files outside its lesson"


@pytest.mark.parametrize(("old", "new"), steps(), ids=lambda name: name)
def test_a_step_stays_within_its_budget(old, new):
    assert size(changes(old, new)) <= STEPS[new].budget


def test_budgets_above_the_target_say_why():
    over = {name: step for name, step in STEPS.items() if step.budget > TARGET}
    assert all(step.over_target for step in over.values())
    assert not any(step.over_target for name, step in STEPS.items() if name not in over)


def test_the_size_counts_added_and_removed_lines_of_code_tests_and_migrations(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for stage in (old, new):
        (stage / "neodyme").mkdir(parents=True)
    (old / "neodyme" / "app.py").write_text("a = 1\nb = 2\n")
    (new / "neodyme" / "app.py").write_text("a = 1\nb = 3\nc = 4\n")
    (new / "README.md").write_text("prose is not counted\n")

    step_changes = diff_files(read_tree(old), read_tree(new)).changes

    assert size(step_changes) == 3  # b = 2 removed; b = 3 and c = 4 added
    assert {change.path for change in step_changes} == {"neodyme/app.py", "README.md"}
