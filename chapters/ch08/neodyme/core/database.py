"""The database connection: one async engine per application, one session per request."""

import logging
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from neodyme.core.exceptions import DatabaseUnavailableError

logger = logging.getLogger("neodyme.database")


def is_unreachable(exc: Exception) -> bool:
    """Whether ``exc`` means the database is down or out of reach, rather than a bug.

    Socket errors from the driver (refused, timed out, unknown host), a pool with every
    connection busy, and driver errors that SQLAlchemy recognises as a lost connection all
    count. A missing table or a failed constraint does not: those stay 500s or 4xx.
    """
    if isinstance(exc, OSError | PoolTimeoutError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def create_engine(url: str, echo: bool = False) -> AsyncEngine:
    """An async engine; ``echo`` logs every SQL statement (``NEODYME_DEBUG``)."""
    engine = create_async_engine(url, echo=echo)
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
    session = request.app.state.sessionmaker()
    try:
        yield session
    except Exception as exc:
        if is_unreachable(exc):
            raise DatabaseUnavailableError from exc
        raise
    finally:
        await close_session(session)


async def close_session(session: AsyncSession) -> None:
    """Close ``session``; a connection lost in the meantime is logged, not raised.

    The session closes after the response has been sent. An error raised then cannot reach the
    client any more: the server would only drop the connection, and the client's next request
    on it would fail instead.
    """
    try:
        await session.close()
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        logger.warning("The database connection was lost while closing a session: %r", exc)
