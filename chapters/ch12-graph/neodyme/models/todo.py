"""A todo: something a user wants done. Every todo belongs to exactly one user."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import StrictBool, StringConstraints
from sqlalchemy import Column, ForeignKey, Index, Integer, false, func
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlmodel import Field, SQLModel

from neodyme.models.types import RequestBody, UTCDateTime
from neodyme.models.user import NO_CONTROL_CHARACTERS

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS
    ),
]
Description = Annotated[
    str, StringConstraints(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")
]
"""Up to 2000 characters; lines and tabs are fine, other control characters (C0, C1) are not."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def same_as_created_at(context: DefaultExecutionContext) -> datetime:
    """A new todo was last updated when it was created: the very same instant."""
    return context.get_current_parameters()["created_at"]


class Todo(SQLModel, table=True):
    """A row of the ``todo`` table; deleting its user deletes it too."""

    # The owner's todos in page order, ready to walk from any position (keyset pagination).
    # AUTOINCREMENT: SQLite would otherwise give a deleted todo's id to the next todo created.
    __table_args__ = (
        Index("ix_todo_user_id_created_at_id", "user_id", "created_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    completed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    # Both timestamps come from the app's clock, in microseconds: with one clock a todo is never
    # updated before it was created (SQLite's own now() counts whole seconds). The server
    # defaults are for rows written outside the app, by hand or by a migration.
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now(), default=utc_now),
    )
    updated_at: datetime | None = Field(
        default=None,
        sa_column=Column(
            UTCDateTime(),
            nullable=False,
            server_default=func.now(),
            default=same_as_created_at,
            onupdate=utc_now,
        ),
    )


class TodoCreate(RequestBody):
    title: Title
    description: Description | None = None
    completed: StrictBool = False


class TodoUpdate(RequestBody):
    """Only the fields sent change; ``null`` keeps a value (send ``""`` to clear a description)."""

    title: Title | None = None
    description: Description | None = None
    completed: StrictBool | None = None


class TodoPublic(SQLModel):
    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
