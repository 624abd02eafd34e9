"""How Alembic reaches the database: through the app's own async engine settings."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from neodyme.core.config import ConfigurationError, get_settings
from neodyme.models import blocker, graph_outbox, todo, token, user  # noqa: F401  (importing a model registers its table)

config = context.config
# The alembic command configures logging from alembic.ini; "python -m neodyme" has its own.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata

MIGRATION_OPTIONS = {
    "target_metadata": target_metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    "render_as_batch": True,
    # Let autogenerate notice a changed column type, not only added and removed columns.
    "compare_type": True,
}


def url() -> str:
    """An explicit ``sqlalchemy.url`` (tests set one) wins over ``NEODYME_DATABASE_URL``."""
    if explicit := config.get_main_option("sqlalchemy.url"):
        return explicit
    try:
        return get_settings().database_url
    except ConfigurationError as error:
        raise SystemExit(f"neodyme: {error}") from None


def run_migrations_offline() -> None:
    """Write the SQL to stdout (``alembic upgrade head --sql``) instead of running it."""
    context.configure(url=url(), literal_binds=True, **MIGRATION_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **MIGRATION_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    """Alembic itself is synchronous: ``run_sync`` hands it the async connection's sync face."""
    engine = create_async_engine(url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
