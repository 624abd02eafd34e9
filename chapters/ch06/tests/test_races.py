"""Clients racing on one todo or one user: whoever loses gets a clear 4xx, never a 500."""

import asyncio

import pytest

PAIRS = 25


@pytest.fixture
async def todos(client, ada) -> list[int]:
    """``PAIRS`` todos of Ada's, by id."""
    created = [
        await client.post(f"/users/{ada['id']}/todos", json={"title": f"todo {n}"})
        for n in range(PAIRS)
    ]
    return [response.json()["id"] for response in created]


@pytest.fixture
async def users(client) -> list[int]:
    """``PAIRS`` users, by id."""
    created = [
        await client.post("/users", json={"email": f"u{n}@example.com", "full_name": "U"})
        for n in range(PAIRS)
    ]
    return [response.json()["id"] for response in created]


async def test_a_todo_changed_and_deleted_at_once_ends_deleted_and_the_change_404s(
    client, ada, todos
):
    """The delete may commit between the change's read and its write: the change is a 404."""
    url = f"/users/{ada['id']}/todos"
    pairs = [
        (client.delete(f"{url}/{id}"), client.patch(f"{url}/{id}", json={"title": "changed"}))
        for id in todos
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert {response.status_code for response in changed} <= {200, 404}
    assert [response.status_code for response in deleted] == [204] * PAIRS
    for response in changed:
        if response.status_code == 404:
            assert response.json()["code"] == "todo_not_found"
    left = await client.get(url, params={"limit": 100})
    assert left.json() == []


async def test_a_todo_deleted_twice_at_once_is_one_204_and_one_404(client, ada, todos):
    url = f"/users/{ada['id']}/todos"
    deletes = [client.delete(f"{url}/{id}") for id in todos for _ in "ab"]

    responses = await asyncio.gather(*deletes)

    for one, other in zip(responses[0::2], responses[1::2], strict=True):
        assert sorted([one.status_code, other.status_code]) == [204, 404]


async def test_a_user_deleted_twice_at_once_is_one_204_and_one_404(client, users):
    deletes = [client.delete(f"/users/{id}") for id in users for _ in "ab"]

    responses = await asyncio.gather(*deletes)

    for one, other in zip(responses[0::2], responses[1::2], strict=True):
        assert sorted([one.status_code, other.status_code]) == [204, 404]


async def test_a_user_changed_and_deleted_at_once_ends_deleted_and_the_change_404s(client, users):
    """The delete may commit between the change's read and its write: the change is a 404."""
    pairs = [
        (client.delete(f"/users/{id}"), client.patch(f"/users/{id}", json={"full_name": "V"}))
        for id in users
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert [response.status_code for response in deleted] == [204] * PAIRS
    assert {response.status_code for response in changed} <= {200, 404}
    assert all(r.json()["code"] == "user_not_found" for r in changed if r.status_code == 404)
    assert (await client.get("/users")).json() == []
