"""Reading blockers: from the graph when it can answer for this user, else recursive SQL."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from neodyme.core.database import open_session
from neodyme.graph.client import GRAPH_ERRORS, Graph
from neodyme.models.blocker import BlockerPublic
from neodyme.models.pagination import Cursor
from neodyme.models.todo import TodoPublic
from neodyme.observability.metrics import Metrics
from neodyme.repositories.blocker import BlockerRepository
from neodyme.repositories.outbox import OutboxRepository
from neodyme.services.todos import TodoPage


@dataclass
class BlockerService:
    """Traversals of one owner's blockers.

    The graph answers only when it is configured, answered lately, and holds every change the
    owner made (none of theirs waits in the outbox): a user always reads their own writes.
    Otherwise, or if it fails, SQL answers the same question: slower, never wrong.
    """

    sessionmaker: async_sessionmaker[AsyncSession]
    graph: Graph | None
    metrics: Metrics

    async def transitive(self, owner_id: int, todo_id: int, depth: int) -> list[BlockerPublic]:
        async with open_session(self.sessionmaker) as session:
            repository = BlockerRepository(session)
            found, source = await self._from_graph(session, owner_id, todo_id, depth), "graph"
            if found is None:
                found, source = await repository.transitive(todo_id, depth), "sql"
            self.metrics.blocker_reads.labels(source).inc()
            return await repository.with_todos(found)

    async def next_page(self, owner_id: int, limit: int, after: Cursor | None) -> TodoPage:
        """Open todos whose blockers are all done: a one-step question that SQL answers from an
        index, in the same pages as ``GET /todos``."""
        async with open_session(self.sessionmaker) as session:
            rows = await BlockerRepository(session).next_page(owner_id, limit + 1, after)
        todos = [TodoPublic.model_validate(row) for row in rows[:limit]]
        return TodoPage(todos=todos, has_more=len(rows) > limit)

    async def _from_graph(
        self, session: AsyncSession, owner_id: int, todo_id: int, depth: int
    ) -> list[tuple[int, int]] | None:
        """The graph's answer, or None when it may not give the right one: none configured,
        failing lately (it is then left alone for a while), or behind the owner's writes."""
        graph = self.graph
        if graph is None or not graph.available:
            return None
        if await OutboxRepository(session).pending_for(owner_id):
            return None
        try:
            return await graph.transitive_blockers(todo_id, depth)
        except GRAPH_ERRORS as exc:
            graph.failed(exc, "reading blockers")
            return None
