"""The graph side track's Bolt server, started for the tooling (the battery and the benchmark).

The track ships ``tests/bolt_server.py``: ArcadeDB's embedded Bolt listener, which runs a JVM
in-process and so gets a child process of its own. It writes the server's log and, once it
listens, a line ``ready URL DATABASE``; it stops when its standard input closes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "root"
"""ArcadeDB's administrator, whose password the server is started with."""
START_SECONDS = 90
STOP_SECONDS = 30


@dataclass(frozen=True)
class BoltServer:
    url: str
    database: str
    password: str
    pid: int

    @property
    def settings(self) -> dict[str, str]:
        """The app's settings for this graph."""
        return {
            "NEODYME_GRAPH_URL": self.url,
            "NEODYME_GRAPH_USER": USER,
            "NEODYME_GRAPH_PASSWORD": self.password,
            "NEODYME_GRAPH_DATABASE": self.database,
        }

    def rss_mib(self) -> float:
        """The server process's resident memory."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line")


@contextmanager
def bolt_server(track: Path, folder: Path, password: str) -> Iterator[BoltServer]:
    """Start ``track``'s Bolt server with its data and log under ``folder``, stop it after."""
    log = folder / "bolt-server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                str(track / "tests" / "bolt_server.py"),
                str(folder / "root"),
                password,
            ],
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=folder,  # ArcadeDB writes a log/ folder where it runs
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (ready := _ready_line(log)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Bolt server did not start; its log: {log}")
            time.sleep(0.1)
        _, url, database = ready.split()
        yield BoltServer(url, database, password, process.pid)
    finally:
        process.stdin.close()  # the server's signal to stop
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready_line(log: Path) -> str | None:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("ready "):
            return line
    return None
