"""Logging in, and the life of a token pair: issue, rotate, revoke."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from neodyme.core.config import Settings
from neodyme.core.database import open_session
from neodyme.core.exceptions import InvalidCredentialsError, InvalidTokenError
from neodyme.core.rate_limit import Attempts
from neodyme.core.security import PasswordHasher, create_token, decode_token, token_lifetime
from neodyme.models.token import TokenPair
from neodyme.models.user import User
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository

logger = logging.getLogger(__name__)


@dataclass
class AuthService:
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    hasher: PasswordHasher
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]

    async def authenticate(self, email: str, password: str, attempts: Attempts) -> User:
        """The active user with these credentials; anything else is the same 401.

        Each call is a password guess, counted by ``attempts`` (429 once over a limit).
        """
        user = await self.users.get_by_email(email)
        hashed = user.hashed_password if user is not None else None

        async def check() -> bool:
            return await self.hasher.verify(password, hashed) and user.is_active

        if not await attempts.guess_password(email, user.id if user else None, check):
            raise InvalidCredentialsError
        return user

    async def issue_tokens(self, user: User) -> TokenPair:
        """A login: a new pair, whose refresh token starts a new family."""
        pair, jti, expires_at = self.new_pair(user)
        await self.refresh_tokens.add(jti, user.id, expires_at)
        return pair

    async def rotate(self, refresh_token: str) -> TokenPair:
        """Trade a live refresh token for a new pair of the same family; the old one stops working.

        A genuine, unexpired token that was already used means two parties hold a copy, the
        real client and a thief, and nothing tells which is which. So its whole family is
        revoked and whoever holds it must log in again (RFC 9700, section 4.14.2).
        """
        claims = decode_token(refresh_token, "refresh", self.settings)
        user = await self.users.get(int(claims["sub"]))
        if user is None or not user.is_active:
            raise InvalidTokenError
        pair, jti, expires_at = self.new_pair(user)
        if not await self.refresh_tokens.rotate(claims["jti"], jti, user.id, expires_at):
            await self.refresh_tokens.revoke_family(claims["jti"])
            raise InvalidTokenError
        return pair

    async def revoke(self, refresh_token: str) -> None:
        """Log out: every token of this token's family stops working (twice is harmless)."""
        claims = decode_token(refresh_token, "refresh", self.settings)
        await self.refresh_tokens.revoke_family(claims["jti"])

    def new_pair(self, user: User) -> tuple[TokenPair, str, datetime]:
        """Signed tokens for ``user``, with the refresh token's ``jti`` and expiry to record."""
        access_token, _, _ = create_token(user.id, "access", self.settings)
        refresh_token, jti, expires_at = create_token(user.id, "refresh", self.settings)
        pair = TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(token_lifetime("access", self.settings).total_seconds()),
        )
        return pair, jti, expires_at

    async def record_login(self, user_id: int) -> None:
        """Store the time of a successful login. Runs after the response has been sent.

        The request's session is closed by then, so this opens its own. Nobody is left to tell
        about a failure here, and a failure must not touch the response (already sent): it is
        logged, and that is all.
        """
        try:
            async with open_session(self.sessionmaker) as session:
                await UserRepository(session).record_login(user_id)
        except Exception:
            logger.exception("Could not record the login of user %s", user_id)
