"""Clients racing on one todo: whoever loses gets a clear 4xx, never a 500."""

import asyncio

import pytest
from conftest import make_settings

PAIRS = 25


@pytest.fixture
def settings(database_url):
    """The races, not the pool: on a loaded machine, fifty requests at once may wait for one of
    the pool's connections longer than the 5 s after which the app answers 503."""
    return make_settings(database_url, pool_timeout_seconds=60)


@pytest.fixture
async def todos(client, ada) -> list[int]:
    """``PAIRS`` todos of Ada's, by id."""
    created = [
        await client.post("/todos", json={"title": f"todo {n}"}, headers=ada.headers)
        for n in range(PAIRS)
    ]
    return [response.json()["id"] for response in created]


async def test_a_todo_changed_and_deleted_at_once_ends_deleted_and_the_change_404s(
    client, ada, todos
):
    """The delete may commit between the change's read and its write: the change is a 404."""
    pairs = [
        (
            client.delete(f"/todos/{id}", headers=ada.headers),
            client.patch(f"/todos/{id}", json={"title": "changed"}, headers=ada.headers),
        )
        for id in todos
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert {response.status_code for response in changed} <= {200, 404}
    assert [response.status_code for response in deleted] == [204] * PAIRS
    for response in changed:
        if response.status_code == 404:
            assert response.json()["code"] == "todo_not_found"
    left = await client.get("/todos", params={"limit": 100}, headers=ada.headers)
    assert left.json() == []


async def test_a_todo_deleted_twice_at_once_is_one_204_and_one_404(client, ada, todos):
    deletes = [client.delete(f"/todos/{id}", headers=ada.headers) for id in todos for _ in "ab"]

    responses = await asyncio.gather(*deletes)

    for one, other in zip(responses[0::2], responses[1::2], strict=True):
        assert sorted([one.status_code, other.status_code]) == [204, 404]


async def test_a_user_deleted_while_changing_itself_gets_a_404_not_a_500(client, make_account):
    # Sign-ups are limited per client: each racer signs up from an address of its own.
    accounts = [
        await make_account(f"racer{n}@example.com", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(PAIRS)
    ]
    pairs = [
        (
            client.delete(f"/users/{account.user['id']}", headers=account.headers),
            client.patch("/users/me", json={"full_name": "V"}, headers=account.headers),
        )
        for account in accounts
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert [response.status_code for response in deleted] == [204] * PAIRS
    assert {response.status_code for response in changed} <= {200, 401, 404}


async def test_a_user_deleted_twice_at_once_is_one_204_and_one_404(client, admin, make_account):
    accounts = [
        await make_account(f"twice{n}@example.com", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(PAIRS)
    ]
    deletes = [
        client.delete(f"/users/{account.user['id']}", headers=admin.headers)
        for account in accounts
        for _ in "ab"
    ]

    responses = await asyncio.gather(*deletes)

    for one, other in zip(responses[0::2], responses[1::2], strict=True):
        assert sorted([one.status_code, other.status_code]) == [204, 404]
