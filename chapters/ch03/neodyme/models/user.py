"""The user: the table row, and the shapes it takes on the way in and out of the API.

Each model has one job. ``UserCreate`` and ``UserUpdate`` say what a client may send,
``UserPublic`` what a client may see, and ``User`` what the database stores.
"""

from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, ConfigDict, EmailStr, StringConstraints
from sqlmodel import Field, SQLModel


def any_case(name: str) -> str:
    """``test`` as the pattern ``[tT][eE][sS][tT]``: JSON Schema has no ignore-case flag."""
    return "".join(f"[{letter}{letter.upper()}]" for letter in name)


# email-validator refuses the domains reserved for special use (RFC 6761: no mail is delivered
# there), which ``format: email`` allows: the schema says so in words and as a pattern.
SPECIAL_USE_DOMAINS = ", ".join(f"`.{name}`" for name in SPECIAL_USE_DOMAIN_NAMES)
NOT_SPECIAL_USE = rf"^(?!.*[@.]({'|'.join(map(any_case, SPECIAL_USE_DOMAIN_NAMES))})$)"

Email = Annotated[
    EmailStr,
    AfterValidator(str.lower),
    Field(
        description=f"An address that can receive mail: not at {SPECIAL_USE_DOMAINS}.",
        schema_extra={"json_schema_extra": {"pattern": NOT_SPECIAL_USE}},
    ),
]
"""A syntactically valid address, lower-cased so that one mailbox is one account."""

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]+$"
"""Text without control characters (C0, DEL, C1): they have no business in a name and break
logs, exports and terminals; PostgreSQL cannot even store a NUL in text."""

FullName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS
    ),
]
"""1 to 100 characters once surrounding spaces are stripped; no control characters (C0, C1)."""


class User(SQLModel, table=True):
    """A row of the ``user`` table."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True, index=True)
    full_name: str = Field(max_length=100)


class UserCreate(SQLModel):
    """What a client sends to sign a user up."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    full_name: FullName


class UserUpdate(SQLModel):
    """What a client sends to change a user: only the fields it sends change.

    A field sent as ``null`` is treated like a field left out: it keeps its value.
    """

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    full_name: FullName | None = None


class UserPublic(SQLModel):
    """What the API shows of a user."""

    id: int
    email: str
    full_name: str
