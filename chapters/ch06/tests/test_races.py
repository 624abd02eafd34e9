"""Clients racing on one user: whoever loses gets a clear 4xx, never a 500."""

import asyncio

PAIRS = 25


async def test_a_user_changed_and_deleted_at_once_ends_deleted_and_the_change_404s(client):
    """The delete may commit between the change's read and its write: the change is a 404."""
    ids = [
        (await client.post("/users", json={"email": f"u{n}@example.com", "full_name": "U"})).json()[
            "id"
        ]
        for n in range(PAIRS)
    ]
    pairs = [
        (client.delete(f"/users/{id}"), client.patch(f"/users/{id}", json={"full_name": "V"}))
        for id in ids
    ]

    responses = await asyncio.gather(*(request for pair in pairs for request in pair))

    deleted, changed = responses[0::2], responses[1::2]
    assert [response.status_code for response in deleted] == [204] * PAIRS
    assert {response.status_code for response in changed} <= {200, 404}
    assert all(r.json()["code"] == "user_not_found" for r in changed if r.status_code == 404)
    assert (await client.get("/users")).json() == []
