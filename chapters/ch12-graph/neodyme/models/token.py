"""Refresh tokens: remembered by id, so that they can be rotated and revoked."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from neodyme.models.types import RequestBody, UTCDateTime


class RefreshToken(SQLModel, table=True):
    """One issued refresh token. It works while it is unexpired and not revoked.

    A login starts a *family*, named after the ``jti`` of its first token; each rotation adds
    the next token to the same family. Revoking the family ends that login's session.
    """

    __tablename__ = "refresh_token"

    jti: str = Field(primary_key=True, max_length=32)
    family: str = Field(max_length=32, index=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class TokenPair(SQLModel):
    """What a successful login or refresh returns (RFC 6749's token response)."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(RequestBody):
    refresh_token: str = Field(max_length=2048)
