"""The migrations are the schema: they must build it, undo it, keep data and match the models."""

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import make_settings
from processes import environment
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


async def execute_all(url: str, statements: list[str]) -> None:
    """Run SQL ``statements`` in one transaction on the database at ``url``."""

    def execute(connection: Connection) -> None:
        for statement in statements:
            connection.execute(text(statement))

    await run_on(url, execute)


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
USER_0004 = USER_0002 | {"hashed_password", "is_superuser"}
TODO = {"id", "title", "description", "completed", "user_id", "created_at", "updated_at"}
REFRESH_TOKEN = {"jti", "user_id", "expires_at", "revoked_at"}
REFRESH_TOKEN_0008 = REFRESH_TOKEN | {"family"}
USER_0009 = USER_0004 | {"last_login_at"}
TODO_BLOCKER = {"todo_id", "blocker_id"}
GRAPH_OUTBOX = {"id", "user_id", "kind", "payload", "created_at"}

SCHEMA_AT = {
    "0010": {
        "user": USER_0009,
        "todo": TODO,
        "refresh_token": REFRESH_TOKEN_0008,
        "todo_blocker": TODO_BLOCKER,
        "graph_outbox": GRAPH_OUTBOX,
    },
    "0009": {"user": USER_0009, "todo": TODO, "refresh_token": REFRESH_TOKEN_0008},
    "0008": {"user": USER_0004, "todo": TODO, "refresh_token": REFRESH_TOKEN_0008},
    "0007": {"user": USER_0004, "todo": TODO, "refresh_token": REFRESH_TOKEN},
    "0006": {"user": USER_0004, "todo": TODO, "refresh_token": REFRESH_TOKEN},
    "0005": {"user": USER_0004, "todo": TODO, "refresh_token": REFRESH_TOKEN},
    "0004": {"user": USER_0004, "todo": TODO},
    "0003": {"user": USER_0002, "todo": TODO},
    "0002": {"user": USER_0002},
    "0001": {"user": USER_0001},
    "base": {},
}


def schema_differences(connection: Connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


async def test_upgrade_then_downgrade_step_by_step_then_upgrade_again(
    empty_database_url, migrations
):
    await migrations.upgrade("head")
    assert await run_on(empty_database_url, schema) == SCHEMA_AT["0010"]

    for revision, expected in list(SCHEMA_AT.items())[1:]:
        await migrations.downgrade(revision)
        assert await run_on(empty_database_url, schema) == expected, revision

    await migrations.upgrade("head")
    assert await run_on(empty_database_url, schema) == SCHEMA_AT["0010"]


async def test_rows_written_at_migration_1_survive_every_later_migration(
    empty_database_url, migrations
):
    await migrations.upgrade("0001")
    await run_on(
        empty_database_url,
        lambda connection: connection.execute(
            text("INSERT INTO \"user\" (email, full_name) VALUES ('ada@example.com', 'Ada')")
        ),
    )

    await migrations.upgrade("head")

    rows = await run_on(
        empty_database_url,
        lambda connection: connection.execute(
            text(
                "SELECT email, full_name, is_active, created_at, hashed_password, is_superuser"
                ' FROM "user"'
            )
        ).all(),
    )
    assert len(rows) == 1
    email, full_name, is_active, created_at, hashed_password, is_superuser = rows[0]
    assert (email, full_name, bool(is_active)) == ("ada@example.com", "Ada", True)
    assert created_at is not None
    assert (hashed_password, bool(is_superuser)) == ("!", False)  # no usable password yet


async def test_rebuilding_the_user_table_keeps_todos_and_tokens(empty_database_url, migrations):
    """0004 and 0006 rebuild ``user``, 0007 ``todo`` on SQLite; no row may be lost on the way."""
    await migrations.upgrade("0003")
    await execute_all(
        empty_database_url,
        [
            "INSERT INTO \"user\" (email, full_name) VALUES ('ada@example.com', 'Ada')",
            "INSERT INTO todo (title, completed, user_id) VALUES ('Write notes', false, 1)",
        ],
    )
    await migrations.upgrade("0005")
    await execute_all(
        empty_database_url,
        [
            "INSERT INTO refresh_token (jti, user_id, expires_at)"
            " VALUES ('j1', 1, '2030-01-01 00:00:00')"
        ],
    )

    await migrations.upgrade("head")

    def count(connection: Connection) -> tuple:
        tables = ['"user"', "todo", "refresh_token"]
        return tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in tables
        )

    assert await run_on(empty_database_url, count) == (1, 1, 1)


async def test_tokens_issued_before_0008_become_families_of_their_own(
    empty_database_url, migrations
):
    await migrations.upgrade("0007")
    inserts = [
        'INSERT INTO "user" (email, full_name, hashed_password)'
        " VALUES ('ada@example.com', 'Ada', '!')",
        "INSERT INTO refresh_token (jti, user_id, expires_at)"
        " VALUES ('j1', 1, '2030-01-01 00:00:00'), ('j2', 1, '2030-01-01 00:00:00')",
    ]

    await execute_all(empty_database_url, inserts)

    await migrations.upgrade("head")

    rows = await run_on(
        empty_database_url,
        lambda connection: connection.execute(
            text("SELECT jti, family FROM refresh_token ORDER BY jti")
        ).all(),
    )
    assert [tuple(row) for row in rows] == [("j1", "j1"), ("j2", "j2")]


async def test_undoing_0009_keeps_user_ids_unique(empty_database_url, migrations):
    """Undoing 0009 rebuilds ``user`` on SQLite; the new table must keep 0006's AUTOINCREMENT."""
    await migrations.upgrade("head")
    await migrations.downgrade("0008")

    def sign_up(connection: Connection, email: str) -> int:
        statement = (
            "INSERT INTO \"user\" (email, full_name, hashed_password) VALUES (:email, 'X', '!')"
        )
        connection.execute(text(statement), {"email": email})
        return connection.execute(text('SELECT max(id) FROM "user"')).scalar()

    def sign_up_twice_delete_sign_up(connection: Connection) -> list[int]:
        ids = [sign_up(connection, "ada@example.com"), sign_up(connection, "bob@example.com")]
        connection.execute(text("DELETE FROM \"user\" WHERE email = 'bob@example.com'"))
        return [*ids, sign_up(connection, "grace@example.com")]

    ids = await run_on(empty_database_url, sign_up_twice_delete_sign_up)

    assert len(set(ids)) == 3, ids


async def test_the_indexes_exist_after_every_migration(empty_database_url, migrations):
    await migrations.upgrade("head")

    def indexes(connection: Connection) -> set[tuple]:
        inspector = inspect(connection)
        return {
            (index["name"], tuple(index["column_names"]), bool(index["unique"]))
            for table in ("user", "todo", "refresh_token")
            for index in inspector.get_indexes(table)
        }

    assert await run_on(empty_database_url, indexes) == {
        ("ix_user_email", ("email",), True),
        ("ix_todo_user_id_created_at_id", ("user_id", "created_at", "id"), False),
        ("ix_refresh_token_user_id", ("user_id",), False),
        ("ix_refresh_token_family", ("family",), False),
    }


async def test_models_and_migrations_describe_the_same_schema(empty_database_url, migrations):
    """What `alembic revision --autogenerate` would write now must be nothing."""
    await migrations.upgrade("head")

    assert await run_on(empty_database_url, schema_differences) == []


@pytest.mark.parametrize("revision", [None, "0001", "0004"])
async def test_the_app_refuses_a_database_that_is_not_at_head(
    empty_database_url, migrations, revision
):
    if revision:
        await migrations.upgrade(revision)
    app = create_app(make_settings(empty_database_url))

    with pytest.raises(DatabaseNotAtHeadError, match="Run `alembic upgrade head`"):
        async with app.router.lifespan_context(app):
            pass


def test_uvicorn_stops_with_a_clear_message_on_an_unmigrated_database(tmp_path):
    settings = environment(database_url=f"sqlite+aiosqlite:///{tmp_path}/new.db")

    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", "0"],
        env=settings,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "The database is at revision (none) but this code needs 0010" in result.stderr
    assert "Application startup failed" in result.stderr
