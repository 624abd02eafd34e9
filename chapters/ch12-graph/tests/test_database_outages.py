"""A database that refuses, never answers or stays locked: a 503 problem, never a 500 or a hang.

The faults are real: a PostgreSQL role that may not connect, a database that does not exist, a
server that answers "starting up" the way PostgreSQL does, a host that accepts and stays silent,
an SQLite file another connection holds.
"""

import asyncio
import sqlite3
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from conftest import POSTGRES_URL, Migrations, api_url, make_settings
from factories import PASSWORD
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from neodyme.core import database
from neodyme.core.database import create_engine, create_sessionmaker
from neodyme.main import create_app
from neodyme.resources import get_resources

ADA = {"email": "ada@example.com", "full_name": "Ada Lovelace", "password": PASSWORD}
SSL_OR_GSS_REQUEST = {80877103, 80877104}
"""The codes of the two requests a client may send before its startup message."""

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def error_response(sqlstate: str, message: str) -> bytes:
    """A PostgreSQL ``ErrorResponse`` message (wire protocol 3.0): severity, code, text."""
    fields = {b"S": "FATAL", b"V": "FATAL", b"C": sqlstate, b"M": message}
    body = b"".join(key + value.encode() + b"\0" for key, value in fields.items()) + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


async def starting_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer like a PostgreSQL server that is still starting: no TLS, then ``57P03``."""
    while True:
        (length,) = struct.unpack("!i", await reader.readexactly(4))
        message = await reader.readexactly(length - 4)
        if struct.unpack("!i", message[:4])[0] not in SSL_OR_GSS_REQUEST:
            break
        writer.write(b"N")
    writer.write(error_response("57P03", "the database system is starting up"))
    await writer.drain()
    writer.close()


async def black_hole(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, then never answer: a host whose firewall drops packets, as seen by a client."""
    await reader.read()  # until the client gives up and closes
    writer.close()


@asynccontextmanager
async def fake_server(handle: Handler) -> AsyncIterator[str]:
    """A server on a free local port that handles each connection with ``handle``; its URL."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/neodyme"
    finally:
        server.close()


@asynccontextmanager
async def role_that_may_not_connect() -> AsyncIterator[str]:
    """A PostgreSQL role with ``CONNECTION LIMIT 0``: the server answers ``53300``."""
    role = f"neodyme_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
    try:
        yield make_url(POSTGRES_URL).set(username=role).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP ROLE "{role}"'))
        await admin.dispose()


@asynccontextmanager
async def database_that_does_not_exist() -> AsyncIterator[str]:
    """A database name the server does not know: it answers ``3D000``."""
    yield (
        make_url(POSTGRES_URL)
        .set(database=f"gone_{uuid.uuid4().hex}")
        .render_as_string(hide_password=False)
    )


REFUSALS = {
    "too many clients (53300)": role_that_may_not_connect,
    "database does not exist (3D000)": database_that_does_not_exist,
    "starting up (57P03)": lambda: fake_server(starting_up),
}
NEEDS_POSTGRES = {"too many clients (53300)", "database does not exist (3D000)"}


async def read_and_write(app_database_url: str, broken_url: str) -> list:
    """A read and a write, answered by an app whose sessions come from ``broken_url``."""
    app = create_app(make_settings(app_database_url))
    async with app.router.lifespan_context(app):
        broken = create_engine(broken_url, connect_timeout=0.5)
        # Every request gets its sessions through get_resources: replace what it returns.
        resources = replace(app.state.resources, sessionmaker=create_sessionmaker(broken))
        app.dependency_overrides[get_resources] = lambda: resources
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            login = {"username": ADA["email"], "password": ADA["password"]}
            responses = [
                await client.post("/auth/token", data=login),
                await client.post("/users", json=ADA),
            ]
        await broken.dispose()
    return responses


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["status"]) == ("database_unavailable", 503)
    assert body["detail"] == "The database cannot be reached. Try again later."


@pytest.mark.parametrize("refusal", REFUSALS)
async def test_a_server_refusing_to_open_a_connection_is_a_503(refusal, database_url):
    if refusal in NEEDS_POSTGRES and not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set NEODYME_TEST_POSTGRES_URL")
    async with REFUSALS[refusal]() as broken_url:
        responses = await read_and_write(database_url, broken_url)

    for response in responses:
        assert_database_unavailable(response)


async def test_a_host_that_never_answers_is_a_503_once_the_connect_timeout_is_over(
    database_url,
):
    """Without a connect timeout, asyncpg would wait 60 s for the silent host."""
    async with fake_server(black_hole) as broken_url:
        responses = await read_and_write(database_url, broken_url)

    for response in responses:
        assert_database_unavailable(response)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set NEODYME_TEST_POSTGRES_URL")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_statement_cancelled_by_the_statement_timeout_is_a_503(database_url):
    """Another transaction holds the user table, so the login's query waits until PostgreSQL
    cancels it (57014): the database is too busy to answer in time, not the request wrong."""
    app = create_app(make_settings(database_url, statement_timeout_ms=200))
    holder = create_async_engine(database_url)
    async with app.router.lifespan_context(app), holder.connect() as connection:
        await connection.execute(text('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE'))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            login = {"username": ADA["email"], "password": ADA["password"]}
            response = await client.post("/auth/token", data=login)
        await connection.rollback()
    await holder.dispose()

    assert_database_unavailable(response)


@pytest.fixture
async def sqlite_file(tmp_path, request: pytest.FixtureRequest) -> str:
    """An SQLite file of its own at the newest migration, whatever the suite's database."""
    request.node.user_properties.append(("database", "sqlite"))
    path = tmp_path / "neodyme.db"
    await Migrations(f"sqlite+aiosqlite:///{path}").upgrade("head")
    return str(path)


@asynccontextmanager
async def serving(sqlite_file: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{sqlite_file}"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            yield client


async def test_a_write_that_waits_out_the_sqlite_lock_is_a_503_and_stores_nothing(
    sqlite_file, monkeypatch
):
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    other_writer = sqlite3.connect(sqlite_file, isolation_level=None)
    async with serving(sqlite_file) as client:
        other_writer.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
        locked_out = await client.post("/users", json=ADA)
        other_writer.execute("ROLLBACK")
    stored = other_writer.execute('SELECT count(*) FROM "user"').fetchone()[0]
    other_writer.close()

    assert_database_unavailable(locked_out)
    assert stored == 0


async def test_an_open_sqlite_read_does_not_block_a_write(sqlite_file, monkeypatch):
    """WAL mode: a reader in the middle of a transaction and a writer work side by side."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    reader = sqlite3.connect(sqlite_file, isolation_level=None)
    async with serving(sqlite_file) as client:
        reader.execute("BEGIN")
        reader.execute('SELECT count(*) FROM "user"').fetchone()  # holds a read snapshot
        written = await client.post("/users", json=ADA)
        reader.execute("COMMIT")
    reader.close()

    assert written.status_code == 201


async def test_a_hundred_parallel_sqlite_writes_all_succeed(sqlite_file):
    async with serving(sqlite_file) as client:
        await client.post("/users", json=ADA)
        login = {"username": ADA["email"], "password": ADA["password"]}
        token = (await client.post("/auth/token", data=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        responses = await asyncio.gather(
            *(
                client.post("/todos", json={"title": f"todo {n}"}, headers=headers)
                for n in range(100)
            )
        )
        stored = (await client.get("/todos", params={"limit": 100}, headers=headers)).json()

    assert [response.status_code for response in responses] == [201] * 100
    assert len(stored) == 100
