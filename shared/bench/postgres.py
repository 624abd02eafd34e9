"""A fresh PostgreSQL database for each app under test, created and dropped by the harness."""

import os
import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.bench.envs import Environment
from shared.bench.errors import BenchmarkError

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
PGADMIN = Path(__file__).with_name("pgadmin.py")


def admin_url_from_environment() -> str:
    return os.environ.get("NEODYME_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL


def with_database(url: str, name: str) -> str:
    """``url`` pointing at the database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def plain_dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://``) as a libpq DSN asyncpg accepts."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def database_name(label: str) -> str:
    return f"neodyme_bench_{re.sub(r'[^a-z0-9]', '_', label.lower())}_{uuid.uuid4().hex[:8]}"


class DatabaseServer:
    """The PostgreSQL server behind an admin URL, driven through ``pgadmin.py``."""

    def __init__(self, admin_url: str, tool: Environment) -> None:
        self.admin_url = admin_url
        self.tool = tool
        self.created: list[str] = []

    def admin(self, *args: str) -> str:
        completed = subprocess.run(
            [self.tool.python, str(PGADMIN), plain_dsn(self.admin_url), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise BenchmarkError(f"PostgreSQL at {self.admin_url}: {last}")
        return completed.stdout.strip()

    def version(self) -> str:
        return self.admin("version")

    def create_database(self, label: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = database_name(label)
        self.admin("create", name)
        self.created.append(name)
        return with_database(self.admin_url, name)

    def drop_all(self) -> None:
        while self.created:
            self.admin("drop", self.created.pop())
