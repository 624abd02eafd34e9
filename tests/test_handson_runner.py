"""The runner plays the reader's terminal: state carries over, servers run in the background.

A stand-in ``uvicorn`` on ``PATH`` (a small Python HTTP server that logs like uvicorn) keeps
these tests independent of any chapter.
"""

import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shared.chapters import REPOSITORY_ROOT
from shared.handson import runner as handson_runner
from shared.handson.extract import extract_blocks
from shared.handson.runner import (
    PortLocks,
    Report,
    StepFailed,
    Terminal,
    missing_needs,
    reader_environment,
    run_block,
    run_blocks,
)

FAKE_UVICORN = """#!/usr/bin/env python3
import http.server, os, signal, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
print(f"INFO:     Started server process [{os.getpid()}]", flush=True)
signal.signal(signal.SIGINT, lambda *_: sys.exit(print("INFO:     Shutting down", flush=True)))
if os.environ.get("FAIL") == "startup":
    sys.exit("ValueError: the settings are wrong")
if os.environ.get("FAIL") == "reload":  # uvicorn --reload: the reloader outlives its app
    print("ERROR:    Application startup failed. Exiting.", flush=True)
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    time.sleep(600)
server = http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
print(f"INFO:     Uvicorn running on http://127.0.0.1:{port}", flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def alive(pid: int) -> bool:
    """Whether the process still runs, once a killed one has had a few seconds to go.

    A zombie (dead, waiting for a parent that may never reap it) does not count.
    """
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.2)
    return True


def make_terminal(root: Path) -> Terminal:
    """A reader's terminal in ``root/chapter``, with the stand-in ``uvicorn`` on ``PATH``."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    uvicorn = bin_dir / "uvicorn"
    uvicorn.write_text(FAKE_UVICORN)
    uvicorn.chmod(uvicorn.stat().st_mode | stat.S_IEXEC)
    env = reader_environment()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    (root / "chapter").mkdir()
    return Terminal(root, root / "chapter", env)


@pytest.fixture
def terminal(tmp_path):
    terminal = make_terminal(tmp_path)
    yield terminal
    terminal.close()


def run(terminal: Terminal, page: str) -> Report:
    report = Report(page="fixture.md")
    for block in extract_blocks(page, whole_page=True):
        run_block(terminal, block, report, f"fixture.md:{block.line}")
    return report


def test_state_carries_from_step_to_step(terminal):
    page = """
```bash
greet() { echo "hello $1"; }
export NAME=Ada
```

```console
$ greet "$NAME"
hello Ada
$ false
$ echo $?
1
$ pwd
/path/to/neodyme/chapter
```
"""
    report = run(terminal, page)

    assert report.failures == []
    assert (report.executed, report.checked) == (5, 4)


def test_a_wrong_output_fails_with_a_diff(terminal):
    report = run(terminal, "```console\n$ echo 58 items\n56 items\n```\n")

    assert len(report.failures) == 1
    assert "-56 items" in report.failures[0]
    assert "+58 items" in report.failures[0]


def test_only_a_full_output_can_be_accepted_into_the_page(terminal):
    page = "```console\n$ echo 58 items\n56 items\n$ echo 3 and more\n2 …\n```\n"

    report = run(terminal, page)

    assert len(report.failures) == 2
    assert report.outputs == {2: ["58 items"]}


def test_a_failing_bash_block_is_reported(terminal):
    report = run(terminal, "```bash\necho about to fail\nfalse\n```\n")

    assert "exited 1" in report.failures[0]
    assert "about to fail" in report.failures[0]


def test_skipped_blocks_are_counted_with_their_reason(terminal):
    page = '<!-- handson: skip="needs a Docker engine" -->\n```console\n$ docker ps\n$ x\n```\n'

    report = run(terminal, page)

    assert report.executed == 0
    assert report.not_executed == [(2, "fixture.md:2: needs a Docker engine")]


NEEDS_A_MISSING_PROGRAM = (
    '<!-- handson: needs="sh neodyme-no-such-program" -->\n'
    "```console\n$ neodyme-no-such-program --version\n1.0\n```\n"
)


def test_a_block_that_needs_a_missing_program_is_not_executed_and_says_why(terminal, monkeypatch):
    monkeypatch.delenv("NEODYME_REQUIRE_SERVICES", raising=False)

    report = run(terminal, NEEDS_A_MISSING_PROGRAM)

    assert (report.executed, report.failures) == (0, [])
    assert report.not_executed == [
        (1, "fixture.md:2: needs neodyme-no-such-program, which this machine does not have")
    ]


def test_a_missing_program_fails_the_page_where_services_are_required(terminal, monkeypatch):
    monkeypatch.setenv("NEODYME_REQUIRE_SERVICES", "1")

    report = run(terminal, NEEDS_A_MISSING_PROGRAM)

    assert report.failures == [
        "fixture.md:2: needs neodyme-no-such-program, which this machine does not have"
    ]


def test_redis_and_postgresql_are_needs_met_by_a_server_on_their_port(monkeypatch):
    open_ports: set[int] = set()
    monkeypatch.setattr(handson_runner, "port_is_open", lambda port: port in open_ports)

    assert missing_needs("postgresql redis") == [
        "a PostgreSQL server on 127.0.0.1:5432",
        "a Redis server on 127.0.0.1:6379",
    ]
    open_ports.add(6379)
    assert missing_needs("redis") == []
    assert missing_needs("postgresql") == ["a PostgreSQL server on 127.0.0.1:5432"]


def test_a_server_runs_in_the_background_until_stopped(terminal):
    port = free_port()
    page = f"""
```console
$ uvicorn app --port {port}
INFO:     Started server process [4242]
INFO:     Uvicorn running on http://127.0.0.1:{port}
```

```console
$ curl -s -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{port}/
200
$ kill -0 4242 && echo the process id shown is this run
the process id shown is this run
```

<!-- handson: stop-server -->

```console
INFO:     Shutting down
$ echo $?
0
```
"""
    report = run(terminal, page)

    assert report.failures == []
    assert report.executed == 4
    assert terminal.server.status == 0


def test_pages_side_by_side_take_turns_on_a_port_and_not_on_their_other_steps(tmp_path):
    port = free_port()
    page = f"""
```console
$ uvicorn app --port {port}
```

```console
$ date +%s.%N > ../server-up
```

<!-- handson: stop-server -->

```console
$ date +%s.%N > ../port-released
$ sleep 1
$ date +%s.%N > ../tail-done
```
"""
    locks = PortLocks()
    roots = [tmp_path / "first", tmp_path / "second"]
    reports = [Report(page=root.name) for root in roots]
    pages = [
        threading.Thread(
            target=run_blocks,
            args=(make_terminal(root), extract_blocks(page, True), report, root.name, locks),
        )
        for root, report in zip(roots, reports, strict=True)
    ]
    for thread in pages:
        thread.start()
    for thread in pages:
        thread.join(timeout=60)

    assert [report.failures for report in reports] == [[], []]  # never "port is taken"
    moments = ("server-up", "port-released", "tail-done")
    times = [{name: float((root / name).read_text()) for name in moments} for root in roots]
    first, second = sorted(times, key=lambda page_times: page_times["server-up"])
    assert second["server-up"] > first["port-released"]  # one server on the port at a time
    assert second["server-up"] < first["tail-done"]  # the first page's tail did not hold it


def test_a_server_that_cannot_start_is_an_ordinary_failed_command(terminal):
    page = f"""
```console
$ FAIL=startup uvicorn app --port {free_port()}
…
ValueError: the settings are wrong
$ echo $?
1
```
"""
    report = run(terminal, page)

    assert report.failures == []


def test_a_reloader_whose_app_failed_to_start_is_a_failed_start_not_a_wait(terminal):
    page = f"""
```console
$ FAIL=reload uvicorn app --port {free_port()} --reload
INFO:     Started server process [4242]
ERROR:    Application startup failed. Exiting.
```
"""
    report = run(terminal, page)

    assert report.failures == []
    assert terminal.server.process.poll() is not None


def test_a_port_taken_by_another_program_fails_with_a_clear_message(terminal):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        page = f"```console\n$ uvicorn app --port {port}\n```\n"

        with pytest.raises(StepFailed, match=f"port {port} is taken by another program"):
            run(terminal, page)

    assert terminal.servers == {}


def test_a_server_started_with_an_ampersand_is_a_background_server(terminal, tmp_path):
    port = free_port()
    page = f"""
```console
$ NEODYME_PORT={port} uvicorn app --port {port} >> server.log &
$ curl -s -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{port}/
200
```
"""
    report = run(terminal, page)

    assert report.failures == []
    assert terminal.server.process.poll() is None
    assert "Uvicorn running" in (tmp_path / "chapter" / "server.log").read_text()


def test_closing_the_terminal_stops_what_the_page_left_running(terminal, tmp_path):
    run(terminal, "```bash\nsleep 600 &\necho $! > sleeper.pid\n```\n")
    pid = int((tmp_path / "chapter" / "sleeper.pid").read_text())

    terminal.close()

    assert not alive(pid)


SIGTERM_SCRIPT = """
import sys, time
from pathlib import Path
from shared.handson.__main__ import stop_on_signal
from shared.handson.runner import Terminal, reader_environment
import signal
signal.signal(signal.SIGTERM, stop_on_signal)
root = Path(sys.argv[1])
env = reader_environment()
env["PATH"] = f"{root / 'bin'}:{env['PATH']}"
terminal = Terminal(root, root / "chapter", env)
try:
    terminal.start_server(f"uvicorn app --port {sys.argv[2]}")
    print(terminal.server.process.pid, flush=True)
    time.sleep(600)
finally:
    terminal.close()
"""


def test_sigterm_to_the_runner_stops_the_servers_it_started(terminal, tmp_path):
    runner = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, str(tmp_path), str(free_port())],
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid = int(runner.stdout.readline())

    runner.send_signal(signal.SIGTERM)

    assert runner.wait(60) == 128 + signal.SIGTERM
    assert not alive(server_pid)


SUITE_PAGE = """
<!-- handson: suite -->

```console
$ export MARK=suite
$ pytest -q -p no:cacheprovider
..F                                                                      [100%]
2 passed, 1 failed in 0.01s
$ echo $MARK
suite
```
"""


def write_suite(terminal: Terminal, tests: int) -> None:
    """A project of ``tests`` tests in the terminal's folder (the last fails), and ``pytest``."""
    folder = terminal.root / "chapter"
    body = "".join(f"def test_{n}():\n    assert {n} < {tests - 1}\n" for n in range(tests))
    (folder / "test_sample.py").write_text(body)
    shim = terminal.root / "bin" / "pytest"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m pytest "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)


def test_a_suite_step_is_checked_against_what_pytest_collects(terminal):
    write_suite(terminal, 3)

    report = run(terminal, SUITE_PAGE)

    assert report.failures == []
    assert (report.executed, report.checked, report.collected) == (2, 3, 1)


def test_a_suite_step_that_no_longer_matches_the_collection_fails(terminal):
    write_suite(terminal, 4)

    report = run(terminal, SUITE_PAGE)

    [failure] = report.failures
    assert "the page shows 3 results; pytest collects 4 tests" in failure


def test_with_run_suites_a_suite_step_runs_for_real(terminal):
    """How --accept refreshes such a page: the step runs, and its real output is compared."""
    write_suite(terminal, 3)
    report = Report(page="fixture.md")

    for block in extract_blocks(SUITE_PAGE, whole_page=True):
        run_block(terminal, block, report, "fixture.md", run_suites=True)

    assert (report.executed, report.collected) == (3, 0)
    [failure] = report.failures  # a real run prints its failure, which the page leaves out
    assert "+FAILED test_sample.py::test_2 - assert 2 < 2" in failure


def test_a_suite_marker_on_a_block_that_runs_no_suite_is_a_mistake(terminal):
    report = run(terminal, "<!-- handson: suite -->\n\n```console\n$ pytest -q | tail -1\n```\n")

    assert report.failures[0] == "fixture.md:3: a suite block, but no step runs pytest alone"


# A stand-in createdb that fails as PostgreSQL does when the database is there already, and
# its dropdb. The "database" is a file next to the reader's terminal.
FAKE_CREATEDB = """#!/bin/sh
name=$(eval echo \\${$#})
[ -e "$DATABASES/$name" ] && echo "createdb: error: database \\"$name\\" already exists" && exit 1
touch "$DATABASES/$name"
"""
FAKE_DROPDB = """#!/bin/sh
name=$(eval echo \\${$#})
rm -f "$DATABASES/$name"
"""
PAGE = """
```console
$ createdb -h 127.0.0.1 -U postgres neodyme_page
$ ls "$DATABASES"
neodyme_page
```

```console
$ dropdb -h 127.0.0.1 -U postgres neodyme_page
```
"""


def test_a_database_left_by_a_stopped_run_is_dropped_before_the_page_runs_again(tmp_path):
    terminal = make_terminal(tmp_path)
    for name, script in {"createdb": FAKE_CREATEDB, "dropdb": FAKE_DROPDB}.items():
        program = tmp_path / "bin" / name
        program.write_text(script)
        program.chmod(program.stat().st_mode | stat.S_IEXEC)
    databases = tmp_path / "databases"
    databases.mkdir()
    (databases / "neodyme_page").touch()  # the stopped run got as far as its createdb
    terminal.run(f"export DATABASES={databases}")
    report = Report(page="fixture.md")

    run_blocks(terminal, extract_blocks(PAGE, True), report, "fixture.md", PortLocks())

    assert report.failures == []
    assert report.executed == 3
    assert list(databases.iterdir()) == []


# A server writes its log just after it has answered: the record can come after the next step.
WRITTEN_LATER = """
```bash
(sleep 1; echo '{"event": "request"}' > server.log) &
```

<!-- handson: OPTIONS -->

```console
$ cat server.log
{"event": "request"}
```
"""


def test_an_eventually_step_waits_for_what_a_server_writes_after_it_answered(terminal):
    report = run(terminal, WRITTEN_LATER.replace("OPTIONS", "eventually"))

    assert report.failures == []
    assert report.executed == 2


def test_without_eventually_the_same_step_fails_on_what_is_not_there_yet(terminal):
    report = run(terminal, WRITTEN_LATER.replace("OPTIONS", 'mask="never"'))

    assert len(report.failures) == 1
    assert "cat server.log" in report.failures[0]


def test_an_eventually_block_may_only_read(terminal):
    page = "<!-- handson: eventually -->\n```console\n$ curl -s -X POST localhost:1/users\n```\n"

    report = run(terminal, page)

    assert report.executed == 0
    assert report.failures == ["fixture.md:2: an eventually block runs its steps again: only reads"]
