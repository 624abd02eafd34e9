"""The database connection: one async engine per application, one session per request."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from neodyme.core.config import Settings
from neodyme.core.exceptions import DatabaseUnavailableError

logger = logging.getLogger("neodyme.database")

MAX_INTEGER = 2**31 - 1
"""The largest value of an INTEGER column: PostgreSQL stores it in 32 bits.

An id above it cannot exist, and asyncpg would refuse to send it (a 500); no table holds more
rows, so no offset needs to be larger. Requests bound ids and offsets by it: a 422 on every
database.
"""


CONNECT_TIMEOUT_SECONDS = 5.0
"""How long opening a PostgreSQL connection may take before the request gets a 503.

asyncpg waits 60 s by default, and the pool's timeout covers only the wait for a free
connection, not the opening of a new one: a database host that silently drops packets would
hold every request for a minute, long after a proxy in front has given up (nginx: 30 s).
"""

SQLITE_BUSY_TIMEOUT_MS = 5000
"""How long an SQLite write waits for another connection to finish writing, then fails."""

UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "57014", "3D000")
"""PostgreSQL errors (SQLSTATE codes and classes) that mean "not now" rather than "wrong".

``08`` a connection failure, ``53`` a server out of resources (``53300`` too many clients),
``57P`` a server shutting down or starting up (``57P03``), ``57014`` a statement cancelled by
``statement_timeout`` (it waited on a lock or a busy server), ``3D000`` a database that is gone.
"""

BUSY_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED")
"""SQLite's "database is locked": another writer held the lock for the whole busy timeout."""


def is_unreachable(exc: Exception) -> bool:
    """Whether ``exc`` means the database is down, out of reach or busy, rather than a bug.

    Socket errors and timeouts from the driver (refused, timed out, unknown host), a pool with
    every connection busy, driver errors that SQLAlchemy recognises as a lost connection, and a
    database that refuses work for now all count. A missing table or a failed constraint does
    not: those stay 500s or 4xx.
    """
    if isinstance(exc, OSError | PoolTimeoutError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or refuses_for_now(exc))


def refuses_for_now(exc: DBAPIError) -> bool:
    """Whether the driver's error says "try again later": too many clients, a server starting
    up or shutting down, a dropped database (PostgreSQL) or a write lock held too long (SQLite).

    These arrive as ordinary driver errors, often while a connection opens, so
    ``connection_invalidated`` is not set: the code the database sent says what they are.
    """
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    sqlite_error = getattr(exc.orig, "sqlite_errorname", None) or ""
    return sqlstate.startswith(UNAVAILABLE_SQLSTATES) or sqlite_error.startswith(BUSY_SQLITE_ERRORS)


def create_engine(
    url: str, echo: bool = False, connect_timeout: float = CONNECT_TIMEOUT_SECONDS, **options: Any
) -> AsyncEngine:
    """An async engine; ``echo`` logs every SQL statement (``NEODYME_DEBUG``).

    Its connections open within ``connect_timeout`` seconds or fail: the app passes
    ``NEODYME_DATABASE_CONNECT_TIMEOUT_SECONDS``. ``options`` go to SQLAlchemy as they are
    (their ``connect_args`` added to the timeout): the app passes ``pool_options(settings)``.
    """
    connect_args = connect_options(url, connect_timeout) | options.pop("connect_args", {})
    engine = create_async_engine(url, echo=echo, connect_args=connect_args, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", share_sqlite_between_writers)
        event.listen(engine.sync_engine, "connect", enforce_foreign_keys)
    return engine


def pool_options(settings: Settings) -> dict[str, Any]:
    """The connection pool and, on PostgreSQL, the statement timeout, from settings.

    ``pool_size + pool_max_overflow`` is the most connections one process opens: with N
    processes, keep N times that below PostgreSQL's ``max_connections``. A request that finds
    every connection busy waits ``pool_timeout_seconds``, then gets a 503, not a hang.
    An overflow connection is closed as soon as it is returned, so a steady load above
    ``pool_size`` opens and closes a PostgreSQL connection for almost every request, which
    costs far more than the query. Size the pool for the steady load; overflow is for short
    bursts, and is off by default.
    Pre-ping is off by default: it costs a round trip on every checkout, while recycling
    connections before the server or a proxy drops them, and the 503 for a connection lost
    mid-request, cover the same failure more cheaply.
    """
    options: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.pool_max_overflow,
        "pool_timeout": settings.pool_timeout_seconds,
        "pool_recycle": settings.pool_recycle_seconds,
        "pool_pre_ping": settings.pool_pre_ping,
    }
    if make_url(settings.database_url).get_backend_name() == "postgresql":
        # The server cancels a runaway query: it cannot hold a connection (and a request) forever.
        server_settings = {"statement_timeout": str(settings.statement_timeout_ms)}
        options["connect_args"] = {"server_settings": server_settings}
    return options


def connect_options(url: str, connect_timeout: float) -> dict[str, Any]:
    """What the driver gets when it opens a connection: asyncpg's ``timeout`` on PostgreSQL.

    SQLite opens a local file: it has no connection time to bound.
    """
    if make_url(url).get_backend_name() == "postgresql":
        return {"timeout": connect_timeout}
    return {}


def share_sqlite_between_writers(dbapi_connection, connection_record) -> None:
    """Let SQLite's readers and writer work side by side, and a writer wait for its turn.

    In WAL mode readers do not block the writer, nor it them; the busy timeout makes a write
    wait for another connection's (or process's) write lock instead of failing at once. Past
    it, "database is locked" is a 503. An in-memory database cannot use WAL and keeps its mode.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


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


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for a read that is one statement: no transaction around it.

    A session normally wraps its statements in a transaction, and on PostgreSQL that is two
    extra round trips to the server for every request: ``BEGIN`` before the first statement,
    ``ROLLBACK`` when the session closes. A single ``SELECT`` sees one consistent snapshot
    with or without them, so a read of one statement runs in autocommit mode instead: one
    round trip instead of three. The connections come from the same pool. Anything that
    writes, or reads twice and needs both reads to agree, uses ``create_sessionmaker``.
    """
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(autocommit, expire_on_commit=False)


@asynccontextmanager
async def open_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session; a database that cannot be reached becomes ``DatabaseUnavailableError`` (503)."""
    session = sessionmaker()
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


async def wait_for_database(url: str, timeout_seconds: float) -> None:
    """Return once the database answers; retry with growing pauses until the timeout.

    In a fresh deployment the database container may still be starting when the app starts.
    Raises ``DatabaseUnavailableError`` if it has not answered when the time is up.
    """
    engine = create_engine(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_seconds
    pause = 0.5
    try:
        while True:
            try:
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                return
            except Exception as exc:
                remaining = deadline - loop.time()
                if not is_unreachable(exc):
                    raise
                if remaining <= 0:
                    raise DatabaseUnavailableError(
                        f"The database did not answer within {timeout_seconds:g}s: {exc!r}"
                    ) from exc
                wait = min(pause, remaining)
                logger.warning("Database not reachable yet (%r); retrying in %.1fs", exc, wait)
                await asyncio.sleep(wait)
                pause = min(pause * 2, 5.0)
    finally:
        await engine.dispose()
