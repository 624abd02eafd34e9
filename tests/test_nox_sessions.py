"""The task runner as a contributor meets it: the time table, the quick tag, ``serve``'s exit."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nox.sessions
import pytest

from shared.chapters import REPOSITORY_ROOT, discover_snapshots
from shared.recap import junit_failures
from shared.session_times import SessionTimes, outcome_of

NOX = Path(sys.executable).with_name("nox")
TINY_NOXFILE = """
import sys
sys.path.insert(0, {root!r})
import nox
from shared.recap import write_recap
from shared.session_times import SessionTimes

times = SessionTimes()
times.print_at_exit()

@nox.session(venv_backend="none")
@times.timed
def passes(session):
    pass

@nox.session(venv_backend="none")
@times.timed
def fails(session):
    session.error("on purpose")

@nox.session(venv_backend="none")
@times.timed
def says_why(session):
    write_recap(["page ch07.md:921: the counts differ"])
    session.error("on purpose")

@nox.session(venv_backend="none")
@times.timed
def passes_with_a_recap(session):
    write_recap(["nothing went wrong"])
"""


def test_the_table_lists_each_session_with_its_outcome_and_the_total():
    clock = iter([0.0, 1.5, 10.0, 13.0])
    times = SessionTimes(clock=lambda: next(clock))

    class FakeSession:
        def __init__(self, name):
            self.name = name

    def broken(session):
        raise RuntimeError("a command failed")

    times.timed(lambda session: None)(FakeSession("lint"))
    with pytest.raises(RuntimeError):
        times.timed(broken)(FakeSession("ch07"))

    assert times.table().splitlines() == [
        "session  result        seconds",
        "lint     success           1.5",
        "ch07     failed            3.0",
        "total                      4.5",
    ]


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, "success"),
        (nox.sessions._SessionSkip(), "skipped"),
        (KeyboardInterrupt(), "interrupted"),
        (nox.sessions._SessionQuit(), "failed"),
    ],
)
def test_outcomes_are_named_as_nox_names_them(error, outcome):
    assert outcome_of(error) == outcome


def test_nox_ends_with_the_table_even_when_a_session_failed(tmp_path):
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(TINY_NOXFILE.format(root=str(REPOSITORY_ROOT)))

    result = subprocess.run(
        [NOX, "-f", noxfile, "-s", "passes", "fails"], capture_output=True, text=True
    )

    assert result.returncode == 1
    table = result.stderr[result.stderr.index("Session times (wall clock):") :].splitlines()
    assert [line.split()[:2] for line in table[2:4]] == [["passes", "success"], ["fails", "failed"]]
    assert table[4].startswith("total")


def test_a_failed_session_says_why_after_the_table(tmp_path):
    """CI logs are often cut in the middle: the reason for a failure is repeated at the end."""
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(TINY_NOXFILE.format(root=str(REPOSITORY_ROOT)))

    result = subprocess.run(
        [NOX, "-f", noxfile, "-s", "passes_with_a_recap", "says_why", "fails"],
        capture_output=True,
        text=True,
    )

    after_table = result.stderr[result.stderr.index("Session times (wall clock):") :]
    assert after_table.splitlines()[-2:] == [
        "Why says_why failed:",
        "page ch07.md:921: the counts differ",
    ]
    assert "nothing went wrong" not in result.stderr
    assert "Why fails failed" not in result.stderr


def test_the_recap_of_a_failed_pytest_run_names_each_failed_test(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "def test_passes():\n    assert True\n"
        "def test_fails():\n    assert 1 == 2\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('no database')\n"
        "def test_errors(broken):\n    pass\n"
    )
    report = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=tmp_path,
        capture_output=True,
    )

    assert junit_failures(report) == [
        "FAILED test_sample::test_fails - assert 1 == 2",
        'ERROR test_sample::test_errors - failed on setup with "RuntimeError: no database"',
    ]
    assert junit_failures(tmp_path / "never-written.xml") == []
    (tmp_path / "cut-short.xml").write_text(report.read_text()[:100])
    assert junit_failures(tmp_path / "cut-short.xml") == []


def nox_sessions(*arguments: str, by_hand: bool = False) -> list[str]:
    """The sessions a bare ``nox`` runs (``*`` in ``nox --list``), or (``by_hand``) the rest."""
    listing = subprocess.run(
        [NOX, "--list", *arguments], cwd=REPOSITORY_ROOT, capture_output=True, text=True
    )
    marker = "- " if by_hand else "* "
    return [line.split()[1] for line in listing.stdout.splitlines() if line.startswith(marker)]


def test_the_quick_tag_is_the_fast_checks_only():
    assert sorted(nox_sessions("-t", "quick")) == ["docs", "lint", "tools"]


def test_a_bare_nox_checks_the_aws_stack_too():
    """ch12's AWS stack is synthesized and linted in every CI run, not only when asked for."""
    assert "aws" in nox_sessions()


def test_a_bare_nox_tests_every_chapter_and_every_side_track():
    """A side track is a snapshot a reader installs and runs: CI tests it like a chapter."""
    names = [snapshot.name for snapshot in discover_snapshots()]
    assert "ch12-graph" in names
    assert nox_sessions()[: len(names)] == names


def test_the_measurements_are_run_by_hand_never_by_a_bare_nox():
    """``bench`` and ``load`` need a quiet machine and minutes: CI never runs them."""
    assert {"bench", "load"} <= set(nox_sessions(by_hand=True))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_nox_serve_stops_the_server_too(signum, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEODYME_", "NOX_"))}
    nox = subprocess.Popen(
        [NOX, "--envdir", tmp_path, "-s", "serve", "--", "ch01", "--port", str(port)],
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal reaches nox alone, as `kill` would send it
    )
    deadline = time.monotonic() + 120
    while not answers(port):
        assert nox.poll() is None and time.monotonic() < deadline, nox.stdout.read()
        time.sleep(0.2)

    nox.send_signal(signum)

    assert nox.wait(timeout=30) == 0
    assert not answers(port)
    assert "Finished server process" in nox.stdout.read()


def test_nox_serve_of_the_finished_app_logs_one_json_record_a_line(tmp_path):
    """From chapter 11 every way to start the app logs in its format, nox's own lines aside."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEODYME_", "NOX_"))}
    nox = subprocess.Popen(
        [NOX, "--envdir", tmp_path, "-s", "serve", "--", "--port", str(port)],
        cwd=REPOSITORY_ROOT,
        env={**env, "NEODYME_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'neodyme.db'}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while not answers(port):
        assert nox.poll() is None and time.monotonic() < deadline, nox.stdout.read()
        time.sleep(0.2)
    urllib.request.urlopen(f"http://127.0.0.1:{port}/health").read()

    nox.send_signal(signal.SIGTERM)
    output, _ = nox.communicate(timeout=60)

    app_lines = [line for line in output.splitlines() if not line.startswith("nox > ")]
    app_lines = app_lines[: app_lines.index("")]  # the session-time table follows a blank line
    records = [json.loads(line) for line in app_lines]
    assert [r["path"] for r in records if r["event"] == "request"] == ["/health"]
    assert "Application shutdown complete." in [record["event"] for record in records]


def test_no_session_installs_system_packages():
    """``.ci/run`` installs what CI needs; a session only names what is missing."""
    noxfile = (REPOSITORY_ROOT / "noxfile.py").read_text()

    assert not re.search(r"""["'](apt-get|apt|dnf|yum|brew)["']""", noxfile)
    assert "apt-get install" in (REPOSITORY_ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("module", ["shared.handson.__main__", "shared.recap"])
def test_the_tools_a_session_runs_do_not_need_nox(module):
    """The Hands-on runner runs in an environment of its own, where nox is not installed."""
    check = f"import sys, {module}; sys.exit('nox' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], cwd=REPOSITORY_ROOT).returncode == 0
