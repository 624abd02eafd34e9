"""The fuzzer's hooks: what they change in a generated case, and what they leave alone."""

import base64
import json
from types import SimpleNamespace

import pytest

from shared.verify.battery.schemathesis_hooks import (
    byte_limits,
    fit_bytes,
    fit_passwords,
    max_length,
    real_cursor,
    server_cursor,
)

PASSWORD_SCHEMA = {"type": "string", "maxLength": 72, "x-max-bytes": 72}
SCHEMAS = {
    "UserCreate": {"properties": {"email": {"type": "string"}, "password": PASSWORD_SCHEMA}},
    "UserUpdate": {
        "properties": {"current_password": {"anyOf": [PASSWORD_SCHEMA, {"type": "null"}]}}
    },
}


def operation_with(schemas: dict | None = None, cursor_schema: dict | None = None):
    """The parts of a schemathesis ``APIOperation`` that the hooks read."""
    query = {} if cursor_schema is None else {"cursor": SimpleNamespace(definition=cursor_schema)}
    raw = {"components": {"schemas": schemas or {}}}
    return SimpleNamespace(schema=SimpleNamespace(raw_schema=raw), query=query)


def test_byte_limits_are_found_in_plain_and_optional_properties():
    assert byte_limits(SCHEMAS) == {"password": (72, 72), "current_password": (72, 72)}


def test_fit_bytes_cuts_at_a_character_boundary():
    assert fit_bytes("ééé", 5) == "éé"
    assert fit_bytes("abc", 72) == "abc"


def test_a_password_over_72_bytes_but_not_72_characters_is_cut_to_fit():
    body = {"email": "ada@example.com", "password": "é" * 40, "current_password": "ü" * 50}

    fitted = fit_passwords(operation_with(SCHEMAS), body)

    assert fitted["password"] == "é" * 36
    assert fitted["current_password"] == "ü" * 36
    assert fitted["email"] == body["email"]
    assert body["password"] == "é" * 40  # the generated body itself is not changed


def test_a_password_too_long_in_characters_is_left_for_the_api_to_refuse():
    body = {"password": "x" * 73}

    assert fit_passwords(operation_with(SCHEMAS), body) == body


def test_max_length_reads_the_string_branch_of_an_optional_schema():
    assert max_length({"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]}) == 200
    assert max_length({"type": "integer"}) is None


def test_a_server_cursor_is_unpadded_base64url_json_of_a_sort_key():
    cursor = server_cursor("anything")

    key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert "=" not in cursor
    assert set(key) == {"created_at", "id"}


def test_a_cursor_the_schema_allows_becomes_a_server_cursor():
    operation = operation_with(cursor_schema={"schema": {"type": "string", "maxLength": 100}})

    query = real_cursor(operation, {"cursor": "abc", "limit": 5})

    assert query == {"cursor": server_cursor("abc"), "limit": 5}


@pytest.mark.parametrize(
    ("cursor_schema", "query"),
    [
        (None, {"cursor": "abc"}),  # the operation takes no cursor
        ({"schema": {"type": "string", "maxLength": 2}}, {"cursor": "abc"}),  # invalid: too long
        ({"schema": {"type": "string"}}, {"cursor": 7}),  # not a string
        ({"schema": {"type": "string"}}, {"limit": 5}),  # no cursor sent
    ],
)
def test_other_queries_are_left_alone(cursor_schema, query):
    assert real_cursor(operation_with(cursor_schema=cursor_schema), query) == query
