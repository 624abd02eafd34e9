"""Signing up and changing accounts, and the signed-in user read through the cache: its key,
its read and the writes that invalidate it."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from neodyme.core.cache import Cache
from neodyme.core.database import open_session
from neodyme.core.exceptions import WrongCurrentPasswordError
from neodyme.core.rate_limit import Attempts
from neodyme.core.security import PasswordHasher
from neodyme.models.user import User, UserCreate, UserPublic, UserUpdate
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository


def user_key(user_id: int) -> str:
    """Where the user an access token names is cached."""
    return f"user:{user_id}"


@dataclass
class UserService:
    """Signing up and changing accounts; a change invalidates the cached user once committed.

    A cached user outliving a change would be a security hole: a deleted account still signed
    in, a demoted superuser still allowed everything. So every write that changes or removes a
    user goes through here, and invalidation follows the repository's commit, never precedes it.
    """

    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    hasher: PasswordHasher
    cache: Cache

    async def sign_up(self, data: UserCreate, is_superuser: bool = False) -> User:
        hashed_password = await self.hasher.hash(data.password)
        return await self.users.create(data, hashed_password, is_superuser)

    async def change(
        self, user: User, data: UserUpdate, actor: UserPublic, attempts: Attempts
    ) -> User:
        """Apply a change made by ``actor`` (the user themself, or a superuser).

        A new password needs the current one when users change their own, and it logs every
        other session out: all of the user's refresh tokens are revoked. ``attempts`` counts the
        current password as a password guess, and a new email as a claim (its 409 tells whether
        the address is taken).
        """
        changes = data.model_dump(
            exclude_unset=True, exclude_none=True, exclude={"password", "current_password"}
        )
        if changes.get("email", user.email) != user.email:
            await attempts.claim_email(actor.id)
        if data.password is not None:
            if actor.id == user.id and not await attempts.guess_password(
                user.email,
                user.id,
                lambda: self.hasher.verify(data.current_password or "", user.hashed_password),
            ):
                raise WrongCurrentPasswordError
            changes["hashed_password"] = await self.hasher.hash(data.password)
            await self.refresh_tokens.revoke_all_for_user(user.id)
        user = await self.users.update(user, changes)
        await self.cache.invalidate(user_key(user.id))
        return user

    async def delete(self, user: User) -> None:
        await self.users.delete(user)
        await self.cache.invalidate(user_key(user.id))


@dataclass
class CachedUsers:
    """The user an access token names: every authenticated request asks, so it is cached.

    A read session (``sessionmaker``, for one ``SELECT``) is opened only on a miss: a hit touches
    no database at all. ``UserService`` could not promise that: it needs the request's session.
    """

    cache: Cache
    sessionmaker: async_sessionmaker[AsyncSession]

    async def get(self, user_id: int) -> UserPublic | None:
        async def load() -> UserPublic | None:
            async with open_session(self.sessionmaker) as session:
                return await UserRepository(session).get_public(user_id)

        return await self.cache.get_or_load(user_key(user_id), UserPublic, load)
