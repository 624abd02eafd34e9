import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from book_browser import require_program

from shared.chapters import REPOSITORY_ROOT, Chapter, discover_chapters, discover_snapshots


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``chapter`` runs once for every chapter folder; one that takes
    ``snapshot``, once for every chapter and every side track (the invariants of the code)."""
    for argument, discover in (("chapter", discover_chapters), ("snapshot", discover_snapshots)):
        if argument in metafunc.fixturenames:
            found = discover()
            metafunc.parametrize(argument, found, ids=[each.name for each in found])


@pytest.fixture(scope="session")
def chapters() -> list[Chapter]:
    return discover_chapters()


def write(root: Path, files: dict[str, str]) -> Path:
    """A folder tree under ``root``: ``{relative path: text}``; returns ``root``."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


MKDOCS_BUILD = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir"]


@pytest.fixture(scope="session")
def book_site(tmp_path_factory) -> Path:
    """The book, built strictly once for the whole run: the folder of the built site.

    Under pytest-xdist every worker asks for it; the first one builds into a folder all
    workers share (the parent of their temporary folders) while the others wait on a lock.
    """
    require_program("dot", "graphviz", "it draws the book's figures")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    site_dir, done = shared / "book-site", shared / "book-site.done"
    with (shared / "book-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            subprocess.run(
                [*MKDOCS_BUILD, str(site_dir)],
                cwd=REPOSITORY_ROOT,
                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                check=True,
                timeout=600,
            )
            done.touch()
    return site_dir
