"""Drive load with ``wrk`` and read its result from the JSON line ``report.lua`` prints.

The human-readable summary wrk prints changes units as it sees fit (``1.19ms``, ``495.10us``);
the script's ``done()`` hook prints exact counts and microseconds instead, so that is what is
parsed.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shared.bench.errors import BenchmarkError
from shared.bench.measurement import Measurement

LUA_SCRIPT = Path(__file__).with_name("report.lua")
MARKER = "BENCH_WRK_JSON "
INSTALL_HINT = "wrk is not installed: sudo apt-get install wrk"


@dataclass(frozen=True)
class Load:
    """How hard wrk pushes: for how long, over how many connections and threads."""

    duration_s: int
    connections: int
    threads: int = 1


@dataclass(frozen=True)
class WrkReport:
    requests: int
    duration_s: float
    errors: dict[str, int]
    latency_us: dict[str, float]

    @property
    def failed(self) -> int:
        """Requests that did not get a 2xx or 3xx answer: socket errors, timeouts, 4xx, 5xx."""
        return sum(self.errors.values())

    def measurement(self) -> Measurement:
        return Measurement(
            value=self.requests / self.duration_s,
            p50_ms=self.latency_us["p50"] / 1000,
            p99_ms=self.latency_us["p99"] / 1000,
            requests=self.requests,
        )


def parse_wrk_output(stdout: str) -> WrkReport:
    """The report in wrk's output, or BenchmarkError when the script printed none."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line.removeprefix(MARKER))
            return WrkReport(
                requests=data["requests"],
                duration_s=data["duration_us"] / 1_000_000,
                errors=data["errors"],
                latency_us=data["latency_us"],
            )
    raise BenchmarkError(f"wrk printed no {MARKER.strip()} line; its output was:\n{stdout}")


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchmarkError(INSTALL_HINT)
    return path


def wrk_command(url: str, load: Load, headers: dict[str, str]) -> list[str]:
    command = [
        wrk_path(),
        f"--threads={load.threads}",
        f"--connections={load.connections}",
        f"--duration={load.duration_s}s",
        "--timeout=10s",
        f"--script={LUA_SCRIPT}",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return [*command, url]


def run_wrk(
    url: str,
    load: Load,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> Measurement:
    """One wrk run; any failed request fails the benchmark (a fast 401 is not a result)."""
    env = {**os.environ, "BENCH_METHOD": method}
    if body is not None:
        env["BENCH_BODY"] = body
    completed = subprocess.run(
        wrk_command(url, load, headers or {}),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        output = (completed.stderr + completed.stdout).strip()
        raise BenchmarkError(f"wrk failed ({completed.returncode}): {output}")
    report = parse_wrk_output(completed.stdout)
    if report.failed:
        raise BenchmarkError(f"{method} {url}: {report.failed} requests failed {report.errors}")
    if report.requests == 0:
        raise BenchmarkError(f"{method} {url}: no request finished in {load.duration_s} s")
    return report.measurement()
