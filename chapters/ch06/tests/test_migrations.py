"""The migrations are the schema: they must build it, undo it, keep data and match the models."""

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from neodyme.core.migrations import DatabaseNotAtHeadError
from neodyme.main import create_app


async def run_on(url: str, function):
    """Run a synchronous inspection function on a connection to the database at ``url``."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        result = await connection.run_sync(function)
    await engine.dispose()
    return result


def schema(connection: Connection) -> dict[str, set[str]]:
    """Each application table with its columns."""
    inspector = inspect(connection)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


USER_0001 = {"id", "email", "full_name"}
USER_0002 = USER_0001 | {"created_at", "is_active"}
TODO = {"id", "title", "description", "completed", "user_id", "created_at", "updated_at"}

SCHEMA_AT = {
    "0003": {"user": USER_0002, "todo": TODO},
    "0002": {"user": USER_0002},
    "0001": {"user": USER_0001},
    "base": {},
}


def schema_differences(connection: Connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


async def test_upgrade_then_downgrade_step_by_step_then_upgrade_again(database_url, migrations):
    await migrations.upgrade("head")
    assert await run_on(database_url, schema) == SCHEMA_AT["0003"]

    for revision, expected in list(SCHEMA_AT.items())[1:]:
        await migrations.downgrade(revision)
        assert await run_on(database_url, schema) == expected, revision

    await migrations.upgrade("head")
    assert await run_on(database_url, schema) == SCHEMA_AT["0003"]


async def test_rows_written_at_migration_1_survive_every_later_migration(database_url, migrations):
    await migrations.upgrade("0001")
    await run_on(
        database_url,
        lambda connection: connection.execute(
            text("INSERT INTO \"user\" (email, full_name) VALUES ('ada@example.com', 'Ada')")
        ),
    )

    await migrations.upgrade("head")

    rows = await run_on(
        database_url,
        lambda connection: connection.execute(
            text('SELECT email, full_name, is_active, created_at FROM "user"')
        ).all(),
    )
    assert len(rows) == 1
    email, full_name, is_active, created_at = rows[0]
    assert (email, full_name, bool(is_active)) == ("ada@example.com", "Ada", True)
    assert created_at is not None


async def test_the_indexes_exist_after_every_migration(database_url, migrations):
    await migrations.upgrade("head")

    def indexes(connection: Connection) -> set[tuple]:
        inspector = inspect(connection)
        return {
            (index["name"], tuple(index["column_names"]), bool(index["unique"]))
            for table in ("user", "todo")
            for index in inspector.get_indexes(table)
        }

    assert await run_on(database_url, indexes) == {
        ("ix_user_email", ("email",), True),
        ("ix_todo_user_id_created_at", ("user_id", "created_at"), False),
    }


async def test_models_and_migrations_describe_the_same_schema(database_url, migrations):
    """What `alembic revision --autogenerate` would write now must be nothing."""
    await migrations.upgrade("head")

    assert await run_on(database_url, schema_differences) == []


@pytest.mark.parametrize("revision", [None, "0001", "0002"])
async def test_the_app_refuses_a_database_that_is_not_at_head(
    database_url, migrations, monkeypatch, revision
):
    if revision:
        await migrations.upgrade(revision)
    monkeypatch.setenv("NEODYME_DATABASE_URL", database_url)
    app = create_app()

    with pytest.raises(DatabaseNotAtHeadError, match="Run `alembic upgrade head`"):
        async with app.router.lifespan_context(app):
            pass


def test_uvicorn_stops_with_a_clear_message_on_an_unmigrated_database(tmp_path):
    environment = {**os.environ, "NEODYME_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/new.db"}

    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", "0"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "The database is at revision (none) but this code needs 0003" in result.stderr
    assert "Application startup failed" in result.stderr
