"""Index todos for keyset pagination; add user.last_login_at.

The page order is ``(created_at, id)`` within one user, so the index gains ``id``: a page is
then one walk down the index from the cursor, with no sort. On SQLite, ``created_at`` values
written by the database's own ``CURRENT_TIMESTAMP`` have whole seconds ("10:00:00") while the
app writes microseconds ("10:00:00.000000"); as SQLite compares these as text, the old rows are
rewritten in the app's format so that cursors compare correctly.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_todo_user_id_created_at", table_name="todo")
    op.create_index("ix_todo_user_id_created_at_id", "todo", ["user_id", "created_at", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "UPDATE todo SET created_at = strftime('%Y-%m-%d %H:%M:%f000', created_at) "
            "WHERE length(created_at) = 19"
        )
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite: keep 0006's AUTOINCREMENT in the new one.
    with op.batch_alter_table("user", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("last_login_at")
    op.drop_index("ix_todo_user_id_created_at_id", table_name="todo")
    op.create_index("ix_todo_user_id_created_at", "todo", ["user_id", "created_at"])
