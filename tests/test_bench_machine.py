"""The machine description stored with the results."""

from shared.bench import machine

CPUINFO = """\
processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
processor\t: 1
model name\t: AMD EPYC 7B13
"""


def test_cpu_model_is_read_from_proc_cpuinfo_text():
    assert machine.cpu_model(CPUINFO) == "AMD EPYC 7B13"


def test_cpu_model_without_a_model_name_is_unknown():
    assert machine.cpu_model("processor\t: 0\nmodel name\t:\n") == "unknown"


def test_the_description_records_cores_cpu_software_and_library_versions(monkeypatch):
    monkeypatch.setattr(machine, "read_cpuinfo", lambda: CPUINFO)
    monkeypatch.setattr(machine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(machine.platform, "python_version", lambda: "3.11.7")
    monkeypatch.setattr(machine, "wrk_version", lambda: "wrk debian/4.1.0-3+b2 [epoll]")
    libraries = {"fastapi": "0.165.0"}
    environments = {"ch10": libraries, "reference": {"fastapi": "0.165.0", "asyncpg": "0.32.0"}}
    described = machine.describe_machine(libraries, environments, "15.20")
    assert described["cores"] == 2
    assert described["cpu"] == "AMD EPYC 7B13"
    assert described["python"] == "3.11.7"
    assert described["postgresql"] == "15.20"
    assert described["wrk"] == "wrk debian/4.1.0-3+b2 [epoll]"
    assert described["libraries"] == libraries
    assert described["environments"] == environments


def test_dates_are_utc_with_a_z():
    assert machine.utc_now().endswith("Z")


def test_load_average_has_three_figures():
    assert len(machine.load_average()) == 3
