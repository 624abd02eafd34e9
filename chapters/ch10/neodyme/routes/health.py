"""Health endpoints for whoever runs the service: a load balancer, Docker, Kubernetes.

``/health`` is liveness: the process answers, nothing more (no I/O, so a slow database can
never get a healthy process restarted). ``/health/ready`` is readiness: the database answers
within a timeout, so traffic should be sent here.
"""

import asyncio
import logging

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from neodyme import __version__
from neodyme.core.exceptions import NotReadyError
from neodyme.dependencies import SettingsDep
from neodyme.resources import ResourcesDep
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/health", tags=["health"])
logger = logging.getLogger("neodyme.health")


class HealthStatus(BaseModel):
    """What `GET /health` answers."""

    status: str
    version: str


class ReadinessStatus(BaseModel):
    """What `GET /health/ready` answers when every dependency answers."""

    status: str
    checks: dict[str, str]


@router.get("", response_model=HealthStatus)
async def health() -> HealthStatus:
    """Liveness: the process is running (no database involved)."""
    return HealthStatus(status="ok", version=__version__)


@router.get("/ready", response_model=ReadinessStatus, responses=problem_responses(503))
async def ready(settings: SettingsDep, resources: ResourcesDep) -> ReadinessStatus:
    """Readiness: the database answers `SELECT 1` within the timeout, or 503."""
    try:
        async with asyncio.timeout(settings.readiness_timeout_seconds):
            async with resources.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure at all means "do not send traffic here"
        logger.warning("Not ready: database check failed: %r", exc)
        raise NotReadyError("The database is not answering.") from exc
    return ReadinessStatus(status="ready", checks={"database": "ok"})
