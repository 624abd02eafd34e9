"""Never give a deleted todo's id to a new todo (SQLite AUTOINCREMENT).

A todo is known to its clients by id: a URL in a bookmark or a client's cache, a retried
DELETE. SQLite, without AUTOINCREMENT, hands out the largest id in use plus one, so deleting
the newest todo frees its id for the next todo created, and an old ``/todos/{id}`` would then
name someone's new todo. As in 0006, SQLite can only add AUTOINCREMENT by rebuilding the
table; PostgreSQL sequences never hand out an id twice.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def rebuild_todo_table(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "todo", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    rebuild_todo_table(autoincrement=True)


def downgrade() -> None:
    rebuild_todo_table(autoincrement=False)
