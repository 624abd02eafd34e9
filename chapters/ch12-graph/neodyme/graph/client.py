"""The process's connection to the graph database, and what happens while it is away.

The graph only projects what the database holds, so it is never needed to answer: when it does
not answer in time, the caller asks SQL instead. As with Redis (``core.redis``), calls are
bounded by a short timeout, and after a failure the graph is left alone for a few seconds.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from neo4j import AsyncGraphDatabase, AsyncManagedTransaction, Query
from neo4j.exceptions import DriverError, Neo4jError

from neodyme.core.config import Settings
from neodyme.graph import cypher
from neodyme.models.graph_outbox import GraphOutbox

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 5.0

GRAPH_ERRORS = (Neo4jError, DriverError, OSError, TimeoutError)
"""What a graph call raises when the server is down, unreachable, slow or refuses the query."""


class Graph:
    """An async Neo4j driver with a timeout on every call and a memory of recent failures."""

    def __init__(
        self,
        url: str,
        auth: tuple[str, str],
        database: str,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.driver = AsyncGraphDatabase.driver(
            url,
            auth=auth,
            connection_timeout=timeout_seconds,
            connection_acquisition_timeout=timeout_seconds,
            max_transaction_retry_time=0,  # the outbox retries; a request should not wait
        )
        self.database = database
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        """False for a few seconds after a failure: callers go straight to SQL."""
        return self.clock() >= self._down_until

    def failed(self, error: Exception, doing: str) -> None:
        """Record a failed call; the first failure of an outage is logged as a warning."""
        if self.available:
            logger.warning(
                "The graph is unavailable (%r while %s): using SQL for %.0fs",
                error,
                doing,
                BACKOFF_SECONDS,
            )
        self._down_until = self.clock() + BACKOFF_SECONDS

    async def read(self, statement: str, **parameters: Any) -> list[dict[str, Any]]:
        """The records of one read, as dicts; raises one of ``GRAPH_ERRORS`` on failure."""
        async with asyncio.timeout(self.timeout_seconds):
            result = await self.driver.execute_query(
                Query(statement, timeout=self.timeout_seconds),
                parameters,
                database_=self.database,
                routing_="r",
            )
        return [record.data() for record in result.records]

    async def write(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Run ``statements`` in one transaction: the graph takes all of them, or none."""

        async def run_all(transaction: AsyncManagedTransaction) -> None:
            for statement, parameters in statements:
                await (await transaction.run(statement, parameters)).consume()

        async with asyncio.timeout(self.timeout_seconds):
            async with self.driver.session(database=self.database) as session:
                await session.execute_write(run_all)

    async def transitive_blockers(self, todo_id: int, depth: int) -> list[tuple[int, int]]:
        """``(id, distance)`` of every todo blocking ``todo_id`` within ``depth`` steps."""
        records = await self.read(cypher.transitive_blockers(depth), todo_id=todo_id)
        return [(record["id"], record["distance"]) for record in records]

    async def apply(self, changes: Sequence[GraphOutbox]) -> None:
        """Apply outbox rows, in their order, in one transaction."""
        await self.write([(cypher.STATEMENT_FOR[row.kind], row.payload) for row in changes])

    async def ping(self) -> None:
        await self.read(cypher.PING)

    async def close(self) -> None:
        await self.driver.close()


def create_graph(settings: Settings) -> Graph | None:
    """The graph that projects the blockers, or None: without one, SQL answers everything."""
    if not settings.graph_url:
        return None
    password = settings.graph_password.get_secret_value() if settings.graph_password else ""
    return Graph(
        settings.graph_url,
        (settings.graph_user, password),
        settings.graph_database,
        settings.graph_timeout_seconds,
    )
