"""Reading pages of todos, with the page every client opens first served from the cache."""

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from neodyme.core.cache import Cache
from neodyme.core.database import open_session
from neodyme.models.pagination import Cursor
from neodyme.models.todo import TodoPublic
from neodyme.repositories.todo import TodoRepository

FIRST_PAGE_SIZE = 20
"""The default ``limit``: the newest todos a client shows when it opens the list."""


class TodoPage(BaseModel):
    todos: list[TodoPublic]
    has_more: bool


@dataclass
class TodoService:
    """Pages of one owner's todos, newest first, and whether more follow each.

    The first page at the default size, unfiltered, is by far the most requested one: it is
    read through the cache, under one key per owner, which ``TodoRepository`` invalidates after
    every change to that owner's todos. Any other page goes to the database; caching every
    shape of page would need a key for each, and an invalidation would have to find them all.

    Like ``CachedUsers`` in ``services/users.py``, a session is opened only on a miss, from
    ``sessionmaker``, which should make read sessions: a page is one ``SELECT``.
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
            key = TodoRepository.cache_key(owner_id)
            return await self.cache.get_or_load(key, TodoPage, load)
        return await load()
