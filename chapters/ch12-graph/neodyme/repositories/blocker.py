"""Data access for blockers, with recursive SQL: the baseline that works on every database."""

import functools
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, delete, exists, false, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import select

from neodyme.core.exceptions import BlockerCycleError, BlockerNotFoundError, TodoNotFoundError
from neodyme.models.blocker import BlockerPublic, TodoBlocker
from neodyme.models.graph_outbox import GraphChange
from neodyme.models.pagination import Cursor
from neodyme.models.todo import Todo, TodoPublic
from neodyme.models.user import User
from neodyme.repositories.outbox import Outbox
from neodyme.repositories.todo import page_query

TRANSITIVE_BLOCKERS = text("""
    WITH RECURSIVE reached(id, distance) AS (
        SELECT blocker_id, 1 FROM todo_blocker WHERE todo_id = :todo_id
        UNION
        SELECT edge.blocker_id, reached.distance + 1
        FROM todo_blocker AS edge JOIN reached ON edge.todo_id = reached.id
        WHERE reached.distance < :depth
    )
    SELECT id, min(distance) AS distance FROM reached GROUP BY id ORDER BY distance, id
""")
"""Every todo that blocks ``todo_id`` within ``depth`` steps, at its shortest distance.

``UNION`` (not ``UNION ALL``) drops a row already found, and the depth bounds the walk.
"""

EDGES_REACHABLE = text("""
    WITH RECURSIVE reached(id) AS (
        SELECT CAST(:todo_id AS INTEGER)
        UNION
        SELECT edge.blocker_id FROM todo_blocker AS edge JOIN reached ON edge.todo_id = reached.id
    )
    SELECT edge.todo_id, edge.blocker_id FROM todo_blocker AS edge JOIN reached
    ON edge.todo_id = reached.id
""")
"""Every edge on the way from ``todo_id`` through its blockers, however far: ``UNION`` visits
each todo once, so the walk ends even if the data held a cycle."""

ID_CHUNK = 1000
"""Todos read by id per query: far below every driver's limit on parameters."""


class BlockerRepository:
    """Reads and writes the blockers of one user's todos; writes commit before returning.

    Callers check that the todos are the owner's: an edge only ever joins two of them.
    """

    def __init__(self, session: AsyncSession, outbox: Outbox | None = None) -> None:
        self.session = session
        self.outbox = outbox

    async def add(self, owner_id: int, todo_id: int, blocker_id: int) -> None:
        """Make ``blocker_id`` block ``todo_id``; raises ``BlockerCycleError`` if that closes a
        cycle. Adding an edge that exists changes nothing."""
        await self._lock_blockers_of(owner_id)
        if await self.session.get(TodoBlocker, (todo_id, blocker_id)) is not None:
            await self.session.rollback()
            return
        if path := await self._path(blocker_id, todo_id):
            await self.session.rollback()
            raise BlockerCycleError([todo_id, *path])
        self.session.add(TodoBlocker(todo_id=todo_id, blocker_id=blocker_id))
        try:
            await self._commit(owner_id, GraphChange.BLOCKER_ADDED, todo_id, blocker_id)
        except IntegrityError:  # another request deleted one of the todos meanwhile
            await self.session.rollback()
            raise TodoNotFoundError from None

    async def remove(self, owner_id: int, todo_id: int, blocker_id: int) -> None:
        """Raises ``BlockerNotFoundError`` if ``blocker_id`` does not block ``todo_id``."""
        await self._lock_blockers_of(owner_id)
        result = await self.session.execute(
            delete(TodoBlocker).where(
                TodoBlocker.todo_id == todo_id, TodoBlocker.blocker_id == blocker_id
            )
        )
        if result.rowcount == 0:
            await self.session.rollback()
            raise BlockerNotFoundError
        await self._commit(owner_id, GraphChange.BLOCKER_REMOVED, todo_id, blocker_id)

    async def transitive(self, todo_id: int, depth: int) -> list[tuple[int, int]]:
        """``(id, distance)`` of every todo blocking ``todo_id`` within ``depth`` steps."""
        rows = await self.session.execute(TRANSITIVE_BLOCKERS, {"todo_id": todo_id, "depth": depth})
        return [(row.id, row.distance) for row in rows]

    async def with_todos(self, found: Iterable[tuple[int, int]]) -> list[BlockerPublic]:
        """The todos ``(id, distance)`` names, in that order, each with its distance."""
        distances = dict(found)
        ids = list(distances)
        columns = [getattr(Todo, name) for name in TodoPublic.model_fields]
        todos = {}
        for start in range(0, len(ids), ID_CHUNK):
            query = select(*columns).where(Todo.id.in_(ids[start : start + ID_CHUNK]))
            todos |= {row.id: row for row in await self.session.execute(query)}
        return [
            BlockerPublic(**todos[todo_id]._mapping, distance=distances[todo_id])
            for todo_id in ids
            if todo_id in todos  # deleted since the graph answered
        ]

    async def next_page(self, owner_id: int, limit: int, after: Cursor | None) -> Sequence[Row]:
        """A page of the owner's open todos whose blockers are all completed, newest first."""
        parameters: dict[str, Any] = {
            "owner_id": owner_id,
            "completed": False,
            "offset": 0,
            "limit": limit,
        }
        if after is not None:
            parameters |= {"after_created_at": after.created_at, "after_id": after.id}
        return (await self.session.execute(next_query(after is not None), parameters)).all()

    async def _lock_blockers_of(self, owner_id: int) -> None:
        """Make this user's blocker writes run one at a time, until this transaction ends.

        Two requests adding a->b and b->a at once would each find no cycle and both succeed.
        A write to the owner's row (that changes nothing) locks it on PostgreSQL, and takes
        the database's single write lock on SQLite: the second request waits, then sees the
        first one's edge.
        """
        await self.session.execute(
            update(User).where(User.id == owner_id).values(id=User.id),
            execution_options={"synchronize_session": False},
        )

    async def _path(self, start: int, goal: int) -> list[int]:
        """The shortest way from ``start`` through blockers to ``goal``, both included; or []."""
        edges = await self.session.execute(EDGES_REACHABLE, {"todo_id": start})
        blockers: dict[int, list[int]] = {}
        for todo_id, blocker_id in edges:
            blockers.setdefault(todo_id, []).append(blocker_id)
        came_from: dict[int, int | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            if current == goal:
                path = [current]
                while (previous := came_from[path[-1]]) is not None:
                    path.append(previous)
                return path[::-1]
            for blocker in blockers.get(current, []):
                if blocker not in came_from:
                    came_from[blocker] = current
                    queue.append(blocker)
        return []

    async def _commit(
        self, owner_id: int, change: GraphChange, todo_id: int, blocker_id: int
    ) -> None:
        if self.outbox is not None:
            self.outbox.record(
                self.session, owner_id, change, todo_id=todo_id, blocker_id=blocker_id
            )
        await self.session.commit()
        if self.outbox is not None:
            self.outbox.committed()


@functools.cache
def next_query(from_cursor: bool) -> Select:
    """``page_query`` of open todos, less those with a blocker still open.

    One step is enough: a todo is next when each of its own blockers is done, whatever
    blocked those. The primary key of ``todo_blocker`` finds a todo's blockers.
    """
    blocker = aliased(Todo)
    still_blocked = exists().where(
        TodoBlocker.todo_id == Todo.id,
        TodoBlocker.blocker_id == blocker.id,
        blocker.completed == false(),
    )
    return page_query(by_state=True, from_cursor=from_cursor).where(~still_blocked)
