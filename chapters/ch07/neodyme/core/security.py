"""Passwords and tokens.

Passwords are hashed with bcrypt in a worker thread: a hash takes a large fraction of a second
on purpose, and on the event loop it would stall every other request for that long.

Tokens are JWTs signed with HS256. Decoding pins the algorithm (so a token that says
``"alg": "none"`` or RS256 is refused) and requires every claim we rely on: PyJWT only checks
``exp`` when it is present, so a token without one would otherwise never expire.
"""

import functools
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio.to_thread
import bcrypt
import jwt

from neodyme.core.exceptions import InvalidTokenError

BCRYPT_ROUNDS = 12
BCRYPT_MAX_BYTES = 72
"""bcrypt only reads 72 bytes of a password; bcrypt 5 raises ``ValueError`` beyond that."""

ALGORITHM = "HS256"
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=7)
REQUIRED_CLAIMS = ["exp", "iat", "sub", "type", "jti"]

TokenType = Literal["access", "refresh"]

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-it-in-production-0123456789"


MIN_SECRET_KEY_BYTES = 32
"""HS256 signs with SHA-256: a key shorter than its 32-byte output is easier to guess."""


class WeakSecretKeyError(Exception):
    """``NEODYME_SECRET_KEY`` is set, but too short to sign tokens with."""


def secret_key() -> str:
    """The signing key from ``NEODYME_SECRET_KEY``; a fixed development key when unset."""
    return os.environ.get("NEODYME_SECRET_KEY", DEVELOPMENT_SECRET_KEY)


def check_secret_key() -> None:
    """Refuse a key that is set but short, before the server starts.

    An empty ``NEODYME_SECRET_KEY`` started the server and then made every login a 500.
    """
    if len(secret_key().encode()) < MIN_SECRET_KEY_BYTES:
        raise WeakSecretKeyError(
            f"NEODYME_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )


def password_fits_bcrypt(password: str) -> bool:
    return len(password.encode()) <= BCRYPT_MAX_BYTES


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def _check(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False  # not a bcrypt hash: an account that has no usable password


@functools.cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(
        b"no password is ever checked against this", bcrypt.gensalt(rounds)
    ).decode()


def _check_dummy(rounds: int) -> None:
    _check("not the password", _dummy_hash(rounds))


class PasswordHasher:
    """bcrypt at one cost, ``2**rounds``: the app builds one, and everything hashes through it."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds

    async def prepare_dummy_hash(self) -> None:
        """Make the dummy hash at start-up, so the first unknown-email login is not the slow one."""
        await anyio.to_thread.run_sync(_dummy_hash, self.rounds)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(_hash, password, self.rounds)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Check a password against a user's hash; no user, or an unusable hash, never matches.

        Without a user to check against, a dummy hash of the same cost is checked anyway: doing
        the same bcrypt work either way keeps the response time from telling an attacker which
        emails are registered.
        """
        if hashed is None or not hashed.startswith("$2") or not password_fits_bcrypt(password):
            await anyio.to_thread.run_sync(_check_dummy, self.rounds)
            return False
        return await anyio.to_thread.run_sync(_check, password, hashed)


def create_token(user_id: int, token_type: TokenType) -> tuple[str, str, datetime]:
    """A signed token for ``user_id``; returns the token, its unique id (``jti``) and expiry."""
    now = datetime.now(UTC)
    lifetime = ACCESS_TOKEN_LIFETIME if token_type == "access" else REFRESH_TOKEN_LIFETIME
    jti = uuid.uuid4().hex
    claims = {
        "sub": str(user_id),
        "type": token_type,
        "jti": jti,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret_key(), algorithm=ALGORITHM), jti, now + lifetime


def decode_token(token: str, expected_type: TokenType) -> dict:
    """The token's claims, if it is genuine, unexpired, complete and of the expected type."""
    try:
        claims = jwt.decode(
            token, secret_key(), algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
    except jwt.InvalidTokenError:
        raise InvalidTokenError from None
    subject = claims["sub"]
    if claims["type"] != expected_type or not (subject.isascii() and subject.isdigit()):
        raise InvalidTokenError
    return claims
