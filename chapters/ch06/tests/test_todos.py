"""Todos belong to the user in their URL: under another user's URL they do not exist."""

from datetime import datetime

import pytest
from sqlalchemy import text

from neodyme.core.database import create_engine


def todos_of(user: dict) -> str:
    return f"/users/{user['id']}/todos"


async def add_todo(client, user, **fields) -> dict:
    response = await client.post(todos_of(user), json={"title": "Buy milk", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_todo_returns_it_with_defaults(client, ada):
    response = await client.post(todos_of(ada), json={"title": "  Buy milk  "})

    assert response.status_code == 201
    todo = response.json()
    assert set(todo) == {"id", "title", "description", "completed", "created_at", "updated_at"}
    assert (todo["title"], todo["description"], todo["completed"]) == ("Buy milk", None, False)


async def test_a_new_todo_was_last_updated_when_it_was_created(client, ada):
    todo = await add_todo(client, ada)

    response = await client.get(f"{todos_of(ada)}/{todo['id']}")

    assert response.json()["updated_at"] == response.json()["created_at"] == todo["created_at"]


async def test_list_shows_the_users_todos_newest_first(client, ada, grace):
    first = await add_todo(client, ada, title="first")
    second = await add_todo(client, ada, title="second")
    await add_todo(client, grace, title="not Ada's")

    response = await client.get(todos_of(ada))

    assert response.status_code == 200
    assert [todo["id"] for todo in response.json()] == [second["id"], first["id"]]


async def test_list_filters_by_completed(client, ada):
    done = await add_todo(client, ada, title="done", completed=True)
    open_ = await add_todo(client, ada, title="open")

    completed = await client.get(todos_of(ada), params={"completed": "true"})
    pending = await client.get(todos_of(ada), params={"completed": "false"})

    assert [todo["id"] for todo in completed.json()] == [done["id"]]
    assert [todo["id"] for todo in pending.json()] == [open_["id"]]


async def test_list_paginates(client, ada):
    todos = [await add_todo(client, ada, title=f"todo {n}") for n in range(5)]

    response = await client.get(todos_of(ada), params={"offset": 1, "limit": 2})

    assert [todo["id"] for todo in response.json()] == [todos[3]["id"], todos[2]["id"]]


async def test_update_changes_the_fields_sent_and_moves_updated_at(client, ada):
    todo = await add_todo(client, ada, description="2 litres")

    response = await client.patch(
        f"{todos_of(ada)}/{todo['id']}", json={"completed": True, "title": None}
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

    response = await client.delete(f"{todos_of(ada)}/{todo['id']}")

    assert response.status_code == 204
    assert (await client.get(f"{todos_of(ada)}/{todo['id']}")).status_code == 404


async def test_another_users_todo_is_a_404_for_every_operation(client, ada, grace):
    todo = await add_todo(client, grace, title="Grace's")
    url = f"{todos_of(ada)}/{todo['id']}"

    read = await client.get(url)
    change = await client.patch(url, json={"title": "Ada's now"})
    delete = await client.delete(url)

    assert [read.status_code, change.status_code, delete.status_code] == [404, 404, 404]
    assert read.json() == (await client.get(f"{todos_of(ada)}/424242")).json() | {"instance": url}
    assert (await client.get(f"{todos_of(grace)}/{todo['id']}")).json() == todo


async def test_an_unknown_user_has_no_todo_list(client, ada):
    nobody = {"id": ada["id"] + 1}

    added = await client.post(todos_of(nobody), json={"title": "Buy milk"})
    listed = await client.get(todos_of(nobody))
    read = await client.get(f"{todos_of(nobody)}/1")

    assert [added.status_code, listed.status_code, read.status_code] == [404, 404, 404]
    assert added.json()["code"] == listed.json()["code"] == "user_not_found"
    assert read.json()["code"] == "todo_not_found"
    assert (await client.get(todos_of(ada))).json() == []


async def test_deleting_a_user_deletes_their_todos(client, migrated_database_url, ada, grace):
    await add_todo(client, ada, title="Ada's")
    graces = await add_todo(client, grace, title="Grace's")

    assert (await client.delete(f"/users/{ada['id']}")).status_code == 204

    engine = create_engine(migrated_database_url)
    async with engine.connect() as connection:
        left = (await connection.execute(text("SELECT id FROM todo"))).scalars().all()
    await engine.dispose()
    assert left == [graces["id"]]
    assert (await client.get(todos_of(ada))).status_code == 404


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
    response = await client.post(todos_of(ada), json=body)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    assert (await client.get(todos_of(ada))).json() == []


async def test_a_description_keeps_its_lines_and_tabs(client, ada):
    todo = await add_todo(client, ada, description="milk\n\teggs\r\n")

    assert todo["description"] == "milk\n\teggs\r\n"


@pytest.mark.parametrize("todo_id", ["0", str(2**31), "9" * 4301])
async def test_impossible_todo_ids_are_a_422(client, ada, todo_id):
    response = await client.get(f"{todos_of(ada)}/{todo_id}")

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_metacharacters_are_stored_literally(client, ada):
    title = '\'; DELETE FROM todo; -- {"json": [1]} \\u0000'

    todo = await add_todo(client, ada, title=title, description="<script>alert(1)</script>")

    assert (await client.get(f"{todos_of(ada)}/{todo['id']}")).json()["title"] == title
