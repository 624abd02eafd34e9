"""Todos belong to their owner: nobody else can see, change or delete them."""

from datetime import datetime

import pytest
from factories import todo_payload


async def add_todo(client, account, **fields) -> dict:
    response = await client.post("/todos", json=todo_payload(**fields), headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_todo_returns_it_with_defaults(client, ada):
    response = await client.post("/todos", json={"title": "  Buy milk  "}, headers=ada.headers)

    assert response.status_code == 201
    todo = response.json()
    assert set(todo) == {"id", "title", "description", "completed", "created_at", "updated_at"}
    assert (todo["title"], todo["description"], todo["completed"]) == ("Buy milk", None, False)


async def test_a_new_todo_was_last_updated_when_it_was_created(client, ada):
    todo = await add_todo(client, ada)

    response = await client.get(f"/todos/{todo['id']}", headers=ada.headers)

    assert response.json()["updated_at"] == response.json()["created_at"] == todo["created_at"]


async def test_list_shows_my_todos_newest_first(client, ada, grace):
    first = await add_todo(client, ada, title="first")
    second = await add_todo(client, ada, title="second")
    await add_todo(client, grace, title="not mine")

    response = await client.get("/todos", headers=ada.headers)

    assert response.status_code == 200
    assert [todo["id"] for todo in response.json()] == [second["id"], first["id"]]


async def test_list_filters_by_completed(client, ada):
    done = await add_todo(client, ada, title="done", completed=True)
    open_ = await add_todo(client, ada, title="open")

    completed = await client.get("/todos", params={"completed": "true"}, headers=ada.headers)
    pending = await client.get("/todos", params={"completed": "false"}, headers=ada.headers)

    assert [todo["id"] for todo in completed.json()] == [done["id"]]
    assert [todo["id"] for todo in pending.json()] == [open_["id"]]


async def test_list_paginates(client, ada):
    todos = [await add_todo(client, ada, title=f"todo {n}") for n in range(5)]

    response = await client.get("/todos", params={"offset": 1, "limit": 2}, headers=ada.headers)

    assert [todo["id"] for todo in response.json()] == [todos[3]["id"], todos[2]["id"]]


async def test_update_changes_the_fields_sent_and_moves_updated_at(client, ada):
    todo = await add_todo(client, ada, title="Buy milk", description="2 litres")

    response = await client.patch(
        f"/todos/{todo['id']}", json={"completed": True, "title": None}, headers=ada.headers
    )

    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["description"], updated["completed"]) == (
        "Buy milk",
        "2 litres",
        True,
    )
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        todo["updated_at"]
    )
    assert updated["created_at"] == todo["created_at"]


async def test_delete_removes_the_todo(client, ada):
    todo = await add_todo(client, ada)

    response = await client.delete(f"/todos/{todo['id']}", headers=ada.headers)

    assert response.status_code == 204
    assert (await client.get(f"/todos/{todo['id']}", headers=ada.headers)).status_code == 404


async def test_a_deleted_todos_id_is_never_given_to_a_new_todo(client, ada):
    """A client that remembers a deleted todo's URL must get a 404, not someone's new todo."""
    old = await add_todo(client, ada, title="old")
    await client.delete(f"/todos/{old['id']}", headers=ada.headers)

    new = await add_todo(client, ada, title="new")

    assert new["id"] != old["id"]  # SQLite would reuse the id without AUTOINCREMENT
    assert (await client.get(f"/todos/{old['id']}", headers=ada.headers)).status_code == 404


async def test_another_users_todo_is_a_404_for_every_operation(client, ada, grace):
    todo = await add_todo(client, grace, title="Grace's")
    url = f"/todos/{todo['id']}"

    read = await client.get(url, headers=ada.headers)
    change = await client.patch(url, json={"title": "Mine now"}, headers=ada.headers)
    delete = await client.delete(url, headers=ada.headers)

    assert [read.status_code, change.status_code, delete.status_code] == [404, 404, 404]
    missing = await client.get("/todos/424242", headers=ada.headers)
    assert read.json() == missing.json() | {
        "instance": read.request.url.path,
        "request_id": read.json()["request_id"],
    }
    assert (await client.get(url, headers=grace.headers)).json() == todo


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "x" * 2001}, "description"),
        ({"title": "Buy\x00milk"}, "title"),
        ({"title": "Buy\x85milk"}, "title"),  # C1: next line
        ({"title": "ok", "description": "NUL\x00byte"}, "description"),
        ({"title": "ok", "description": "escape\x1b[2J"}, "description"),
        ({"title": "ok", "description": "escape\x9b2J"}, "description"),  # C1: a terminal escape
        ({"title": "ok", "completed": "maybe"}, "completed"),
        ({"title": "ok", "completed": 0}, "completed"),  # no 0/1 for booleans
        ({"title": "ok", "user_id": 1}, "user_id"),
    ],
)
async def test_invalid_todos_are_a_422_and_store_nothing(client, ada, body, field):
    response = await client.post("/todos", json=body, headers=ada.headers)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    assert (await client.get("/todos", headers=ada.headers)).json() == []


async def test_a_description_keeps_its_lines_and_tabs(client, ada):
    todo = await add_todo(client, ada, description="milk\n\teggs\r\n")

    assert todo["description"] == "milk\n\teggs\r\n"


@pytest.mark.parametrize("todo_id", ["0", str(2**31), "9" * 4301])
async def test_impossible_todo_ids_are_a_422(client, ada, todo_id):
    response = await client.get(f"/todos/{todo_id}", headers=ada.headers)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_metacharacters_are_stored_literally(client, ada):
    title = '\'; DELETE FROM todo; -- {"json": [1]} \\u0000'

    todo = await add_todo(client, ada, title=title, description="<script>alert(1)</script>")

    assert (await client.get(f"/todos/{todo['id']}", headers=ada.headers)).json()["title"] == title


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_todos_need_a_token(client, method):
    response = await client.request(method, "/todos", json={"title": "x"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
