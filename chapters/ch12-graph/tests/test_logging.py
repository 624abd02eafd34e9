"""Structured logs: one JSON object a line, one ``request`` record per request, with context."""

import io
import json
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from factories import todo_payload
from processes import environment, free_port, wait_until_ready
from sqlalchemy import Engine, event

from neodyme.observability.logging import configure_logging, make_handler

logger = logging.getLogger("neodyme.test")


def request_records(logs) -> list[dict]:
    return [line for line in logs() if line["event"] == "request"]


async def test_every_request_is_one_json_record_with_its_context(client, logs):
    response = await client.get("http://test/health", headers={"X-Request-ID": "trace-me"})

    [record] = request_records(logs)
    assert record["logger"] == "neodyme.requests"
    assert record["level"] == "INFO"
    assert record["request_id"] == response.headers["x-request-id"] == "trace-me"
    assert (record["method"], record["route"], record["path"]) == ("GET", "/health", "/health")
    assert record["status"] == 200
    assert record["duration_ms"] >= 0
    timestamp = datetime.fromisoformat(record["timestamp"])
    assert timestamp.utcoffset() == timedelta(0)  # UTC, whatever the server's time zone


async def test_the_route_is_the_template_and_the_path_is_the_real_one(client, ada, logs, settings):
    created = await client.post("/todos", json=todo_payload(), headers=ada.headers)
    todo_id = created.json()["id"]

    await client.get(f"/todos/{todo_id}", headers=ada.headers)

    record = request_records(logs)[-1]
    assert record["route"] == settings.api_prefix + "/todos/{todo_id}"
    assert record["path"] == f"{settings.api_prefix}/todos/{todo_id}"


async def test_an_unknown_path_has_no_route(client, logs):
    await client.get("/no/such/page")

    [record] = request_records(logs)
    assert (record["route"], record["status"]) == (None, 404)


async def test_the_user_is_named_once_authenticated(client, ada, logs):
    await client.get("/users/me", headers=ada.headers)
    await client.get("http://test/health")

    me, health = request_records(logs)
    assert me["user_id"] == ada.user["id"]
    assert "user_id" not in health  # anonymous


async def test_the_query_count_is_what_the_request_really_ran(client, ada, logs):
    todo = (await client.post("/todos", json=todo_payload(), headers=ada.headers)).json()
    statements = []

    def record_statement(connection, cursor, statement, *args) -> None:
        statements.append(statement)

    # A listener on the Engine class hears every engine, the app's included.
    event.listen(Engine, "after_cursor_execute", record_statement)
    try:
        await client.get(f"/todos/{todo['id']}", headers=ada.headers)
    finally:
        event.remove(Engine, "after_cursor_execute", record_statement)

    record = request_records(logs)[-1]
    assert record["query_count"] == len(statements) == 1  # the todo: the caller was cached
    assert 0 < record["query_ms"] <= record["duration_ms"]


async def test_a_request_without_queries_counts_none(client, logs):
    await client.get("http://test/health")

    [record] = request_records(logs)
    assert (record["query_count"], record["query_ms"]) == (0, 0)


async def test_slow_requests_get_a_warning_of_their_own(start_app, logs):
    async with start_app(slow_request_ms=0) as client:
        await client.get("http://test/health")

    [slow] = [line for line in logs() if line["event"] == "slow_request"]
    assert slow["level"] == "WARNING"
    assert (slow["route"], slow["status"], slow["threshold_ms"]) == ("/health", 200, 0)


async def test_fast_requests_get_no_warning(start_app, logs):
    async with start_app(slow_request_ms=60_000) as client:
        await client.get("http://test/health")

    assert [line["event"] for line in logs() if line["logger"] == "neodyme.requests"] == ["request"]


@contextmanager
def handler_output(log_format: str) -> Iterator[io.StringIO]:
    """What Neodyme's handler writes for the ``neodyme.test`` logger while the block runs."""
    stream = io.StringIO()
    handler = make_handler(log_format, stream)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_an_exception_is_one_string_field_on_the_same_line():
    with handler_output("json") as output:
        try:
            raise ValueError("bad value")
        except ValueError:
            logger.exception("it failed", extra={"odd": object()})

    [line] = output.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "it failed"
    assert record["exception"].startswith("Traceback")
    assert "ValueError: bad value" in record["exception"]
    assert record["odd"].startswith("<object object")  # not JSON, written as text


def test_text_format_is_one_readable_line():
    with handler_output("text") as output:
        logger.warning("disk almost full", extra={"free_mb": 12})

    [line] = output.getvalue().splitlines()
    assert line.endswith(" WARNING  neodyme.test: disk almost full free_mb=12")


def test_configuring_twice_keeps_one_handler(settings):
    configure_logging(settings)
    configure_logging(settings)

    ours = [handler for handler in logging.getLogger().handlers if handler.name == "neodyme"]
    assert len(ours) == 1


def test_uvicorn_started_by_hand_writes_the_same_json_stream(database_url, tmp_path):
    """``uvicorn neodyme.main:app`` configures uvicorn's own logging before it imports the app."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", str(port)],
        cwd=tmp_path,  # no .env from the chapter folder
        env=environment(database_url=database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process)
        httpx.get(f"http://127.0.0.1:{port}/health")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)

    records = [json.loads(line) for line in output.splitlines()]  # every line, or it fails
    assert [r["path"] for r in records if r["event"] == "request"].count("/health") == 1
    assert "uvicorn.access" not in {record["logger"] for record in records}
    assert "Application shutdown complete." in [record["event"] for record in records]
