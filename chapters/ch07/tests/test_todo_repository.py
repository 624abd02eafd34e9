"""The todo repository against a real database (SQLite and PostgreSQL), without HTTP in between."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.core.database import create_engine, create_sessionmaker
from neodyme.core.exceptions import UserNotFoundError
from neodyme.models.todo import TodoCreate
from neodyme.models.user import User, UserCreate
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserRepository

HASH = "$2b$04$" + "x" * 53


@pytest.fixture
async def session(migrated_database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(migrated_database_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def todos(session: AsyncSession) -> TodoRepository:
    return TodoRepository(session)


@pytest.fixture
async def ada(session: AsyncSession) -> User:
    return await UserRepository(session).create(
        UserCreate(email="ada@example.com", full_name="Ada Lovelace", password="ada's password"),
        HASH,
    )


@pytest.fixture
async def grace(session: AsyncSession) -> User:
    return await UserRepository(session).create(
        UserCreate(email="grace@example.com", full_name="Grace Hopper", password="grace's pass"),
        HASH,
    )


async def test_create_stores_the_todo_for_its_owner_with_defaults(todos, ada):
    todo = await todos.create(ada.id, TodoCreate(title="Buy milk"))

    assert todo.id is not None
    assert (todo.title, todo.description, todo.completed, todo.user_id) == (
        "Buy milk",
        None,
        False,
        ada.id,
    )
    assert todo.created_at is not None and todo.created_at.tzinfo is not None
    assert todo.updated_at == todo.created_at


async def test_create_for_an_owner_deleted_meanwhile_raises_and_stores_nothing(session, todos, ada):
    """The route read the owner; another request deleted them before the insert."""
    await UserRepository(session).delete(ada)

    with pytest.raises(UserNotFoundError):
        await todos.create(ada.id, TodoCreate(title="Buy milk"))

    assert list(await todos.list(ada.id, offset=0, limit=10)) == []


async def test_get_returns_only_the_owners_todo(todos, ada, grace):
    todo = await todos.create(ada.id, TodoCreate(title="Buy milk"))

    assert await todos.get(ada.id, todo.id) == todo
    assert await todos.get(grace.id, todo.id) is None
    assert await todos.get(ada.id, todo.id + 1) is None


async def test_list_pages_through_the_owners_todos_newest_first(todos, ada, grace):
    created = [await todos.create(ada.id, TodoCreate(title=f"todo {n}")) for n in range(3)]
    await todos.create(grace.id, TodoCreate(title="Grace's"))

    assert list(await todos.list(ada.id, offset=0, limit=10)) == created[::-1]
    assert list(await todos.list(ada.id, offset=1, limit=1)) == [created[1]]


async def test_list_filters_by_completed(todos, ada):
    done = await todos.create(ada.id, TodoCreate(title="done", completed=True))
    open_ = await todos.create(ada.id, TodoCreate(title="open"))

    assert list(await todos.list(ada.id, offset=0, limit=10, completed=True)) == [done]
    assert list(await todos.list(ada.id, offset=0, limit=10, completed=False)) == [open_]


async def test_update_changes_the_given_fields(todos, ada):
    todo = await todos.create(ada.id, TodoCreate(title="Buy milk"))

    await todos.update(todo, {"completed": True})

    assert (await todos.get(ada.id, todo.id)).completed is True
    assert todo.updated_at > todo.created_at


async def test_delete_removes_the_todo(todos, ada):
    todo = await todos.create(ada.id, TodoCreate(title="Buy milk"))

    await todos.delete(todo)

    assert await todos.get(ada.id, todo.id) is None


async def test_deleting_the_owner_deletes_their_todos(session, todos, ada, grace):
    await todos.create(ada.id, TodoCreate(title="Ada's"))
    graces = await todos.create(grace.id, TodoCreate(title="Grace's"))

    await UserRepository(session).delete(ada)

    assert list(await todos.list(ada.id, offset=0, limit=10)) == []
    assert list(await todos.list(grace.id, offset=0, limit=10)) == [graces]
