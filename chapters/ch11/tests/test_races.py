"""Clients racing on one todo or one user: whoever loses gets a clear 4xx, never a 500."""

import asyncio

import pytest
from conftest import Account

PAIRS = 25


@pytest.fixture
async def todos(client, ada) -> list[int]:
    """``PAIRS`` todos of Ada's, by id."""
    created = [
        await client.post("/todos", json={"title": f"todo {n}"}, headers=ada.headers)
        for n in range(PAIRS)
    ]
    return [response.json()["id"] for response in created]


@pytest.fixture
async def racers(make_account) -> list[Account]:
    """``PAIRS`` signed-up accounts. Sign-ups are limited per client: each racer signs up from
    an address of its own."""
    return [
        await make_account(f"racer{n}@example.com", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(PAIRS)
    ]


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


async def test_a_user_deleted_twice_at_once_is_one_204_and_one_404(client, admin, racers):
    deletes = [
        client.delete(f"/users/{account.user['id']}", headers=admin.headers)
        for account in racers
        for _ in "ab"
    ]

    responses = await asyncio.gather(*deletes)

    for one, other in zip(responses[0::2], responses[1::2], strict=True):
        assert sorted([one.status_code, other.status_code]) == [204, 404]


async def test_a_user_deleted_while_changing_itself_gets_a_404_not_a_500(client, racers):
    pairs = [
        (
            client.delete(f"/users/{account.user['id']}", headers=account.headers),
            client.patch("/users/me", json={"full_name": "V"}, headers=account.headers),
        )
        for account in racers
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert [response.status_code for response in deleted] == [204] * PAIRS
    assert {response.status_code for response in changed} <= {200, 401, 404}
