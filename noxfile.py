"""Every task of the monorepo: one session per chapter, plus tools, lint, docs and serve.

Chapter sessions are generated from the folders under ``chapters/``: a new chapter joins by
adding its folder, not by copying a session.
"""

import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from shared.chapters import Chapter, discover_chapters, latest_chapter  # noqa: E402

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True

CHAPTERS = discover_chapters(ROOT)
nox.options.sessions = [chapter.name for chapter in CHAPTERS]
nox.options.sessions += ["tools", "lint", "docs", "handson", "verify"]

RUFF = "ruff>=0.12"


def databases_under_test() -> list[str]:
    """The databases a chapter suite runs on here: SQLite always, PostgreSQL when configured."""
    databases = ["sqlite"]
    if os.environ.get("NEODYME_TEST_POSTGRES_URL"):
        databases.append("postgresql")
    return databases


def ensure_chromium(session: nox.Session) -> None:
    """Debian's Chromium, for the tests that render a page headless; installed when missing."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0:
        session.warn("chromium is missing: install it (apt-get install chromium) for browser tests")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", "chromium", external=True, env=env)


def register_chapter_session(chapter: Chapter) -> None:
    def test_chapter(session: nox.Session) -> None:
        if chapter.has_deployment:
            ensure_chromium(session)  # /docs is rendered in a browser with the network cut off
        session.install("-e", f"{chapter.path}[test]")
        session.chdir(chapter.path)
        if chapter.uses_database:
            session.log(f"{chapter.name}: testing on {', '.join(databases_under_test())}")
        else:
            session.log(f"{chapter.name}: no database in this chapter")
        session.run("pytest", *session.posargs)

    test_chapter.__doc__ = f"Install {chapter.name} alone and run its tests."
    nox.session(name=chapter.name)(test_chapter)


for _chapter in CHAPTERS:
    register_chapter_session(_chapter)


@nox.session
def tools(session: nox.Session) -> None:
    """Test the tooling in shared/ and the cross-chapter invariants."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(venv_backend="none")
def verify(session: nox.Session) -> None:
    """The reliability and security battery, one venv per chapter: nox -s verify [-- chNN]."""
    from shared.verify.session import run_battery

    run_battery(session, CHAPTERS, ROOT)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book strictly: a broken include or link fails."""
    session.install("-r", "docs/requirements.txt", "-e", ".")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def handson(session: nox.Session) -> None:
    """Run the book's Hands-on steps, each page on a fresh copy: nox -s handson [-- PAGE ...]."""
    session.install("-e", ".", "uv")
    session.run("python", "-m", "shared.handson", *session.posargs)


@nox.session
def serve(session: nox.Session) -> None:
    """Migrate and serve a chapter (default: the newest) on SQLite at http://127.0.0.1:8000."""
    names = {chapter.name: chapter for chapter in CHAPTERS}
    name = session.posargs[0] if session.posargs else latest_chapter(ROOT).name
    if name not in names:
        session.error(f"unknown chapter {name!r}; choose one of {', '.join(names)}")
    chapter = names[name]
    session.install("-e", str(chapter.path))
    session.chdir(chapter.path)
    if chapter.has_migrations:
        session.run("alembic", "upgrade", "head")
    session.log(f"Serving {chapter.name} at http://127.0.0.1:8000 (docs at /docs); Ctrl+C stops it")
    session.run("uvicorn", "neodyme.main:app", "--host", "127.0.0.1", "--port", "8000")


@nox.session
def diff(session: nox.Session) -> None:
    """The stage diff: nox -s diff -- A B [--format text|markdown|html] [--output PATH] [--stat]."""
    session.install("-e", ".")
    session.run("neodyme-diff", *session.posargs)


@nox.session(name="forward-port")
def forward_port(session: nox.Session) -> None:
    """Carry a chapter's uncommitted change forward: nox -s forward-port -- chNN [--dry-run]."""
    session.install("-e", ".")
    session.run("neodyme-forward-port", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark a chapter against practical ceilings: nox -s bench -- [--quick] [--help]."""
    if not shutil.which("wrk"):
        session.error("wrk is not installed: sudo apt-get install wrk")
    session.install("-e", ".", "uv")  # uv builds one environment per app under test
    session.run("python", "-m", "shared.bench", *session.posargs)
