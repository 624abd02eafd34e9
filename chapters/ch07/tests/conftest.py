"""Fixtures: a fresh database for every test, on SQLite and (when configured) PostgreSQL."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from neodyme import __main__ as cli
from neodyme import main
from neodyme.__main__ import create_superuser
from neodyme.main import create_app
from neodyme.models.user import UserCreate, UserPublic

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
            # Served as `uvicorn --proxy-headers` serves it behind a proxy on this machine: a
            # test may speak for another client by sending `X-Forwarded-For`.
            transport = httpx.ASGITransport(app=ProxyHeadersMiddleware(app, "127.0.0.1"))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client

    return start


@pytest.fixture
async def client(start_app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that talks to a fresh app in-process, with its lifespan run."""
    async with start_app() as client:
        yield client


PASSWORD = "correct horse battery"


@dataclass
class Account:
    """A signed-up user, with the tokens of a fresh login and the header that carries them."""

    user: dict
    tokens: dict

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch) -> None:
    """bcrypt's production cost takes half a second a hash; the tests use the minimum."""
    for module in (main, cli):
        monkeypatch.setattr(module, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def sign_up(client):
    async def sign_up(
        email: str,
        full_name: str = "Test User",
        password: str = PASSWORD,
        headers: dict[str, str] | None = None,
    ) -> dict:
        body = {"email": email, "full_name": full_name, "password": password}
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
async def admin(client, log_in) -> Account:
    """A superuser, created the way an operator would: ``python -m neodyme create-superuser``."""
    user = await create_superuser(
        UserCreate(email="admin@example.com", full_name="Admin", password=PASSWORD)
    )
    response = await log_in("admin@example.com")
    return Account(UserPublic.model_validate(user).model_dump(mode="json"), response.json())
