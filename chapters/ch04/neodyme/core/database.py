"""The database connection: one async engine per application, one session per request."""

import os
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./neodyme.db"

MAX_INTEGER = 2**31 - 1
"""The largest value of an INTEGER column: PostgreSQL stores it in 32 bits.

An id above it cannot exist, and asyncpg would refuse to send it (a 500); no table holds more
rows, so no offset needs to be larger. Requests bound ids and offsets by it: a 422 on every
database.
"""


def database_url() -> str:
    """The SQLAlchemy async URL from ``NEODYME_DATABASE_URL``, or the embedded SQLite file."""
    return os.environ.get("NEODYME_DATABASE_URL", DEFAULT_DATABASE_URL)


def create_engine(url: str) -> AsyncEngine:
    return create_async_engine(url)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit.

    With the default ``expire_on_commit=True``, reading ``user.id`` after ``commit()`` would
    trigger a lazy load, which an async session cannot do implicitly (``MissingGreenlet``).
    """
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency: one session per request, closed when the request is done."""
    async with request.app.state.sessionmaker() as session:
        yield session
