"""Signing up and changing accounts: the rules that sit above plain storage."""

from dataclasses import dataclass

from neodyme.core.exceptions import WrongCurrentPasswordError
from neodyme.core.rate_limit import Attempts
from neodyme.core.security import PasswordHasher
from neodyme.models.user import User, UserCreate, UserUpdate
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.user import UserRepository


@dataclass
class UserService:
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    hasher: PasswordHasher

    async def sign_up(self, data: UserCreate, is_superuser: bool = False) -> User:
        hashed_password = await self.hasher.hash(data.password)
        return await self.users.create(data, hashed_password, is_superuser)

    async def change(self, user: User, data: UserUpdate, actor: User, attempts: Attempts) -> User:
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
            attempts.claim_email(actor.id)
        if data.password is not None:
            if actor.id == user.id and not await attempts.guess_password(
                user.email,
                user.id,
                lambda: self.hasher.verify(data.current_password or "", user.hashed_password),
            ):
                raise WrongCurrentPasswordError
            changes["hashed_password"] = await self.hasher.hash(data.password)
            await self.refresh_tokens.revoke_all_for_user(user.id)
        return await self.users.update(user, changes)
