"""Data access for todos. Every query is scoped to one owner: there is no "any user's todo"."""

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, delete, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from neodyme.core.exceptions import TodoNotFoundError, UserNotFoundError
from neodyme.models.pagination import Cursor
from neodyme.models.todo import Todo, TodoCreate, TodoPublic


class TodoRepository:
    """Reads and writes one user's todos. Each write is committed before the method returns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, owner_id: int, todo_id: int) -> Todo | None:
        """The todo, if it exists and belongs to ``owner_id``; another user's todo is ``None``."""
        todo = await self.session.get(Todo, todo_id)
        return todo if todo is not None and todo.user_id == owner_id else None

    async def list(
        self,
        owner_id: int,
        offset: int,
        limit: int,
        completed: bool | None = None,
        after: Cursor | None = None,
    ) -> Sequence[Row]:
        """A page of the owner's todos, newest first, as rows of ``TodoPublic``'s columns."""
        query = page_query(by_state=completed is not None, from_cursor=after is not None)
        parameters: dict[str, Any] = {"owner_id": owner_id, "offset": offset, "limit": limit}
        if completed is not None:
            parameters["completed"] = completed
        if after is not None:
            parameters |= {"after_created_at": after.created_at, "after_id": after.id}
        return (await self.session.execute(query, parameters)).all()

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


@functools.cache
def page_query(by_state: bool, from_cursor: bool) -> Select:
    """The page query of one shape, built once: the values come as parameters at execution.

    One query per page, whatever its size, of the columns the API shows (no ORM objects); it
    walks the index ``(user_id, created_at, id)`` backwards from the cursor. Its parameters:
    ``owner_id``, ``offset``, ``limit``, ``completed`` (``by_state``), and ``after_created_at``
    and ``after_id`` (``from_cursor``).

    Why built once: SQLAlchemy compiles a statement's SQL only once and keeps it in a cache,
    but to find it there it computes a key from the statement's whole structure, and a
    statement built afresh for every request pays for that key (and for building itself)
    every time.
    """
    columns = [getattr(Todo, name) for name in TodoPublic.model_fields]
    query = select(*columns).where(Todo.user_id == bindparam("owner_id"))
    if by_state:
        query = query.where(Todo.completed == bindparam("completed"))
    if from_cursor:
        cursor = tuple_(
            bindparam("after_created_at", type_=Todo.created_at.type),
            bindparam("after_id", type_=Integer),
        )
        query = query.where(tuple_(Todo.created_at, Todo.id) < cursor)
    query = query.order_by(Todo.created_at.desc(), Todo.id.desc())
    return query.offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))
