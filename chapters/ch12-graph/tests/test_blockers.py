"""Blockers: which todo waits for which, on the database alone (no graph configured)."""

import asyncio
from itertools import pairwise

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from test_todos import add_todo

from neodyme.models.blocker import TodoBlocker
from neodyme.models.graph_outbox import GraphOutbox


async def add_todos(client, account, count: int) -> list[int]:
    return [(await add_todo(client, account, title=f"todo {n}"))["id"] for n in range(count)]


async def block(client, account, todo_id: int, blocker_id: int):
    return await client.put(f"/todos/{todo_id}/blockers/{blocker_id}", headers=account.headers)


async def blockers_of(client, account, todo_id: int, **params) -> list[tuple[int, int]]:
    response = await client.get(
        f"/todos/{todo_id}/blockers", params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return [(todo["id"], todo["distance"]) for todo in response.json()]


async def edge_count(database_url: str) -> int:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(TodoBlocker))
    await engine.dispose()
    return count


async def test_without_a_graph_no_write_leaves_an_outbox_row(client, ada, database_url):
    todo, blocker = await add_todos(client, ada, 2)
    await block(client, ada, todo, blocker)
    await client.patch(f"/todos/{blocker}", json={"completed": True}, headers=ada.headers)
    await client.delete(f"/todos/{todo}", headers=ada.headers)

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        rows = await connection.scalar(select(func.count()).select_from(GraphOutbox))
    await engine.dispose()
    assert rows == 0


async def test_a_blocker_is_listed_with_the_todo_it_is(client, ada):
    todo, blocker = await add_todos(client, ada, 2)

    response = await block(client, ada, todo, blocker)

    assert response.status_code == 204
    listed = (await client.get(f"/todos/{todo}/blockers", headers=ada.headers)).json()
    assert [(item["id"], item["title"], item["distance"]) for item in listed] == [
        (blocker, "todo 1", 1)
    ]


async def test_adding_a_blocker_twice_stores_it_once(client, ada, database_url):
    todo, blocker = await add_todos(client, ada, 2)

    first = await block(client, ada, todo, blocker)
    again = await block(client, ada, todo, blocker)

    assert (first.status_code, again.status_code) == (204, 204)
    assert await edge_count(database_url) == 1


async def test_blockers_of_blockers_come_with_their_shortest_distance(client, ada):
    # a waits for b and c; b waits for c; c waits for d: c is 1 step away, d 2.
    a, b, c, d = await add_todos(client, ada, 4)
    for todo, blocker in [(a, b), (a, c), (b, c), (c, d)]:
        assert (await block(client, ada, todo, blocker)).status_code == 204

    assert await blockers_of(client, ada, a) == [(b, 1), (c, 1), (d, 2)]
    assert await blockers_of(client, ada, a, depth=1) == [(b, 1), (c, 1)]
    assert await blockers_of(client, ada, d) == []


async def test_depth_bounds_how_far_blockers_are_followed(client, ada):
    chain = await add_todos(client, ada, 53)
    for todo, blocker in pairwise(chain):
        await block(client, ada, todo, blocker)

    everything = await blockers_of(client, ada, chain[0])
    two = await blockers_of(client, ada, chain[0], depth=2)

    assert everything == [(todo, n) for n, todo in enumerate(chain[1:51], start=1)]
    assert two == [(chain[1], 1), (chain[2], 2)]


@pytest.mark.parametrize("depth", ["0", "51", "-1", "x"])
async def test_a_depth_outside_1_to_50_is_a_422(client, ada, depth):
    (todo,) = await add_todos(client, ada, 1)

    response = await client.get(
        f"/todos/{todo}/blockers", params={"depth": depth}, headers=ada.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "depth"]


async def test_a_blocker_that_closes_a_cycle_is_refused_and_the_cycle_named(
    client, ada, database_url
):
    five, nine, seven = await add_todos(client, ada, 3)
    await block(client, ada, nine, seven)  # 9 waits for 7
    await block(client, ada, seven, five)  # 7 waits for 5

    response = await block(client, ada, five, nine)  # 5 would wait for 9: 5 -> 9 -> 7 -> 5

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "blocker_cycle"
    assert problem["cycle"] == [five, nine, seven, five]
    assert f"{five} -> {nine} -> {seven} -> {five}" in problem["detail"]
    assert await edge_count(database_url) == 2


async def test_a_todo_cannot_block_itself(client, ada):
    (todo,) = await add_todos(client, ada, 1)

    response = await block(client, ada, todo, todo)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["path", "blocker_id"],
            "message": "A todo cannot block itself",
            "type": "value_error",
        }
    ]


async def test_another_users_todo_is_not_found_on_either_side(client, ada, grace):
    (mine,) = await add_todos(client, ada, 1)
    (theirs,) = await add_todos(client, grace, 1)

    responses = [
        await block(client, ada, mine, theirs),
        await block(client, ada, theirs, mine),
        await client.delete(f"/todos/{theirs}/blockers/{mine}", headers=ada.headers),
        await client.get(f"/todos/{theirs}/blockers", headers=ada.headers),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert [response.json()["code"] for response in responses] == ["todo_not_found"] * 4


@pytest.mark.parametrize(
    "path", ["/todos/{id}/blockers/2147483648", "/todos/2147483648/blockers/{id}"]
)
async def test_ids_beyond_the_largest_integer_are_a_422(client, ada, path):
    (todo,) = await add_todos(client, ada, 1)

    response = await client.put(path.format(id=todo), headers=ada.headers)

    assert response.status_code == 422


async def test_removing_a_blocker_unblocks_the_todo(client, ada):
    todo, blocker = await add_todos(client, ada, 2)
    await block(client, ada, todo, blocker)

    response = await client.delete(f"/todos/{todo}/blockers/{blocker}", headers=ada.headers)

    assert response.status_code == 204
    assert await blockers_of(client, ada, todo) == []


async def test_removing_a_blocker_that_is_not_there_is_a_404(client, ada):
    todo, other = await add_todos(client, ada, 2)

    response = await client.delete(f"/todos/{todo}/blockers/{other}", headers=ada.headers)

    assert response.status_code == 404
    assert response.json()["code"] == "blocker_not_found"


async def test_deleting_a_todo_deletes_its_blockers_both_ways(client, ada, database_url):
    a, b, c = await add_todos(client, ada, 3)
    await block(client, ada, a, b)
    await block(client, ada, b, c)

    await client.delete(f"/todos/{b}", headers=ada.headers)

    assert await edge_count(database_url) == 0
    assert await blockers_of(client, ada, a) == []


async def next_ids(client, account, **params) -> list[int]:
    response = await client.get("/todos/next", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return [todo["id"] for todo in response.json()]


async def test_next_lists_open_todos_whose_blockers_are_all_done(client, ada, grace):
    waiting, blocker, free = await add_todos(client, ada, 3)
    done = (await add_todo(client, ada, title="done", completed=True))["id"]
    await add_todos(client, grace, 1)
    await block(client, ada, waiting, blocker)

    assert await next_ids(client, ada) == [free, blocker]

    await client.patch(f"/todos/{blocker}", json={"completed": True}, headers=ada.headers)
    assert await next_ids(client, ada) == [free, waiting]
    assert done not in await next_ids(client, ada)


async def test_deleting_its_last_open_blocker_makes_a_todo_next(client, ada):
    waiting, blocker = await add_todos(client, ada, 2)
    await block(client, ada, waiting, blocker)

    await client.delete(f"/todos/{blocker}", headers=ada.headers)

    assert await next_ids(client, ada) == [waiting]


async def test_next_is_paged_like_the_todo_list(client, ada):
    todos = await add_todos(client, ada, 5)
    seen = []
    response = await client.get("/todos/next", params={"limit": 2}, headers=ada.headers)
    while True:
        seen += [todo["id"] for todo in response.json()]
        if "Link" not in response.headers:
            break
        next_url = response.headers["Link"].removeprefix("<").partition(">")[0]
        assert "cursor=" in next_url and "limit=2" in next_url
        response = await client.get(next_url, headers=ada.headers)

    assert seen == todos[::-1]


async def test_next_refuses_a_cursor_it_did_not_hand_out(client, ada):
    response = await client.get("/todos/next", params={"cursor": "nope"}, headers=ada.headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


async def test_blockers_need_a_signed_in_user(client):
    responses = [
        await client.get("/todos/next"),
        await client.put("/todos/1/blockers/2"),
        await client.get("/todos/1/blockers"),
    ]

    assert [response.status_code for response in responses] == [401] * 3


async def test_two_blockers_that_together_close_a_cycle_cannot_both_be_added(
    client, ada, database_url
):
    pairs = [await add_todos(client, ada, 2) for _ in range(5)]

    results = await asyncio.gather(
        *(block(client, ada, a, b) for a, b in pairs),
        *(block(client, ada, b, a) for a, b in pairs),
    )

    statuses = [response.status_code for response in results]
    for n in range(len(pairs)):  # of a->b and b->a, exactly one was added
        assert sorted([statuses[n], statuses[n + len(pairs)]]) == [204, 409]
    assert await edge_count(database_url) == len(pairs)


async def test_next_is_no_todo_id_to_the_other_methods(client, ada):
    response = await client.patch("/todos/next", json={}, headers=ada.headers)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
