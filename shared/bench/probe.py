"""Latency of ``GET /health`` sampled at a steady pace while something else loads the server.

wrk pushes as hard as it can; to see how a login storm delays everyone else, a lone client
asks for ``/health`` every few milliseconds on one keep-alive connection and times each answer.
"""

import http.client
import threading
import time
from types import TracebackType

from shared.bench.errors import BenchmarkError
from shared.bench.stats import percentile


class LatencyProbe:
    def __init__(self, port: int, path: str = "/health", interval_s: float = 0.02) -> None:
        self.port = port
        self.path = path
        self.interval_s = interval_s
        self.samples_ms: list[float] = []
        self.error: str | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def __enter__(self) -> "LatencyProbe":
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self.thread.join()

    def sample(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while not self.stopping.wait(self.interval_s):
                start = time.perf_counter()
                connection.request("GET", self.path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    self.error = f"GET {self.path} answered {response.status}"
                    return
                self.samples_ms.append((time.perf_counter() - start) * 1000)
        except OSError as exc:
            self.error = f"GET {self.path} failed: {exc}"
        finally:
            connection.close()

    def p99_ms(self) -> float:
        if self.error:
            raise BenchmarkError(f"latency probe: {self.error}")
        return percentile(self.samples_ms, 99)
