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
from shared.session_times import SessionTimes, outcome_of

NOX = Path(sys.executable).with_name("nox")
TINY_NOXFILE = """
import sys
sys.path.insert(0, {root!r})
import nox
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
