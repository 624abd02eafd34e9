"""Attack cases against the served chapter, from OWASP ASVS v5 chapters 6, 7 and 9.

Authentication (V6), session management (V7) and self-contained tokens (V9): forged tokens,
refresh-token reuse, other users' data, account enumeration, brute force, password limits.
Then the generic input and output rules of SPEC §5: oversized bodies, metacharacters, CORS and
security headers. Each case attacks the real server over HTTP, as a client would, and checks
what the client sees and, where the attack tries to change something, that nothing changed.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from shared.verify.battery.conftest import (
    ALLOWED_ORIGIN,
    PASSWORD,
    SECRET_KEY,
    Accounts,
    bearer,
    record_note,
)
from shared.verify.plan import ChapterPlan

LOGIN_FAILURES_ALLOWED = 5
"""Every chapter's default: the sixth failure for one account from one client is refused."""
LOGIN_FAILURES_PER_CLIENT = 100
"""Every chapter's default for one client across accounts."""
ENUMERATION_SAMPLES = 12
"""Logins timed for each side of the enumeration comparison (a median is reported)."""
OVERSIZED_BODY_BYTES = 8 * 1024 * 1024
EVIL_ORIGIN = "https://evil.example.net"
METACHARACTERS = [
    '\'; DROP TABLE "user"; --',
    "Robert'); DELETE FROM todo WHERE ('1'='1",
    '{"$ne": null}, "completed": true}',
    '\\u0000 \\" \\\\ %s %(name)s ${jndi:ldap://x} <script>alert(1)</script>',
]


def problem_without_request_id(response: httpx.Response) -> dict:
    """The problem body minus ``request_id`` (ch11+), which differs on every response."""
    body = response.json()
    body.pop("request_id", None)
    return body


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


# --- V9: self-contained tokens ---------------------------------------------------------------


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_for(user_id: int, token_type: str = "access", **changes: object) -> dict:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "type": token_type,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        **changes,
    }
    return {name: value for name, value in claims.items() if value is not None}


def forged(kind: str, user_id: int, genuine: dict) -> str:
    """A token an attacker could make, of the kind named; only ``control`` is valid."""
    if kind == "control":  # complete claims, the server's own key: proves the forger is right
        return jwt.encode(claims_for(user_id), SECRET_KEY, algorithm="HS256")
    if kind == "alg_none":
        header = {"alg": "none", "typ": "JWT"}
        return f"{b64(header)}.{b64(claims_for(user_id))}."
    if kind == "wrong_key":
        return jwt.encode(claims_for(user_id), "an attacker's key " + "k" * 32, algorithm="HS256")
    if kind == "other_algorithm":  # the right key, an algorithm the server did not pin
        return jwt.encode(claims_for(user_id), SECRET_KEY, algorithm="HS512")
    if kind == "expired":
        past = datetime.now(UTC) - timedelta(hours=1)
        changes = {"iat": int(past.timestamp()), "exp": int(past.timestamp()) + 60}
        return jwt.encode(claims_for(user_id, **changes), SECRET_KEY, algorithm="HS256")
    if kind.startswith("missing_"):
        claims = claims_for(user_id, **{kind.removeprefix("missing_"): None})
        return jwt.encode(claims, SECRET_KEY, algorithm="HS256")
    if kind == "tampered_payload":  # a genuine signature over someone else's claims
        header, _, signature = genuine["access_token"].split(".")
        return f"{header}.{b64(claims_for(user_id + 1))}.{signature}"
    if kind == "refresh_as_access":
        return genuine["refresh_token"]
    if kind == "garbage":
        return "not-a-token"
    raise ValueError(kind)


FORGERIES = [
    "alg_none",
    "wrong_key",
    "other_algorithm",
    "expired",
    "missing_exp",
    "missing_iat",
    "missing_sub",
    "missing_type",
    "tampered_payload",
    "refresh_as_access",
    "garbage",
]


@pytest.fixture(scope="module")
def victim(accounts: Accounts) -> dict:
    user = accounts.sign_up()
    return {**user, "tokens": accounts.tokens(user)}


def test_a_token_forged_with_the_servers_own_key_is_accepted(api: httpx.Client, victim: dict):
    """The control: the forger makes real tokens, so the refusals below are for the attack."""
    token = forged("control", victim["id"], victim["tokens"])

    response = api.get("/users/me", headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["id"] == victim["id"]


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_token_is_refused(api: httpx.Client, victim: dict, kind: str):
    token = forged(kind, victim["id"], victim["tokens"])

    response = api.get("/users/me", headers=bearer(token))

    assert_unauthorized(response)


def test_no_token_at_all_is_refused(api: httpx.Client):
    assert_unauthorized(api.get("/users/me"))


def test_an_access_token_is_not_a_refresh_token(api: httpx.Client, victim: dict):
    response = api.post("/auth/refresh", json={"refresh_token": victim["tokens"]["access_token"]})

    assert_unauthorized(response)


# --- V7: session management -------------------------------------------------------------------


def test_a_refresh_token_works_once_rotation_kills_the_old_one(
    api: httpx.Client, accounts: Accounts
):
    first = accounts.tokens(accounts.sign_up())

    rotated = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    replayed = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    assert_unauthorized(replayed)


def test_a_refresh_token_is_dead_after_logout(api: httpx.Client, accounts: Accounts):
    tokens = accounts.tokens(accounts.sign_up())

    logout = api.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    replayed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert logout.status_code == 204
    assert_unauthorized(replayed)


def test_a_password_change_kills_every_refresh_token(api: httpx.Client, accounts: Accounts):
    user = accounts.sign_up()
    other_device = accounts.tokens(user)
    headers = bearer(accounts.tokens(user)["access_token"])

    change = {"password": "a brand new password", "current_password": user["password"]}
    changed = api.patch("/users/me", json=change, headers=headers)
    replayed = api.post("/auth/refresh", json={"refresh_token": other_device["refresh_token"]})

    assert changed.status_code == 200
    assert_unauthorized(replayed)


def test_a_wrong_current_password_is_refused_and_changes_nothing(
    api: httpx.Client, accounts: Accounts
):
    user, headers = accounts.user_with_token()

    change = {"password": "a brand new password", "current_password": "a guess at it"}
    response = api.patch("/users/me", json=change, headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "wrong_current_password"
    assert accounts.log_in(user["email"], user["password"]).status_code == 200


# --- Access control: other users' accounts and todos -----------------------------------------


@pytest.fixture(scope="module")
def mallory(accounts: Accounts) -> dict[str, str]:
    return accounts.user_with_token()[1]


@pytest.fixture(scope="module")
def alice(accounts: Accounts) -> tuple[dict, dict[str, str]]:
    return accounts.user_with_token()


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"full_name": "Owned"}), ("DELETE", None)]
)
def test_another_users_account_is_forbidden(
    api: httpx.Client, alice: tuple[dict, dict], mallory: dict, method: str, body: dict | None
):
    user, headers = alice

    response = api.request(method, f"/users/{user['id']}", json=body, headers=mallory)

    assert response.status_code == 403
    unchanged = api.get("/users/me", headers=headers)
    assert unchanged.json()["full_name"] == user["full_name"]


def test_listing_every_user_is_for_superusers_only(api: httpx.Client, mallory: dict):
    assert api.get("/users", headers=mallory).status_code == 403


@pytest.fixture(scope="module")
def alices_todo(api: httpx.Client, alice: tuple[dict, dict]) -> dict:
    response = api.post("/todos", json={"title": "Alice's secret plan"}, headers=alice[1])
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"completed": True}), ("DELETE", None)]
)
def test_another_users_todo_does_not_exist_for_them(
    api: httpx.Client,
    alice: tuple[dict, dict],
    alices_todo: dict,
    mallory: dict,
    method: str,
    body: dict | None,
):
    response = api.request(method, f"/todos/{alices_todo['id']}", json=body, headers=mallory)

    assert response.status_code == 404  # not 403: its existence is not revealed either
    assert api.get(f"/todos/{alices_todo['id']}", headers=alice[1]).json() == alices_todo
    assert alices_todo["id"] not in [
        todo["id"] for todo in api.get("/todos", headers=mallory).json()
    ]


def test_a_todo_cannot_be_given_to_another_owner(
    api: httpx.Client, alice: tuple[dict, dict], mallory: dict
):
    body = {"title": "planted", "user_id": alice[0]["id"]}

    response = api.post("/todos", json=body, headers=mallory)

    assert response.status_code == 422
    assert "planted" not in [todo["title"] for todo in api.get("/todos", headers=alice[1]).json()]


# --- V6: authentication ----------------------------------------------------------------------


def test_unknown_email_and_wrong_password_look_the_same(accounts: Accounts):
    """Same status, same body; the time each takes is measured and reported, not asserted."""
    users = [accounts.sign_up() for _ in range(ENUMERATION_SAMPLES // (LOGIN_FAILURES_ALLOWED - 1))]
    unknown, wrong = [], []
    for sample in range(ENUMERATION_SAMPLES):
        email = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
        unknown.append(timed(accounts.log_in, email, PASSWORD))
        known = users[sample % len(users)]["email"]
        wrong.append(timed(accounts.log_in, known, "not the password"))

    for response, _ in unknown + wrong:
        assert_unauthorized(response)
    bodies = {json.dumps(problem_without_request_id(r), sort_keys=True) for r, _ in unknown + wrong}
    assert len(bodies) == 1, bodies
    unknown_ms = statistics.median(ms for _, ms in unknown)
    wrong_ms = statistics.median(ms for _, ms in wrong)
    record_note(
        f"login timing, median of {ENUMERATION_SAMPLES} each: unknown email {unknown_ms:.1f} ms, "
        f"wrong password {wrong_ms:.1f} ms (difference {wrong_ms - unknown_ms:+.1f} ms)"
    )


def timed(call: Callable[..., httpx.Response], *args: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = call(*args)
    return response, (time.perf_counter() - started) * 1000


def test_repeated_failures_for_one_account_from_one_client_are_refused_with_429(
    accounts: Accounts,
):
    user = accounts.sign_up()
    client = accounts.client_address()
    failures = [
        accounts.log_in(user["email"], f"guess {n}", client=client).status_code
        for n in range(LOGIN_FAILURES_ALLOWED)
    ]

    locked = accounts.log_in(user["email"], user["password"], client)  # even the right password

    assert failures == [401] * LOGIN_FAILURES_ALLOWED
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Only that (account, client) pair: the owner, elsewhere, still gets in.
    assert accounts.log_in(user["email"], user["password"]).status_code == 200


def test_repeated_failures_from_one_client_are_refused_with_429(accounts: Accounts):
    """Across accounts the limit is looser (one address can be a whole office), but it holds."""
    client = accounts.client_address()
    emails = [
        f"spray-{uuid.uuid4().hex[:12]}@example.com" for _ in range(LOGIN_FAILURES_PER_CLIENT)
    ]
    failures = [accounts.log_in(email, PASSWORD, client=client).status_code for email in emails]

    blocked = accounts.log_in(f"one-more-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, client)

    assert failures == [401] * LOGIN_FAILURES_PER_CLIENT
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "password",
    ["p" * 72, "é" * 36, "🔑" * 18, "パスワード" * 4 + "x" * 12],
    ids=["72_ascii", "36_two_byte", "18_four_byte", "mixed_72_bytes"],
)
def test_a_password_of_72_bytes_signs_up_and_logs_in(accounts: Accounts, password: str):
    assert len(password.encode()) == 72
    user = accounts.sign_up(password)

    assert accounts.log_in(user["email"], password).status_code == 200
    assert accounts.log_in(user["email"], password[:-1]).status_code == 401


@pytest.mark.parametrize(
    "password",
    ["p" * 73, "é" * 37, "🔑" * 19, "🔑" * 18 + "x"],
    ids=["73_ascii", "37_two_byte", "19_four_byte", "72_bytes_plus_one"],
)
def test_a_password_over_72_bytes_is_a_422_and_creates_nothing(
    api: httpx.Client, accounts: Accounts, password: str
):
    email = f"long-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "full_name": "Too Long", "password": password}

    response = api.post("/users", json=body)

    assert response.status_code == 422
    assert ["body", "password"] in [error["loc"] for error in response.json()["errors"]]
    assert_unauthorized(accounts.log_in(email, password))  # a login with it is a 401, not a 500


# --- Input and output --------------------------------------------------------------------------


def test_an_oversized_body_is_refused_with_a_413_problem(api: httpx.Client):
    body = json.dumps({"email": "big@example.com", "full_name": "x" * OVERSIZED_BODY_BYTES})

    response = api.post("/users", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "content_too_large"


def test_an_oversized_streamed_body_is_refused_and_stores_nothing(
    api: httpx.Client, accounts: Accounts
):
    _, headers = accounts.user_with_token()
    body = json.dumps({"title": "x" * OVERSIZED_BODY_BYTES}).encode()
    chunks = (body[start : start + 65536] for start in range(0, len(body), 65536))

    response = api.post(
        "/todos", content=chunks, headers=headers | {"Content-Type": "application/json"}
    )

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert api.get("/todos", headers=headers).json() == []


@pytest.mark.parametrize("text", METACHARACTERS)
def test_metacharacters_are_stored_literally(
    api: httpx.Client, alice: tuple[dict, dict], text: str
):
    created = api.post("/todos", json={"title": text[:200], "description": text}, headers=alice[1])

    assert created.status_code == 201, created.text
    stored = api.get(f"/todos/{created.json()['id']}", headers=alice[1]).json()
    assert (stored["title"], stored["description"]) == (text[:200], text)


def test_metacharacters_in_a_name_are_stored_literally(api: httpx.Client, accounts: Accounts):
    name = 'O\'Brien "; DROP TABLE todo; -- {"$gt": ""}'
    email = f"meta-{uuid.uuid4().hex[:12]}@example.com"

    body = {"email": email, "full_name": name, "password": PASSWORD}
    # Sign-ups are limited per client: this one comes from an address of its own.
    client = {"X-Forwarded-For": accounts.client_address()}

    response = api.post("/users", json=body, headers=client)

    assert response.status_code == 201
    user = {"email": email, "password": PASSWORD}
    me = api.get("/users/me", headers=bearer(accounts.tokens(user)["access_token"]))
    assert me.json()["full_name"] == name


def test_metacharacters_in_a_query_are_a_422(api: httpx.Client, mallory: dict):
    response = api.get("/todos", params={"completed": "true' OR '1'='1"}, headers=mallory)

    assert response.status_code == 422


def test_an_origin_outside_the_allow_list_gets_no_cors_grant(api: httpx.Client, mallory: dict):
    simple = api.get("/users/me", headers=mallory | {"Origin": EVIL_ORIGIN})
    preflight = api.options(
        "/users/me",
        headers={"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PATCH"},
    )

    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers


def test_an_origin_on_the_allow_list_gets_its_cors_grant(
    api: httpx.Client, mallory: dict, plan: ChapterPlan
):
    """The control for the case above; ch07 has no CORS setting, so no origin is allowed."""
    if not plan.has_cors_setting:
        pytest.skip("CORS is configured from ch08 (NEODYME_CORS_ORIGINS)")
    preflight = api.options(
        "/users/me",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "PATCH"},
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/users/me", 200),
        ("GET", "/todos/2147483647", 404),
        ("POST", "/todos", 422),
        ("PUT", "/users/me", 405),
    ],
)
def test_responses_carry_nosniff(
    api: httpx.Client, mallory: dict, method: str, path: str, status: int
):
    response = api.request(method, path, headers=mallory, json={})

    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_unauthorized_response_carries_nosniff(api: httpx.Client):
    response = api.get("/todos")

    assert_unauthorized(response)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_token_responses_are_never_cached(api: httpx.Client, accounts: Accounts):
    user = accounts.sign_up()
    login = accounts.log_in(user["email"], user["password"])
    refresh = api.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})

    for response in (login, refresh):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
