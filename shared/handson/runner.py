"""Run a page's steps in a fresh copy of its chapter, as a reader at a terminal would.

One bash process plays the reader's terminal for the whole page, so ``cd``, ``export``, shell
variables and functions carry from one step to the next, and so does ``$?``. A command that
starts a server (``uvicorn …``, ``python -m neodyme serve``, ``nox -s serve``) runs in the
background instead, in its own process group; the runner waits until it answers on its port,
and Ctrl+C becomes ``SIGINT`` to that group. A server that exits before it answers (a
configuration error), or whose app reports a failed startup, is an ordinary command that failed;
a port that another program already holds fails the step at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from shared.handson.compare import contains_in_order, diff, lines_match, mask, shown_pids, trim
from shared.handson.extract import Block, Command
from shared.handson.leftovers import undoing
from shared.handson.suite import COLLECT_ONLY, collected, is_suite_command, problems

SERVER = re.compile(r"^(\w+=\S+ )*(uvicorn |python3? -m neodyme serve\b|nox -s serve\b)")
# A server started with a trailing "&" runs in the background of the reader's own terminal.
BACKGROUND = re.compile(r"\s*&$")
# uvicorn's reloader keeps running (and the port unanswered) when the app's startup fails.
STARTUP_FAILED = ("Application startup failed", "address already in use")
PORT = re.compile(r"(?:--port[ =]|NEODYME_PORT=)(\d+)")
DEFAULT_PORT = 8000
COMMAND_TIMEOUT = 300
SERVER_START_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 30
LOG_WAIT = 30  # a reload or a shutdown under load can take a while
SHOWN_ROOT = "/path/to/neodyme"
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "__pycache__", "*.db", "*.db-*", ".pytest_cache", ".coverage*", "htmlcov", "*.egg-info"
)
DONE = "__handson_done__"
LOG_TAIL = 40  # a failed server-log check prints this many of the log's last lines


# The shells and servers of the pages running now, so an interrupted runner can stop them all.
LIVE_TERMINALS: set[Terminal] = set()
LIVE_LOCK = threading.Lock()
# Ports a page talks to that belong to services shared by every page, not to the page's servers.
POSTGRES_PORT = 5432
REDIS_PORT = 6379
SERVICE_PORTS = {POSTGRES_PORT, REDIS_PORT}
MENTIONED_PORT = re.compile(
    r"(?:(?:127\.0\.0\.1|localhost|0\.0\.0\.0):|--port[ =]|NEODYME_PORT=)(\d{2,5})\b"
)


class StepFailed(AssertionError):
    """A step did not do what the page shows."""


@dataclass
class Report:
    """What happened on one page: the figures the book quotes, and the failures."""

    page: str
    included_listings: int = 0
    executed: int = 0
    checked: int = 0
    collected: int = 0  # suite runs checked against pytest's collection instead of run
    not_executed: list[tuple[int, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # For --accept: the page line of each failed command whose whole output the page shows,
    # with what it really printed.
    outputs: dict[int, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        skipped = sum(count for count, _ in self.not_executed)
        suites = f", {self.collected} suite runs collected" if self.collected else ""
        return (
            f"{self.page}: {self.included_listings} included listings, "
            f"{self.executed} steps executed ({self.checked} outputs checked){suites}, "
            f"{skipped} not executed, {len(self.failures)} failed, {self.seconds:.1f}s"
        )


def reader_environment() -> dict[str, str]:
    """A reader's fresh terminal: none of the project's own settings leak into the page.

    ``CI`` goes too: under it pytest stops shortening its summary lines, so a page's output
    would differ in CI from what a reader sees.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NEODYME_", "NOX_", "PYTEST_"))
        and name not in {"VIRTUAL_ENV", "CI"}
    }
    env.update(COLUMNS="80", TERM="dumb", LC_ALL="C.UTF-8", PYTHONUNBUFFERED="1")
    return env


def prepare_chapter(chapter: Path, root: Path) -> Path:
    """Copy the chapter to ``root/chapters/<name>`` and install it in ``.venv`` there, with uv."""
    copy = root / "chapters" / chapter.name
    shutil.copytree(chapter, copy, ignore=COPY_IGNORE)
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("the Hands-on runner installs chapters with uv: pip install uv")
    quiet = {"check": True, "capture_output": True, "text": True}
    subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(copy / ".venv")], **quiet)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(copy / ".venv"), "-e", f"{copy}[test]"],
        **quiet,
    )
    return copy


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """A server the reader started in their first terminal."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.command = command
        self.port = int(match[1]) if (match := PORT.search(command)) else DEFAULT_PORT
        self.log_path = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.status: int | None = None

    def wait_until_answering(self) -> bool:
        """True once the port answers; False if the process ended first (it failed to start)."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.finish()
                return False
            if port_is_open(self.port):
                return True
            if any(failure in line for line in self.log() for failure in STARTUP_FAILED):
                self.stop()
                return False
            time.sleep(0.2)
        raise StepFailed(f"`{self.command}` did not answer on port {self.port} in time")

    def log(self) -> list[str]:
        return trim(self.log_path.read_text(errors="replace").splitlines())

    def stop(self) -> int:
        """Ctrl+C in the server's terminal: SIGINT to its process group; its exit status."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.finish()

    def wait_for_exit(self) -> int:
        try:
            self.process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired as timeout:
            raise StepFailed(f"the server `{self.command}` did not exit") from timeout
        return self.finish()

    def finish(self) -> int:
        """The status the shell reports; a signal's death is announced as bash does."""
        if self.status is None:
            code = self.process.wait()
            self.status = code if code >= 0 else 128 - code
            if code < 0 and -code not in {signal.SIGINT, signal.SIGPIPE}:
                with self.log_path.open("a") as output:
                    output.write(f"{signal.strsignal(-code)}\n")
        return self.status


class Terminal:
    """The reader's shell: one bash process, fed one step at a time."""

    def __init__(self, root: Path, cwd: Path, env: dict[str, str]) -> None:
        self.root = root
        self.work = Path(tempfile.mkdtemp(prefix="handson-"))
        # curl shows a progress meter when its output is not a terminal, and here it never is.
        (self.work / ".curlrc").write_text("no-progress-meter\n")
        env = {**env, "CURL_HOME": str(self.work)}
        self.bash = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.closed = threading.Lock()
        with LIVE_LOCK:
            LIVE_TERMINALS.add(self)
        self.status = 0
        self.servers: dict[int, Server] = {}
        self.server: Server | None = None  # the one started last
        self.pids: dict[str, str] = {}
        self.count = 0

    def run(self, script: str, timeout: int = COMMAND_TIMEOUT) -> tuple[int, list[str]]:
        """Run ``script`` in the shell; its exit status and its output lines."""
        self.count += 1
        step = self.work / f"step{self.count}.sh"
        output = self.work / f"step{self.count}.out"
        step.write_text(script + "\n")
        self.bash.stdin.write(
            f"(exit {self.status}); . {step} > {output} 2>&1 < /dev/null; echo {DONE} $?\n"
        )
        self.bash.stdin.flush()
        ready, _, _ = select.select([self.bash.stdout], [], [], timeout)
        line = self.bash.stdout.readline() if ready else ""
        if not line.startswith(DONE):
            os.killpg(self.bash.pid, signal.SIGKILL)
            raise StepFailed(f"no answer within {timeout}s from:\n{script}")
        self.status = int(line.split()[1])
        return self.status, self.shown(output.read_text(errors="replace").splitlines())

    def shown(self, lines: list[str]) -> list[str]:
        """Output lines with this run's temporary root written as the page writes it."""
        return trim([line.replace(str(self.root), SHOWN_ROOT) for line in lines])

    def state(self) -> tuple[Path, dict[str, str]]:
        """The shell's current directory and exported environment, for a server it starts."""
        state = self.work / "state"
        self.run(f"pwd > {state}.cwd; env -0 > {state}.env")
        pairs = (item.partition("=") for item in (self.work / "state.env").read_text().split("\0"))
        env = {name: value for name, _, value in pairs if name}
        return Path((self.work / "state.cwd").read_text().strip()), env

    def start_server(self, command: str) -> tuple[bool, list[str]]:
        """Start a server in the background; (answering, its output so far).

        A server already on the same port is stopped first, as the reader would have to.
        """
        command = BACKGROUND.sub("", command)
        port = int(match[1]) if (match := PORT.search(command)) else DEFAULT_PORT
        if port in self.servers:
            self.status = self.servers.pop(port).stop()
        if port_is_open(port):
            raise StepFailed(
                f"port {port} is taken by another program, so `{command}` cannot listen on it: "
                f"stop that program (see `ss -ltnp 'sport = :{port}'`) and run the page again"
            )
        saved = self.status
        cwd, env = self.state()
        self.status = saved
        self.server = Server(command, cwd, env, self.work / f"server{self.count}.log")
        self.servers[port] = self.server
        answering = self.server.wait_until_answering()
        if not answering:
            self.status = self.server.status
        return answering, self.shown(self.server.log())

    def running_servers(self) -> list[Server]:
        return [server for server in self.servers.values() if server.process.poll() is None]

    def stop_server(self) -> None:
        """Ctrl+C in the terminal of the server started last that still runs."""
        running = [server for server in self.servers.values() if server.status is None]
        if running:
            self.status = running[-1].stop()

    def close(self) -> None:
        """Stop the servers, then the shell and whatever the page left running in it.

        Safe to call twice, from two threads: an interrupted runner closes every live terminal
        while the page's own thread may be closing it too.
        """
        if not self.closed.acquire(blocking=False):
            return
        with LIVE_LOCK:
            LIVE_TERMINALS.discard(self)
        for server in list(self.servers.values()):
            server.stop()
        if self.bash.poll() is None:
            self.bash.stdin.close()
            # An idle shell exits at once; one still running a step (the runner was
            # interrupted) is killed with everything it started.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.bash.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bash.pid, signal.SIGKILL)
        self.bash.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    def substitute(self, command: str) -> str:
        """The page's command with the process ids it names replaced by this run's."""
        for shown, real in self.pids.items():
            command = re.sub(rf"\b{shown}\b", real, command)
        return command


def missing_needs(needs: str) -> list[str]:
    """Which of a block's ``needs`` this machine lacks: programs, a PostgreSQL or a Redis server."""
    missing = []
    for need in needs.split():
        if need == "postgresql":
            if not port_is_open(POSTGRES_PORT):
                missing.append("a PostgreSQL server on 127.0.0.1:5432")
        elif need == "redis":
            if not port_is_open(REDIS_PORT):
                missing.append("a Redis server on 127.0.0.1:6379")
        elif shutil.which(need) is None:
            missing.append(need)
    return missing


def close_all_terminals() -> None:
    """Stop every page that is running (the runner was interrupted)."""
    with LIVE_LOCK:
        terminals = list(LIVE_TERMINALS)
    for terminal in terminals:
        terminal.close()


def listening_ports(blocks: list[Block]) -> set[int]:
    """The ports a page's servers listen on: two pages that share one cannot run at once.

    Every port the executed steps name counts (a ``curl`` names its server's), and a server
    started without ``--port`` takes the default; the shared services' ports do not count.
    """
    ports: set[int] = set()
    for block in blocks:
        if "skip" in block.options:
            continue
        texts = [block.script] if block.language == "bash" else [c.text for c in block.commands]
        for text in texts:
            ports.update(int(port) for port in MENTIONED_PORT.findall(text))
            lines = logical_lines(text) if block.language == "bash" else [text]
            if any(SERVER.match(line) and not PORT.search(line) for line in lines):
                ports.add(DEFAULT_PORT)
    return ports - SERVICE_PORTS


def clear_leftovers(terminal: Terminal, blocks: list[Block]) -> None:
    """Remove the databases and Redis keys the page's steps create, in case a run of the page
    was stopped before it removed them itself (``shared/handson/leftovers.py``)."""
    for block in blocks:
        needs = block.options.get("needs", "")
        if {"skip", "setup"} & block.options.keys() or missing_needs(needs):
            continue
        if block.language == "bash":
            lines = logical_lines(block.script)
        else:
            lines = [command.text for command in block.commands]
        for line in lines:
            if undo := undoing(line):
                terminal.run(f"{undo} > /dev/null 2>&1; true")


def run_block(
    terminal: Terminal,
    block: Block,
    report: Report,
    where: str,
    server_stopped: Callable[[], None] = lambda: None,
    run_suites: bool = False,
) -> None:
    """Run one block's steps and compare their output; failures go into the report.

    A ``suite`` block's pytest step is checked against pytest's collection unless
    ``run_suites``.
    """
    options = block.options
    if "skip" in options:
        report.not_executed.append((block.step_count, f"{where}: {options['skip']}"))
        return
    if missing := missing_needs(options.get("needs", "")):
        reason = f"{where}: needs {' and '.join(missing)}, which this machine does not have"
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            report.failures.append(reason)
        else:
            report.not_executed.append((block.step_count, reason))
        return
    if "setup" in options:
        return
    extra = [re.compile(options["mask"])] if "mask" in options else []
    if "stop-server" in options:
        terminal.stop_server()
        server_stopped()
    if "from-root" in options:
        terminal.run(f"cd {terminal.root}")
    if block.language == "bash":
        run_script(terminal, block.script, report, where)
        return
    if block.log:
        check_server_log(terminal, block, report, where, extra)
    if "eventually" in options and any(writes(c.text) for c in block.commands):
        report.failures.append(f"{where}: an eventually block runs its steps again: only reads")
        return
    if "suite" in options and not any(is_suite_command(c.text) for c in block.commands):
        report.failures.append(f"{where}: a suite block, but no step runs pytest alone")
    for command in block.commands:
        step = f"{where}:{command.line - block.line}"
        if "suite" in options and not run_suites and is_suite_command(command.text):
            check_suite(terminal, command, report, step)
        else:
            run_command(terminal, command, report, step, options)


def check_suite(terminal: Terminal, command: Command, report: Report, where: str) -> None:
    """A whole-suite run the chapter's session makes anyway: compared with what pytest collects."""
    status, output = terminal.run(f"{terminal.substitute(command.text)} {COLLECT_ONLY}")
    report.collected += 1
    report.checked += 1
    ids, deselected = collected(output)
    if status != 0 or not ids:
        failure = f"{where} $ {command.text}: collecting the suite exited {status}"
        report.failures.append(failure + printed(output))
    elif found := problems(command.expected, ids, deselected):
        failure = f"{where} $ {command.text} (against what pytest collects): "
        report.failures.append(failure + "; ".join(found))


def run_script(terminal: Terminal, script: str, report: Report, where: str) -> None:
    """A bash block: its lines run in order, and a line that starts a server starts it."""
    report.executed += 1
    pending: list[str] = []
    for line in [*logical_lines(script), ""]:
        if SERVER.match(line) or not line:
            if pending:
                status, output = terminal.run("\n".join(pending))
                pending = []
                if status != 0:
                    text = "\n".join(output)
                    report.failures.append(f"{where}: the bash block exited {status}:\n{text}")
                    return
            if line and not terminal.start_server(line)[0]:
                report.failures.append(f"{where}: `{line}` did not start a server")
                return
        else:
            pending.append(line)


def logical_lines(script: str) -> list[str]:
    """A script's lines, each with its ``\\`` continuations joined to it."""
    lines: list[str] = []
    for line in script.splitlines():
        if lines and lines[-1].endswith("\\"):
            lines[-1] += "\n" + line
        elif line.strip():
            lines.append(line)
    return lines


def check_server_log(terminal, block: Block, report: Report, where: str, extra) -> None:
    server = terminal.server
    if server is None:
        report.failures.append(f"{where}: the block shows a server's log, but none was started")
        return
    if block.commands:
        terminal.status = server.wait_for_exit()
    expected = [mask(line, extra) for line in trim(block.log)]
    ordered = "unordered" not in block.options
    deadline = time.monotonic() + LOG_WAIT
    while True:
        actual = [mask(line, extra) for line in terminal.shown(server.log())]
        if contains_in_order(expected, actual, ordered) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    report.checked += 1
    if not contains_in_order(expected, actual, ordered):
        failure = diff(expected, actual, f"{where} server log")
        report.failures.append(failure + printed(terminal.shown(server.log())[-LOG_TAIL:]))
    terminal.pids.update(shown_pids(block.log, terminal.shown(server.log())))


def run_command(
    terminal: Terminal, command: Command, report: Report, where: str, options: dict[str, str]
) -> None:
    """One ``$`` line: run it (or start its server) and compare its output with the page."""
    extra = [re.compile(options["mask"])] if "mask" in options else []
    text = terminal.substitute(command.text)
    if SERVER.match(text) and "|" not in text:
        ordered = "unordered" not in options
        answering, output = terminal.start_server(text)
        if answering and command.expected:
            output = wait_for_lines(terminal, command.expected, extra, ordered)
        terminal.pids.update(shown_pids(command.expected, output))
        check = partial(contains_in_order, ordered=ordered) if answering else None
    else:
        _, output = terminal.run(text)
        check = None
        if "eventually" in options:
            output = run_until_shown(terminal, text, command.expected, extra, output)
    report.executed += 1
    expected = [mask(line, extra) for line in trim(command.expected)]
    actual = [mask(line, extra) for line in output]
    matched = (check or lines_match)(expected, actual)
    if command.expected or check is None:
        report.checked += 1
    if not matched:
        failure = diff(expected, actual, f"{where} $ {command.text}")
        report.failures.append(failure + printed(output))
        shortened = any("…" in line or line.strip() == "..." for line in command.expected)
        if check is None and not extra and not shortened:
            report.outputs[command.line] = output


def writes(command: str) -> bool:
    """Whether a step may change something: it sends a request or starts a server."""
    return "curl" in command or bool(SERVER.match(command))


def run_until_shown(
    terminal: Terminal, text: str, expected: list[str], extra, output: list[str]
) -> list[str]:
    """An ``eventually`` step: run again until it prints what the page shows, or time is up."""
    wanted = [mask(line, extra) for line in trim(expected)]
    deadline = time.monotonic() + LOG_WAIT
    while time.monotonic() < deadline:
        if lines_match(wanted, [mask(line, extra) for line in output]):
            break
        time.sleep(0.2)
        _, output = terminal.run(text)
    return output


def printed(output: list[str]) -> str:
    """What the step really printed, unmasked: the text to copy into the page if it is right."""
    return "\nthis run printed:\n" + "\n".join(f"| {line}" for line in output)


def wait_for_lines(terminal: Terminal, expected: list[str], extra, ordered: bool) -> list[str]:
    """The server's output, once the startup lines the page shows are there (or time is up)."""
    wanted = [mask(line, extra) for line in trim(expected)]
    deadline = time.monotonic() + LOG_WAIT
    while True:
        output = terminal.shown(terminal.server.log())
        masked = [mask(line, extra) for line in output]
        if time.monotonic() > deadline or contains_in_order(wanted, masked, ordered):
            return output
        time.sleep(0.2)


class PortLocks:
    """The ports held by the pages running side by side.

    A page takes all its ports before its first step that uses one, and gives them back once it
    is past its last such step with no server of its own still running: a page's long tail
    (its test suite, say) does not keep the next page from starting its servers.
    """

    def __init__(self) -> None:
        self.held: set[int] = set()
        self.changed = threading.Condition()

    def acquire(self, ports: set[int], terminal: Terminal) -> None:
        with self.changed:
            while self.held & ports:
                self.changed.wait(0.5)
                if terminal.closed.locked():
                    raise StepFailed("the runner was interrupted")
            self.held |= ports

    def release(self, ports: set[int]) -> None:
        with self.changed:
            self.held -= ports
            self.changed.notify_all()


def run_blocks(
    terminal: Terminal,
    blocks: list[Block],
    report: Report,
    page: str,
    ports: PortLocks,
    run_suites: bool = False,
) -> None:
    """Run the page's blocks in order, holding its ports while its servers may be running.

    The ports go back as soon as the page is past its last step that names one and no server
    of its own runs: when a block's ``stop-server`` stops the last one, before its commands.
    """
    block_ports = [listening_ports([block]) for block in blocks]
    page_ports = set().union(*block_ports)
    using = [index for index, used in enumerate(block_ports) if used]
    holding = False
    index = 0

    def release_when_done() -> None:
        nonlocal holding
        if holding and index >= using[-1] and not terminal.running_servers():
            ports.release(page_ports)
            holding = False

    try:
        clear_leftovers(terminal, blocks)
        for index, block in enumerate(blocks):
            if using and index == using[0]:
                ports.acquire(page_ports, terminal)
                holding = True
            try:
                where = f"{page}:{block.line}"
                run_block(terminal, block, report, where, release_when_done, run_suites)
            except StepFailed as failure:
                report.failures.append(f"{page}:{block.line}: {failure}")
                break
            release_when_done()
    finally:
        terminal.close()
        if holding:
            ports.release(page_ports)


def run_page(
    page: Path,
    blocks: list[Block],
    chapter: Path,
    report: Report,
    keep: Path | None = None,
    also: list[Path] = (),
    ports: PortLocks | None = None,
    run_suites: bool = False,
) -> Report:
    """Run ``blocks`` (from ``page``) against a fresh, installed copy of ``chapter``.

    The chapters in ``also`` are copied and installed next to it, for a page that compares.
    Pages run side by side share one ``ports``.
    """
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="neodyme-", dir=keep)) / "neodyme"
    root.mkdir()
    try:
        for other in also:
            prepare_chapter(other, root)
        copy = prepare_chapter(chapter, root)
        terminal = Terminal(root, copy, reader_environment())
        try:
            terminal.run(". .venv/bin/activate")
        except BaseException:
            terminal.close()
            raise
        run_blocks(terminal, blocks, report, page.name, ports or PortLocks(), run_suites)
    finally:
        if keep is None:
            shutil.rmtree(root.parent, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report
