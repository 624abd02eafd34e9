"""Keeping the graph in step with the database: the outbox worker, and the full rebuild."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from neodyme.graph import cypher
from neodyme.graph.client import GRAPH_ERRORS, Graph
from neodyme.models.blocker import TodoBlocker
from neodyme.models.todo import Todo
from neodyme.repositories.outbox import Outbox, OutboxRepository

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
"""Outbox rows applied in one graph transaction, and rows sent per ``UNWIND`` in a rebuild."""

POLL_SECONDS = 5.0
"""How often the worker looks for rows nobody woke it for (another replica's, a retry's)."""

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
"""After a failure the worker waits, twice as long after each failure in a row, up to this."""


class Projector:
    """Applies the outbox to the graph after commit, in id order, in batches.

    A batch's rows are deleted only once the graph has accepted it, so a crash between the two
    applies the batch again: harmless, every statement is idempotent. A graph (or database)
    error leaves the rows in place and the worker retries, waiting longer after each failure.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], graph: Graph, outbox: Outbox
    ) -> None:
        self.sessionmaker = sessionmaker
        self.graph = graph
        self.outbox = outbox
        self._task: asyncio.Task | None = None

    async def drain(self) -> int:
        """Apply every row written so far; the number applied. Raises what the graph raises."""
        applied = 0
        while True:
            async with self.sessionmaker() as session:
                outbox = OutboxRepository(session)
                rows = await outbox.oldest(BATCH_SIZE)
                if not rows:
                    return applied
                await self.graph.apply(rows)
                await outbox.remove(rows)
            applied += len(rows)

    async def run(self) -> None:
        """Drain whenever a write commits (or every ``POLL_SECONDS``), until cancelled."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            self.outbox.written.clear()
            try:
                await self.drain()
            except GRAPH_ERRORS as exc:
                self.graph.failed(exc, "applying the outbox")
            except Exception:  # the database, or a bug: the rows wait, the app serves on
                logger.exception("The outbox worker failed; retrying in %.0fs", backoff)
            else:
                backoff = FIRST_BACKOFF_SECONDS
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await self.outbox.written.wait()
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="graph-outbox")

    async def stop(self) -> None:
        """Cancel the worker; a batch it was applying stays in the outbox for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


@dataclass
class RebuildSummary:
    todos: int
    blockers: int


async def rebuild(sessionmaker: async_sessionmaker[AsyncSession], graph: Graph) -> RebuildSummary:
    """Empty the graph and project every todo and blocker again, ``BATCH_SIZE`` at a time.

    For a graph that is empty, lost or wrong. Reads during the rebuild may see a part of it:
    run it before the app serves the graph, or accept a moment of incomplete answers.
    """
    summary = RebuildSummary(todos=0, blockers=0)
    await graph.write([(cypher.DELETE_EVERYTHING, {})])
    async with sessionmaker() as session:
        todos = await session.stream(
            select(Todo.id, Todo.user_id, Todo.completed).execution_options(yield_per=BATCH_SIZE)
        )
        async for rows in todos.partitions():
            await graph.write([(cypher.SAVE_TODOS, {"rows": [row._asdict() for row in rows]})])
            summary.todos += len(rows)
        blockers = await session.stream(
            select(TodoBlocker.todo_id, TodoBlocker.blocker_id).execution_options(
                yield_per=BATCH_SIZE
            )
        )
        async for rows in blockers.partitions():
            await graph.write([(cypher.ADD_BLOCKERS, {"rows": [row._asdict() for row in rows]})])
            summary.blockers += len(rows)
    return summary
