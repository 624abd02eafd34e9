"""Fixtures: a fresh database for every test, on SQLite and (when configured) PostgreSQL."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from neodyme.main import create_app

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"

POSTGRES_URL = os.environ.get("NEODYME_TEST_POSTGRES_URL")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1" and not POSTGRES_URL:
        raise pytest.UsageError(
            "NEODYME_REQUIRE_SERVICES=1 but NEODYME_TEST_POSTGRES_URL is not set: "
            "the PostgreSQL half of the suite cannot run"
        )


def pytest_report_header() -> str:
    return f"databases: {', '.join(DATABASES)}"


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests passed on each database, so a missing one cannot go unnoticed."""
    passed = terminalreporter.stats.get("passed", [])
    databases = [dict(report.user_properties).get("database") for report in passed]
    counts = [f"{database} {databases.count(database)} passed" for database in DATABASES]
    terminalreporter.write_line(f"databases: {', '.join(counts)}")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, uniquely named PostgreSQL database, dropped after the test."""
    name = f"neodyme_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database of each kind under test."""
    request.node.user_properties.append(("database", request.param))
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite+aiosqlite:///{tmp_path / 'neodyme.db'}"


class Migrations:
    """Runs Alembic commands against one database, as ``alembic upgrade ...`` would."""

    def __init__(self, url: str) -> None:
        self.config = Config(ALEMBIC_INI)
        self.config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

    async def upgrade(self, revision: str = "head") -> None:
        # env.py runs its own event loop, so Alembic runs in a worker thread.
        await asyncio.to_thread(command.upgrade, self.config, revision)

    async def downgrade(self, revision: str) -> None:
        await asyncio.to_thread(command.downgrade, self.config, revision)


@pytest.fixture
def migrations(database_url: str) -> Migrations:
    return Migrations(database_url)


@pytest.fixture
async def migrated_database_url(database_url: str, migrations: Migrations) -> str:
    """An empty database with the schema at the newest migration."""
    await migrations.upgrade("head")
    return database_url


@pytest.fixture
def start_app(migrated_database_url: str, monkeypatch):
    """Start a fresh app on the test database; a test may start several, one after the other."""
    monkeypatch.setenv("NEODYME_DATABASE_URL", migrated_database_url)

    @asynccontextmanager
    async def start() -> AsyncIterator[httpx.AsyncClient]:
        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client

    return start


@pytest.fixture
async def client(start_app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that talks to a fresh app in-process, with its lifespan run."""
    async with start_app() as client:
        yield client


@pytest.fixture
def sign_up(client):
    async def sign_up(email: str, full_name: str = "Test User") -> dict:
        response = await client.post("/users", json={"email": email, "full_name": full_name})
        assert response.status_code == 201, response.text
        return response.json()

    return sign_up


@pytest.fixture
async def ada(sign_up) -> dict:
    return await sign_up("ada@example.com", "Ada Lovelace")


@pytest.fixture
async def grace(sign_up) -> dict:
    return await sign_up("grace@example.com", "Grace Hopper")
