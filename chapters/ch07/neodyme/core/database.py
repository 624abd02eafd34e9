"""The database connection: one async engine per application, one session per request."""

import os
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from neodyme.core.exceptions import DatabaseUnavailableError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./neodyme.db"

# What a database that is down, unreachable or out of connections raises: the driver's socket
# errors (refused, timed out, unknown host), the DBAPI's operational and interface errors, and
# the pool's timeout when every connection is busy.
DATABASE_UNREACHABLE = (OSError, OperationalError, InterfaceError, PoolTimeoutError)


def database_url() -> str:
    """The SQLAlchemy async URL from ``NEODYME_DATABASE_URL``, or the embedded SQLite file."""
    return os.environ.get("NEODYME_DATABASE_URL", DEFAULT_DATABASE_URL)


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", enforce_foreign_keys)
    return engine


def enforce_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys (and so ``ON DELETE CASCADE``) unless each connection asks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit.

    With the default ``expire_on_commit=True``, reading ``user.id`` after ``commit()`` would
    trigger a lazy load, which an async session cannot do implicitly (``MissingGreenlet``).
    """
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency: one session per request, closed when the request is done.

    A database that cannot be reached becomes ``DatabaseUnavailableError`` (503), wherever in
    the request it shows up.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except DATABASE_UNREACHABLE as exc:
            raise DatabaseUnavailableError from exc
