"""One process doing less for each request: the signed-in user and the first page of todos served
from the cache, as many queries for 50 todos as for 1, keyset pages that walk an index, and the
login's bookkeeping done after the response.

Several processes sharing one database and one Redis are ``test_scale_out.py``'s subject."""

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from factories import todo_payload
from sqlalchemy import Engine, event, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from neodyme.models.pagination import Cursor
from neodyme.models.todo import Todo
from neodyme.models.user import User
from neodyme.repositories.todo import page_query
from neodyme.repositories.user import UserRepository


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process runs meanwhile."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def run_sql(url: str, statement, rows: list[dict] | None = None) -> list:
    """Run one statement (for every dict in ``rows``, if given); its rows, if it has any."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        result = await connection.execute(statement, rows)
        fetched = result.all() if result.returns_rows else []
    await engine.dispose()
    return fetched


async def add_todos(client, account, count: int) -> list[dict]:
    todos = []
    for _ in range(count):
        response = await client.post("/todos", json=todo_payload(), headers=account.headers)
        todos.append(response.json())
    return todos


def next_link(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    url, rel = link.split(";")
    assert rel.strip() == 'rel="next"'
    return url.strip()[1:-1]


async def all_pages(client, account, url: str) -> list[list[int]]:
    pages = []
    while url:
        response = await client.get(url, headers=account.headers)
        assert response.status_code == 200, response.text
        pages.append([todo["id"] for todo in response.json()])
        url = next_link(response)
    return pages


async def test_the_signed_in_user_is_read_once_then_served_from_the_cache(client, ada):
    with counting_statements() as first:
        assert (await client.get("/users/me", headers=ada.headers)).status_code == 200
    with counting_statements() as second:
        response = await client.get("/users/me", headers=ada.headers)

    assert len(first) == 1
    assert second == []  # no query, and no session opened
    assert response.json()["email"] == "ada@example.com"


async def test_a_change_to_the_user_is_visible_at_once(client, ada):
    await client.get("/users/me", headers=ada.headers)

    await client.patch("/users/me", json={"full_name": "Countess"}, headers=ada.headers)

    me = await client.get("/users/me", headers=ada.headers)
    assert me.json()["full_name"] == "Countess"


async def test_a_deleted_user_is_refused_at_once(client, ada, admin):
    assert (await client.get("/users/me", headers=ada.headers)).status_code == 200

    deleted = await client.delete(f"/users/{ada.user['id']}", headers=admin.headers)

    assert deleted.status_code == 204
    assert (await client.get("/users/me", headers=ada.headers)).status_code == 401


async def test_a_superusers_change_to_a_user_is_visible_to_them_at_once(client, ada, admin):
    await client.get("/users/me", headers=ada.headers)

    changed = await client.patch(
        f"/users/{ada.user['id']}", json={"full_name": "Countess"}, headers=admin.headers
    )

    assert changed.status_code == 200
    assert (await client.get("/users/me", headers=ada.headers)).json()["full_name"] == "Countess"


async def test_a_refused_change_leaves_the_cached_user_in_place(client, ada, grace):
    await client.get("/users/me", headers=grace.headers)

    refused = await client.patch(
        "/users/me", json={"email": "ada@example.com"}, headers=grace.headers
    )
    with counting_statements() as after:
        me = await client.get("/users/me", headers=grace.headers)

    assert refused.status_code == 409
    assert after == []  # nothing was committed, so nothing was invalidated
    assert me.json() == grace.user


async def test_listing_runs_as_many_queries_for_50_todos_as_for_1(client, ada, grace):
    await add_todos(client, ada, 1)
    await add_todos(client, grace, 50)
    await client.get("/users/me", headers=ada.headers)  # both users now cached
    await client.get("/users/me", headers=grace.headers)

    with counting_statements() as one:
        assert len((await client.get("/todos", headers=ada.headers)).json()) == 1
    with counting_statements() as fifty:
        page = await client.get("/todos", params={"limit": 50}, headers=grace.headers)

    assert len(page.json()) == 50
    assert len(one) == len(fifty) == 1


async def test_the_first_page_is_read_once_then_served_from_the_cache(client, ada, database_url):
    # Straight into the database: a write through the API would hold the key for HOLD_SECONDS.
    rows = [{"user_id": ada.user["id"], "title": f"Todo {n}"} for n in range(21)]
    await run_sql(database_url, insert(Todo), rows)
    await client.get("/users/me", headers=ada.headers)  # the user is cached

    with counting_statements() as first:
        page = await client.get("/todos", headers=ada.headers)
    with counting_statements() as second:
        again = await client.get("/todos", headers=ada.headers)

    assert len(first) == 1
    assert second == []
    assert again.json() == page.json()
    assert len(again.json()) == 20
    assert next_link(again) == next_link(page) is not None


async def test_other_pages_always_read_the_database(client, ada):
    await add_todos(client, ada, 3)
    await client.get("/users/me", headers=ada.headers)
    shapes = [{"limit": 2}, {"completed": "false"}, {"offset": 1}]

    for params in shapes:
        await client.get("/todos", params=params, headers=ada.headers)
        with counting_statements() as again:
            await client.get("/todos", params=params, headers=ada.headers)
        assert len(again) == 1, params


async def test_every_change_to_a_todo_shows_on_the_next_first_page(client, ada, grace):
    def titles(response: httpx.Response) -> list[str]:
        return [todo["title"] for todo in response.json()]

    url, headers = "/todos", ada.headers
    first = await client.post(url, json=todo_payload(title="first"), headers=headers)
    await client.post(url, json=todo_payload(title="grace's"), headers=grace.headers)
    assert titles(await client.get(url, headers=headers)) == ["first"]  # cached now

    await client.post(url, json=todo_payload(title="second"), headers=headers)
    assert titles(await client.get(url, headers=headers)) == ["second", "first"]

    todo_url = f"{url}/{first.json()['id']}"
    await client.patch(todo_url, json={"title": "renamed"}, headers=headers)
    assert titles(await client.get(url, headers=headers)) == ["second", "renamed"]

    await client.delete(todo_url, headers=headers)
    assert titles(await client.get(url, headers=headers)) == ["second"]
    assert titles(await client.get(url, headers=grace.headers)) == ["grace's"]


async def test_following_next_links_visits_every_todo_once_newest_first(client, ada):
    todos = await add_todos(client, ada, 7)

    pages = await all_pages(client, ada, "/todos?limit=3")

    assert pages == [
        [todos[6]["id"], todos[5]["id"], todos[4]["id"]],
        [todos[3]["id"], todos[2]["id"], todos[1]["id"]],
        [todos[0]["id"]],
    ]


async def test_the_next_link_keeps_the_filter_and_a_full_last_page_has_none(client, ada):
    await add_todos(client, ada, 2)
    done = await client.post("/todos", json=todo_payload(completed=True), headers=ada.headers)

    response = await client.get("/todos?completed=true&limit=1", headers=ada.headers)

    assert [todo["id"] for todo in response.json()] == [done.json()["id"]]
    assert next_link(response) is None
    link = next_link(await client.get("/todos?limit=1&offset=1", headers=ada.headers))
    assert "limit=1" in link and "cursor=" in link and "offset" not in link


async def test_todos_created_at_the_same_instant_are_paged_by_id(client, ada, database_url):
    todos = await add_todos(client, ada, 5)
    instant = datetime(2030, 1, 1, tzinfo=UTC)
    await run_sql(database_url, update(Todo).values(created_at=instant))

    pages = await all_pages(client, ada, "/todos?limit=2")

    walked = [todo_id for page in pages for todo_id in page]
    assert walked == [todo["id"] for todo in reversed(todos)]


def encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        "é",
        encoded(b"not json"),
        encoded(b'{"created_at": "2030-01-01T00:00:00Z"}'),
        encoded(b'{"created_at": "2030-01-01T00:00:00", "id": 1}'),  # no time zone
        encoded(b'{"created_at": "2030-01-01T00:00:00Z", "id": 0}'),
        encoded(b'{"created_at": "2030-01-01T00:00:00Z", "id": 99999999999}'),
        encoded(b'{"created_at": "2030-01-01T00:00:00Z", "id": 1, "user_id": 2}'),
        # Valid ISO 8601 instants that have no UTC equivalent within years 1 to 9999.
        encoded(b'{"created_at": "9999-12-31T23:59:59-14:00", "id": 1}'),
        encoded(b'{"created_at": "0001-01-01T00:00:00+14:00", "id": 1}'),
    ],
)
async def test_a_cursor_the_api_did_not_hand_out_is_a_400(client, ada, cursor):
    response = await client.get("/todos", params={"cursor": cursor}, headers=ada.headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_cursor"


async def test_a_cursor_never_reaches_another_users_todos(client, ada, grace):
    await add_todos(client, grace, 3)
    cursor = encoded(b'{"created_at": "2100-01-01T00:00:00Z", "id": 2147483647}')

    response = await client.get("/todos", params={"cursor": cursor}, headers=ada.headers)

    assert (response.status_code, response.json()) == (200, [])


async def test_a_login_is_recorded_after_the_response(client, sign_up, log_in, database_url):
    user = await sign_up("lin@example.com")
    before = datetime.now(UTC)

    assert (await log_in("lin@example.com")).status_code == 200

    [(recorded,)] = await run_sql(
        database_url, select(User.last_login_at).where(User.id == user["id"])
    )
    assert recorded is not None
    assert recorded.replace(tzinfo=recorded.tzinfo or UTC) >= before.replace(microsecond=0)


async def test_a_failure_after_the_response_changes_nothing_for_the_client(
    client, sign_up, log_in, monkeypatch, caplog
):
    async def broken(self, user_id: int) -> None:
        raise RuntimeError("the disk is full")

    await sign_up("lin@example.com")
    monkeypatch.setattr(UserRepository, "record_login", broken)

    with caplog.at_level(logging.ERROR):
        response = await log_in("lin@example.com")

    assert response.status_code == 200
    assert set(response.json()) >= {"access_token", "refresh_token"}
    assert "Could not record the login" in caplog.text


async def test_a_page_walks_the_keyset_index_without_sorting(backend, database_url, ada):
    """Enough rows, fresh statistics, and the planner picks the index by itself."""
    now = datetime.now(UTC)
    users = [
        {"email": f"u{n}@example.com", "full_name": "U", "hashed_password": "!"} for n in range(50)
    ]
    await run_sql(database_url, insert(User), rows=users)
    rows = [
        {
            "title": "t",
            "user_id": user_id,
            "created_at": now - timedelta(seconds=n),
            "updated_at": now,
        }
        for user_id in range(ada.user["id"], ada.user["id"] + 51)
        for n in range(200)
    ]
    await run_sql(database_url, insert(Todo), rows=rows)
    await run_sql(database_url, text("ANALYZE"))
    after = Cursor(created_at=now, id=2**31 - 1)
    query = page_query(by_state=False, from_cursor=True).params(
        owner_id=ada.user["id"],
        offset=0,
        limit=21,
        after_created_at=after.created_at,
        after_id=after.id,
    )
    dialect = postgresql.dialect() if backend == "postgresql" else sqlite.dialect()
    sql = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN" if backend == "postgresql" else "EXPLAIN QUERY PLAN"

    plan = "\n".join(str(row[-1]) for row in await run_sql(database_url, text(f"{explain} {sql}")))

    assert "ix_todo_user_id_created_at_id" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
