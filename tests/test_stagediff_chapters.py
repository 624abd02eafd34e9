"""The stage diff on the book's real chapters: it reports the lessons the chapters teach."""

import pytest

from shared.chapters import REPOSITORY_ROOT, discover_chapters
from shared.stagediff import compare, render_html, render_markdown, render_text
from shared.stagediff.dependencies import DependencyStatus
from shared.stagediff.files import FileStatus
from shared.stagediff.migrations import MigrationStatus
from shared.stagediff.symbols import SymbolCategory

CHAPTERS = REPOSITORY_ROOT / "chapters"
MOVES = {SymbolCategory.MOVED, SymbolCategory.MOVED_AND_CHANGED}


def diff_of(old: str, new: str):
    return compare(CHAPTERS / old, CHAPTERS / new)


def test_ch02_to_ch03_moves_the_user_routes_out_of_main():
    moved = {
        (change.old.path, change.new.path, change.new.name)
        for change in diff_of("ch02", "ch03").symbols
        if change.category in MOVES
    }

    assert {
        ("neodyme/main.py", "neodyme/routes/users.py", name)
        for name in ("create_user", "read_user", "list_users")
    } <= moved


def test_ch04_to_ch05_reports_the_repository_extraction():
    diff = diff_of("ch04", "ch05")
    symbols = {
        (change.category, change.symbol.path, change.symbol.qualname) for change in diff.symbols
    }
    files = {change.path: change.status for change in diff.files.changes}

    assert (SymbolCategory.CHANGED, "neodyme/routes/users.py", "get_user_or_404") in symbols
    assert (SymbolCategory.ADDED, "neodyme/repositories/user.py", "UserRepository") in symbols
    extracted = {
        (change.old.qualname, change.new.qualname)
        for change in diff.symbols
        if change.category is SymbolCategory.EXTRACTED and change.old and change.new
    }
    assert ("create_user", "UserRepository.create") in extracted
    assert ("delete_user", "UserRepository.delete") in extracted
    assert files["neodyme/dependencies.py"] is FileStatus.ADDED
    assert files["neodyme/routes/users.py"] is FileStatus.CHANGED


def test_ch04_to_ch05_commit_or_409_became_the_repositorys_commit():
    [moment] = [
        change
        for change in diff_of("ch04", "ch05").symbols
        if change.old is not None and change.old.qualname == "commit_or_409"
    ]

    assert moment.category is SymbolCategory.RENAMED_AND_CHANGED
    assert moment.new is not None
    assert (moment.old.path, moment.new.path, moment.new.qualname) == (
        "neodyme/routes/users.py",
        "neodyme/repositories/user.py",
        "UserRepository._commit",
    )
    assert "commit_or_409 → UserRepository._commit" in render_text(diff_of("ch04", "ch05"))


def test_ch07_to_ch08_adds_pydantic_settings():
    added = {
        (change.group, change.name)
        for change in diff_of("ch07", "ch08").dependencies
        if change.status is DependencyStatus.ADDED
    }

    assert ("dependencies", "pydantic-settings") in added


def added_migrations(old: str, new: str) -> list[str]:
    return [
        change.revision.revision
        for change in diff_of(old, new).migrations.changes
        if change.status is MigrationStatus.ADDED
    ]


def test_ch04_to_ch05_adds_the_todo_migration_0003():
    migrations = diff_of("ch04", "ch05").migrations

    assert added_migrations("ch04", "ch05") == ["0003"]
    assert (migrations.old_heads, migrations.new_heads) == (["0002"], ["0003"])


def test_ch06_to_ch07_adds_migrations_0004_to_0008():
    migrations = diff_of("ch06", "ch07").migrations

    assert added_migrations("ch06", "ch07") == ["0004", "0005", "0006", "0007", "0008"]
    assert (migrations.old_heads, migrations.new_heads) == (["0003"], ["0008"])


def test_a_stage_compared_with_itself_is_empty():
    diff = diff_of("ch05", "ch05")

    assert (diff.files.changes, diff.symbols, diff.dependencies) == ([], [], [])


NEIGHBOURS = [
    (older.name, newer.name)
    for older, newer in zip(discover_chapters(), discover_chapters()[1:], strict=False)
]


@pytest.mark.parametrize(("old", "new"), NEIGHBOURS, ids=[f"{a}-{b}" for a, b in NEIGHBOURS])
def test_every_neighbouring_pair_renders_in_every_format(old, new):
    diff = diff_of(old, new)

    assert render_text(diff).startswith(f"Stage diff: {old} → {new}")
    assert render_html(diff).startswith("<!DOCTYPE html>")
    assert "### Files" in render_markdown(diff)
