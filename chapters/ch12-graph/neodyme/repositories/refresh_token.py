"""Data access for refresh tokens: record, rotate and revoke them, one family at a time."""

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.models.token import RefreshToken


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, jti: str, user_id: int, expires_at: datetime) -> None:
        """Record the first token of a login, which starts a family of its own."""
        self.session.add(RefreshToken(jti=jti, family=jti, user_id=user_id, expires_at=expires_at))
        await self.session.commit()

    async def rotate(
        self, jti: str, successor_jti: str, user_id: int, expires_at: datetime
    ) -> bool:
        """Revoke a live token and record its successor in its family; ``False`` if not live.

        One conditional UPDATE decides, so two requests racing to use the same refresh token
        cannot both succeed. The successor is committed with the revocation, in one
        transaction: whoever loses the race sees the successor and can revoke it.
        """
        now = datetime.now(UTC)
        revoked = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.jti == jti,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(revoked_at=now)
            .returning(RefreshToken.family)
        )
        family = revoked.scalar_one_or_none()
        if family is not None:
            self.session.add(
                RefreshToken(
                    jti=successor_jti, family=family, user_id=user_id, expires_at=expires_at
                )
            )
        await self.session.commit()
        return family is not None

    async def revoke_family(self, jti: str) -> None:
        """Revoke every live token of the family that token ``jti`` belongs to."""
        family = select(RefreshToken.family).where(RefreshToken.jti == jti).scalar_subquery()
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        await self.session.commit()

    async def revoke_all_for_user(self, user_id: int) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        await self.session.commit()
