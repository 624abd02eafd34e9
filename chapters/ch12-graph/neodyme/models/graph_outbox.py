"""The outbox: the graph changes a write made, stored in the write's own transaction.

A write cannot update the database and the graph atomically; it can add a row here atomically.
Once the transaction commits, a worker applies the rows to the graph and deletes them
(``services.projection``): a change reaches the graph at least once, never before its commit.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, String, func
from sqlmodel import Field, SQLModel

from neodyme.models.types import UTCDateTime


class GraphChange(StrEnum):
    """What a row asks the graph to do; its payload holds the Cypher statement's parameters."""

    TODO_SAVED = "todo_saved"  # {id, user_id, completed}
    TODO_DELETED = "todo_deleted"  # {id}
    BLOCKER_ADDED = "blocker_added"  # {todo_id, blocker_id}
    BLOCKER_REMOVED = "blocker_removed"  # {todo_id, blocker_id}
    USER_DELETED = "user_deleted"  # {user_id}: their todos went with them


class GraphOutbox(SQLModel, table=True):
    """One pending change, applied in ``id`` order; ``user_id`` tells whose graph it changes."""

    __tablename__ = "graph_outbox"
    __table_args__ = (Index("ix_graph_outbox_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: the change that deletes a user's todos must outlive the user.
    user_id: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now())
    )
