"""Add refresh_token.family, so that reusing a rotated token can revoke its whole family.

A login starts a family, named after the ``jti`` of its first token, and every rotation adds
to it. Tokens issued before this migration did not record where they came from: each becomes
a family of its own, which is what a token that was never rotated is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added nullable, filled, then made NOT NULL: existing rows need a value first.
    op.add_column("refresh_token", sa.Column("family", sa.String(length=32), nullable=True))
    op.execute("UPDATE refresh_token SET family = jti")
    with op.batch_alter_table("refresh_token") as batch_op:
        batch_op.alter_column("family", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_refresh_token_family"), ["family"])


def downgrade() -> None:
    with op.batch_alter_table("refresh_token") as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_token_family"))
        batch_op.drop_column("family")
