"""Helpers for the tests that run Neodyme as a real process: the server and the command line."""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from neodyme.core.config import Settings

API_PREFIX = Settings.model_fields["api_prefix"].default
"""Where the servers started here serve the API: ``environment`` sets no other prefix."""

LOGIN_ATTEMPTS_BOUND = 200
"""More failed logins than any per-client limit allows: a client still let in after this many
is not being counted at all."""


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any NEODYME_* variable, plus ``settings``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEODYME_")}
    return {**inherited, **{f"NEODYME_{name.upper()}": value for name, value in settings.items()}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll ``/health/ready`` until it answers 200; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early with status {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became ready")


@contextmanager
def serving(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    port: int,
    log: IO[str] | int = subprocess.DEVNULL,
) -> Iterator[str]:
    """The server ``argv`` starts, ready on ``port`` for the ``with`` block: its base URL.

    The server is terminated when the block ends, whatever happened in it.
    """
    process = subprocess.Popen(argv, cwd=cwd, env=env, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def client_at(address: str) -> httpx.Client:
    """A client whose connections come from ``address``: every 127.x.y.z is this machine, so
    each stands for a different computer."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def fail_logins_until_refused(
    client: httpx.Client, base_url: str, claimed_address: Callable[[int], str]
) -> list[int]:
    """Failed logins, each for a new unknown email and claiming to come from
    ``claimed_address(n)``, until one is refused (or the bound is reached); their statuses.

    No email is tried twice, so only a per-client count can refuse: a 429 proves that every
    attempt was counted against one client, whatever the attempts claimed.
    """
    statuses = []
    for n in range(LOGIN_ATTEMPTS_BOUND):
        form = {"username": f"nobody-{n}@example.com", "password": "not the password"}
        headers = {"X-Forwarded-For": claimed_address(n)}
        response = client.post(f"{base_url}{API_PREFIX}/auth/token", data=form, headers=headers)
        statuses.append(response.status_code)
        if response.status_code != 401:
            break
    return statuses


def connect(base_url: str) -> socket.socket:
    """A bare TCP connection to the server, for requests an HTTP client would not send."""
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def stalled_request(base_url: str) -> socket.socket:
    """A connection whose request headers never finish: the blank line that ends them is
    missing (``finish_request`` sends it)."""
    connection = connect(base_url)
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: neodyme\r\n")
    return connection


def finish_request(connection: socket.socket) -> bytes:
    """Send the blank line that ends the headers; what comes back until the server closes."""
    connection.sendall(b"Connection: close\r\n\r\n")
    return read_until_closed(connection)


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything received until the other side closes (a 30 s silence fails the test)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received
