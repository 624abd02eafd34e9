"""Logging in, tokens and their forgeries, rotation, logout and brute-force protection."""

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from factories import PASSWORD

from neodyme import main
from neodyme.core import security
from neodyme.core.rate_limit import AttemptLimiter, Quota, client_of, limit_key


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


@pytest.fixture
def limiter(monkeypatch, settings) -> AttemptLimiter:
    """The limiter of the app the test starts next (request it before ``client``)."""
    limiter = AttemptLimiter(settings.login_failure_window_seconds)
    monkeypatch.setattr(main, "AttemptLimiter", lambda window_seconds: limiter)
    return limiter


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
    response = await client.get("/users/me", headers=ada.headers)

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
    response = await client.post("/auth/token", data={"username": "ada@example.com"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]


def at(address: str) -> dict[str, str]:
    """Headers that make a request come from ``address``, as a proxy in front would say."""
    return {"X-Forwarded-For": address}


async def fail(log_in, email: str, times: int, address: str = "127.0.0.1") -> list[int]:
    return [
        (await log_in(email, "a wrong guess", headers=at(address))).status_code
        for _ in range(times)
    ]


async def test_repeated_failures_for_one_account_from_one_client_are_refused_with_429(
    sign_up, log_in
):
    await sign_up("ada@example.com")
    assert await fail(log_in, "ada@example.com", 5) == [401] * 5

    refused = await log_in("ada@example.com")  # even the right password, for now

    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60


async def test_an_attackers_failures_lock_their_own_address_not_the_account(sign_up, log_in):
    await sign_up("ada@example.com")
    assert await fail(log_in, "ada@example.com", 5, address="203.0.113.66") == [401] * 5

    assert (await log_in("ada@example.com", headers=at("203.0.113.66"))).status_code == 429
    assert (await log_in("ada@example.com", headers=at("198.51.100.7"))).status_code == 200


async def test_failures_on_other_accounts_do_not_lock_out_users_behind_the_same_address(
    sign_up, log_in
):
    """One address is a whole office behind a NAT, or every developer on 127.0.0.1."""
    await sign_up("grace@example.com")
    for n in range(4):
        assert await fail(log_in, f"colleague{n}@example.com", 5) == [401] * 5

    assert (await log_in("grace@example.com")).status_code == 200


async def test_failures_from_one_client_across_many_accounts_are_refused_after_100(sign_up, log_in):
    await sign_up("grace@example.com")
    for n in range(100):
        assert await fail(log_in, f"sprayed{n}@example.com", 1) == [401]

    assert (await log_in("grace@example.com")).status_code == 429
    assert (await log_in("grace@example.com", headers=at("198.51.100.7"))).status_code == 200


async def test_guesses_spread_over_many_addresses_lock_the_account_after_20(sign_up, log_in):
    """The per-account limit: what slows an attacker who has many addresses."""
    await sign_up("ada@example.com")
    for n in range(4):
        assert await fail(log_in, "ada@example.com", 5, address=f"203.0.113.{n + 1}") == [401] * 5

    refused = await log_in("ada@example.com", headers=at("198.51.100.7"))

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


async def test_an_unknown_email_is_limited_like_a_known_one_from_one_client(sign_up, log_in):
    """Same answers from one address, so the limits do not tell which emails have accounts."""
    await sign_up("ada@example.com")

    known = await fail(log_in, "ada@example.com", 6)
    unknown = await fail(log_in, "nobody@example.com", 6)

    assert known == unknown == [401] * 5 + [429]


async def test_ipv6_clients_are_counted_by_their_64_bit_prefix(sign_up, log_in):
    """One machine gets a whole /64: an address per guess must not mean fresh limits."""
    await sign_up("ada@example.com")
    for n in range(5):
        assert await fail(log_in, "ada@example.com", 1, address=f"2001:db8:1:2::{n + 1}") == [401]

    assert (await log_in("ada@example.com", headers=at("2001:db8:1:2::ffff"))).status_code == 429
    assert (await log_in("ada@example.com", headers=at("2001:db8:1:3::1"))).status_code == 200


async def test_parallel_guesses_are_counted_too(sign_up, log_in):
    """Attempts count before the slow password check, so a burst cannot slip past the limit."""
    await sign_up("ada@example.com")

    responses = await asyncio.gather(*(log_in("ada@example.com", "guess") for _ in range(10)))

    assert sorted(response.status_code for response in responses) == [401] * 5 + [429] * 5


async def test_successful_logins_are_never_limited(sign_up, log_in):
    await sign_up("ada@example.com")

    statuses = [(await log_in("ada@example.com")).status_code for _ in range(8)]

    assert statuses == [200] * 8


async def test_a_success_forgives_the_failures_of_its_client(sign_up, log_in):
    await sign_up("ada@example.com")
    assert await fail(log_in, "ada@example.com", 4) == [401] * 4
    assert (await log_in("ada@example.com")).status_code == 200

    assert await fail(log_in, "ada@example.com", 5) == [401] * 5


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "a" * 243 + "@example.com"), ("password", "x" * 257)],
    ids=["username-of-255", "password-of-257"],
)
async def test_oversized_login_fields_are_a_422_before_any_limiter_key(
    limiter, client, field, value
):
    form = {"username": "ada@example.com", "password": PASSWORD, field: value}

    response = await client.post("/auth/token", data=form)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    assert len(limiter) == 0


async def test_the_longest_email_address_is_a_plain_401(limiter, client, log_in):
    response = await log_in("a" * 242 + "@example.com")  # 254 characters

    assert response.status_code == 401
    assert len(limiter) == 2  # one (email, client) key and one client key, of fixed size


@pytest.mark.parametrize("field", ["username", "password", "scope", "client_id", "client_secret"])
@pytest.mark.parametrize(
    "character",
    ["\x00", "\x1f", "\n", "\x85", "\x9b"],
    ids=["nul", "unit-separator", "newline", "c1-next-line", "c1-terminal-escape"],
)
async def test_control_characters_in_any_login_field_are_a_422(client, ada, field, character):
    """PostgreSQL cannot store a NUL in text: sent to it as a parameter, it was a 500."""
    form = {"username": "ada@example.com", "password": PASSWORD}
    form[field] = f"a{character}b@example.com" if field == "username" else f"a{character}b"

    response = await client.post("/auth/token", data=form)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", field]


async def test_a_full_limiter_forgets_what_blocks_nothing_but_keeps_every_lockout():
    """Flooding the limiter with new keys must not lift anyone's lockout."""
    limiter = AttemptLimiter(window_seconds=60, max_keys=10)
    victim = Quota("victim", allowed=2)
    assert await limiter.acquire([victim]) is None
    assert await limiter.acquire([victim]) is None

    for n in range(1000):
        await limiter.acquire([Quota(f"flood{n}", allowed=2)])

    assert len(limiter) <= 10
    assert await limiter.acquire([victim]) is not None


async def test_a_limiter_full_of_lockouts_refuses_new_keys():
    now = [1000.0]
    limiter = AttemptLimiter(window_seconds=60, max_keys=2, clock=lambda: now[0])
    for key in ("a", "b"):
        await limiter.acquire([Quota(key, allowed=1)])

    assert await limiter.acquire([Quota("c", allowed=1)]) == 60
    now[0] += 61
    assert await limiter.acquire([Quota("c", allowed=1)]) is None
    assert len(limiter) <= 2


@pytest.mark.parametrize(
    ("host", "client"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2::5", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # not one /64 for every IPv4 client
        (None, "-"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_its_64_bit_prefix(host, client):
    assert client_of(host) == client


def test_limiter_keys_have_one_size_whatever_the_client_sent():
    assert len(limit_key("guess", "a" * 100_000, "127.0.0.1")) == len(limit_key("guess", "a", "-"))


async def test_the_limiter_forgets_attempts_once_the_window_has_passed():
    now = [1000.0]
    limiter = AttemptLimiter(window_seconds=60, clock=lambda: now[0])
    quota = Quota("k", allowed=2)
    await limiter.acquire([quota])
    now[0] += 30
    await limiter.acquire([quota])

    assert await limiter.acquire([quota]) == 30
    now[0] += 30
    assert await limiter.acquire([quota]) is None


async def test_a_reset_forgets_the_count():
    limiter = AttemptLimiter(window_seconds=60)
    await limiter.acquire([Quota("k", allowed=1)])

    limiter.reset("k")

    assert await limiter.acquire([Quota("k", allowed=1)]) is None


async def test_wrong_current_passwords_count_like_failed_logins(client, ada):
    body = {"password": "a new password", "current_password": "not my password"}
    statuses = [
        (await client.patch("/users/me", json=body, headers=ada.headers)).status_code
        for _ in range(6)
    ]
    right = {**body, "current_password": PASSWORD}

    refused = await client.patch("/users/me", json=right, headers=ada.headers)

    assert statuses == [403] * 5 + [429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    # The same counts as logins: this client cannot log in to the account either, for now.
    login = await client.post(
        "/auth/token", data={"username": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 429


async def test_wrong_current_passwords_through_the_user_id_are_counted_too(client, ada):
    url = f"/users/{ada.user['id']}"
    body = {"password": "a new password", "current_password": "not my password"}

    statuses = [
        (await client.patch(url, json=body, headers=ada.headers)).status_code for _ in range(6)
    ]

    assert statuses == [403] * 5 + [429]


async def test_sign_ups_from_one_client_are_limited_and_each_costs_one_hash(client, monkeypatch):
    """Taken and new emails count alike and both pay for a hash: a 409 is no faster."""
    hashes = []
    real_hash = security._hash
    monkeypatch.setattr(security, "_hash", lambda *args: hashes.append(1) or real_hash(*args))
    body = {"full_name": "Someone", "password": PASSWORD}
    statuses = []
    for n in range(10):
        email = "taken@example.com" if n % 2 else f"new{n}@example.com"
        statuses.append((await client.post("/users", json={**body, "email": email})).status_code)

    refused = await client.post("/users", json={**body, "email": "one.more@example.com"})
    elsewhere = await client.post(
        "/users", json={**body, "email": "one.more@example.com"}, headers=at("198.51.100.7")
    )

    assert statuses == [201, 201, 201, 409, 201, 409, 201, 409, 201, 409]
    assert len(hashes) == 11  # ten here, one elsewhere: the refused sign-up hashed nothing
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert elsewhere.status_code == 201


async def test_email_changes_are_limited_like_sign_ups(client, ada, grace):
    """A 409 says the address has an account: probing with email changes is counted."""
    prober = {**ada.headers, **at("203.0.113.66")}
    statuses = []
    for n in range(10):
        email = "grace@example.com" if n % 2 else f"ada{n}@example.com"
        response = await client.patch("/users/me", json={"email": email}, headers=prober)
        statuses.append(response.status_code)

    refused = await client.patch("/users/me", json={"email": "a@example.com"}, headers=prober)
    moved = {**ada.headers, **at("198.51.100.7")}  # the account's count follows it everywhere
    elsewhere = await client.patch("/users/me", json={"email": "a@example.com"}, headers=moved)
    renamed = await client.patch("/users/me", json={"full_name": "Ada"}, headers=prober)

    assert statuses == [200, 409] * 5
    assert refused.status_code == elsewhere.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert renamed.status_code == 200  # only email changes are counted


async def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(client, ada):
    old = {"refresh_token": ada.tokens["refresh_token"]}

    rotated = await client.post("/auth/refresh", json=old)
    reused = await client.post("/auth/refresh", json=old)

    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.json()["refresh_token"] != old["refresh_token"]
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_token"
    new_access = bearer(rotated.json()["access_token"])
    assert (await client.get("/users/me", headers=new_access)).status_code == 200


async def refresh(client, tokens: dict):
    return await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


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

    logged_out = await client.post("/auth/logout", json=token)

    assert logged_out.status_code == 204
    assert (await client.post("/auth/refresh", json=token)).status_code == 401


async def test_logging_out_with_a_rotated_token_ends_the_chain_grown_from_it(client, ada):
    rotated = (await refresh(client, ada.tokens)).json()

    logged_out = await client.post(
        "/auth/logout", json={"refresh_token": ada.tokens["refresh_token"]}
    )

    assert logged_out.status_code == 204
    assert (await refresh(client, rotated)).status_code == 401


async def test_a_refresh_token_is_not_an_access_token(client, ada):
    response = await client.get("/users/me", headers=bearer(ada.tokens["refresh_token"]))

    assert response.status_code == 401


async def test_an_access_token_is_not_a_refresh_token(client, ada):
    response = await client.post(
        "/auth/refresh", json={"refresh_token": ada.tokens["access_token"]}
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

    response = await client.get("/users/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_tampered_payload_breaks_the_signature(client, ada, grace):
    header, _, signature = ada.tokens["access_token"].split(".")
    _, payload, _ = grace.tokens["access_token"].split(".")

    response = await client.get("/users/me", headers=bearer(f"{header}.{payload}.{signature}"))

    assert response.status_code == 401


async def test_a_token_for_a_deleted_user_is_a_401(client, ada):
    await client.delete(f"/users/{ada.user['id']}", headers=ada.headers)

    assert (await client.get("/users/me", headers=ada.headers)).status_code == 401


async def test_a_valid_token_signed_with_our_key_works(client, ada, settings):
    """The forgeries above fail for what they change, not because forging is broken."""
    token = forge(claims_for(ada.user["id"]), settings.signing_key)

    response = await client.get("/users/me", headers=bearer(token))

    assert response.status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh_token": 42}, {"refresh_token": "x", "extra": 1}])
async def test_malformed_refresh_requests_are_a_422(client, body):
    assert (await client.post("/auth/refresh", json=body)).status_code == 422


async def test_a_login_sent_as_json_says_the_endpoint_takes_an_oauth2_form(client, ada):
    response = await client.post(
        "/auth/token", json={"username": "ada@example.com", "password": "x" * 12}
    )

    assert response.status_code == 422
    assert response.json()["detail"].endswith(
        " This endpoint takes a form (application/x-www-form-urlencoded)"
        " with `username` and `password`."
    )


async def test_a_logout_without_a_body_says_the_refresh_token_goes_in_it(client, ada):
    response = await client.post("/auth/logout", headers=ada.headers)

    assert response.status_code == 422
    assert response.json()["detail"].endswith(
        " This endpoint takes a JSON object (application/json) with `refresh_token`."
    )
