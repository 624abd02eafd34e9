import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ADA = {"email": "ada@example.com", "full_name": "Ada Lovelace"}


async def create_user(client, **fields):
    response = await client.post("/users", json={**ADA, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_user_returns_the_stored_user_with_an_id(client):
    response = await client.post("/users", json=ADA)

    assert response.status_code == 201
    body = response.json()
    assert body == {**ADA, "id": body["id"]}
    assert isinstance(body["id"], int)


async def test_created_user_can_be_read_back(client):
    created = await create_user(client)

    response = await client.get(f"/users/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_unknown_user_is_404(client):
    response = await client.get("/users/4242")

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


@pytest.mark.parametrize("user_id", ["0", "-1", "abc", str(2**31), str(10**30)])
async def test_impossible_user_ids_are_rejected_with_422(client, user_id):
    response = await client.get(f"/users/{user_id}")

    assert response.status_code == 422


async def test_list_users_in_id_order(client):
    first = await create_user(client)
    second = await create_user(client, email="grace@example.com", full_name="Grace Hopper")

    response = await client.get("/users")

    assert response.status_code == 200
    assert response.json() == [first, second]


async def test_list_users_paginates_with_offset_and_limit(client):
    users = [
        await create_user(client, email=f"user{n}@example.com", full_name=f"User {n}")
        for n in range(5)
    ]

    response = await client.get("/users", params={"offset": 1, "limit": 2})

    assert response.json() == users[1:3]


@pytest.mark.parametrize(
    "params", [{"offset": -1}, {"limit": 0}, {"limit": 101}, {"offset": 10**30}]
)
async def test_out_of_range_pagination_is_rejected_with_422(client, params):
    response = await client.get("/users", params=params)

    assert response.status_code == 422


async def test_duplicate_email_is_a_409_and_stores_nothing(client):
    await create_user(client)

    response = await client.post("/users", json={**ADA, "full_name": "Someone Else"})

    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this email already exists"}
    assert len((await client.get("/users")).json()) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "ada@example.com"}, {"full_name": "Ada"}, {"email": 1, "full_name": []}],
)
async def test_missing_or_mistyped_fields_are_rejected_with_422(client, body):
    response = await client.post("/users", json=body)

    assert response.status_code == 422
    assert (await client.get("/users")).json() == []


async def test_too_long_fields_are_rejected_with_422(client):
    response = await client.post("/users", json={**ADA, "full_name": "x" * 101})

    assert response.status_code == 422


async def test_users_survive_a_restart(start_app):
    """The point of a database: what one app process stored, the next one reads."""
    async with start_app() as client:
        created = await create_user(client)

    async with start_app() as client:
        response = await client.get(f"/users/{created['id']}")

    assert response.json() == created


async def test_the_user_row_is_in_the_database(client, database_url):
    created = await create_user(client)

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text('SELECT id, email, full_name FROM "user"'))).all()
    await engine.dispose()

    assert [tuple(row) for row in rows] == [(created["id"], ADA["email"], ADA["full_name"])]
