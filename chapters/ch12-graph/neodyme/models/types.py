"""Types the models share: column types that behave the same on SQLite and PostgreSQL, and
the base of every body a client sends."""

from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, model_validator
from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

MAX_BODY_MEMBERS = 32
"""Far more members than any body has fields; a JSON object with more is refused whole."""


class RequestBody(SQLModel):
    """A JSON object a client sends: the model's fields only, and not thousands of others.

    ``extra="forbid"`` reports every unknown member, one error each, so an object of thousands
    of them would make an answer of thousands of errors and hold up the event loop while it is
    built. An object with more than ``MAX_BODY_MEMBERS`` members is refused with one error
    instead, before any member is looked at (the schema says so too, as ``maxProperties``).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"maxProperties": MAX_BODY_MEMBERS})

    @model_validator(mode="before")
    @classmethod
    def refuse_huge_objects(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) > MAX_BODY_MEMBERS:
            raise ValueError(f"An object here has at most {MAX_BODY_MEMBERS} members")
        return data


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always reads back as UTC.

    PostgreSQL stores ``timestamptz`` and returns aware values, but SQLite has no timezone
    type: it hands back naive datetimes. This type stores UTC everywhere and attaches the
    UTC zone to what SQLite returns, so application code only ever sees aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give it a timezone before storing it")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
