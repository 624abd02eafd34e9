"""Every error leaves the API as an RFC 9457 problem, and none leaks what went wrong inside."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from conftest import api_url, make_settings
from factories import PASSWORD
from fastapi import Request
from sqlalchemy import text

from neodyme.core.database import close_session, create_engine, create_sessionmaker
from neodyme.main import create_app
from neodyme.models.types import MAX_BODY_MEMBERS
from neodyme.resources import get_resources
from neodyme.web.problems import MAX_REPORTED_ERRORS, expected_body

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}
JSON = {"content-type": "application/json"}
ADA = {"email": "ada@example.com", "full_name": "Ada Lovelace", "password": PASSWORD}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert (body["status"], body["code"], body["type"]) == (
        status,
        code,
        f"urn:neodyme:problem:{code}",
    )
    return body


async def test_unknown_route_is_a_404_problem(client):
    body = assert_problem(await client.get("http://test/no/such/route"), 404, "not_found")

    assert body["instance"] == "/no/such/route"
    assert body["title"] == "Not Found"


async def test_wrong_method_is_a_405_problem_with_allow(client):
    response = await client.put("/users/me")

    assert_problem(response, 405, "method_not_allowed")
    assert "PUT" not in response.headers["allow"]


@pytest.mark.parametrize("path", ["http://test/health", "/users", "/users/424242"])
async def test_head_answers_like_get_without_the_body(client, path):
    get = await client.get(path)

    head = await client.head(path)

    assert head.status_code == get.status_code
    # Each response has its own request id; every other header is the GET's.
    assert {**head.headers, "x-request-id": ""} == {**get.headers, "x-request-id": ""}
    assert head.content == b""


async def test_the_allow_header_of_a_405_lists_only_methods_that_work(client):
    allow = (await client.put("/users")).headers["allow"]

    for method in allow.split(", "):
        assert (await client.request(method, "/users", json=ADA)).status_code != 405


async def test_a_405_on_a_path_outside_the_schema_allows_exactly_the_methods_it_accepts(client):
    schema = (await client.get("http://test/openapi.json")).json()
    assert "/docs" not in schema["paths"]

    refused = await client.put("http://test/docs")

    assert_problem(refused, 405, "method_not_allowed")
    accepted = []
    for method in ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"]:
        if (await client.request(method, "http://test/docs")).status_code != 405:
            accepted.append(method)
    assert refused.headers["allow"] == ", ".join(accepted) == "GET, HEAD"


async def test_an_object_of_thousands_of_unknown_members_is_one_small_422(client):
    body = {f"key{number}": 1 for number in range(60_000)}

    response = await client.post("/users", json=body)

    problem = assert_problem(response, 422, "validation_error")
    assert [error["loc"] for error in problem["errors"]] == [["body"]]
    assert len(response.content) < 2_000


async def test_a_422_lists_at_most_a_few_errors_and_says_how_many_there_were(client):
    body = {f"key{number}": 1 for number in range(MAX_BODY_MEMBERS)}

    response = await client.post("/users", json=body)

    problem = assert_problem(response, 422, "validation_error")
    assert len(problem["errors"]) == MAX_REPORTED_ERRORS
    found = MAX_BODY_MEMBERS + len(ADA)  # every unknown member, and the required fields missing
    assert f"see errors (the first {MAX_REPORTED_ERRORS} of {found})." in problem["detail"]


async def test_validation_error_lists_each_field(client):
    response = await client.post("/users", json={**ADA, "email": "nope", "full_name": ""})

    body = assert_problem(response, 422, "validation_error")
    assert [(error["loc"], error["type"]) for error in body["errors"]] == [
        (["body", "email"], "value_error"),
        (["body", "full_name"], "string_too_short"),
    ]
    assert all(error["message"] for error in body["errors"])


@pytest.mark.parametrize(
    "content", [b'{"email": ', b"not json at all", b"[1, 2", b"\xff\xfe"], ids=repr
)
async def test_malformed_json_is_a_422_problem(client, content):
    response = await client.post(
        "/users", content=content, headers={"content-type": "application/json"}
    )

    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"data": ADA},
        {"content": b'{"email": ', "headers": {"content-type": "application/json"}},
    ],
    ids=["no-body", "a-form", "broken-json"],
)
async def test_a_body_of_the_wrong_kind_is_a_422_that_says_what_to_send(client, sent):
    body = assert_problem(await client.post("/users", **sent), 422, "validation_error")

    assert body["detail"].endswith(
        " This endpoint takes a JSON object (application/json)"
        " with `email`, `full_name` and `password`."
    )


async def test_a_missing_body_with_no_required_field_says_an_object_is_expected(client, ada):
    body = assert_problem(
        await client.patch("/users/me", headers=ada.headers), 422, "validation_error"
    )

    assert body["detail"].endswith(" This endpoint takes a JSON object (application/json).")


def test_a_path_the_openapi_document_does_not_describe_expects_no_body():
    app = create_app(make_settings("sqlite+aiosqlite://"))
    scope = {"type": "http", "method": "POST", "path": "/nowhere", "headers": [], "app": app}

    assert expected_body(Request(scope)) is None


async def test_a_field_error_in_a_good_body_says_only_see_errors(client):
    response = await client.post("/users", json={**ADA, "email": "nope"})

    body = assert_problem(response, 422, "validation_error")
    assert body["detail"] == "The request is not valid: see errors."


async def test_query_parameter_errors_are_problems(client, ada):
    response = await client.get("/todos", params={"limit": "many"}, headers=ada.headers)

    body = assert_problem(response, 422, "validation_error")

    assert body["errors"][0]["loc"] == ["query", "limit"]


async def test_conflict_is_a_409_problem(client):
    await client.post("/users", json=ADA)

    body = assert_problem(await client.post("/users", json=ADA), 409, "email_taken")

    assert body["title"] == "Conflict"


def signup_body_of(size: int) -> bytes:
    """Ada's signup as JSON, padded to exactly ``size`` bytes with a (too long) full name."""
    unpadded = json.dumps({**ADA, "full_name": ""}).encode()
    return json.dumps({**ADA, "full_name": "x" * (size - len(unpadded))}).encode()


async def chunks_of(body: bytes) -> AsyncIterator[bytes]:
    """The body as a stream: httpx sends it chunked, without a ``Content-Length``."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


async def test_a_body_over_the_limit_is_a_413_problem_and_stores_nothing(client, settings):
    body = signup_body_of(settings.max_body_bytes + 1)

    response = await client.post("/users", content=body, headers=JSON)

    problem = assert_problem(response, 413, "content_too_large")
    assert problem["title"] == "Content Too Large"
    assert str(settings.max_body_bytes) in problem["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (await client.post("/users", json=ADA)).status_code == 201


async def test_a_streamed_body_is_cut_off_at_the_limit(client, settings):
    body = signup_body_of(8 * settings.max_body_bytes)

    response = await client.post("/users", content=chunks_of(body), headers=JSON)

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "content_too_large")
    assert (await client.post("/users", json=ADA)).status_code == 201


async def test_a_streamed_body_within_the_limit_reaches_the_route(client):
    body = chunks_of(json.dumps(ADA).encode())

    assert (await client.post("/users", content=body, headers=JSON)).status_code == 201


async def test_a_body_of_exactly_the_limit_is_read_and_validated(client, settings):
    body = signup_body_of(settings.max_body_bytes)

    response = await client.post("/users", content=body, headers=JSON)

    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"][0]["loc"] == ["body", "full_name"]


async def test_an_oversized_login_form_is_a_413_problem(client, settings):
    form = {"username": "ada@example.com", "password": "x" * settings.max_body_bytes}

    response = await client.post("/auth/token", data=form)

    assert_problem(response, 413, "content_too_large")


async def test_a_bug_is_a_generic_500_that_is_logged_not_shown(settings, caplog):
    """The traceback goes to the log; the client learns nothing about the internals."""
    app = create_app(settings)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("SELECT secret FROM passwords -- key=hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with caplog.at_level(logging.ERROR, logger="neodyme.errors"):
            response = await client.get("/boom")

    body = assert_problem(response, 500, "internal_error")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret" not in response.text and "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred. It has been logged."
    [record] = caplog.records
    assert record.exc_info[0] is RuntimeError
    assert "GET /boom" in record.getMessage()


async def test_an_unreachable_database_is_a_503_problem(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # Nothing listens on port 1: every connection attempt is refused.
        broken = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/neodyme")
        # Every request gets its sessions through get_resources: replace what it returns.
        resources = replace(app.state.resources, sessionmaker=create_sessionmaker(broken))
        app.dependency_overrides[get_resources] = lambda: resources
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            read = await client.post("/auth/token", data={"username": "a@b.co", "password": "x"})
            write = await client.post("/users", json=ADA)
        await broken.dispose()

    for response in (read, write):
        body = assert_problem(response, 503, "database_unavailable")
        assert "127.0.0.1" not in body["detail"]


def from_client(n: int) -> dict[str, str]:
    """Fifty clients, not one: a single client may only sign up a few times in a row."""
    return {"X-Forwarded-For": f"192.0.2.{n + 1}"}


async def test_fifty_concurrent_identical_signups_give_one_201_and_49_409s(client):
    """No check-then-insert race: the unique index decides, and the loser gets a clean 409."""
    responses = await asyncio.gather(
        *(client.post("/users", json=ADA, headers=from_client(n)) for n in range(50))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 49
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "email_taken")
    assert (
        await client.post(
            "/auth/token", data={"username": ADA["email"], "password": ADA["password"]}
        )
    ).status_code == 200


async def test_a_broken_schema_is_a_500_not_a_503(empty_database_url, migrations):
    """Only an unreachable database is "unavailable"; a missing table is a bug to fix.

    The table is dropped in a database of the test's own, not in the shared one.
    """
    await migrations.upgrade("head")
    app = create_app(make_settings(empty_database_url))
    async with app.router.lifespan_context(app):
        engine = create_engine(empty_database_url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE refresh_token"))
        await engine.dispose()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=api_url(app)) as client:
            await client.post("/users", json=ADA)
            credentials = {"username": ADA["email"], "password": ADA["password"]}
            response = await client.post("/auth/token", data=credentials)

    assert_problem(response, 500, "internal_error")


class SessionThatFailsToClose:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def close(self) -> None:
        raise self.error


async def test_a_connection_lost_while_closing_the_session_is_logged_not_raised(caplog):
    """The session closes after the response is sent: raising then would only drop the
    client's connection, and its next request on that connection would fail instead."""
    with caplog.at_level(logging.WARNING, logger="neodyme.database"):
        await close_session(SessionThatFailsToClose(ConnectionResetError("peer gone")))

    assert "lost while closing a session" in caplog.text


async def test_any_other_error_while_closing_the_session_still_raises():
    with pytest.raises(RuntimeError, match="a bug"):
        await close_session(SessionThatFailsToClose(RuntimeError("a bug")))
