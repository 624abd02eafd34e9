"""Read a stage directory into memory, leaving out everything that is not source.

A stage folder on a reader's disk also holds virtual environments, caches, SQLite databases,
build output and the scratch files of a Hands-on (``ada.json``). None of it is part of the
lesson, so none of it may appear in a stage diff. Inside a git work tree the stage's files are
the ones git tracks, plus, only when asked, untracked files that git does not ignore. Outside
git (or in a folder git tracks nothing of) the noise rules below decide.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path

# Directories skipped with everything below them.
NOISE_DIRECTORIES = (
    ".git",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".venv",
    "__pycache__",
    "build",
    "dist",
    "htmlcov",
    "site",
    "*.egg-info",
)
# Files skipped wherever they are. ``.env`` holds a reader's local secrets; ``.env.example`` is
# part of the lesson and stays.
NOISE_FILES = ("*.pyc", "*.pyo", "*.db", "*.db-*", ".coverage", ".coverage.*", ".env")


def is_noise_directory(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in NOISE_DIRECTORIES)


def is_noise_file(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in NOISE_FILES)


@dataclass(frozen=True)
class StageFile:
    """One file of a stage: its path relative to the stage root (with ``/``) and its content."""

    path: str
    data: bytes

    @cached_property
    def text(self) -> str | None:
        """The content as text, or ``None`` for a binary file (NUL bytes or not UTF-8)."""
        if b"\0" in self.data:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines with their line endings (empty for a binary file)."""
        text = self.text
        return text.splitlines(keepends=True) if text is not None else []


def git_files(root: Path, *, untracked: bool) -> list[str] | None:
    """The files git tracks under ``root`` (relative to it), or ``None`` outside a work tree."""
    command = ["git", "-c", "core.quotePath=false", "ls-files", "-z", "--cached"]
    if untracked:
        command += ["--others", "--exclude-standard"]
    try:
        result = subprocess.run(command, cwd=root, capture_output=True, check=False)
    except FileNotFoundError:  # no git on this machine
        return None
    if result.returncode != 0:  # not a work tree
        return None
    return sorted({name for name in result.stdout.decode().split("\0") if name}) or None


def read_tree(root: Path, *, untracked: bool = False) -> dict[str, StageFile]:
    """Every file of the stage under ``root``, keyed by its relative path, in path order.

    ``untracked`` adds the files git neither tracks nor ignores (it changes nothing outside git).
    """
    tracked = git_files(root, untracked=untracked)
    if tracked is None:
        return read_tree_outside_git(root)
    files = {}
    for relative in tracked:
        path = root / relative
        if path.is_file():  # a tracked file deleted from the disk is no longer in the stage
            files[relative] = StageFile(relative, path.read_bytes())
    return files


def read_tree_outside_git(root: Path) -> dict[str, StageFile]:
    """Every non-noise file under ``root``: the stage when git cannot say what it is."""
    files: dict[str, StageFile] = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if not is_noise_directory(name))
        base = Path(directory)
        for name in sorted(names):
            path = base / name
            if is_noise_file(name) or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            files[relative] = StageFile(relative, path.read_bytes())
    return dict(sorted(files.items()))
