"""The repository against a real database (SQLite and PostgreSQL), without HTTP in between."""

from collections.abc import AsyncIterator

import pytest

from neodyme.core.database import create_engine, create_sessionmaker
from neodyme.models.user import UserCreate
from neodyme.repositories.user import EmailTakenError, UserRepository

ADA = UserCreate(email="ada@example.com", full_name="Ada Lovelace", password="ada's password")
GRACE = UserCreate(email="grace@example.com", full_name="Grace Hopper", password="grace's pass")
HASH = "$2b$04$" + "x" * 53


@pytest.fixture
async def users(migrated_database_url: str) -> AsyncIterator[UserRepository]:
    engine = create_engine(migrated_database_url)
    async with create_sessionmaker(engine)() as session:
        yield UserRepository(session)
    await engine.dispose()


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
