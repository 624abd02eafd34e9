"""CPU time from ``/proc``: of the server's processes, and of the whole machine.

A server with workers is a tree (the parent and one child process per worker), so its CPU is
the sum over the tree. Dividing CPU seconds by wall seconds gives cores in use: 2.0 is two
cores busy the whole time. The machine's share counts everything else too (PostgreSQL, Redis,
locust, other work on a shared machine), so both are recorded.
"""

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> tuple[int, float]:
    """The parent id and the CPU seconds (user + system) in a ``/proc/PID/stat`` line.

    The command name, in parentheses, may itself hold spaces or parentheses: the fields are
    counted from the last closing parenthesis.
    """
    fields = text[text.rindex(")") + 2 :].split()
    parent = int(fields[1])
    user, system = int(fields[11]), int(fields[12])
    return parent, (user + system) / TICKS_PER_SECOND


def read_processes() -> dict[int, tuple[int, float]]:
    """Every process's id: (its parent's id, its CPU seconds); those gone meanwhile are skipped."""
    processes = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                processes[int(entry.name)] = parse_stat((entry / "stat").read_text())
            except (OSError, ValueError):
                continue
    return processes


def tree_cpu_seconds(processes: dict[int, tuple[int, float]], root: int) -> float:
    """CPU seconds of ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid in processes:
            total += processes[pid][1]
        pending.extend(children.get(pid, []))
    return total


def parse_machine(text: str) -> tuple[float, float]:
    """Busy and total CPU seconds of all cores, from the ``cpu`` line of ``/proc/stat``."""
    line = next(line for line in text.splitlines() if line.startswith("cpu "))
    ticks = [int(value) for value in line.split()[1:9]]  # user … steal; guest is in user already
    idle = ticks[3] + ticks[4]  # idle and iowait
    total = sum(ticks)
    return (total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND


def sample(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server's tree, this process, and the machine (busy and total)."""
    busy, total = parse_machine((PROC / "stat").read_text())
    return {
        "server": tree_cpu_seconds(read_processes(), server_pid),
        "self": sum(os.times()[:2]),
        "machine_busy": busy,
        "machine_total": total,
    }


def usage(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Between two samples: cores the server and this process used, and the machine's busy share."""
    total = after["machine_total"] - before["machine_total"]
    busy = after["machine_busy"] - before["machine_busy"]
    return {
        "server_cores": round((after["server"] - before["server"]) / seconds, 2),
        "locust_cores": round((after["self"] - before["self"]) / seconds, 2),
        "machine_busy": round(busy / total, 3) if total else 0.0,
    }
