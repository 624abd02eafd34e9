"""Create todo_blocker (which todo waits for which) and graph_outbox (changes for the graph).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "todo_blocker",
        sa.Column("todo_id", sa.Integer(), nullable=False),
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("todo_id <> blocker_id", name=op.f("ck_todo_blocker_not_itself")),
        sa.ForeignKeyConstraint(
            ["todo_id"], ["todo.id"], name=op.f("fk_todo_blocker_todo_id_todo"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["todo.id"],
            name=op.f("fk_todo_blocker_blocker_id_todo"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("todo_id", "blocker_id", name=op.f("pk_todo_blocker")),
    )
    op.create_index(op.f("ix_todo_blocker_blocker_id"), "todo_blocker", ["blocker_id"])
    op.create_table(
        "graph_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_outbox")),
    )
    op.create_index(op.f("ix_graph_outbox_user_id"), "graph_outbox", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_graph_outbox_user_id"), table_name="graph_outbox")
    op.drop_table("graph_outbox")
    op.drop_index(op.f("ix_todo_blocker_blocker_id"), table_name="todo_blocker")
    op.drop_table("todo_blocker")
