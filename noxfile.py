"""Every task of the monorepo: one session per chapter, plus tools, lint, docs and serve.

Chapter sessions are generated from the folders under ``chapters/``: a new chapter joins by
adding its folder, not by copying a session. ``nox`` ends with a table of every session's time;
``nox -t quick`` runs the fast checks only (lint, the tooling tests, the book build).

No session installs system packages (``.ci/run`` does, for CI): a session that needs a program
which is missing says which, and the tests that need it are skipped (failed in CI).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from shared.chapters import (  # noqa: E402
    Chapter,
    discover_chapters,
    discover_tracks,
    latest_chapter,
)
from shared.recap import junit_failures, write_recap  # noqa: E402
from shared.session_times import SessionTimes  # noqa: E402

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True

CHAPTERS = discover_chapters(ROOT)
TRACKS = discover_tracks(ROOT)
"""Side tracks (``ch12-graph``): a lesson that starts from a chapter; tested like one."""
nox.options.sessions = [chapter.name for chapter in CHAPTERS + TRACKS]
nox.options.sessions += ["tools", "lint", "docs", "aws", "handson", "verify"]

RUFF = "ruff>=0.12"
# Each suite runs on every core of the machine: its tests are independent, and each pytest
# worker makes its own databases. The chapters do not need the plugin themselves, and
# ``nox -s ch07 -- -n 0`` runs a suite in one process again.
XDIST = "pytest-xdist>=3.6"
ON_EVERY_CORE = ["-n", "auto"]
# A test that hangs fails within minutes instead of holding CI until its time runs out. At
# STACKS_AFTER seconds, pytest's faulthandler writes every thread's stack to stderr (C-level: it
# needs neither the GIL nor the worker's captured output, which pytest-xdist would drop); at
# HANG_LIMIT, pytest-timeout ends the worker, and pytest-xdist reports that test as failed and
# starts a new worker for the rest. The "thread" method, not SIGALRM: the exception a signal
# raises inside a weakref callback or a ``__del__`` is swallowed ("Exception ignored in"), so
# the test would at best go on and pass with a warning, and a hang of many callbacks would not
# end. A test takes under a minute, setup and teardown included, even on a machine loaded five
# times over; the limits leave five times that. ``nox -s ch07 -- --timeout=0`` turns the limit
# off, e.g. to sit in a debugger.
PYTEST_TIMEOUT = "pytest-timeout>=2.3"
STACKS_AFTER = 240
HANG_LIMIT = 300
FAIL_HANGING_TESTS = [
    f"--timeout={HANG_LIMIT}",
    "--timeout-method=thread",
    "-o",
    f"faulthandler_timeout={STACKS_AFTER}",
]

TIMES = SessionTimes()
TIMES.print_at_exit()


def session(*args, **kwargs):
    """``nox.session``, with the session's wall time recorded for the closing table."""

    def register(function):
        return nox.session(*args, **kwargs)(TIMES.timed(function))

    return register


def run_pytest(session: nox.Session, *arguments: str, **options) -> None:
    """Run pytest; if it fails, its failed tests are listed again after the closing table."""
    report = ROOT / ".nox" / "junit" / f"{session.name}.xml"  # absolute: sessions chdir
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    try:
        session.run("pytest", f"--junitxml={report}", *arguments, **options)
    except BaseException:
        write_recap(junit_failures(report))
        raise


def databases_under_test() -> list[str]:
    """The databases a chapter suite runs on here: SQLite always, PostgreSQL when configured."""
    databases = ["sqlite"]
    if os.environ.get("NEODYME_TEST_POSTGRES_URL"):
        databases.append("postgresql")
    return databases


# The Debian package each program the sessions look for comes in.
APT_PACKAGES = {
    "chromium": "chromium",
    "dot": "graphviz",
    "nginx": "nginx-light",
    "sqlite3": "sqlite3",
    "jq": "jq",
    "curl": "curl",
    "psql": "postgresql-client",
    "createdb": "postgresql-client",
    "redis-cli": "redis-tools",
}


def check_programs(session: nox.Session, programs: dict[str, str]) -> None:
    """Say which of the programs (name: what needs it) are missing; never install them here."""
    for program, why in programs.items():
        if not shutil.which(program):
            session.warn(
                f"{program} is not installed ({why}): what needs it is skipped here, and fails "
                f"in CI. On Debian or Ubuntu: sudo apt-get install {APT_PACKAGES[program]}"
            )


def register_chapter_session(chapter: Chapter) -> None:
    def test_chapter(session: nox.Session) -> None:
        check_programs(session, chapter.programs())
        session.install("-e", f"{chapter.path}[test]", XDIST, PYTEST_TIMEOUT)
        session.chdir(chapter.path)
        if chapter.uses_database:
            session.log(f"{chapter.name}: testing on {', '.join(databases_under_test())}")
        else:
            session.log(f"{chapter.name}: no database in this chapter")
        run_pytest(session, *ON_EVERY_CORE, *FAIL_HANGING_TESTS, *session.posargs)

    test_chapter.__doc__ = f"Install {chapter.name} alone and run its tests."
    session(name=chapter.name)(test_chapter)


for _chapter in CHAPTERS + TRACKS:
    register_chapter_session(_chapter)


@session(tags=["quick"])
def tools(session: nox.Session) -> None:
    """Test the tooling in shared/ and the cross-chapter invariants."""
    check_programs(
        session,
        {
            "chromium": "renders the book and the stage diff's HTML page",
            "dot": "draws the book's figures, which the book's tests build",
        },
    )
    session.install("-e", ".[test]", XDIST)
    run_pytest(session, *ON_EVERY_CORE, *session.posargs)


@session(venv_backend="none")
def verify(session: nox.Session) -> None:
    """The reliability and security battery, one venv per chapter: nox -s verify [-- chNN]."""
    from shared.verify.session import run_battery

    run_battery(session, CHAPTERS + TRACKS, ROOT)


@session(tags=["quick"])
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@session(tags=["quick"])
def docs(session: nox.Session) -> None:
    """Build the book strictly: a broken include or link fails."""
    if not shutil.which("dot"):
        session.error(
            "Graphviz's dot is not installed: it draws the book's figures (docs/figures/*.dot). "
            f"On Debian or Ubuntu: sudo apt-get install {APT_PACKAGES['dot']}"
        )
    session.install("-r", "docs/requirements.txt", "-e", ".")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


AWS_DEPLOY = ROOT / "chapters" / "ch12" / "deploy" / "aws"


@session()
def aws(session: nox.Session) -> None:
    """Chapter 12's AWS stack, offline: synthesize it, assert its properties, cfn-lint it.

    The deploy workflow is checked against GitHub's schema (check-jsonschema; actionlint has no
    wheel on PyPI) and its migration script with shellcheck.
    aws-cdk-lib (about 430 MB) goes into this session's own environment, never a chapter's;
    ``nox -R -s aws`` reuses it.
    """
    if not shutil.which("node"):
        session.error(
            "Node.js is not installed: aws-cdk-lib runs its constructs in it (jsii). "
            "On Debian or Ubuntu: sudo apt-get install nodejs"
        )
    session.install("-r", str(AWS_DEPLOY / "requirements-test.txt"))
    session.chdir(AWS_DEPLOY)
    # jsii prints a banner on every run when Node 20 is past its end of life.
    run_pytest(
        session, *session.posargs, env={"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    )


@session()
def handson(session: nox.Session) -> None:
    """Run the book's Hands-on steps, each page on a fresh copy: nox -s handson [-- PAGE ...]."""
    check_programs(
        session,
        {
            "curl": "the pages call the API with it",
            "sqlite3": "the pages read SQLite files with it",
            "jq": "the pages read JSON logs with it",
            "psql": "ch10's page watches readiness follow PostgreSQL",
            "chromium": "ch10's page renders /docs offline",
            "createdb": "ch12's page creates and drops a database for its replicas",
            "redis-cli": "ch12's page reads what the replicas keep in Redis",
            "nginx": "ch12's page runs two replicas behind nginx",
        },
    )
    session.install("-e", ".", "uv")
    session.run("python", "-m", "shared.handson", *session.posargs)


@session()
def serve(session: nox.Session) -> None:
    """Migrate and serve a chapter (default: the newest) or a side track on SQLite.

    ``nox -s serve -- [chNN | chNN-topic] [--port N]``.

    From chapter 10 the chapter is served the way production starts it, ``python -m neodyme
    serve`` (it migrates, then serves, and logs in the app's own format). Ctrl+C, or SIGTERM or
    SIGHUP to nox, stops the server as well: nothing is left listening after nox has gone.
    """
    names = {chapter.name: chapter for chapter in CHAPTERS + TRACKS}
    parser = argparse.ArgumentParser(prog="nox -s serve --")
    parser.add_argument("chapter", nargs="?", default=latest_chapter(ROOT).name)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(session.posargs)
    if args.chapter not in names:
        session.error(f"unknown chapter {args.chapter!r}; choose one of {', '.join(names)}")
    chapter = names[args.chapter]
    session.install("-e", str(chapter.path))
    session.chdir(chapter.path)
    session.log(
        f"Serving {chapter.name} at http://127.0.0.1:{args.port} (docs at /docs); Ctrl+C stops it"
    )
    bin_dir = Path(session.bin)
    if chapter.has_deployment:
        env = {**os.environ, "NEODYME_HOST": "127.0.0.1", "NEODYME_PORT": str(args.port)}
        status = run_in_foreground([str(bin_dir / "python"), "-m", "neodyme", "serve"], env)
    else:
        if chapter.has_migrations:
            session.run("alembic", "upgrade", "head")
        uvicorn = [str(bin_dir / "uvicorn"), "neodyme.main:app", "--host", "127.0.0.1"]
        status = run_in_foreground([*uvicorn, "--port", str(args.port)])
    if status not in (0, -signal.SIGINT, -signal.SIGTERM, -signal.SIGHUP):
        session.error(f"the server exited with status {status}")


def run_in_foreground(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``command`` until it exits, passing on the signals that would stop nox; its status.

    The command gets a process group of its own, so a signal reaches it once, from here:
    Ctrl+C in the terminal (SIGINT), ``kill`` (SIGTERM) or a closed terminal (SIGHUP) to nox.
    """
    process = subprocess.Popen(command, env=env, start_new_session=True)
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.getsignal(signum) for signum in stopping}
    for signum in stopping:
        signal.signal(signum, lambda signum, frame: process.send_signal(signum))
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@session()
def diff(session: nox.Session) -> None:
    """The stage diff: nox -s diff -- A B [--format text|markdown|html] [--output PATH] [--stat]."""
    session.install("-e", ".")
    session.run("neodyme-diff", *session.posargs)


@session(name="forward-port")
def forward_port(session: nox.Session) -> None:
    """Carry a chapter's uncommitted change forward: nox -s forward-port -- chNN [--dry-run]."""
    session.install("-e", ".")
    session.run("neodyme-forward-port", *session.posargs)


@session()
def bench(session: nox.Session) -> None:
    """Benchmark a chapter against practical ceilings: nox -s bench -- [--quick] [--help]."""
    if not shutil.which("wrk"):
        session.error("wrk is not installed: sudo apt-get install wrk")
    session.install("-e", ".", "uv")  # uv builds one environment per app under test
    session.run("python", "-m", "shared.bench", *session.posargs)


@session()
def load(session: nox.Session) -> None:
    """How many users ch12 serves, measured with locust: nox -s load -- [--quick] [--help]."""
    session.install("-e", ".", "uv", "locust>=2.40")  # uv builds the app's own environment
    session.run("python", "-m", "shared.load", *session.posargs)
