"""Input that made a served chapter answer 500, or answer out of all proportion (issue 14).

The book's rule is that nothing a client sends may produce a 500. These cases send what an
outside attack found to break it: ids of thousands of digits (Python refuses to parse more
than 4300), keyset cursors that decode to an instant outside the years UTC can express, control
characters in JSON strings (PostgreSQL refuses NUL in text), a body of tens of thousands of
unknown members (once a 5.5 MB answer and a stalled event loop), and ``HEAD`` on ``GET``
routes (once a 405 whose ``Allow`` listed ``HEAD``). Each goes over real HTTP, on the database
the battery runs on.
"""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from shared.verify.battery.conftest import PASSWORD, Accounts
from shared.verify.battery.server import Server
from shared.verify.plan import ChapterPlan

HUGE_ID = "9" * 4301
"""One digit more than Python's ``int()`` parses from text (``sys.get_int_max_str_digits``)."""
UNKNOWN_MEMBERS = 60_000
"""About 900 KB of ``{"key00000": 1, ...}``: under the 1 MiB body limit, so it is parsed."""
SMALL_ANSWER_BYTES = 10_000
KEYSET_FROM = 12


def assert_client_error(response: httpx.Response, status: int | None = None) -> dict:
    """A 4xx problem (``status`` exactly, when given): the client's mistake, said as one."""
    assert 400 <= response.status_code < 500, response.text[:500]
    if status is not None:
        assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.fixture(scope="module")
def user(accounts: Accounts) -> tuple[dict, dict[str, str]]:
    return accounts.user_with_token()


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("resource", ["users", "todos"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_id_of_thousands_of_digits_is_a_422(
    api: httpx.Client, user: tuple[dict, dict], resource: str, method: str
):
    body = {"completed": True} if resource == "todos" else {"full_name": "Nine"}

    response = api.request(
        method, f"/{resource}/{HUGE_ID}", json=body if method == "PATCH" else None, headers=user[1]
    )

    assert assert_client_error(response, 422)["code"] == "validation_error"


@pytest.mark.defends("input 500s")
def test_an_id_of_thousands_of_digits_without_a_token_is_a_4xx(api: httpx.Client):
    assert_client_error(api.get(f"/users/{HUGE_ID}"))


def cursor(created_at: str, row_id: int = 1) -> str:
    """A cursor in the server's format (base64url JSON, unpadded) with the given sort key."""
    raw = f'{{"created_at": "{created_at}", "id": {row_id}}}'.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize(
    "created_at",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"],
    ids=["after-9999-in-utc", "before-year-1-in-utc"],
)
def test_a_cursor_with_no_instant_in_utc_is_a_documented_400(
    api: httpx.Client, server: Server, plan: ChapterPlan, user: tuple[dict, dict], created_at: str
):
    if plan.number < KEYSET_FROM:
        pytest.skip("keyset cursors come with ch12")

    response = api.get("/todos", params={"cursor": cursor(created_at)}, headers=user[1])

    assert assert_client_error(response, 400)["code"] == "invalid_cursor"
    openapi = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    assert "400" in openapi["paths"][f"{plan.api_prefix}/todos"]["get"]["responses"]


CONTROL_CHARACTERS = {"NUL": "\x00", "escape": "\x1b", "backspace": "\x08"}


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
@pytest.mark.parametrize("field", ["title", "description"])
def test_a_control_character_in_a_todo_is_a_422_and_stores_nothing(
    api: httpx.Client, accounts: Accounts, field: str, character: str
):
    _, headers = accounts.user_with_token()
    body = {"title": "Buy milk", field: f"Buy{character}milk"}

    response = api.post("/todos", json=body, headers=headers)

    problem = assert_client_error(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", field]]
    assert api.get("/todos", headers=headers).json() == []


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
@pytest.mark.parametrize("field", ["email", "full_name"])
def test_a_control_character_in_a_sign_up_is_a_422_and_creates_nobody(
    api: httpx.Client, accounts: Accounts, field: str, character: str
):
    clean = {
        "email": f"control-{uuid.uuid4().hex[:12]}@example.com",
        "full_name": "Ada Lovelace",
        "password": PASSWORD,
    }
    dirty = {**clean, field: clean[field].replace("-" if field == "email" else " ", character)}

    # Sign-ups are limited per client: this one comes from an address of its own.
    client = {"X-Forwarded-For": accounts.client_address()}

    response = api.post("/users", json=dirty, headers=client)

    assert_client_error(response, 422)
    assert api.post("/users", json=clean, headers=client).status_code == 201  # still free


@pytest.mark.defends("input 500s")
def test_a_control_character_in_a_name_change_is_a_422_and_changes_nothing(
    api: httpx.Client, user: tuple[dict, dict]
):
    account, headers = user

    response = api.patch("/users/me", json={"full_name": "Mallory\x00Tables"}, headers=headers)

    assert_client_error(response, 422)
    assert api.get("/users/me", headers=headers).json()["full_name"] == account["full_name"]


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("path", ["/users", "/todos"])
def test_a_body_of_tens_of_thousands_of_unknown_members_is_a_small_422(
    api: httpx.Client, server: Server, user: tuple[dict, dict], path: str
):
    body = {f"key{number:05d}": 1 for number in range(UNKNOWN_MEMBERS)}

    response = api.post(path, json=body, headers=user[1])

    assert_client_error(response, 422)
    assert len(response.content) < SMALL_ANSWER_BYTES
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("path", ["/health", "/users/me", "/todos", "/users/424242"])
def test_head_answers_like_get_without_the_body(
    api: httpx.Client, server: Server, plan: ChapterPlan, user: tuple[dict, dict], path: str
):
    url = f"{server.url}{path}" if path == "/health" else f"{server.url}{plan.api_prefix}{path}"

    get = httpx.get(url, headers=user[1], timeout=10)
    head = httpx.head(url, headers=user[1], timeout=10)

    assert head.status_code == get.status_code
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.content == b""


@pytest.mark.defends("input 500s")
@pytest.mark.parametrize("path", ["/users", "/todos"])
def test_every_method_a_405_allows_is_allowed(
    api: httpx.Client, user: tuple[dict, dict], path: str
):
    refused = api.put(path, headers=user[1])
    assert refused.status_code == 405

    for method in refused.headers["allow"].split(", "):
        assert api.request(method, path, headers=user[1]).status_code != 405, method
