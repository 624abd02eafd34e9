"""The graph outbox: writes add rows in their own transaction, the projection drains them."""

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from neodyme.models.graph_outbox import GraphChange, GraphOutbox


class Outbox:
    """Where writes record their graph changes, and the signal that wakes the projection.

    Repositories get one only when a graph is configured: without it nothing would ever drain
    the rows, and the app writes none.
    """

    def __init__(self) -> None:
        self.written = asyncio.Event()

    def record(
        self, session: AsyncSession, owner_id: int, kind: GraphChange, **payload: Any
    ) -> None:
        """Add a change to ``session``'s transaction: it commits, or vanishes, with the write."""
        session.add(GraphOutbox(user_id=owner_id, kind=kind, payload=payload))

    def committed(self) -> None:
        """Call after a commit that recorded changes: the projection applies them now."""
        self.written.set()


class OutboxRepository:
    """The rows that have not reached the graph yet."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pending_for(self, owner_id: int) -> bool:
        """Whether some of the owner's changes have not reached the graph yet."""
        query = select(exists().where(GraphOutbox.user_id == owner_id))
        return bool(await self.session.scalar(query))

    async def oldest(self, limit: int) -> Sequence[GraphOutbox]:
        """The next rows to apply, in the order they were written, locked until commit.

        On PostgreSQL a second worker (another replica) waits here for the first one's batch
        to commit, then reads the rows after it. ``SKIP LOCKED`` would let it take those rows
        at once, but it could then apply a user's later change before an earlier one, and the
        graph would end in the wrong state. SQLite has no row locks: with a graph, serve it
        from one process.
        """
        query = select(GraphOutbox).order_by(GraphOutbox.id).limit(limit).with_for_update()
        return (await self.session.scalars(query)).all()

    async def remove(self, rows: Sequence[GraphOutbox]) -> None:
        """Delete rows the graph has accepted, and commit."""
        await self.session.execute(
            delete(GraphOutbox).where(GraphOutbox.id.in_([row.id for row in rows]))
        )
        await self.session.commit()
