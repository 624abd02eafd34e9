"""Health endpoints for whoever runs the service: a load balancer, Docker, Kubernetes.

``/health`` is liveness: the process answers, nothing more (no I/O, so a slow database can
never get a healthy process restarted). ``/health/ready`` is readiness: the database answers
within a timeout, so traffic should be sent here. It names each component it checked and how
long the check took, so a slow dependency shows before it fails.

Redis, when configured, is checked too, but it cannot make the app unready: without it the app
serves from the database (slower, never wrong), and taking every replica out of the load
balancer because the cache is down would turn a slowdown into an outage. It shows as
``"status": "degraded"`` instead. The graph, when configured, is the same: without it,
recursive SQL answers.
"""

import asyncio
import logging
import time

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from neodyme import __version__
from neodyme.core.exceptions import NotReadyError
from neodyme.core.redis import SharedRedis
from neodyme.dependencies import SettingsDep
from neodyme.graph.client import Graph
from neodyme.resources import ResourcesDep
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/health", tags=["health"])
logger = logging.getLogger("neodyme.health")


class HealthStatus(BaseModel):
    """What `GET /health` answers."""

    status: str
    version: str


class ComponentStatus(BaseModel):
    """One dependency: `ok` or `unavailable`, and how long the check took."""

    status: str
    latency_ms: float


class ReadinessStatus(BaseModel):
    """What `GET /health/ready` answers when the app can serve: `ok` or `degraded`."""

    status: str
    components: dict[str, ComponentStatus]


@router.get("", response_model=HealthStatus)
async def health() -> HealthStatus:
    """Liveness: the process is running (no database involved)."""
    return HealthStatus(status="ok", version=__version__)


async def check_database(engine: AsyncEngine, timeout_seconds: float) -> ComponentStatus:
    """The database answers `SELECT 1` within the timeout."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_seconds):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        status = "ok"
    except Exception as exc:  # any failure at all means "do not send traffic here"
        logger.warning("Not ready: database check failed: %r", exc)
        status = "unavailable"
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return ComponentStatus(status=status, latency_ms=latency_ms)


async def check_redis(redis: SharedRedis, timeout_seconds: float) -> ComponentStatus:
    """Redis answers `PING` within the timeout."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_seconds):
            await redis.client.ping()
        status = "ok"
    except Exception as exc:  # the app falls back to the database: degraded, not down
        logger.warning("Degraded: Redis check failed: %r", exc)
        status = "unavailable"
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return ComponentStatus(status=status, latency_ms=latency_ms)


async def check_graph(graph: Graph) -> ComponentStatus:
    """The graph answers a query within its own timeout (``NEODYME_GRAPH_TIMEOUT_SECONDS``)."""
    started = time.perf_counter()
    try:
        await graph.ping()
        status = "ok"
    except Exception as exc:  # SQL answers instead: degraded, not down
        logger.warning("Degraded: graph check failed: %r", exc)
        status = "unavailable"
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return ComponentStatus(status=status, latency_ms=latency_ms)


@router.get("/ready", response_model=ReadinessStatus, responses=problem_responses(503))
async def ready(settings: SettingsDep, resources: ResourcesDep) -> ReadinessStatus:
    """Readiness: the database answers within the timeout, or 503 naming the failing ones.

    `status` is `degraded` when only Redis or the graph does not answer: still ready, but slower.
    """
    timeout = settings.readiness_timeout_seconds
    components = {"database": await check_database(resources.engine, timeout)}
    if resources.redis is not None:
        components["redis"] = await check_redis(resources.redis, timeout)
    if resources.graph is not None:
        components["graph"] = await check_graph(resources.graph)
    if components["database"].status != "ok":
        raise NotReadyError(
            "Not answering: database.",
            components={name: component.model_dump() for name, component in components.items()},
        )
    healthy = all(component.status == "ok" for component in components.values())
    return ReadinessStatus(status="ok" if healthy else "degraded", components=components)
