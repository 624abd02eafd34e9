"""Neodyme's command line: ``python -m neodyme create-superuser --email EMAIL``.

The password comes from ``NEODYME_SUPERUSER_PASSWORD`` or, when that is not set, a prompt
in the terminal that does not echo it.
"""

import argparse
import asyncio
import getpass
import os
import sys

from pydantic import ValidationError

from neodyme.core.config import ConfigurationError, Settings, get_settings
from neodyme.core.database import create_engine, create_sessionmaker
from neodyme.core.exceptions import EmailTakenError
from neodyme.core.migrations import DatabaseNotAtHeadError, check_database_is_at_head
from neodyme.core.security import PasswordHasher
from neodyme.models.user import User, UserCreate
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository
from neodyme.services.users import UserService


async def create_superuser(data: UserCreate, settings: Settings) -> User:
    engine = create_engine(settings.database_url)
    try:
        await check_database_is_at_head(engine)
        async with create_sessionmaker(engine)() as session:
            hasher = PasswordHasher(settings.bcrypt_rounds)
            service = UserService(UserRepository(session), RefreshTokenRepository(session), hasher)
            return await service.sign_up(data, is_superuser=True)
    finally:
        await engine.dispose()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neodyme")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-superuser", help="create a user who may manage all users")
    create.add_argument("--email", required=True)
    create.add_argument("--full-name", default="Administrator")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    password = read_password()
    if password is None:
        print(
            "error: no password: set NEODYME_SUPERUSER_PASSWORD, "
            "or run the command in a terminal to type it",
            file=sys.stderr,
        )
        return 2
    try:
        data = UserCreate(email=args.email, full_name=args.full_name, password=password)
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


if __name__ == "__main__":
    sys.exit(main())
