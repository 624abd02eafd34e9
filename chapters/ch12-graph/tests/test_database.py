"""The repositories against a real database (SQLite and PostgreSQL), without HTTP in between."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import POSTGRES_URL
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.core.database import create_engine, create_read_sessionmaker, create_sessionmaker
from neodyme.core.exceptions import UserNotFoundError
from neodyme.models.pagination import Cursor
from neodyme.models.todo import TodoCreate
from neodyme.models.user import UserCreate
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import EmailTakenError, UserRepository

ADA = UserCreate(email="ada@example.com", full_name="Ada Lovelace", password="ada's password")
GRACE = UserCreate(email="grace@example.com", full_name="Grace Hopper", password="grace's pass")
HASH = "$2b$04$" + "x" * 53


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session like the one a request gets, on the test's clean database."""
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def users(session: AsyncSession) -> UserRepository:
    return UserRepository(session)


@pytest.fixture
def todos(session: AsyncSession) -> TodoRepository:
    return TodoRepository(session)


@pytest.fixture
def refresh_tokens(session: AsyncSession) -> RefreshTokenRepository:
    return RefreshTokenRepository(session)


async def test_create_stores_the_user_with_database_defaults(users):
    user = await users.create(ADA, HASH)

    assert user.id is not None
    assert (user.email, user.full_name, user.is_active) == (ADA.email, ADA.full_name, True)
    assert user.created_at is not None and user.created_at.tzinfo is not None


async def test_get_returns_the_stored_user_or_none(users):
    user = await users.create(ADA, HASH)

    assert await users.get(user.id) == user
    assert await users.get(user.id + 1) is None


async def test_get_by_email_finds_the_exact_address(users):
    user = await users.create(ADA, HASH)

    assert await users.get_by_email("ada@example.com") == user
    assert await users.get_by_email("grace@example.com") is None


async def test_create_stores_the_hash_and_the_superuser_flag(users):
    user = await users.create(ADA, HASH, is_superuser=True)

    assert (user.hashed_password, user.is_superuser) == (HASH, True)


async def test_list_pages_through_users_in_id_order(users):
    created = [await users.create(data, HASH) for data in (ADA, GRACE)]

    assert list(await users.list(offset=0, limit=10)) == created
    assert list(await users.list(offset=1, limit=1)) == created[1:]


async def test_create_with_a_taken_email_raises_and_leaves_the_session_usable(users):
    await users.create(ADA, HASH)

    with pytest.raises(EmailTakenError):
        await users.create(ADA.model_copy(update={"full_name": "Impostor"}), HASH)

    assert [user.email for user in await users.list(offset=0, limit=10)] == [ADA.email]
    assert (await users.create(GRACE, HASH)).email == GRACE.email


async def test_update_changes_the_given_fields(users):
    user = await users.create(ADA, HASH)

    updated = await users.update(user, {"full_name": "Countess Ada"})

    assert updated.full_name == "Countess Ada"
    assert (await users.get(user.id)).full_name == "Countess Ada"


async def test_update_to_a_taken_email_raises_and_keeps_the_stored_email(users):
    await users.create(ADA, HASH)
    grace = await users.create(GRACE, HASH)

    with pytest.raises(EmailTakenError):
        await users.update(grace, {"email": ADA.email})

    await users.session.refresh(grace)
    assert grace.email == GRACE.email


async def test_delete_removes_the_user(users):
    user = await users.create(ADA, HASH)

    await users.delete(user)

    assert await users.get(user.id) is None


async def test_todos_are_listed_newest_first_for_their_owner_only(users, todos):
    ada, grace = await users.create(ADA, HASH), await users.create(GRACE, HASH)
    first = await todos.create(ada.id, TodoCreate(title="first"))
    second = await todos.create(ada.id, TodoCreate(title="second", completed=True))
    await todos.create(grace.id, TodoCreate(title="not Ada's"))

    async def ids(**page) -> list[int]:
        return [row.id for row in await todos.list(ada.id, **page)]

    assert await ids(offset=0, limit=10) == [second.id, first.id]
    assert await ids(offset=0, limit=10, completed=True) == [second.id]
    assert await ids(offset=1, limit=10) == [first.id]
    assert await ids(
        offset=0, limit=10, after=Cursor(created_at=second.created_at, id=second.id)
    ) == [first.id]


async def test_a_todo_is_found_only_through_its_owner(users, todos):
    ada, grace = await users.create(ADA, HASH), await users.create(GRACE, HASH)
    todo = await todos.create(ada.id, TodoCreate(title="private"))

    assert await todos.get(ada.id, todo.id) == todo
    assert await todos.get(grace.id, todo.id) is None
    assert await todos.get(ada.id, todo.id + 1) is None


async def test_creating_a_todo_for_an_owner_deleted_meanwhile_raises_and_stores_nothing(
    users, todos
):
    """The request read its user; another request deleted them before the insert."""
    ada = await users.create(ADA, HASH)
    await users.delete(ada)

    with pytest.raises(UserNotFoundError):
        await todos.create(ada.id, TodoCreate(title="Buy milk"))

    assert list(await todos.list(ada.id, offset=0, limit=10)) == []


async def test_updating_a_todo_moves_updated_at(users, todos):
    ada = await users.create(ADA, HASH)
    todo = await todos.create(ada.id, TodoCreate(title="draft"))
    created = todo.updated_at

    updated = await todos.update(todo, {"title": "final"})

    assert updated.title == "final"
    assert updated.updated_at > created


async def test_deleting_a_user_deletes_their_todos_and_tokens(
    session, users, todos, refresh_tokens
):
    ada = await users.create(ADA, HASH)
    todo = await todos.create(ada.id, TodoCreate(title="mine"))
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await refresh_tokens.add("a" * 32, ada.id, tomorrow)

    await users.delete(ada)
    session.expunge_all()  # forget the objects this session holds: ask the database itself

    assert await todos.get(ada.id, todo.id) is None
    assert not await refresh_tokens.rotate("a" * 32, "b" * 32, ada.id, tomorrow)


async def test_a_refresh_token_is_rotated_exactly_once(users, refresh_tokens):
    ada = await users.create(ADA, HASH)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await refresh_tokens.add("a" * 32, ada.id, tomorrow)

    assert await refresh_tokens.rotate("a" * 32, "b" * 32, ada.id, tomorrow) is True
    assert await refresh_tokens.rotate("a" * 32, "c" * 32, ada.id, tomorrow) is False
    assert await refresh_tokens.rotate("b" * 32, "d" * 32, ada.id, tomorrow) is True


async def test_an_expired_refresh_token_cannot_be_rotated_into_a_new_pair(users, refresh_tokens):
    ada = await users.create(ADA, HASH)
    await refresh_tokens.add("b" * 32, ada.id, datetime.now(UTC) - timedelta(seconds=1))

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert await refresh_tokens.rotate("b" * 32, "c" * 32, ada.id, tomorrow) is False


async def test_revoking_a_family_revokes_its_newest_token_and_no_other_family(
    users, refresh_tokens
):
    ada = await users.create(ADA, HASH)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await refresh_tokens.add("a" * 32, ada.id, tomorrow)
    await refresh_tokens.rotate("a" * 32, "b" * 32, ada.id, tomorrow)
    await refresh_tokens.add("o" * 32, ada.id, tomorrow)  # another login of the same user

    await refresh_tokens.revoke_family("a" * 32)

    assert await refresh_tokens.rotate("b" * 32, "c" * 32, ada.id, tomorrow) is False
    assert await refresh_tokens.rotate("o" * 32, "p" * 32, ada.id, tomorrow) is True


async def test_revoke_all_for_user_leaves_other_users_tokens_alone(users, refresh_tokens):
    ada, grace = await users.create(ADA, HASH), await users.create(GRACE, HASH)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await refresh_tokens.add("a" * 32, ada.id, tomorrow)
    await refresh_tokens.add("g" * 32, grace.id, tomorrow)

    await refresh_tokens.revoke_all_for_user(ada.id)

    assert await refresh_tokens.rotate("a" * 32, "b" * 32, ada.id, tomorrow) is False
    assert await refresh_tokens.rotate("g" * 32, "h" * 32, grace.id, tomorrow) is True


async def test_a_read_session_reads_what_a_session_committed(database_url, users, todos):
    ada = await users.create(ADA, HASH)
    todo = await todos.create(ada.id, TodoCreate(title="committed"))
    engine = create_engine(database_url)
    async with create_read_sessionmaker(engine)() as session:
        rows = await TodoRepository(session).list(ada.id, offset=0, limit=10)
        public = await UserRepository(session).get_public(ada.id)
    await engine.dispose()

    assert [row.id for row in rows] == [todo.id]
    assert public is not None and public.email == ADA.email


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set NEODYME_TEST_POSTGRES_URL")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_read_session_runs_each_statement_outside_a_transaction(database_url):
    """No ``BEGIN`` and ``ROLLBACK`` around a read: each statement commits on its own.

    PostgreSQL only: SQLite has no transaction ids to compare, and starts no transaction to read.
    """
    engine = create_engine(database_url)
    current = text("SELECT txid_current()")
    async with create_sessionmaker(engine)() as session:
        in_one_transaction = [await session.scalar(current) for _ in range(2)]
    async with create_read_sessionmaker(engine)() as session:
        each_on_its_own = [await session.scalar(current) for _ in range(2)]
    await engine.dispose()

    assert in_one_transaction[0] == in_one_transaction[1]
    assert each_on_its_own[0] != each_on_its_own[1]
