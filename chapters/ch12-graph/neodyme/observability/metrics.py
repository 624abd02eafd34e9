"""Prometheus metrics: what the app counts, and the database pool figures it reports.

Each app owns its ``CollectorRegistry`` instead of using prometheus-client's global one: a test
that builds several apps, or a second app in one process, would otherwise register the same
metric names twice and fail.

Every label value comes from a short, fixed list. A label whose values come from the client (a
raw path such as ``/todos/81723``, an invented HTTP method) would create a new time series per
distinct value, and a scanner trying random URLs would grow Prometheus's memory without bound.
So requests are labelled by route template, ``unmatched`` stands for every unknown path, and an
unknown method becomes ``OTHER``.

With several worker processes, each keeps its own figures and a scrape sees one worker's.
Running one worker per container, as the Dockerfile does, keeps the figures whole.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


class Metrics:
    """The app's metric instruments, all registered in the app's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "neodyme_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "neodyme_http_request_duration_seconds",
            "Time from receiving a request to the end of its response.",
            ["method", "route"],
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "neodyme_http_requests_in_progress",
            "Requests being served right now.",
            registry=self.registry,
        )
        self.blocker_reads = Counter(
            "neodyme_blocker_reads",
            "Reads of a todo's transitive blockers, by what answered: graph or sql.",
            ["source"],
            registry=self.registry,
        )
        self.pool = DatabasePoolCollector()
        self.registry.register(self.pool)
        # Every request updates two series; ``labels()`` validates and looks its labels up each
        # time it is called, so each combination's pair is looked up once and kept here.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """Count one finished request and its duration."""
        method = method if method in KNOWN_METHODS else "OTHER"
        route = route or UNMATCHED_ROUTE
        key = (method, route, status)
        if key not in self._series:
            self._series[key] = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
        count, duration = self._series[key]
        count.inc()
        duration.observe(seconds)


class DatabasePoolCollector(Collector):
    """Reads ``engine``'s connection pool at every scrape; the lifespan sets it once it exists.

    A pool where ``checked_out`` stays at ``size + max_overflow`` makes requests queue for a
    connection: the numbers that tell "the database is slow" from "we ask it too little at once".
    Pools that keep no such figures (``NullPool``, ``StaticPool``) report nothing.
    """

    def __init__(self) -> None:
        self.engine: AsyncEngine | None = None

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool if self.engine is not None else None
        if not isinstance(pool, QueuePool):
            return
        figures = {
            "size": ("Connections the pool keeps open.", pool.size()),
            "checked_out": ("Connections in use by a request right now.", pool.checkedout()),
            "checked_in": ("Open connections waiting in the pool.", pool.checkedin()),
            # QueuePool counts overflow from -size upwards; below zero means none in use.
            "overflow": ("Connections opened beyond the pool size.", max(pool.overflow(), 0)),
        }
        for name, (documentation, value) in figures.items():
            yield GaugeMetricFamily(f"neodyme_db_pool_{name}", documentation, value=value)
