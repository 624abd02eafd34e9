"""The /health latency probe that runs beside a login storm, against a tiny local server."""

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.bench.errors import BenchmarkError
from shared.bench.probe import LatencyProbe


class Health(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the probe expects
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


class Broken(Health):
    status = 503


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def healthy_port() -> Iterator[int]:
    yield from serve(Health)


@pytest.fixture
def broken_port() -> Iterator[int]:
    yield from serve(Broken)


def run_probe(port: int) -> LatencyProbe:
    with LatencyProbe(port, interval_s=0.005) as probe:
        while not probe.samples_ms and probe.thread.is_alive():
            time.sleep(0.01)
    return probe


def test_the_probe_times_each_answer(healthy_port):
    probe = run_probe(healthy_port)
    assert probe.samples_ms
    assert all(sample > 0 for sample in probe.samples_ms)
    assert probe.p99_ms() in probe.samples_ms  # nearest rank: an observed latency


def test_an_unhealthy_answer_fails_the_probe_instead_of_counting(broken_port):
    probe = run_probe(broken_port)
    assert probe.samples_ms == []
    with pytest.raises(BenchmarkError, match="answered 503"):
        probe.p99_ms()
