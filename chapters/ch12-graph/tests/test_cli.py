"""``python -m neodyme create-superuser``: how an operator makes the first superuser."""

import logging
import os
import subprocess
import sys

import pytest
from conftest import make_settings

from neodyme.__main__ import prestart
from neodyme.core.config import get_settings


def run_cli(database_url: str, *args: str, password: str | None = "superuser password"):
    environment = {
        **os.environ,
        "NEODYME_DATABASE_URL": database_url,
        "NEODYME_ENVIRONMENT": "testing",
        "NEODYME_BCRYPT_ROUNDS": "4",
    }
    environment.pop("NEODYME_SUPERUSER_PASSWORD", None)
    if password is not None:
        environment["NEODYME_SUPERUSER_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "neodyme", *args],
        env=environment,
        capture_output=True,
        text=True,
        input="",
        timeout=120,
    )


async def test_create_superuser_makes_a_superuser_who_can_log_in(database_url, client, log_in):
    result = run_cli(database_url, "create-superuser", "--email", "Root@Example.com")

    assert result.returncode == 0, result.stderr
    assert "Created superuser root@example.com" in result.stdout
    tokens = (await log_in("root@example.com", "superuser password")).json()
    me = await client.get(
        "/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["is_superuser"] is True


async def test_create_superuser_refuses_a_taken_email(database_url, sign_up):
    await sign_up("root@example.com")

    result = run_cli(database_url, "create-superuser", "--email", "root@example.com")

    assert result.returncode == 1
    assert "already exists" in result.stderr


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--email", "root@example.com"], "short", "password"),
        (["--email", "not an email"], "superuser password", "email"),
    ],
)
async def test_create_superuser_validates_like_sign_up(database_url, args, password, message):
    result = run_cli(database_url, "create-superuser", *args, password=password)

    assert result.returncode == 2
    assert message in result.stderr


def test_create_superuser_on_an_unmigrated_database_says_what_to_do(tmp_path):
    result = run_cli(
        f"sqlite+aiosqlite:///{tmp_path}/new.db", "create-superuser", "--email", "a@b.co"
    )

    assert result.returncode == 1
    assert "alembic upgrade head" in result.stderr


def test_create_superuser_without_a_password_or_a_terminal_says_how_to_give_one(tmp_path):
    result = run_cli(
        f"sqlite+aiosqlite:///{tmp_path}/new.db",
        "create-superuser",
        "--email",
        "root@example.com",
        password=None,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: no password: set NEODYME_SUPERUSER_PASSWORD, or run the command in a terminal "
        "to type it"
    ]


def test_prestart_leaves_the_servers_logging_in_place(tmp_path, monkeypatch):
    """Alembic's logging section (alembic.ini) must not replace what the server set up."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'neodyme.db'}"
    monkeypatch.setenv("NEODYME_DATABASE_URL", url)  # what alembic/env.py migrates
    get_settings.cache_clear()
    root = logging.getLogger()
    handler = logging.NullHandler()
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(root, "level", logging.INFO)

    try:
        prestart(make_settings(url))
    finally:
        get_settings.cache_clear()

    assert (root.handlers, root.level) == ([handler], logging.INFO)
