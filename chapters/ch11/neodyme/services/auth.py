"""Logging in, and the life of a token pair: issue, rotate, revoke."""

from neodyme.core.config import Settings
from neodyme.core.exceptions import InvalidCredentialsError, InvalidTokenError
from neodyme.core.rate_limit import Attempts
from neodyme.core.security import create_token, decode_token, token_lifetime, verify_password
from neodyme.models.token import TokenPair
from neodyme.models.user import User
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository


class AuthService:
    def __init__(
        self, users: UserRepository, refresh_tokens: RefreshTokenRepository, settings: Settings
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.settings = settings

    async def authenticate(self, email: str, password: str, attempts: Attempts) -> User:
        """The active user with these credentials; anything else is the same 401.

        Each call is a password guess, counted by ``attempts`` (429 once over a limit).
        """
        user = await self.users.get_by_email(email)
        hashed = user.hashed_password if user is not None else None

        async def check() -> bool:
            matches = await verify_password(password, hashed, self.settings.bcrypt_rounds)
            return matches and user.is_active

        if not await attempts.guess_password(email, user.id if user else None, check):
            raise InvalidCredentialsError
        return user

    async def issue_tokens(self, user: User) -> TokenPair:
        access_token, _, _ = create_token(user.id, "access", self.settings)
        refresh_token, jti, expires_at = create_token(user.id, "refresh", self.settings)
        await self.refresh_tokens.add(jti, user.id, expires_at)
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(token_lifetime("access", self.settings).total_seconds()),
        )

    async def rotate(self, refresh_token: str) -> TokenPair:
        """Trade a live refresh token for a new pair; the old one stops working."""
        claims = decode_token(refresh_token, "refresh", self.settings)
        if not await self.refresh_tokens.revoke(claims["jti"]):
            raise InvalidTokenError
        user = await self.users.get(int(claims["sub"]))
        if user is None or not user.is_active:
            raise InvalidTokenError
        return await self.issue_tokens(user)

    async def revoke(self, refresh_token: str) -> None:
        """Log out: the refresh token stops working (revoking it twice is harmless)."""
        claims = decode_token(refresh_token, "refresh", self.settings)
        await self.refresh_tokens.revoke(claims["jti"])
