"""``X-Request-ID``: one id per request, on the response, in the logs and in every problem."""

import pytest
from conftest import serve

from neodyme.main import create_app


@pytest.mark.parametrize("request_id", ["a", "3f2a9c1e-7b44-4d0e-9a51-2c8d0f6e1b7a", "x" * 64])
async def test_a_well_formed_id_is_kept_and_echoed(client, request_id):
    response = await client.get("http://test/health", headers={"X-Request-ID": request_id})

    assert response.headers["x-request-id"] == request_id


async def test_without_an_id_each_request_gets_a_new_one(client):
    first = await client.get("http://test/health")
    second = await client.get("http://test/health")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert len(first.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    "received", ["", "two words", "x" * 65, "../../etc", '"}{"admin": true', "<script>"]
)
async def test_a_malformed_id_is_replaced_and_never_logged(client, logs, received):
    response = await client.get("http://test/health", headers={"X-Request-ID": received})

    replacement = response.headers["x-request-id"]
    assert replacement != received and len(replacement) == 32
    assert [line["request_id"] for line in logs() if line["event"] == "request"] == [replacement]
    assert all(received not in line.values() for line in logs())


async def test_problem_bodies_carry_the_request_id(client):
    headers = {"X-Request-ID": "bug-report-17"}
    responses = [
        await client.get("/no/such/page", headers=headers),  # 404
        await client.post("/users", json={}, headers=headers),  # 422
        await client.get("/users/me", headers=headers),  # 401
    ]

    assert [response.status_code for response in responses] == [404, 422, 401]
    for response in responses:
        assert response.json()["request_id"] == response.headers["x-request-id"] == "bug-report-17"


async def test_a_500_carries_the_id_in_body_header_and_traceback_record(settings, logs):
    app = create_app(settings)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("a bug")

    async with serve(app, raise_app_exceptions=False) as client:
        response = await client.get("http://test/boom", headers={"X-Request-ID": "bug-report-18"})

    assert response.status_code == 500
    assert response.json()["request_id"] == response.headers["x-request-id"] == "bug-report-18"
    [error] = [line for line in logs() if line["level"] == "ERROR"]
    assert error["request_id"] == "bug-report-18"
    assert "RuntimeError: a bug" in error["exception"]
    [request] = [line for line in logs() if line["event"] == "request"]
    assert (request["status"], request["route"]) == (500, "/boom")
