"""The user: the table row, and the shapes it takes on the way in and out of the API.

Each model has one job. ``UserCreate`` and ``UserUpdate`` say what a client may send,
``UserPublic`` what a client may see, and ``User`` what the database stores.
"""

from datetime import datetime
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, EmailStr, StringConstraints
from sqlalchemy import Column, false, func, true
from sqlmodel import Field, SQLModel

from neodyme.core.security import BCRYPT_MAX_BYTES, password_fits_bcrypt
from neodyme.models.types import RequestBody, UTCDateTime


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


def _fits_bcrypt(password: str) -> str:
    if not password_fits_bcrypt(password):
        raise ValueError(f"Password must be at most {BCRYPT_MAX_BYTES} bytes in UTF-8")
    return password


Password = Annotated[
    str,
    # No control characters: the login form refuses them, so such a password could never log in.
    StringConstraints(min_length=8, max_length=BCRYPT_MAX_BYTES, pattern=NO_CONTROL_CHARACTERS),
    AfterValidator(_fits_bcrypt),
    Field(
        description=(
            "8 to 72 characters, and at most 72 bytes in UTF-8 (bcrypt's limit); "
            "no control characters."
        ),
        # JSON Schema counts characters, not bytes: the byte limit is stated in an extension.
        schema_extra={"json_schema_extra": {"x-max-bytes": BCRYPT_MAX_BYTES}},
    ),
]


class User(SQLModel, table=True):
    """A row of the ``user`` table."""

    # An access token names its user by id. Without AUTOINCREMENT, SQLite gives a deleted user's
    # id to the next signup, and that user would inherit the deleted one's unexpired tokens.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True, index=True)
    full_name: str = Field(max_length=100)
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now()),
    )
    """Filled in by the database when the row is inserted."""
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    hashed_password: str = Field(max_length=255)
    is_superuser: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    last_login_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    """Recorded after each successful login's response has been sent."""


class UserCreate(RequestBody):
    """What a client sends to sign a user up."""

    email: Email
    full_name: FullName
    password: Password


class UserUpdate(RequestBody):
    """What a client sends to change a user: only the fields it sends change.

    A field sent as ``null`` is treated like a field left out: it keeps its value. Changing
    your own password needs ``current_password`` as well.
    """

    email: Email | None = None
    full_name: FullName | None = None
    password: Password | None = None
    current_password: str | None = Field(default=None, max_length=BCRYPT_MAX_BYTES)


class UserPublic(SQLModel):
    """What the API shows of a user, and what the cache keeps of the signed-in user.

    No password hash, ever: the cache may live in Redis, outside the database's protection.
    """

    id: int
    email: str
    full_name: str
    created_at: datetime
    is_active: bool
    is_superuser: bool
