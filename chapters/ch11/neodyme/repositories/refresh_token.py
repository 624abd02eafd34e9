"""Data access for refresh tokens: record, rotate and revoke them."""

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.models.token import RefreshToken


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, jti: str, user_id: int, expires_at: datetime) -> None:
        self.session.add(RefreshToken(jti=jti, user_id=user_id, expires_at=expires_at))
        await self.session.commit()

    async def revoke(self, jti: str) -> bool:
        """Revoke one token; ``True`` only for the caller that revoked a live token.

        One conditional UPDATE decides, so two requests racing to use the same refresh
        token cannot both succeed.
        """
        now = datetime.now(UTC)
        result = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.jti == jti,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(revoked_at=now)
        )
        await self.session.commit()
        return result.rowcount == 1

    async def revoke_all_for_user(self, user_id: int) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        await self.session.commit()
