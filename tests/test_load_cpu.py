"""CPU from /proc: a process tree's seconds, and the machine's busy share."""

import os

import pytest

from shared.load import cpu

TICKS = cpu.TICKS_PER_SECOND


def stat_line(pid: int, name: str, parent: int, user: int, system: int) -> str:
    fields = ["S", parent, 1, 1, 0, -1, 0, 0, 0, 0, 0, user, system] + [0] * 39
    return f"{pid} ({name}) " + " ".join(map(str, fields))


def test_a_stat_line_gives_the_parent_and_user_plus_system_seconds():
    line = stat_line(42, "python -m (odd) name", parent=7, user=3 * TICKS, system=TICKS)
    assert cpu.parse_stat(line) == (7, 4.0)


def test_a_tree_sums_the_root_and_every_descendant_only():
    processes = {10: (1, 1.0), 11: (10, 2.0), 12: (11, 4.0), 20: (1, 100.0)}
    assert cpu.tree_cpu_seconds(processes, 10) == 7.0
    assert cpu.tree_cpu_seconds(processes, 99) == 0.0


def test_the_machine_line_counts_idle_and_iowait_as_not_busy():
    text = f"cpu  {6 * TICKS} 0 {2 * TICKS} {10 * TICKS} {2 * TICKS} 0 0 0 0 0\ncpu0 1 2 3"
    assert cpu.parse_machine(text) == (8.0, 20.0)


def test_usage_is_cores_over_the_window_and_the_busy_share():
    before = {"server": 1.0, "self": 0.5, "machine_busy": 10.0, "machine_total": 20.0}
    after = {"server": 5.0, "self": 1.5, "machine_busy": 25.0, "machine_total": 40.0}
    assert cpu.usage(before, after, seconds=4) == {
        "server_cores": 1.0,
        "locust_cores": 0.25,
        "machine_busy": 0.75,
    }


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux's /proc")
def test_a_real_sample_counts_this_process():
    sample = cpu.sample(os.getpid())
    assert sample["server"] > 0
    assert sample["self"] > 0
    assert 0 < sample["machine_busy"] <= sample["machine_total"]
