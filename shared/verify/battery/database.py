"""A database of its own for each chapter run: a fresh PostgreSQL database, or a SQLite file."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def _admin(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def postgres_database(admin_url: str, label: str) -> Iterator[str]:
    """Create a uniquely named database on the server behind ``admin_url``; drop it after."""
    name = f"neodyme_verify_{label}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'neodyme.db'}"


async def scalar(url: str, query: str) -> object:
    """One value from the chapter's database, read directly (not through the API)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()
