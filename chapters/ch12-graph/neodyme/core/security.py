"""Passwords and tokens.

Passwords are hashed with bcrypt in a worker thread: a hash takes a large fraction of a second
on purpose, and on the event loop it would stall every other request for that long.

Tokens are JWTs signed with HS256. Decoding pins the algorithm (so a token that says
``"alg": "none"`` or RS256 is refused) and requires every claim we rely on: PyJWT only checks
``exp`` when it is present, so a token without one would otherwise never expire.
"""

import functools
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio.to_thread
import bcrypt
import jwt

from neodyme.core.config import Settings
from neodyme.core.exceptions import InvalidTokenError

BCRYPT_MAX_BYTES = 72
"""bcrypt only reads 72 bytes of a password; bcrypt 5 raises ``ValueError`` beyond that."""

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "type", "jti"]
VERIFIED_TOKENS_KEPT = 4096

TokenType = Literal["access", "refresh"]


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


def token_lifetime(token_type: TokenType, settings: Settings) -> timedelta:
    if token_type == "access":
        return timedelta(minutes=settings.access_token_expire_minutes)
    return timedelta(days=settings.refresh_token_expire_days)


def create_token(
    user_id: int, token_type: TokenType, settings: Settings
) -> tuple[str, str, datetime]:
    """A signed token for ``user_id``; returns the token, its unique id (``jti``) and expiry."""
    now = datetime.now(UTC)
    lifetime = token_lifetime(token_type, settings)
    jti = uuid.uuid4().hex
    claims = {
        "sub": str(user_id),
        "type": token_type,
        "jti": jti,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM), jti, now + lifetime


def decode_token(token: str, expected_type: TokenType, settings: Settings) -> dict:
    """The token's claims, if it is genuine, unexpired, complete and of the expected type."""
    try:
        claims = verified_claims(token, settings.signing_key)
    except jwt.InvalidTokenError:
        raise InvalidTokenError from None
    if claims["exp"] <= time.time():  # a remembered token expires like any other
        raise InvalidTokenError
    subject = claims["sub"]
    if claims["type"] != expected_type or not (subject.isascii() and subject.isdigit()):
        raise InvalidTokenError
    return dict(claims)


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def verified_claims(token: str, key: str) -> dict:
    """The claims of a token signed with ``key``; raises ``jwt.InvalidTokenError`` otherwise.

    Every authenticated request decodes its bearer token, and a client sends the same token
    for minutes on end. Checking the signature and parsing the claims is a large share of a
    cached read's work, so a token that passed is remembered (the most recent
    ``VERIFIED_TOKENS_KEPT`` of them). A token that fails raises, and an exception is
    never remembered. ``decode_token`` checks the expiry at every use, and returns a copy:
    the remembered claims are shared.
    """
    return jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
