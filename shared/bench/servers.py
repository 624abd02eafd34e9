"""Apps under test as real server processes on free local ports."""

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.bench.envs import Environment
from shared.bench.errors import BenchmarkError

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_environment() -> dict[str, str]:
    """Only what a process needs to run: nothing of the caller's ``NEODYME_*`` leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }


@dataclass
class AppSpec:
    """How to run one app: its environment, working directory, command and settings.

    ``command`` and ``prestart`` are arguments to the environment's Python; the text
    ``{port}`` in ``command`` or ``env`` becomes the port the server is given.
    """

    key: str
    label: str
    environment: Environment
    cwd: Path
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    prestart: list[str] | None = None


class Server:
    """A running app: ``start()`` returns once it answers HTTP, ``stop()`` sends SIGTERM."""

    def __init__(self, spec: AppSpec, log_dir: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = log_dir / f"{spec.key}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def with_port(self, value: str) -> str:
        return value.replace("{port}", str(self.port))

    def start(self) -> None:
        env = base_environment()
        env.update({name: self.with_port(value) for name, value in self.spec.env.items()})
        python = self.spec.environment.python
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            if self.spec.prestart:
                prestart = subprocess.run(
                    [python, *self.spec.prestart],
                    cwd=self.spec.cwd,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                if prestart.returncode != 0:
                    raise self.failure("its pre-start step failed")
            self.process = subprocess.Popen(
                [python, *map(self.with_port, self.spec.command)],
                cwd=self.spec.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_up()

    def wait_until_up(self) -> None:
        """Until the server answers any HTTP request: uvicorn listens once its lifespan ran."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.failure(f"it exited with {self.process.returncode}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/health")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        raise self.failure(f"it did not answer within {START_TIMEOUT_S} s")

    def failure(self, reason: str) -> BenchmarkError:
        tail = self.log_path.read_text().strip().splitlines()[-15:]
        return BenchmarkError(
            f"{self.spec.label} could not start: {reason}; the end of {self.log_path}:\n"
            + "\n".join(tail)
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
