"""Fixtures shared by the whole suite.

Building a database is the slow part of a test, so each backend gets one, migrated once per
run, and every test leaves it empty again:

- ``backend``: ``sqlite`` always, ``postgresql`` when ``NEODYME_TEST_POSTGRES_URL`` is set.
  Every test that uses a database runs once per backend.
- ``migrated_database`` (once per run and backend): a database at the newest migration.
- ``database_url`` (per test): that database, with every table emptied after the test.
- ``empty_database_url`` (per test): a brand-new database without tables, for the tests that
  run migrations themselves or damage the schema on purpose.
- ``settings``, ``start_app``, ``client``: the app as production builds it, on that database,
  driven in-process through ``httpx.ASGITransport`` with its lifespan run.
- ``sign_up``, ``log_in``, ``ada``, ``grace``, ``admin``: people to act as.
- ``logs``: the JSON log lines written during the test.
- ``redis_settings``: the test Redis, under a key prefix of the test's own.
- ``graph_server`` (once per run and pytest worker), ``graph_settings`` (per test, the graph
  emptied first): a Bolt server for the graph, ArcadeDB's started here (``bolt_server.py``),
  or the Neo4j that ``NEODYME_TEST_NEO4J_URL`` names.
- ``module_services`` (per test module and backend): a database and a Redis key prefix for the
  servers a module starts once for all its tests.
"""

import asyncio
import fcntl
import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from factories import PASSWORD, user_payload
from fastapi import FastAPI
from neo4j import GraphDatabase
from redis import Redis
from sqlalchemy import make_url, pool, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from neodyme.__main__ import create_superuser
from neodyme.core.config import Settings
from neodyme.main import create_app
from neodyme.models.user import UserCreate, UserPublic
from neodyme.observability.logging import make_handler

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"

POSTGRES_URL = os.environ.get("NEODYME_TEST_POSTGRES_URL")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
REDIS_URL = os.environ.get("NEODYME_TEST_REDIS_URL")
NEO4J_URL = os.environ.get("NEODYME_TEST_NEO4J_URL")
BOLT_SERVER = Path(__file__).with_name("bolt_server.py")
BOLT_SERVER_START_SECONDS = 90


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1" and not POSTGRES_URL:
        raise pytest.UsageError(
            "NEODYME_REQUIRE_SERVICES=1 but NEODYME_TEST_POSTGRES_URL is not set: "
            "the PostgreSQL half of the suite cannot run"
        )
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1" and not REDIS_URL:
        raise pytest.UsageError(
            "NEODYME_REQUIRE_SERVICES=1 but NEODYME_TEST_REDIS_URL is not set: "
            "the Redis tests cannot run"
        )


def pytest_report_header() -> str:
    return f"databases: {', '.join(DATABASES)}"


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests passed on each database, so a missing one cannot go unnoticed."""
    passed = terminalreporter.stats.get("passed", [])
    databases = [dict(report.user_properties).get("database") for report in passed]
    counts = [f"{database} {databases.count(database)} passed" for database in DATABASES]
    terminalreporter.write_line(f"databases: {', '.join(counts)}")


class Migrations:
    """Runs Alembic commands against one database, as ``alembic upgrade ...`` would."""

    def __init__(self, url: str) -> None:
        self.config = Config(ALEMBIC_INI)
        self.config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        self.config.attributes["configure_logger"] = False  # the app's logging stays in place

    def upgrade_now(self, revision: str = "head") -> None:
        """For synchronous fixtures: env.py starts an event loop of its own."""
        command.upgrade(self.config, revision)

    async def upgrade(self, revision: str = "head") -> None:
        # From inside a test's event loop, Alembic (and the loop it starts) runs in a thread.
        await asyncio.to_thread(command.upgrade, self.config, revision)

    async def downgrade(self, revision: str) -> None:
        await asyncio.to_thread(command.downgrade, self.config, revision)


async def _run_on_server(statement: str) -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(statement))
    await admin.dispose()


@contextmanager
def new_database(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty, uniquely named database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"neodyme_test_{uuid.uuid4().hex[:16]}"
    asyncio.run(_run_on_server(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_run_on_server(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def empty_every_table(url: str) -> None:
    """Delete every row (and, on PostgreSQL, restart the id sequences): a clean slate, fast."""
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                await connection.execute(table.delete())
    await engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_database(backend: str, tmp_path_factory) -> Iterator[str]:
    """One database per backend for the whole run, migrated once."""
    with new_database(backend, tmp_path_factory.mktemp(backend)) as url:
        Migrations(url).upgrade_now("head")
        yield url


@pytest.fixture
async def database_url(
    migrated_database: str, backend: str, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """The migrated database, emptied again after the test."""
    request.node.user_properties.append(("database", backend))
    yield migrated_database
    await empty_every_table(migrated_database)


@pytest.fixture
def empty_database_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A brand-new database without any table."""
    request.node.user_properties.append(("database", backend))
    with new_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def migrations(empty_database_url: str) -> Migrations:
    return Migrations(empty_database_url)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings: explicit values only, whatever the developer's environment or .env says."""
    return Settings(
        _env_file=None,
        environment="testing",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-every-hmac-algorithm-00",
        bcrypt_rounds=4,  # bcrypt's minimum: the production cost takes half a second a hash
        # Tests that send fifty requests at once test races, not the pool: on a loaded machine a
        # request may wait for a connection longer than the 5 s after which production says 503.
        pool_timeout_seconds=60,
        **overrides,
    )


@contextmanager
def redis_under_new_prefix() -> Iterator[dict[str, str]]:
    """``NEODYME_TEST_REDIS_URL`` with a key prefix of its own; its keys go afterwards.

    Without the variable the test is skipped (a failure under ``NEODYME_REQUIRE_SERVICES=1``,
    see ``pytest_configure``).
    """
    if not REDIS_URL:
        pytest.skip("NEODYME_TEST_REDIS_URL is not set")
    prefix = f"neodyme-test-{uuid.uuid4().hex[:12]}:"
    yield {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
    with Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def redis_settings() -> Iterator[dict[str, str]]:
    with redis_under_new_prefix() as settings:
        yield settings


@pytest.fixture(scope="module")
def module_services(backend: str, tmp_path_factory) -> Iterator[dict[str, str]]:
    """A migrated database and a Redis key prefix, never emptied: ids never repeat, so nothing
    a long-running server cached for one test can answer another."""
    directory = tmp_path_factory.mktemp(backend)
    with new_database(backend, directory) as url, redis_under_new_prefix() as redis_settings:
        Migrations(url).upgrade_now("head")
        yield {"database_url": url, **redis_settings}


@dataclass(frozen=True)
class GraphServer:
    url: str
    user: str
    password: str
    database: str
    shared: bool  # other pytest workers use it too

    def run(self, statement: str, **parameters: object) -> list[dict]:
        with GraphDatabase.driver(self.url, auth=(self.user, self.password)) as driver:
            records, _, _ = driver.execute_query(statement, parameters, database_=self.database)
        return [record.data() for record in records]


def start_bolt_server(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start ``bolt_server.py``; the process and its "ready URL DATABASE" line, once printed."""
    log = directory / "server.log"
    with log.open("w") as output:
        # Its own coverage would measure nothing of ours and slow the JVM's start.
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
        process = subprocess.Popen(
            [sys.executable, str(BOLT_SERVER), str(directory / "root"), "test-graph-password"],
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=directory,  # where ArcadeDB writes its log/ folder
        )
    deadline = time.monotonic() + BOLT_SERVER_START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        for line in log.read_text().splitlines():
            if line.startswith("ready "):
                return process, line
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the Bolt server did not start; its output:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def graph_server(tmp_path_factory) -> Iterator[GraphServer]:
    """The Neo4j of ``NEODYME_TEST_NEO4J_URL``, or an ArcadeDB Bolt server of this worker's own.

    A server that cannot start skips the graph tests, loudly; under
    ``NEODYME_REQUIRE_SERVICES=1`` it fails them.
    """
    if NEO4J_URL:
        yield GraphServer(
            NEO4J_URL,
            os.environ.get("NEODYME_TEST_NEO4J_USER", "neo4j"),
            os.environ.get("NEODYME_TEST_NEO4J_PASSWORD", ""),
            os.environ.get("NEODYME_TEST_NEO4J_DATABASE", "neo4j"),
            shared=True,
        )
        return
    try:
        process, ready = start_bolt_server(tmp_path_factory.mktemp("arcadedb"))
    except (OSError, RuntimeError) as exc:
        reason = f"GRAPH TESTS NOT RUN: no Bolt server: {exc}"
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    _, url, database = ready.split()
    yield GraphServer(url, "root", "test-graph-password", database, shared=False)
    process.stdin.close()  # bolt_server.py stops the server when its stdin closes
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def graph_settings(graph_server: GraphServer, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Settings that point the app at the test graph, emptied for this test.

    A Neo4j shared by the pytest workers serves one test at a time: their todo ids overlap.
    """
    shared_directory = tmp_path_factory.getbasetemp().parent
    turn = exclusive(shared_directory / "graph.lock") if graph_server.shared else nullcontext()
    with turn:
        graph_server.run("MATCH (n) DETACH DELETE n")
        yield {
            "graph_url": graph_server.url,
            "graph_user": graph_server.user,
            "graph_password": graph_server.password,
            "graph_database": graph_server.database,
        }


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


def api_url(app: FastAPI) -> str:
    """Where an in-process client finds ``app``'s resources: under its prefix, so a test asks
    for "/users". What stays at the server's root takes an absolute URL: "http://test/health".
    """
    return f"http://test{app.state.resources.settings.api_prefix}"


@asynccontextmanager
async def serve(
    app: FastAPI, raise_app_exceptions: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and talk to it in-process; ``False``: a bug becomes a 500."""
    async with app.router.lifespan_context(app):
        # Served as `uvicorn --proxy-headers` serves it behind a proxy on this machine: a
        # test may speak for another client by sending `X-Forwarded-For`.
        transport = httpx.ASGITransport(
            app=ProxyHeadersMiddleware(app, "127.0.0.1"), raise_app_exceptions=raise_app_exceptions
        )
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            yield client


@pytest.fixture
def start_app(settings: Settings):
    """Start a fresh app on the test database; a test may start several, one after the other.

    Keyword arguments change settings for that app, e.g. ``start_app(slow_request_ms=0)``.
    """

    def start(**overrides: object):
        return serve(create_app(settings.model_copy(update=overrides)))

    return start


@pytest.fixture
def logs() -> Iterator[Callable[[], list[dict]]]:
    """Call it to get every log line written so far in this test, parsed from JSON.

    The lines come from a handler built like the app's own (``make_handler``), so a test sees
    exactly what a log aggregator would receive.
    """
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


@pytest.fixture
async def client(start_app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that talks to a fresh app in-process, with its lifespan run."""
    async with start_app() as client:
        yield client


@dataclass
class Account:
    """A signed-up user, with the tokens of a fresh login and the header that carries them."""

    user: dict
    tokens: dict

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


@pytest.fixture
def sign_up(client):
    async def sign_up(
        email: str,
        full_name: str = "Test User",
        password: str = PASSWORD,
        headers: dict[str, str] | None = None,
    ) -> dict:
        body = user_payload(email=email, full_name=full_name, password=password)
        response = await client.post("/users", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    return sign_up


@pytest.fixture
def log_in(client):
    async def log_in(
        email: str, password: str = PASSWORD, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        form = {"username": email, "password": password}
        return await client.post("/auth/token", data=form, headers=headers)

    return log_in


@pytest.fixture
def make_account(sign_up, log_in):
    async def make_account(
        email: str, full_name: str = "Test User", headers: dict[str, str] | None = None
    ) -> Account:
        user = await sign_up(email, full_name, headers=headers)
        response = await log_in(email)
        assert response.status_code == 200, response.text
        return Account(user, response.json())

    return make_account


@pytest.fixture
async def ada(make_account) -> Account:
    return await make_account("ada@example.com", "Ada Lovelace")


@pytest.fixture
async def grace(make_account) -> Account:
    return await make_account("grace@example.com", "Grace Hopper")


@pytest.fixture
async def admin(client, log_in, settings) -> Account:
    """A superuser, created the way an operator would: ``python -m neodyme create-superuser``."""
    user = await create_superuser(
        UserCreate(email="admin@example.com", full_name="Admin", password=PASSWORD), settings
    )
    response = await log_in("admin@example.com")
    return Account(UserPublic.model_validate(user).model_dump(mode="json"), response.json())
