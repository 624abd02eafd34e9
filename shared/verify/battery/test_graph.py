"""Attacks on what the graph side track adds: todos blocked by other todos.

A dependency graph invites three abuses: closing a cycle (once stored, every transitive query
would walk it for ever), asking for a walk so deep that one request costs what a thousand
should (a depth bomb), and naming another user's todo as a blocker to learn that it exists or
to tie two accounts together. Each case goes over real HTTP and checks what the client sees,
and that a refused write changed nothing.
"""

from __future__ import annotations

import threading
from itertools import pairwise

import httpx
import pytest

from shared.verify.battery.conftest import Accounts

DEFENCE = "cycles, depth bombs and other users' ids"
MAX_DEPTH = 50
"""The deepest walk ``GET /todos/{id}/blockers?depth=N`` allows."""
LONG_CHAIN = MAX_DEPTH + 10
"""A chain longer than the deepest allowed walk."""
HUGE_ID = "9" * 4301
RACES = 10
"""Pairs of opposite edges sent at once: a lost race shows within a few."""


@pytest.fixture
def user(accounts: Accounts) -> dict[str, str]:
    return accounts.user_with_token()[1]


def new_todo(api: httpx.Client, headers: dict[str, str], title: str = "step") -> int:
    response = api.post("/todos", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def block(
    api: httpx.Client, headers: dict[str, str], todo: int, blocker: int | str
) -> httpx.Response:
    return api.put(f"/todos/{todo}/blockers/{blocker}", headers=headers)


def blockers(api: httpx.Client, headers: dict[str, str], todo: int) -> list[int]:
    response = api.get(f"/todos/{todo}/blockers", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json())


def race(api: httpx.Client, headers: dict[str, str], edges: list[tuple[int, int]]) -> list[int]:
    """PUT every edge at the same instant, one thread each; the status codes, in any order."""
    statuses: list[int] = []
    start = threading.Barrier(len(edges))

    def put(todo: int, blocker: int) -> None:
        start.wait()
        statuses.append(block(api, headers, todo, blocker).status_code)

    racers = [threading.Thread(target=put, args=edge) for edge in edges]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return statuses


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.defends(DEFENCE)
def test_a_blocker_that_closes_a_cycle_is_a_409_naming_it_and_changes_nothing(
    api: httpx.Client, user: dict[str, str]
):
    first, second, third = (new_todo(api, user, title) for title in ("a", "b", "c"))
    assert block(api, user, first, second).status_code == 204
    assert block(api, user, second, third).status_code == 204

    problem = assert_problem(block(api, user, third, first), 409)

    assert all(str(todo) in problem["detail"] for todo in (first, second, third))
    assert blockers(api, user, third) == []


@pytest.mark.defends(DEFENCE)
def test_a_todo_cannot_block_itself(api: httpx.Client, user: dict[str, str]):
    todo = new_todo(api, user)

    assert_problem(block(api, user, todo, todo), 422)
    assert blockers(api, user, todo) == []


@pytest.mark.defends(DEFENCE)
def test_two_writes_that_together_close_a_cycle_cannot_both_succeed(
    api: httpx.Client, user: dict[str, str]
):
    """x blocked by y and y blocked by x, sent at the same instant, many times over."""
    for _ in range(RACES):
        x, y = new_todo(api, user, "x"), new_todo(api, user, "y")

        statuses = sorted(race(api, user, [(x, y), (y, x)]))

        assert statuses == [204, 409]
        assert len(blockers(api, user, x) + blockers(api, user, y)) == 1


@pytest.mark.defends(DEFENCE)
@pytest.mark.parametrize("depth", ["0", "-1", str(MAX_DEPTH + 1), "10" * 50, HUGE_ID, "deep"])
def test_a_walk_deeper_than_allowed_is_refused(api: httpx.Client, user: dict[str, str], depth):
    todo = new_todo(api, user)

    response = api.get(f"/todos/{todo}/blockers", params={"depth": depth}, headers=user)

    assert_problem(response, 422)


@pytest.mark.defends(DEFENCE)
def test_a_chain_longer_than_the_deepest_walk_is_answered_to_that_depth(
    api: httpx.Client, user: dict[str, str]
):
    chain = [new_todo(api, user, f"step {index}") for index in range(LONG_CHAIN)]
    for todo, blocker in pairwise(chain):
        assert block(api, user, todo, blocker).status_code == 204

    response = api.get(f"/todos/{chain[0]}/blockers", headers=user)

    assert response.status_code == 200, response.text
    distances = {item["id"]: item["distance"] for item in response.json()}
    assert distances == {todo: index for index, todo in enumerate(chain) if 1 <= index <= MAX_DEPTH}


@pytest.mark.defends(DEFENCE)
def test_another_users_todo_is_not_found_on_either_side_of_a_blocker(
    api: httpx.Client, accounts: Accounts, user: dict[str, str]
):
    mine = new_todo(api, user)
    other = accounts.user_with_token()[1]
    theirs = new_todo(api, other)

    assert_problem(block(api, user, mine, theirs), 404)
    assert_problem(block(api, user, theirs, mine), 404)
    assert_problem(api.delete(f"/todos/{theirs}/blockers/{mine}", headers=user), 404)
    assert_problem(api.get(f"/todos/{theirs}/blockers", headers=user), 404)
    assert blockers(api, other, theirs) == []
    assert blockers(api, user, mine) == []


@pytest.mark.defends(DEFENCE)
def test_what_is_next_never_shows_another_users_todos(
    api: httpx.Client, accounts: Accounts, user: dict[str, str]
):
    mine = new_todo(api, user)
    other = accounts.user_with_token()[1]
    new_todo(api, other)

    response = api.get("/todos/next", headers=user)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [mine]


@pytest.mark.defends(DEFENCE)
@pytest.mark.parametrize(
    "path", ["/todos/{id}/blockers/" + HUGE_ID, "/todos/" + HUGE_ID + "/blockers/{id}"]
)
def test_ids_of_thousands_of_digits_are_a_422(api: httpx.Client, user: dict[str, str], path):
    todo = new_todo(api, user)

    assert_problem(api.put(path.format(id=todo), headers=user), 422)
