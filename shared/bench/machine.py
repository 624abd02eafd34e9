"""Which machine, software and versions the figures come from: recorded with the results."""

import os
import platform
import subprocess
from datetime import UTC, datetime

from shared.bench.wrk import wrk_path

LIBRARIES = [
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-settings",
    "sqlalchemy",
    "sqlmodel",
    "asyncpg",
    "uvicorn",
    "bcrypt",
    "pyjwt",
    "redis",
]


def cpu_model(cpuinfo: str) -> str:
    """The ``model name`` in ``/proc/cpuinfo`` text (``unknown`` when there is none)."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def read_cpuinfo() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            return file.read()
    except OSError:
        return ""


def wrk_version() -> str:
    """``wrk 4.1.0``-style: the first words of ``wrk --version``, before the copyright."""
    completed = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True)
    first_line = (completed.stdout or completed.stderr).strip().splitlines()[0]
    return first_line.split(" Copyright")[0].strip()


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was besides the benchmark."""
    return [round(load, 2) for load in os.getloadavg()]


def describe_machine(
    libraries: dict[str, str], environments: dict[str, dict[str, str]], postgresql: str
) -> dict:
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(read_cpuinfo()),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgresql,
        "wrk": wrk_version(),
        "libraries": libraries,
        "environments": environments,
    }
