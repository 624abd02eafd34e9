"""The graph side track's Bolt server, for the battery: the track's own test server, started once.

The track ships ``tests/bolt_server.py`` (ArcadeDB's embedded Bolt listener, started in a child
process because it runs a JVM in-process). The battery serves the track with its graph
configured, so the fuzzer and the attacks go through the projection and its outbox worker, not
only through the recursive SQL every other configuration uses.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PASSWORD = "verify-graph-password"
USER = "root"
"""ArcadeDB's administrator, whose password the server is started with."""
STOP_SECONDS = 30


@contextmanager
def bolt_server(chapter_dir: Path, folder: Path) -> Iterator[dict[str, str]]:
    """Start the track's Bolt server with its data under ``folder``; the app's graph settings."""
    process = subprocess.Popen(
        [sys.executable, str(chapter_dir / "tests" / "bolt_server.py"), str(folder), PASSWORD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise RuntimeError(f"the Bolt server did not start (exit {process.poll()})")
        _, url, database = ready
        yield {
            "NEODYME_GRAPH_URL": url,
            "NEODYME_GRAPH_USER": USER,
            "NEODYME_GRAPH_PASSWORD": PASSWORD,
            "NEODYME_GRAPH_DATABASE": database,
        }
    finally:
        process.stdin.close()  # the server's signal to stop
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
