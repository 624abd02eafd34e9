"""Neodyme's command line.

- ``python -m neodyme serve [--workers N]``: the production server (what the container runs).
  It waits for the database, applies the migrations, then serves with uvicorn, configured
  from settings; ``--workers`` overrides ``NEODYME_WORKERS``.
- ``python -m neodyme prestart``: only the waiting and the migrations.
- ``python -m neodyme create-superuser --email EMAIL``: the password comes from
  ``NEODYME_SUPERUSER_PASSWORD`` or, when that is not set, a prompt in the terminal that
  does not echo it.
"""

import argparse
import asyncio
import getpass
import os
import signal
import sys

import uvicorn
from alembic import command
from pydantic import ValidationError

from neodyme.core.cache import Cache, MemoryStore
from neodyme.core.config import ConfigurationError, Settings, get_settings
from neodyme.core.database import create_engine, create_sessionmaker, wait_for_database
from neodyme.core.exceptions import DatabaseUnavailableError, EmailTakenError
from neodyme.core.migrations import (
    DatabaseNotAtHeadError,
    alembic_config,
    check_database_is_at_head,
)
from neodyme.core.security import PasswordHasher
from neodyme.models.user import User, UserCreate
from neodyme.observability.logging import configure_logging
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository
from neodyme.services.users import UserService


async def create_superuser(data: UserCreate, settings: Settings) -> User:
    engine = create_engine(settings.database_url)
    try:
        await check_database_is_at_head(engine)
        async with create_sessionmaker(engine)() as session:
            hasher = PasswordHasher(settings.bcrypt_rounds)
            # A new user is in no cache: signing up has nothing to invalidate, so none is kept.
            no_cache = Cache(MemoryStore(1), ttl_seconds=0)
            users, refresh_tokens = UserRepository(session), RefreshTokenRepository(session)
            service = UserService(users, refresh_tokens, hasher, no_cache)
            return await service.sign_up(data, is_superuser=True)
    finally:
        await engine.dispose()


def prestart(settings: Settings) -> None:
    """Wait for the database (with back-off), then bring its schema to the newest migration."""
    asyncio.run(wait_for_database(settings.database_url, settings.database_wait_seconds))
    config = alembic_config()
    config.attributes["configure_logger"] = False  # keep our JSON logging (see alembic/env.py)
    command.upgrade(config, "head")


def with_workers(settings: Settings, workers: int | None) -> Settings:
    """``settings`` with ``--workers`` applied, for this process and the workers it starts.

    Each worker imports the app and reads its settings from the environment, so the override
    goes there too: the workers must know how many they are (``create_cache`` does).
    """
    if workers is None:
        return settings
    os.environ["NEODYME_WORKERS"] = str(workers)
    return settings.model_copy(update={"workers": workers})


def serve(settings: Settings) -> None:
    """Run the app the way production does; returns once a SIGTERM or Ctrl+C has drained it."""
    prestart(settings)
    # uvicorn handles SIGTERM and Ctrl+C itself, then raises the same signal again once it has
    # shut down cleanly; with Python's default handlers that would still end the process as
    # "killed by SIGTERM" (or with a KeyboardInterrupt traceback). A clean shutdown exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    uvicorn.run(
        "neodyme.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # Without a limit, uvicorn waits for in-flight requests (and open connections) forever.
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        # Idle connections close after this; the proxy in front times out stalled requests.
        timeout_keep_alive=settings.keep_alive_seconds,
        log_level=settings.log_level.lower(),
        # Leave logging to configure_logging: uvicorn's records go through the JSON handler.
        log_config=None,
        # The app logs every request itself, with more fields than uvicorn's access log.
        access_log=False,
    )


def read_password() -> str | None:
    """The environment's password, or one typed at a prompt; ``None`` when there is neither.

    Without a terminal (a script, a CI job) nobody could answer the prompt: better one clear
    line than a wait or an ``EOFError``.
    """
    if password := os.environ.get("NEODYME_SUPERUSER_PASSWORD"):
        return password
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass("Password: ")
    except EOFError:  # Ctrl+D at the prompt
        return None


def create_superuser_command(email: str, full_name: str, settings: Settings) -> int:
    password = read_password()
    if password is None:
        print(
            "error: no password: set NEODYME_SUPERUSER_PASSWORD, "
            "or run the command in a terminal to type it",
            file=sys.stderr,
        )
        return 2
    try:
        data = UserCreate(email=email, full_name=full_name, password=password)
    except ValidationError as exc:
        for error in exc.errors():
            print(f"error: {error['loc'][0]}: {error['msg']}", file=sys.stderr)
        return 2
    try:
        user = asyncio.run(create_superuser(data, settings))
    except EmailTakenError:
        print(f"error: a user with the email {data.email} already exists", file=sys.stderr)
        return 1
    except DatabaseNotAtHeadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Created superuser {user.email} (id {user.id}).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neodyme")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="wait for the database, migrate, and serve the API"
    )
    serve_parser.add_argument(
        "--workers",
        type=int,
        choices=range(1, 65),
        metavar="N",
        help="worker processes (1-64); default: NEODYME_WORKERS",
    )
    commands.add_parser("prestart", help="wait for the database and migrate it")
    create = commands.add_parser("create-superuser", help="create a user who may manage all users")
    create.add_argument("--email", required=True)
    create.add_argument("--full-name", default="Administrator")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)

    if args.command == "create-superuser":
        return create_superuser_command(args.email, args.full_name, settings)
    try:
        if args.command == "prestart":
            prestart(settings)
        else:
            serve(with_workers(settings, args.workers))
    except DatabaseUnavailableError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
