"""Blockers: a todo that cannot be done before another one of the same user is.

The edges live in ``todo_blocker``, the source of truth; the graph database only projects them
(``neodyme.graph``). Deleting either todo deletes the edge.
"""

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from neodyme.models.todo import TodoPublic

MAX_DEPTH = 50
"""How far ``GET /todos/{id}/blockers`` follows blockers of blockers."""


class TodoBlocker(SQLModel, table=True):
    """An edge: ``todo_id`` is blocked by ``blocker_id``."""

    __tablename__ = "todo_blocker"
    __table_args__ = (
        CheckConstraint("todo_id <> blocker_id", name="not_itself"),
        # The primary key finds a todo's blockers; this finds what a todo blocks.
        Index("ix_todo_blocker_blocker_id", "blocker_id"),
    )

    todo_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("todo.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    blocker_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("todo.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )


class BlockerPublic(TodoPublic):
    """A todo that blocks another, and in how few steps (1: directly)."""

    distance: int
