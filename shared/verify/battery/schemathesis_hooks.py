"""Loaded by schemathesis (``SCHEMATHESIS_HOOKS``) in the fuzzing run.

Three rules the chapters document but JSON Schema cannot state shape what the fuzzer generates
(a password's byte limit, ch12's cursors, which only the server makes, and the graph track's
"a todo cannot block itself", a rule between two parameters); no hook touches a check, and each
rule is proven separately (the chapters' own tests and the attack cases).
From ch07 an auth provider signs the fuzzer in as a superuser.

What the schema can state, it states, and the fuzzer generates from it unaided: the email
domains that email-validator refuses (RFC 6761's special-use ``.test``, ``.localhost``...) are
excluded by the ``pattern`` next to ``format: email``. With every check on, the fuzzer finds any
rule that the API enforces and the schema does not say (``positive_data_acceptance``).
"""

import base64
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import schemathesis
from schemathesis import GenerationMode


def byte_limits(schemas: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """``{property: (maxLength, x-max-bytes)}`` for every property that states a byte limit."""
    limits = {}
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            for variant in [prop, *prop.get("anyOf", [])]:
                if "x-max-bytes" in variant:
                    limits[name] = (variant.get("maxLength", 0), variant["x-max-bytes"])
    return limits


def fit_bytes(value: str, max_bytes: int) -> str:
    """The longest prefix of ``value`` that is at most ``max_bytes`` long in UTF-8."""
    return value.encode()[:max_bytes].decode(errors="ignore")


def max_length(schema: dict[str, Any]) -> int | None:
    """The ``maxLength`` of a string schema, or of the string branch of ``str | None``."""
    for variant in [schema, *schema.get("anyOf", [])]:
        if "maxLength" in variant:
            return variant["maxLength"]
    return None


def server_cursor(value: str) -> str:
    """A cursor in the server's own format (ch12): base64url JSON of a sort key, unpadded."""
    key = {"created_at": "2026-01-01T00:00:00Z", "id": 1 + len(value)}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def fit_passwords(operation: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Passwords the character limit allows but the byte limit does not, cut to fit."""
    schemas = operation.schema.raw_schema.get("components", {}).get("schemas", {})
    fitted = dict(body)
    for name, (max_chars, max_bytes) in byte_limits(schemas).items():
        value = body.get(name)
        if isinstance(value, str) and len(value) <= max_chars and len(value.encode()) > max_bytes:
            fitted[name] = fit_bytes(value, max_bytes)
    return fitted


def real_cursor(operation: Any, query: dict[str, Any]) -> dict[str, Any]:
    """A ``cursor`` the schema allows, replaced by one in the server's format."""
    parameter = operation.query.get("cursor")
    value = query.get("cursor")
    if parameter is None or not isinstance(value, str):
        return query
    limit = max_length(parameter.definition.get("schema", {}))
    if limit is not None and len(value) > limit:
        return query
    return {**query, "cursor": server_cursor(value)}


# Passwords. A password is at most 72 characters *and* at most 72 bytes in UTF-8 (bcrypt's
# limit); the schema states the second rule as ``x-max-bytes``, which no generator reads. A
# password that the character limit allows but the byte limit does not is cut to fit, so that
# a body the fuzzer calls valid is valid; one that is too long in characters is left alone.
@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    if not isinstance(body, dict) or context.operation is None:
        return body
    return fit_passwords(context.operation, body)


# Cursors. From ch12 ``GET /todos`` takes an opaque ``cursor`` that only the server makes (it
# hands it out in the ``Link`` header); any other string is a documented 400. In the cases the
# fuzzer means to be valid, a cursor the schema allows becomes one in the server's format.
# ``map_case`` is the one hook the boundary-value phase runs too; it is kept to this operation,
# because registering it changes how schemathesis generates the stateful phase's cases.
@schemathesis.hook.apply_to(method="GET", path_regex=r"/todos(/next)?$")
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    if context.operation is not None and not negative and isinstance(case.query, dict):
        case.query = real_cursor(context.operation, case.query)
    return case


# A todo blocking itself. The graph track refuses ``PUT /todos/{id}/blockers/{id}`` with the
# same id twice (a documented 422): each id alone is valid, and no schema says "the two
# differ". Cases with equal ids are left out; the attack cases send them on purpose.
@schemathesis.hook.apply_to(method="PUT", path_regex=r"/blockers/")
def filter_path_parameters(context: schemathesis.HookContext, parameters: Any) -> bool:
    if not isinstance(parameters, dict):
        return True
    return parameters.get("todo_id") != parameters.get("blocker_id")


class FreshSuperuser:
    """A new superuser's access token for every case, and a new one when it stops working.

    A superuser may call every operation, so every documented success (``GET /users`` included)
    is generated and checked; the refusals other users get are the attack cases' business. The
    fuzzer may well delete the very account it is signed in as (``DELETE /users/{id}`` with its
    own id is a valid request): from then on every call would be a 401 and the rest of the run
    would prove nothing, so on a 401 schemathesis asks for a new token and replays the call.
    Superusers are made the one way the chapters offer: ``python -m neodyme create-superuser``.
    """

    password = "fuzzing is believing"

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        email = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
        created = subprocess.run(
            [sys.executable, "-m", "neodyme", "create-superuser", "--email", email],
            cwd=os.environ["NEODYME_VERIFY_CHAPTER_DIR"],
            env={**os.environ, "NEODYME_SUPERUSER_PASSWORD": self.password},
            capture_output=True,
            text=True,
        )
        if created.returncode != 0:
            raise RuntimeError(f"create-superuser failed: {created.stdout}{created.stderr}")
        response = httpx.post(  # one request, on a connection of its own
            os.environ["NEODYME_VERIFY_API_URL"] + "/auth/token",
            data={"username": email, "password": self.password},
            # Its own client address: the fuzzer's failed logins must not lock this one out.
            headers={"X-Forwarded-For": "10.99.99.99"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


if "NEODYME_VERIFY_API_URL" in os.environ:
    schemathesis.auth()(FreshSuperuser)
