"""The database refuses, goes silent or is contended: a served chapter answers 503, never 500.

Connection-time errors are made real where PostgreSQL can make them: a role whose connection
limit drops to 0 (``53300``), a database renamed away (``3D000``). A server that is starting up
(``57P03``) and a host that accepts and never answers are played by a listener that takes the
database's port over, between the app and a :class:`TcpProxy` that is cut for the occasion.
Races: clients changing and deleting one todo at once, and many writers on one SQLite file.
"""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.verify.battery.conftest import (
    PLAN,
    Accounts,
    record_note,
    require_postgres,
    start_server,
)
from shared.verify.battery.database import sqlite_url
from shared.verify.battery.proxy import TcpProxy
from shared.verify.battery.server import Server, client_limits

PROBLEM = "application/problem+json"
PROXY_READ_TIMEOUT = 30.0
"""nginx's default ``proxy_read_timeout``: a request the app has not answered by then is
answered by the proxy (504), so the app's 503 must come first."""
CONNECT_TIMEOUT = "1"
"""``NEODYME_DATABASE_CONNECT_TIMEOUT_SECONDS`` for the black-hole case (from ch08; ch07 has
its 5 s constant)."""
RECOVERY_ATTEMPTS = 100
PAIRS = 30
SQLITE_WRITERS = 100

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# --- Stand-ins for a database server -----------------------------------------------------------


def error_response(sqlstate: str, message: str) -> bytes:
    """A PostgreSQL ``ErrorResponse`` message (wire protocol 3.0)."""
    fields = {b"S": "FATAL", b"V": "FATAL", b"C": sqlstate, b"M": message}
    body = b"".join(key + value.encode() + b"\0" for key, value in fields.items()) + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


async def starting_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What PostgreSQL answers while it starts: no TLS, then ``57P03`` to the startup message."""
    try:
        while True:
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            message = await reader.readexactly(length - 4)
            if struct.unpack("!i", message[:4])[0] not in (80877103, 80877104):  # SSL, GSS
                break
            writer.write(b"N")
        writer.write(error_response("57P03", "the database system is starting up"))
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def black_hole(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and never answer, like a host whose firewall drops the packets."""
    try:
        await reader.read()  # until the client gives up
    except ConnectionError:
        pass
    finally:
        writer.close()


class Listener:
    """``handle`` for every connection to ``127.0.0.1:port``, served from a thread of its own."""

    def __init__(self, port: int, handle: Handler) -> None:
        self.port = port
        self.handle = handle
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> Listener:
        self._thread.start()
        self._server = self._call(
            asyncio.start_server(self.handle, "127.0.0.1", self.port, reuse_address=True)
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _shut_down(self) -> None:
        """Stop listening and end the connections still held (the black hole's)."""
        assert self._server is not None
        self._server.close()
        handlers = asyncio.all_tasks() - {asyncio.current_task()}
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def _call(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)


@contextmanager
def in_place_of_the_database(proxy: TcpProxy, handle: Handler) -> Iterator[None]:
    """Cut the proxy and let ``handle`` answer on its port; the real database comes back after."""
    proxy.cut()
    with Listener(proxy.port, handle):
        yield
    proxy.restore()


# --- Helpers ------------------------------------------------------------------------------------


async def admin(statements: list[str]) -> None:
    engine = create_async_engine(require_postgres(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def run_sql(*statements: str) -> None:
    asyncio.run(admin(list(statements)))


def terminate(where: str) -> str:
    """Close the server side of matching connections, as a failover or a restart would."""
    return f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}"


def rename_database(old: str, new: str) -> None:
    """Rename once the sessions terminated a moment ago have ended (it fails while any remain)."""
    for _ in range(50):
        try:
            return run_sql(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
        except DBAPIError:
            time.sleep(0.1)
    run_sql(f'ALTER DATABASE "{old}" RENAME TO "{new}"')


def is_problem_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("content-type", "").startswith(PROBLEM)
        and response.json().get("code") == "database_unavailable"
    )


def describe(responses: list[httpx.Response]) -> list[str]:
    return [
        f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text}" for r in responses
    ]


@dataclass
class Target:
    """One app served for the connection faults, and the handles that break its database."""

    api: httpx.Client
    user: dict
    headers: dict[str, str]
    proxy: TcpProxy
    role: str
    database: str

    def database_calls(self) -> list[httpx.Response]:
        """A read and a write that need the database, and a login (a read, before any token)."""
        return [
            self.api.get("/todos", headers=self.headers),
            self.api.post("/todos", json={"title": "during the fault"}, headers=self.headers),
            Accounts(self.api).log_in(self.user["email"], self.user["password"]),
        ]

    def serves_again(self) -> bool:
        """Whether a write succeeds again, within ``RECOVERY_ATTEMPTS`` tries."""
        for _ in range(RECOVERY_ATTEMPTS):
            added = self.api.post("/todos", json={"title": "back"}, headers=self.headers)
            if added.status_code == 201:
                return True
        return False


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The chapter served on a database and role of its own, reached through a proxy.

    Each test breaks it one way, checks the answers, and restores it: one server for all.
    """
    admin_url = make_url(require_postgres())
    name = f"neodyme_verify_faults_{uuid.uuid4().hex[:8]}"
    run_sql(f'CREATE ROLE "{name}" LOGIN', f'CREATE DATABASE "{name}" OWNER "{name}"')
    try:
        with TcpProxy(admin_url.host or "127.0.0.1", admin_url.port or 5432) as proxy:
            url = admin_url.set(
                username=name, password=None, database=name, host="127.0.0.1", port=proxy.port
            )
            server = start_server(
                url.render_as_string(hide_password=False),
                tmp_path_factory.mktemp("database-faults"),
                NEODYME_DATABASE_CONNECT_TIMEOUT_SECONDS=CONNECT_TIMEOUT,
            )
            try:
                with httpx.Client(
                    base_url=server.url + PLAN.api_prefix,
                    timeout=PROXY_READ_TIMEOUT,
                    limits=client_limits(),
                ) as api:
                    user, headers = Accounts(api).user_with_token()
                    yield Target(api, user, headers, proxy, role=name, database=name)
            finally:
                server.stop()
    finally:
        run_sql(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{name}_moved" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{name}"',
        )


# --- Connection-time errors ---------------------------------------------------------------------


@pytest.mark.defends("connection-time database errors")
def test_a_role_over_its_connection_limit_is_a_503_until_the_limit_is_lifted(
    target: Target,
) -> None:
    run_sql(
        f'ALTER ROLE "{target.role}" CONNECTION LIMIT 0', terminate(f"usename = '{target.role}'")
    )
    during = target.database_calls()
    run_sql(f'ALTER ROLE "{target.role}" CONNECTION LIMIT -1')

    assert all(map(is_problem_503, during)), describe(during)
    assert target.serves_again(), "the app did not serve again once the role could connect"


@pytest.mark.defends("connection-time database errors")
def test_a_database_that_is_gone_is_a_503_until_it_is_back(target: Target) -> None:
    database = target.database
    run_sql(
        f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false',
        terminate(f"datname = '{database}'"),
    )
    rename_database(database, f"{database}_moved")
    during = target.database_calls()
    rename_database(f"{database}_moved", database)
    run_sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    assert all(map(is_problem_503, during)), describe(during)
    assert target.serves_again(), "the app did not serve again once the database was back"


@pytest.mark.defends("connection-time database errors")
def test_a_database_server_starting_up_is_a_503(target: Target) -> None:
    with in_place_of_the_database(target.proxy, starting_up):
        during = target.database_calls()

    assert all(map(is_problem_503, during)), describe(during)
    assert target.serves_again(), "the app did not serve again once the database had started"


@pytest.mark.defends("connect black-hole")
def test_a_database_host_that_never_answers_is_a_503_before_a_proxy_gives_up(
    target: Target,
) -> None:
    """The client waits as long as nginx would (30 s): a hang fails, a 503 passes."""
    with in_place_of_the_database(target.proxy, black_hole):
        try:
            during = target.database_calls()
        except httpx.TimeoutException as exc:
            pytest.fail(f"no answer within {PROXY_READ_TIMEOUT:g} s: {exc!r}")

    assert all(map(is_problem_503, during)), describe(during)
    assert target.serves_again(), "the app did not serve again once the host answered"


# --- Races --------------------------------------------------------------------------------------


async def at_once(server: Server, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=server.url + PLAN.api_prefix,
        timeout=60,
        limits=client_limits(max_connections=len(requests)),
    ) as client:
        return list(await asyncio.gather(*(client.request(**r) for r in requests)))


def new_todos(api: httpx.Client, headers: dict[str, str], count: int) -> list[int]:
    return [
        api.post("/todos", json={"title": f"contested {n}"}, headers=headers).json()["id"]
        for n in range(count)
    ]


@pytest.mark.defends("races")
def test_a_todo_changed_and_deleted_at_once_is_deleted_and_the_change_is_a_404(
    server: Server, api: httpx.Client, accounts: Accounts
) -> None:
    _, headers = accounts.user_with_token()
    ids = new_todos(api, headers, PAIRS)
    requests = [
        request
        for id in ids
        for request in (
            {"method": "DELETE", "url": f"/todos/{id}", "headers": headers},
            {"method": "PATCH", "url": f"/todos/{id}", "json": {"title": "x"}, "headers": headers},
        )
    ]

    responses = asyncio.run(at_once(server, requests))

    deleted, changed = responses[0::2], responses[1::2]
    assert [r.status_code for r in deleted] == [204] * PAIRS, describe(deleted)
    assert {r.status_code for r in changed} <= {200, 404}, describe(changed)
    assert all(r.json()["code"] == "todo_not_found" for r in changed if r.status_code == 404)
    assert all(api.get(f"/todos/{id}", headers=headers).status_code == 404 for id in ids)
    lost = sum(r.status_code == 404 for r in changed)
    record_note(f"races: {lost} of {PAIRS} changes lost to a concurrent delete, each a 404")


@pytest.mark.defends("races")
def test_a_todo_deleted_twice_at_once_is_one_204_and_one_404(
    server: Server, api: httpx.Client, accounts: Accounts
) -> None:
    _, headers = accounts.user_with_token()
    ids = new_todos(api, headers, PAIRS)
    requests = [
        {"method": "DELETE", "url": f"/todos/{id}", "headers": headers} for id in ids for _ in "ab"
    ]

    responses = asyncio.run(at_once(server, requests))

    pairs = list(zip(responses[0::2], responses[1::2], strict=True))
    assert all(sorted([a.status_code, b.status_code]) == [204, 404] for a, b in pairs), describe(
        responses
    )


@pytest.mark.defends("races")
def test_a_user_deleted_twice_at_once_is_deleted_once(server: Server, accounts: Accounts) -> None:
    """The second ``DELETE`` finds no user: a 404, or a 401 if the first won before its token
    was checked; never a second 204 for a deletion that did not happen."""
    users = [accounts.user_with_token() for _ in range(PAIRS // 3)]
    requests = [
        {"method": "DELETE", "url": f"/users/{user['id']}", "headers": headers}
        for user, headers in users
        for _ in "ab"
    ]

    responses = asyncio.run(at_once(server, requests))

    pairs = list(zip(responses[0::2], responses[1::2], strict=True))
    outcomes = [sorted([a.status_code, b.status_code]) for a, b in pairs]
    assert all(outcome in ([204, 401], [204, 404]) for outcome in outcomes), describe(responses)


@pytest.mark.defends("races")
def test_a_user_deleted_while_changing_itself_gets_no_500(
    server: Server, accounts: Accounts
) -> None:
    pairs = [accounts.user_with_token() for _ in range(PAIRS // 3)]
    requests = [
        request
        for user, headers in pairs
        for request in (
            {"method": "DELETE", "url": f"/users/{user['id']}", "headers": headers},
            {"method": "PATCH", "url": "/users/me", "json": {"full_name": "V"}, "headers": headers},
        )
    ]

    responses = asyncio.run(at_once(server, requests))

    deleted, changed = responses[0::2], responses[1::2]
    assert [r.status_code for r in deleted] == [204] * len(pairs), describe(deleted)
    assert {r.status_code for r in changed} <= {200, 401, 404}, describe(changed)


async def many_writers(server: Server, headers: dict[str, str]) -> list[httpx.Response]:
    """``SQLITE_WRITERS`` clients at once, each adding a todo, changing it and renaming its user."""
    async with httpx.AsyncClient(
        base_url=server.url + PLAN.api_prefix,
        headers=headers,
        timeout=60,
        limits=client_limits(max_connections=SQLITE_WRITERS),
    ) as client:

        async def write(n: int) -> list[httpx.Response]:
            added = await client.post("/todos", json={"title": f"todo {n}"})
            if added.status_code != 201:
                return [added]
            return [
                added,
                await client.patch(f"/todos/{added.json()['id']}", json={"completed": True}),
                await client.patch("/users/me", json={"full_name": f"Writer {n}"}),
            ]

        answers = await asyncio.gather(*(write(n) for n in range(SQLITE_WRITERS)))
    return [response for writer in answers for response in writer]


@pytest.mark.defends("races")
def test_many_concurrent_writers_on_sqlite_get_no_500(tmp_path: Path) -> None:
    """From ch10 two worker processes share the SQLite file (``serve`` with 2 workers): a
    write may then wait for the other process's lock, and past the busy timeout it is a 503."""
    server = start_server(sqlite_url(tmp_path), tmp_path, NEODYME_WORKERS="2")
    try:
        with httpx.Client(
            base_url=server.url + PLAN.api_prefix, timeout=60, limits=client_limits()
        ) as api:
            _, headers = Accounts(api).user_with_token()
        responses = asyncio.run(many_writers(server, headers))
    finally:
        server.stop()

    failed = [r for r in responses if r.status_code >= 500 and not is_problem_503(r)]
    assert not failed, describe(failed)
    unavailable = sum(r.status_code == 503 for r in responses)
    record_note(
        f"races: {SQLITE_WRITERS} concurrent writers on one SQLite file, {len(responses)} "
        f"writes, {unavailable} answered 503 (database busy), none 500"
    )
