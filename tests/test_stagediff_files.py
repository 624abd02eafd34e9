"""File-level comparison: noise left out, renames found by similarity, +/- counts."""

import subprocess
from pathlib import Path

import pytest

from shared.stagediff import compare
from shared.stagediff.files import FileStatus, unified_diff
from shared.stagediff.tree import read_tree

BODY = "".join(f"line {number}\n" for number in range(1, 21))


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def statuses(old: Path, new: Path, **options) -> dict[str, tuple]:
    diff = compare(old, new, **options)
    return {
        change.path: (change.status, change.old.path if change.old else None)
        for change in diff.files.changes
    }


NOISE = {
    "neodyme/__pycache__/main.cpython-311.pyc": b"\0compiled",
    "neodyme/stale.pyc": b"\0compiled",
    "neodyme.db": b"SQLite format 3\0",
    "neodyme.db-journal": b"\0",
    "neodyme.egg-info/PKG-INFO": "Name: neodyme\n",
    ".nox/tools/bin/python": "#!\n",
    ".venv/bin/python": "#!\n",
    ".pytest_cache/README.md": "cache\n",
    ".ruff_cache/CACHEDIR.TAG": "tag\n",
    "build/lib/neodyme/main.py": "x = 1\n",
    "dist/neodyme-0.1.0.tar.gz": b"\x1f\x8b",
    "site/index.html": "<html>\n",
    ".coverage": b"\0",
    "htmlcov/index.html": "<html>\n",
}


def test_noise_never_appears(tmp_path):
    old = write(tmp_path / "old", {"neodyme/main.py": BODY})
    new = write(tmp_path / "new", {"neodyme/main.py": BODY, **NOISE})

    assert sorted(read_tree(new)) == ["neodyme/main.py"]
    assert compare(old, new).files.changes == []


def test_env_example_is_source_but_a_local_env_is_not(tmp_path):
    stage = write(tmp_path, {".env": "SECRET=x\n", ".env.example": "SECRET=\n"})

    assert sorted(read_tree(stage)) == [".env.example"]


def test_added_removed_and_changed_with_line_counts(tmp_path):
    old = write(tmp_path / "old", {"same.py": BODY, "edited.py": BODY, "gone.txt": "bye\n"})
    new = write(
        tmp_path / "new",
        {
            "same.py": BODY,
            "edited.py": BODY.replace("line 5\n", "line five\nline 5.5\n"),
            "fresh.md": "# hi\n\ntext\n",
        },
    )

    diff = compare(old, new)
    found = {
        change.path: (change.status, change.added, change.removed) for change in diff.files.changes
    }

    assert found == {
        "edited.py": (FileStatus.CHANGED, 2, 1),
        "fresh.md": (FileStatus.ADDED, 3, 0),
        "gone.txt": (FileStatus.REMOVED, 0, 1),
    }
    assert diff.files.unchanged == 1


def test_a_moved_file_is_a_rename_even_with_small_edits(tmp_path):
    old = write(tmp_path / "old", {"tests/test_repository.py": BODY})
    new = write(
        tmp_path / "new", {"tests/test_database.py": BODY.replace("line 3\n", "line three\n")}
    )

    assert statuses(old, new) == {
        "tests/test_database.py": (FileStatus.RENAMED, "tests/test_repository.py")
    }
    (change,) = compare(old, new).files.changes
    assert change.similarity == 0.95


def test_the_rename_threshold_is_configurable(tmp_path):
    half = BODY[: len(BODY) // 2]
    old = write(tmp_path / "old", {"a.py": BODY})
    new = write(tmp_path / "b", {"b.py": half + "".join(f"new {n}\n" for n in range(12))})

    assert statuses(old, new)["b.py"][0] is FileStatus.ADDED
    assert statuses(old, new, similarity=0.3)["b.py"] == (FileStatus.RENAMED, "a.py")


def test_the_most_similar_pair_wins_and_empty_files_are_never_renames(tmp_path):
    old = write(tmp_path / "old", {"one.py": BODY, "empty_a/__init__.py": ""})
    new = write(
        tmp_path / "new",
        {
            "close.py": BODY.replace("line 1\n", "line one\n"),
            "closer.py": BODY + "line 21\n",
            "empty_b/__init__.py": "",
        },
    )

    assert statuses(old, new) == {
        "close.py": (FileStatus.ADDED, None),
        "closer.py": (FileStatus.RENAMED, "one.py"),
        "empty_a/__init__.py": (FileStatus.REMOVED, "empty_a/__init__.py"),
        "empty_b/__init__.py": (FileStatus.ADDED, None),
    }


def test_binary_files_are_compared_not_diffed(tmp_path):
    old = write(tmp_path / "old", {"logo.png": b"\x89PNG\0\1"})
    new = write(tmp_path / "new", {"logo.png": b"\x89PNG\0\2"})

    (change,) = compare(old, new).files.changes

    assert change.binary
    assert unified_diff(change, "old", "new") == [
        "Binary files old/logo.png and new/logo.png differ"
    ]


def test_unified_diff_looks_like_git(tmp_path):
    old = write(tmp_path / "old", {"f.txt": BODY})
    new = write(tmp_path / "new", {"f.txt": BODY.replace("line 10\n", "line ten\n")})

    (change,) = compare(old, new).files.changes

    assert unified_diff(change, "ch01", "ch02") == [
        "--- ch01/f.txt",
        "+++ ch02/f.txt",
        "@@ -7,7 +7,7 @@",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+line ten",
        " line 11",
        " line 12",
        " line 13",
    ]


def test_a_missing_final_newline_is_marked(tmp_path):
    old = write(tmp_path / "old", {"f.txt": "a\nb"})
    new = write(tmp_path / "new", {"f.txt": "a\nc\n"})

    (change,) = compare(old, new).files.changes

    assert unified_diff(change, "o", "n")[2:] == [
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "\\ No newline at end of file",
        "+c",
    ]


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *arguments,
        ],
        cwd=repository,
        capture_output=True,
        check=True,
    )


@pytest.fixture
def repository(tmp_path) -> Path:
    """Two committed stages; after the commit a reader's Hands-on left ``ada.json`` in ch07 and
    the virtual environment is ignored."""
    write(tmp_path / "ch06", {"neodyme/main.py": BODY})
    write(tmp_path / "ch07", {"neodyme/main.py": BODY + "line 21\n", ".gitignore": ".venv/\n"})
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "stages")
    write(tmp_path / "ch07", {"ada.json": '{"name": "Ada"}\n', ".venv/bin/python": "#!\n"})
    return tmp_path


def test_in_git_a_stage_is_what_git_tracks(repository):
    assert sorted(read_tree(repository / "ch07")) == [".gitignore", "neodyme/main.py"]
    changes = compare(repository / "ch06", repository / "ch07").files.changes
    assert [change.path for change in changes] == [".gitignore", "neodyme/main.py"]


def test_untracked_files_that_git_does_not_ignore_only_when_asked(repository):
    assert sorted(read_tree(repository / "ch07", untracked=True)) == [
        ".gitignore",
        "ada.json",
        "neodyme/main.py",
    ]
    changes = compare(repository / "ch06", repository / "ch07", untracked=True).files.changes
    assert "ada.json" in {change.path for change in changes}


def test_outside_git_the_noise_rules_decide(tmp_path):
    stage = write(
        tmp_path, {"neodyme/main.py": BODY, "ada.json": "{}\n", ".venv/bin/python": "#!\n"}
    )

    assert sorted(read_tree(stage)) == ["ada.json", "neodyme/main.py"]
    assert sorted(read_tree(stage, untracked=True)) == ["ada.json", "neodyme/main.py"]
