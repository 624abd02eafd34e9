"""The chapter's app as a real server process, started the way the chapter says to start it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.verify.plan import ChapterPlan

CLIENT_KEEPALIVE_SECONDS = 1.0
"""How long a test client reuses an idle connection: uvicorn closes idle ones after 5 s (before
ch10's setting), and a request sent on a connection the server is closing at that instant fails
on the client's side alone (``httpx.ReadError``), whatever the app does."""


def client_limits(max_connections: int | None = 100) -> httpx.Limits:
    """``httpx.Limits`` for a client of the served app, idle connections dropped early."""
    return httpx.Limits(max_connections=max_connections, keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(plan: ChapterPlan, chapter_dir: Path, env: dict[str, str]) -> None:
    """``alembic upgrade head`` in the chapter folder (from ch10 ``serve`` does it itself)."""
    if plan.has_migrations and not plan.has_serve_command:
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=chapter_dir,
            env=env,
            check=True,
            capture_output=True,
        )


class Server:
    """One app process on a free port; its output goes to ``log_path`` for post-mortems."""

    def __init__(self, plan: ChapterPlan, chapter_dir: Path, env: dict[str, str], log_path: Path):
        self.plan = plan
        self.chapter_dir = chapter_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            **env,
            "NEODYME_HOST": "127.0.0.1",
            "NEODYME_PORT": str(self.port),
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.plan.has_serve_command:
            return [sys.executable, "-m", "neodyme", "serve"]
        # X-Forwarded-For from this machine is trusted, as ``serve`` trusts it from ch10: the
        # tests give each simulated client its own address, so login limits stay per test.
        return [
            sys.executable, "-m", "uvicorn", "neodyme.main:app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
        ]  # fmt: skip

    def start(self, timeout: float = 90.0) -> Server:
        migrate(self.plan, self.chapter_dir, self.env)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=self.chapter_dir, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer /health within {timeout} s: {self.log()}")

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait for the exit code (the process is killed if it hangs)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def interrupt(self) -> None:
        """SIGTERM, without waiting: the caller watches the shutdown, then calls ``wait``.

        Only once: a second SIGTERM tells uvicorn to give up on in-flight requests.
        """
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 60.0) -> int:
        """The exit code once the process has ended (``TimeoutExpired`` if it has not)."""
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.terminate()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
