"""Data access for todos. Every query is scoped to one owner: there is no "any user's todo"."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from neodyme.core.exceptions import TodoNotFoundError, UserNotFoundError
from neodyme.models.todo import Todo, TodoCreate


class TodoRepository:
    """Reads and writes one user's todos. Each write is committed before the method returns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, owner_id: int, todo_id: int) -> Todo | None:
        """The todo, if it exists and belongs to ``owner_id``; another user's todo is ``None``."""
        todo = await self.session.get(Todo, todo_id)
        return todo if todo is not None and todo.user_id == owner_id else None

    async def list(
        self, owner_id: int, offset: int, limit: int, completed: bool | None = None
    ) -> Sequence[Todo]:
        """A page of the owner's todos, newest first."""
        query = select(Todo).where(Todo.user_id == owner_id)
        if completed is not None:
            query = query.where(Todo.completed == completed)
        query = query.order_by(Todo.created_at.desc(), Todo.id.desc()).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    async def create(self, owner_id: int, data: TodoCreate) -> Todo:
        """Store a new todo; raises ``UserNotFoundError`` if its owner is gone.

        The owner was read before, but another request may delete them before this insert:
        the foreign key then refuses the row.
        """
        todo = Todo(**data.model_dump(), user_id=owner_id)
        self.session.add(todo)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise UserNotFoundError from None
        return todo

    async def update(self, todo: Todo, changes: dict[str, Any]) -> Todo:
        """Apply ``changes``; raises ``TodoNotFoundError`` if the todo was deleted meanwhile.

        Another request may delete the todo between our read and our write: the ``UPDATE``
        then matches no row, which SQLAlchemy reports as ``StaleDataError``.
        """
        todo.sqlmodel_update(changes)
        try:
            await self.session.commit()
        except StaleDataError:
            await self.session.rollback()
            raise TodoNotFoundError from None
        return todo

    async def delete(self, todo: Todo) -> None:
        """Delete ``todo``; raises ``TodoNotFoundError`` if another request deleted it first.

        The ``DELETE`` says by its row count whether it found the row: of two requests deleting
        one todo at once, exactly one sees 1.
        """
        result = await self.session.execute(delete(Todo).where(Todo.id == todo.id))
        await self.session.commit()
        if result.rowcount == 0:
            raise TodoNotFoundError
