"""Never give a deleted user's id to a new user (SQLite AUTOINCREMENT).

An access token names its user by id. SQLite, without AUTOINCREMENT, hands out the largest id
in use plus one, so deleting the newest user frees their id for the next signup, who would then
be authenticated by the deleted user's unexpired tokens. SQLite can only add AUTOINCREMENT by
rebuilding the table, which batch mode does (foreign keys are off on Alembic's connection, so
dropping the old table cascades to nothing). PostgreSQL sequences never hand out an id twice:
there is nothing to do there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def rebuild_user_table(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "user", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    rebuild_user_table(autoincrement=True)


def downgrade() -> None:
    rebuild_user_table(autoincrement=False)
