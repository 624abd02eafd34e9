"""Pages of todos and the writes that change them: the cached first page, its key and what
drops it, all here."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from neodyme.core.cache import Cache
from neodyme.core.database import open_session
from neodyme.models.pagination import Cursor
from neodyme.models.todo import Todo, TodoCreate, TodoPublic
from neodyme.repositories.todo import TodoRepository

FIRST_PAGE_SIZE = 20
"""The default ``limit``: the newest todos a client shows when it opens the list."""


def first_page_key(owner_id: int) -> str:
    """Where the owner's first page is cached."""
    return f"todos:{owner_id}:first-page"


class TodoPage(BaseModel):
    todos: list[TodoPublic]
    has_more: bool


@dataclass
class TodoService:
    """Pages of one owner's todos, newest first, and the writes that change them.

    The first page at the default size, unfiltered, is by far the most requested one: it is
    read through the cache, under one key per owner, and every write below invalidates that key
    once the repository has committed. Any other page goes to the database; caching every
    shape of page would need a key for each, and an invalidation would have to find them all.

    Like ``CachedUsers`` in ``services/users.py``, a page opens a session only on a miss, from
    ``sessionmaker``, which should make read sessions: a page is one ``SELECT``. A write takes
    the request's ``TodoRepository``, whose session read the todo it changes.
    """

    cache: Cache
    sessionmaker: async_sessionmaker[AsyncSession]

    async def read_page(
        self,
        owner_id: int,
        offset: int,
        limit: int,
        completed: bool | None = None,
        after: Cursor | None = None,
    ) -> TodoPage:
        async def load() -> TodoPage:
            async with open_session(self.sessionmaker) as session:
                # One row more than the page: whether it comes back says if there is a next page.
                rows = await TodoRepository(session).list(
                    owner_id, offset, limit + 1, completed, after
                )
            todos = [TodoPublic.model_validate(row) for row in rows[:limit]]
            return TodoPage(todos=todos, has_more=len(rows) > limit)

        if (offset, limit, completed, after) == (0, FIRST_PAGE_SIZE, None, None):
            return await self.cache.get_or_load(first_page_key(owner_id), TodoPage, load)
        return await load()

    async def create(self, todos: TodoRepository, owner_id: int, data: TodoCreate) -> Todo:
        todo = await todos.create(owner_id, data)
        await self.cache.invalidate(first_page_key(owner_id))
        return todo

    async def update(self, todos: TodoRepository, todo: Todo, changes: dict[str, Any]) -> Todo:
        todo = await todos.update(todo, changes)
        await self.cache.invalidate(first_page_key(todo.user_id))
        return todo

    async def delete(self, todos: TodoRepository, todo: Todo) -> None:
        await todos.delete(todo)
        await self.cache.invalidate(first_page_key(todo.user_id))
