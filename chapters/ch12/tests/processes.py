"""Helpers for the tests that run Neodyme as a real process: the server and the command line."""

import os
import socket
import subprocess
import time

import httpx


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
