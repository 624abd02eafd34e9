"""Keyset pagination: a page starts right after the last row of the previous page.

``OFFSET 10000`` makes the database read and throw away ten thousand rows; "rows older than
this one" walks an index straight to the start of the page, however deep it is, and a row
added meanwhile cannot shift a row onto two pages. The position travels as an opaque cursor:
the sort key of the last row seen, ``(created_at, id)`` (the id breaks ties between equal
timestamps, which makes the order total), as base64url JSON. It is validated like any other
input, and gives no access beyond the caller's own rows: every query is scoped to its owner.
"""

import base64
import binascii
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import InvalidCursorError


class Cursor(BaseModel):
    """The sort key of the last row of a page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    created_at: AwareDatetime
    id: int = Field(ge=1, le=MAX_INTEGER)

    @field_validator("created_at")
    @classmethod
    def in_utc(cls, value: datetime) -> datetime:
        """The instant in UTC, as the database compares it: 9999-12-31T23:59-14:00 has none."""
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("no such instant in UTC") from None


def encode_cursor(created_at: datetime, row_id: int) -> str:
    json = Cursor(created_at=created_at, id=row_id).model_dump_json()
    return base64.urlsafe_b64encode(json.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """The cursor ``token`` encodes; anything else is an ``InvalidCursorError`` (400)."""
    try:
        json = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return Cursor.model_validate_json(json)
    except (binascii.Error, ValueError, ValidationError):
        raise InvalidCursorError from None
