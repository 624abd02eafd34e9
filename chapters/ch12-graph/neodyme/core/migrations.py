"""Is the database at the schema this code expects? Alembic's records say."""

import asyncio
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

SOURCE_TREE_ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_ini() -> Path:
    """``alembic.ini`` in the working directory (``/app`` in the container), else the source tree.

    An installed package has no ``alembic.ini`` beside it: the container image installs
    Neodyme into a virtual environment and keeps the migrations in its working directory.
    """
    here = Path.cwd() / "alembic.ini"
    return here if here.is_file() else SOURCE_TREE_ALEMBIC_INI


def alembic_config() -> Config:
    return Config(alembic_ini())


class DatabaseNotAtHeadError(RuntimeError):
    """The database schema is older (or newer) than the code: run the migrations first."""


def head_revisions() -> set[str]:
    """The newest revision(s) among the migration scripts."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revision(s) recorded in the database's ``alembic_version`` table."""
    return set(MigrationContext.configure(connection).get_current_heads())


async def check_database_is_at_head(engine: AsyncEngine) -> None:
    """Refuse to start on a database whose schema does not match the models."""
    expected = await asyncio.to_thread(head_revisions)
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revisions)
    if current != expected:
        raise DatabaseNotAtHeadError(
            f"The database is at revision {', '.join(sorted(current)) or '(none)'} but this code "
            f"needs {', '.join(sorted(expected))}. "
            f"Run `alembic upgrade head` in {alembic_ini().parent}, then start the app again."
        )
