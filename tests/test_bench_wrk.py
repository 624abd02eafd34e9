"""wrk: the command line, the JSON line the Lua script prints, and its parsing."""

import pytest

from shared.bench import wrk
from shared.bench.errors import BenchmarkError
from shared.bench.wrk import LUA_SCRIPT, MARKER, Load, parse_wrk_output

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.19ms  495.10us   6.07ms   79.81%
  15770 requests in 10.00s, 2.1MB read
Requests/sec:   1577.00
BENCH_WRK_JSON {"requests": 15770, "duration_us": 10000000, "errors": {"connect": 0, \
"read": 0, "write": 0, "status": 0, "timeout": 0}, "latency_us": {"mean": 1192.3, \
"max": 6073, "p50": 1118, "p90": 1716, "p99": 2936}}
"""


def test_the_json_line_is_parsed_not_the_human_summary():
    report = parse_wrk_output(WRK_OUTPUT)
    assert report.requests == 15770
    assert report.duration_s == 10.0
    assert report.failed == 0
    measurement = report.measurement()
    assert measurement.value == pytest.approx(1577.0)
    assert measurement.p50_ms == pytest.approx(1.118)
    assert measurement.p99_ms == pytest.approx(2.936)
    assert measurement.requests == 15770


def test_failed_requests_are_counted_whatever_their_kind():
    output = WRK_OUTPUT.replace('"status": 0', '"status": 12').replace(
        '"timeout": 0', '"timeout": 3'
    )
    assert parse_wrk_output(output).failed == 15


def test_output_without_the_json_line_is_an_error_that_shows_the_output():
    with pytest.raises(BenchmarkError, match="unable to connect"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_the_lua_script_prints_what_the_parser_looks_for():
    script = LUA_SCRIPT.read_text()
    assert MARKER.strip() in script
    for field in ("duration_us", "p50", "p99", "status", "timeout"):
        assert f'"{field}"' in script


def test_the_command_runs_the_script_with_headers(monkeypatch):
    monkeypatch.setattr(wrk.shutil, "which", lambda name: "/usr/bin/wrk")
    command = wrk.wrk_command(
        "http://127.0.0.1:8000/api/v1/users/me",
        Load(duration_s=3, connections=16),
        {"Authorization": "Bearer abc"},
    )
    assert command[0] == "/usr/bin/wrk"
    assert "--connections=16" in command
    assert "--duration=3s" in command
    assert f"--script={LUA_SCRIPT}" in command
    assert command[command.index("--header") + 1] == "Authorization: Bearer abc"
    assert command[-1] == "http://127.0.0.1:8000/api/v1/users/me"


def test_missing_wrk_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(wrk.shutil, "which", lambda name: None)
    with pytest.raises(BenchmarkError, match="sudo apt-get install wrk"):
        wrk.wrk_path()
