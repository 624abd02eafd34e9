"""Add user.hashed_password and user.is_superuser.

Users created before passwords existed get an unusable password ("!", which no bcrypt check
accepts): they cannot log in until a superuser sets one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(
            sa.Column("hashed_password", sa.String(length=255), nullable=False, server_default="!")
        )
        batch_op.add_column(
            sa.Column("is_superuser", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # The default only filled the existing rows: new users must always be given a hash.
    with op.batch_alter_table("user") as batch_op:
        batch_op.alter_column("hashed_password", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("is_superuser")
        batch_op.drop_column("hashed_password")
