"""Logging in, tokens and their forgeries, rotation, logout and brute-force protection."""

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from neodyme.core import security
from neodyme.core.rate_limit import FailedLoginLimiter

PASSWORD = "correct horse battery"


def forge(claims: dict, key: str, algorithm: str = "HS256") -> str:
    """A token made outside the app (unsigned for "none")."""
    if algorithm == "none":
        return jwt.encode(claims, None, algorithm="none")
    return jwt.encode(claims, key, algorithm=algorithm)


def claims_for(user_id: int, token_type: str = "access", **changes) -> dict:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "type": token_type,
        "jti": "0" * 32,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return {key: value for key, value in {**claims, **changes}.items() if value is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_returns_a_bearer_token_pair_that_is_never_cached(sign_up, log_in):
    await sign_up("ada@example.com")

    response = await log_in("ada@example.com")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_login_takes_the_email_in_any_case(sign_up, log_in):
    await sign_up("ada@example.com")

    assert (await log_in("  ADA@Example.com ")).status_code == 200


async def test_the_access_token_opens_protected_endpoints(client, ada):
    response = await client.get("/api/v1/users/me", headers=ada.headers)

    assert response.json()["email"] == "ada@example.com"


async def test_wrong_password_and_unknown_email_are_indistinguishable(sign_up, log_in):
    await sign_up("ada@example.com")

    wrong_password = await log_in("ada@example.com", "not the password")
    unknown_email = await log_in("nobody@example.com", "not the password")

    assert wrong_password.status_code == unknown_email.status_code == 401
    # Each response has its own request id; everything else must be the same.
    bodies = [
        {**response.json(), "request_id": None} for response in (wrong_password, unknown_email)
    ]
    assert bodies[0] == bodies[1]
    assert wrong_password.json()["code"] == "invalid_credentials"
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


async def test_an_unknown_email_still_costs_a_bcrypt_check(sign_up, log_in, monkeypatch):
    """Same work either way, so the response time does not reveal which emails exist."""
    checks = []
    real_check = security._check
    monkeypatch.setattr(security, "_check", lambda *args: checks.append(1) or real_check(*args))
    await sign_up("ada@example.com")

    await log_in("ada@example.com", "not the password")
    await log_in("nobody@example.com", "not the password")

    assert len(checks) == 2


@pytest.mark.parametrize("password", ["x" * 73, "é" * 40], ids=["73-bytes", "80-bytes"])
async def test_passwords_bcrypt_cannot_check_are_a_plain_401_at_login(sign_up, log_in, password):
    await sign_up("ada@example.com")

    response = await log_in("ada@example.com", password)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_login_needs_username_and_password(client):
    response = await client.post("/api/v1/auth/token", data={"username": "ada@example.com"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]


async def test_repeated_failures_for_one_email_are_refused_with_429(sign_up, log_in):
    await sign_up("ada@example.com")
    for _ in range(5):
        assert (await log_in("ada@example.com", "guess")).status_code == 401

    refused = await log_in("ada@example.com")  # even the right password, for now

    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60


async def test_repeated_failures_from_one_client_are_refused_across_emails(sign_up, log_in):
    await sign_up("grace@example.com")
    for n in range(5):
        await log_in(f"guess{n}@example.com", "guess")

    assert (await log_in("grace@example.com")).status_code == 429


async def test_parallel_guesses_are_counted_too(sign_up, log_in):
    """Attempts count before the slow password check, so a burst cannot slip past the limit."""
    await sign_up("ada@example.com")

    responses = await asyncio.gather(*(log_in("ada@example.com", "guess") for _ in range(10)))

    assert sorted(response.status_code for response in responses) == [401] * 5 + [429] * 5


async def test_successful_logins_are_never_limited(sign_up, log_in):
    await sign_up("ada@example.com")

    statuses = [(await log_in("ada@example.com")).status_code for _ in range(8)]

    assert statuses == [200] * 8


def test_the_limiter_forgets_failures_once_the_window_has_passed():
    now = [1000.0]
    limiter = FailedLoginLimiter(max_failures=2, window_seconds=60, clock=lambda: now[0])
    limiter.record_failure("k")
    now[0] += 30
    limiter.record_failure("k")

    assert limiter.retry_after("k") == 30
    now[0] += 30
    assert limiter.retry_after("k") is None


def test_a_success_resets_the_count():
    limiter = FailedLoginLimiter(max_failures=1, window_seconds=60)
    limiter.record_failure("k")

    limiter.reset("k")

    assert limiter.retry_after("k") is None


async def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(client, ada):
    old = {"refresh_token": ada.tokens["refresh_token"]}

    rotated = await client.post("/api/v1/auth/refresh", json=old)
    reused = await client.post("/api/v1/auth/refresh", json=old)

    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.json()["refresh_token"] != old["refresh_token"]
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_token"
    new_access = bearer(rotated.json()["access_token"])
    assert (await client.get("/api/v1/users/me", headers=new_access)).status_code == 200


async def refresh(client, tokens: dict):
    return await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )


async def test_a_thief_who_refreshes_first_is_logged_out_when_the_victim_refreshes(
    client, ada, log_in
):
    """Reusing a rotated refresh token revokes its family: the thief's new tokens die too."""
    stolen = ada.tokens
    other_device = (await log_in("ada@example.com")).json()

    thief = await refresh(client, stolen)
    victim = await refresh(client, stolen)
    thief_again = await refresh(client, thief.json())

    assert [thief.status_code, victim.status_code, thief_again.status_code] == [200, 401, 401]
    assert victim.json()["code"] == thief_again.json()["code"] == "invalid_token"
    assert (await refresh(client, other_device)).status_code == 200  # another login lives on


async def test_reusing_any_ancestor_revokes_the_newest_token_of_the_family(client, ada):
    second = (await refresh(client, ada.tokens)).json()
    third = (await refresh(client, second)).json()

    reused = await refresh(client, ada.tokens)

    assert reused.status_code == 401
    assert (await refresh(client, third)).status_code == 401


async def test_two_refreshes_racing_with_one_token_give_one_pair_then_end_the_family(client, ada):
    """The loser cannot be told from a thief: the client must log in again (the trade-off)."""
    first, second = await asyncio.gather(refresh(client, ada.tokens), refresh(client, ada.tokens))

    assert sorted([first.status_code, second.status_code]) == [200, 401]
    winner = first if first.status_code == 200 else second
    assert (await refresh(client, winner.json())).status_code == 401


async def test_logout_revokes_the_refresh_token(client, ada):
    token = {"refresh_token": ada.tokens["refresh_token"]}

    logged_out = await client.post("/api/v1/auth/logout", json=token)

    assert logged_out.status_code == 204
    assert (await client.post("/api/v1/auth/refresh", json=token)).status_code == 401


async def test_logging_out_with_a_rotated_token_ends_the_chain_grown_from_it(client, ada):
    rotated = (await refresh(client, ada.tokens)).json()

    logged_out = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": ada.tokens["refresh_token"]}
    )

    assert logged_out.status_code == 204
    assert (await refresh(client, rotated)).status_code == 401


async def test_a_refresh_token_is_not_an_access_token(client, ada):
    response = await client.get("/api/v1/users/me", headers=bearer(ada.tokens["refresh_token"]))

    assert response.status_code == 401


async def test_an_access_token_is_not_a_refresh_token(client, ada):
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": ada.tokens["access_token"]}
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    "make_token",
    [
        lambda uid, key: forge(claims_for(uid), "a-different-key-that-is-also-32-bytes-long"),
        lambda uid, key: forge(claims_for(uid, exp=datetime.now(UTC) - timedelta(seconds=1)), key),
        lambda uid, key: forge(claims_for(uid, exp=None), key),
        lambda uid, key: forge(claims_for(uid, type=None), key),
        lambda uid, key: forge(claims_for(uid, sub=None), key),
        lambda uid, key: forge(claims_for(uid, iat=None), key),
        lambda uid, key: forge(claims_for(uid), key, algorithm="none"),
        lambda uid, key: forge(claims_for(uid, sub="not-a-number"), key),
        lambda uid, key: forge(claims_for(uid), key, algorithm="HS384"),
        lambda uid, key: "not.a.jwt",
        lambda uid, key: "",
    ],
    ids=[
        "wrong-key",
        "expired",
        "no-exp",
        "no-type",
        "no-sub",
        "no-iat",
        "alg-none",
        "bad-sub",
        "other-alg",
        "garbage",
        "empty",
    ],
)
async def test_forged_or_broken_tokens_are_a_401_with_a_bearer_challenge(
    client, ada, settings, make_token
):
    token = make_token(ada.user["id"], settings.signing_key)

    response = await client.get("/api/v1/users/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_tampered_payload_breaks_the_signature(client, ada, grace):
    header, _, signature = ada.tokens["access_token"].split(".")
    _, payload, _ = grace.tokens["access_token"].split(".")

    response = await client.get(
        "/api/v1/users/me", headers=bearer(f"{header}.{payload}.{signature}")
    )

    assert response.status_code == 401


async def test_a_token_for_a_deleted_user_is_a_401(client, ada):
    await client.delete(f"/api/v1/users/{ada.user['id']}", headers=ada.headers)

    assert (await client.get("/api/v1/users/me", headers=ada.headers)).status_code == 401


async def test_a_valid_token_signed_with_our_key_works(client, ada, settings):
    """The forgeries above fail for what they change, not because forging is broken."""
    token = forge(claims_for(ada.user["id"]), settings.signing_key)

    response = await client.get("/api/v1/users/me", headers=bearer(token))

    assert response.status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh_token": 42}, {"refresh_token": "x", "extra": 1}])
async def test_malformed_refresh_requests_are_a_422(client, body):
    assert (await client.post("/api/v1/auth/refresh", json=body)).status_code == 422


async def test_a_login_sent_as_json_says_the_endpoint_takes_an_oauth2_form(client, ada):
    response = await client.post(
        "/api/v1/auth/token", json={"username": "ada@example.com", "password": "x" * 12}
    )

    assert response.status_code == 422
    assert response.json()["detail"].endswith(
        " This endpoint takes a form (application/x-www-form-urlencoded)"
        " with `username` and `password`."
    )


async def test_a_logout_without_a_body_says_the_refresh_token_goes_in_it(client, ada):
    response = await client.post("/api/v1/auth/logout", headers=ada.headers)

    assert response.status_code == 422
    assert response.json()["detail"].endswith(
        " This endpoint takes a JSON object (application/json) with `refresh_token`."
    )
