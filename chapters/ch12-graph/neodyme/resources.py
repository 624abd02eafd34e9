"""What the running app shares between its requests, in one typed object.

The lifespan builds one ``Resources`` when the app starts and keeps it on ``app.state``; code
reaches it through ``ResourcesDep``, never by reading ``app.state`` itself. A type checker then
knows every field, and a test replaces them all with ``app.dependency_overrides[get_resources]``.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from neodyme.core.cache import Cache
from neodyme.core.config import Settings
from neodyme.core.rate_limit import Limiter, Limits
from neodyme.core.redis import SharedRedis
from neodyme.core.security import PasswordHasher
from neodyme.graph.client import Graph
from neodyme.observability.metrics import Metrics
from neodyme.repositories.outbox import Outbox
from neodyme.services.projection import Projector


@dataclass(frozen=True)
class Resources:
    """Built once, by the lifespan: each field is created in exactly one place."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    metrics: Metrics
    limiter: Limiter
    limits: Limits
    hasher: PasswordHasher
    cache: Cache
    redis: SharedRedis | None
    graph: Graph | None
    outbox: Outbox | None
    projector: Projector | None


async def get_resources(request: Request) -> Resources:
    """The resources the lifespan built for this request's app."""
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
