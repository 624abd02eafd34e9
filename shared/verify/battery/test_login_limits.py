"""Login limits and amplification: OWASP's Authentication Cheat Sheet, over real HTTP.

Failed logins are limited per (account, client), per account and per client, each with its
own number, so that one address (an office behind a NAT) is not one account, and an attacker
with many addresses still meets the per-account limit. What the client sends is bounded before
it becomes a limiter key. Whatever costs the server a bcrypt hash or answers "is this email
taken?" is limited too: sign-ups, wrong ``current_password`` guesses, email changes.

Each case speaks for made-up clients through ``X-Forwarded-For`` (the battery's server trusts
it from 127.0.0.1), so that one case's counts never reach another's.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from shared.verify.battery.conftest import PASSWORD, Accounts

FAILURES_PER_ACCOUNT_AND_CLIENT = 5
FAILURES_PER_ACCOUNT = 20
EMAIL_CLAIMS = 10
"""Every chapter's defaults (ch07's constants, ch08+'s settings), within 15 minutes."""

KEY_BOUNDS = pytest.mark.defends("limiter key bounds and NAT behaviour")
AMPLIFICATION = pytest.mark.defends("amplification")


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:12]}@example.com"


def at(address: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "X-Forwarded-For": address}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def assert_too_many(response: httpx.Response) -> None:
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) > 0


# --- limiter key bounds and NAT behaviour ----------------------------------------------------


@KEY_BOUNDS
@pytest.mark.parametrize("length", [255, 900 * 1024], ids=["255_characters", "900_KiB"])
def test_a_username_longer_than_an_email_is_a_422_problem(api: httpx.Client, length: int):
    username = "a" * (length - len("@example.com")) + "@example.com"
    form = {"username": username, "password": PASSWORD}

    response = api.post("/auth/token", data=form, headers=at(Accounts.client_address()))

    body = assert_problem(response, 422)
    assert ["body", "username"] in [error["loc"] for error in body["errors"]]


@KEY_BOUNDS
def test_the_longest_email_address_is_a_plain_401(accounts: Accounts):
    response = accounts.log_in("a" * 242 + "@example.com", PASSWORD)

    assert_problem(response, 401)


@KEY_BOUNDS
@pytest.mark.parametrize("field", ["username", "password", "scope", "client_id"])
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\n"], ids=["nul", "escape", "newline"])
def test_a_control_character_in_a_login_field_is_a_422_problem(
    api: httpx.Client, field: str, character: str
):
    """A NUL in ``username`` reached PostgreSQL, which cannot store one in text: a 500."""
    form = {"username": unknown_email(), "password": PASSWORD}
    form[field] = f"a{character}b@example.com" if field == "username" else f"a{character}b"

    response = api.post("/auth/token", data=form, headers=at(Accounts.client_address()))

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", field]


@KEY_BOUNDS
def test_failures_on_other_accounts_do_not_lock_out_users_behind_the_same_address(
    accounts: Accounts,
):
    """A NAT, an office, 127.0.0.1 in development: many people, one address."""
    office = accounts.client_address()
    user = accounts.sign_up()
    failures = [
        accounts.log_in(email, "a wrong guess", client=office).status_code
        for email in [unknown_email() for _ in range(3)]
        for _ in range(FAILURES_PER_ACCOUNT_AND_CLIENT)
    ]

    colleague = accounts.log_in(user["email"], user["password"], client=office)

    assert failures == [401] * 3 * FAILURES_PER_ACCOUNT_AND_CLIENT
    assert colleague.status_code == 200, colleague.text


@KEY_BOUNDS
def test_an_attackers_failures_lock_their_own_pair_not_the_owner(accounts: Accounts):
    attacker, owner = accounts.client_address(), accounts.client_address()
    victim = accounts.sign_up()
    for n in range(FAILURES_PER_ACCOUNT_AND_CLIENT):
        assert accounts.log_in(victim["email"], f"guess {n}", client=attacker).status_code == 401

    assert_too_many(accounts.log_in(victim["email"], victim["password"], client=attacker))
    assert accounts.log_in(victim["email"], victim["password"], client=owner).status_code == 200


@KEY_BOUNDS
def test_guesses_spread_over_many_addresses_meet_the_per_account_limit(accounts: Accounts):
    victim = accounts.sign_up()
    statuses = []
    for _ in range(FAILURES_PER_ACCOUNT // FAILURES_PER_ACCOUNT_AND_CLIENT):
        address = accounts.client_address()
        statuses += [
            accounts.log_in(victim["email"], f"guess {n}", client=address).status_code
            for n in range(FAILURES_PER_ACCOUNT_AND_CLIENT)
        ]

    locked = accounts.log_in(victim["email"], victim["password"])  # a fresh address

    assert statuses == [401] * FAILURES_PER_ACCOUNT
    assert_too_many(locked)


# --- amplification ---------------------------------------------------------------------------


def sign_up_body(email: str) -> dict:
    return {"email": email, "full_name": "Flood", "password": PASSWORD}


@AMPLIFICATION
def test_sign_ups_from_one_client_are_limited_taken_emails_included(
    api: httpx.Client, accounts: Accounts
):
    client = accounts.client_address()
    taken = accounts.sign_up()["email"]
    statuses = [
        api.post("/users", json=sign_up_body(email), headers=at(client)).status_code
        for email in [taken if n % 2 else unknown_email() for n in range(EMAIL_CLAIMS)]
    ]

    refused = api.post("/users", json=sign_up_body(unknown_email()), headers=at(client))
    elsewhere = api.post(
        "/users", json=sign_up_body(unknown_email()), headers=at(accounts.client_address())
    )

    assert statuses == [201, 409] * (EMAIL_CLAIMS // 2)
    assert_too_many(refused)
    assert elsewhere.status_code == 201, elsewhere.text


@AMPLIFICATION
def test_a_parallel_sign_up_flood_costs_at_most_the_limit_in_hashes(
    api: httpx.Client, accounts: Accounts
):
    """60 parallel sign-ups with a taken email were each hashed: a login then took 13 s."""
    client = accounts.client_address()
    taken = accounts.sign_up()["email"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(
            pool.map(
                lambda _: api.post("/users", json=sign_up_body(taken), headers=at(client)),
                range(6 * EMAIL_CLAIMS),
            )
        )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [409] * EMAIL_CLAIMS + [429] * 5 * EMAIL_CLAIMS


@AMPLIFICATION
def test_wrong_current_passwords_are_counted_like_failed_logins(
    api: httpx.Client, accounts: Accounts
):
    """A stolen access token must not let its holder guess the password without limit."""
    user, headers = accounts.user_with_token()
    thief = at(accounts.client_address(), headers)
    body = {"password": "a new password", "current_password": "a wrong guess"}
    statuses = [
        api.patch("/users/me", json=body, headers=thief).status_code
        for _ in range(FAILURES_PER_ACCOUNT_AND_CLIENT)
    ]

    refused = api.patch(
        "/users/me", json={**body, "current_password": user["password"]}, headers=thief
    )

    assert statuses == [403] * FAILURES_PER_ACCOUNT_AND_CLIENT
    assert_too_many(refused)


@AMPLIFICATION
def test_email_change_probes_are_limited(api: httpx.Client, accounts: Accounts):
    """``PATCH /users/me {"email": X}`` answers 409 for a taken address: an enumeration oracle."""
    _, headers = accounts.user_with_token()
    taken = accounts.sign_up()["email"]
    prober = at(accounts.client_address(), headers)
    statuses = [
        api.patch("/users/me", json={"email": email}, headers=prober).status_code
        for email in [taken if n % 2 else unknown_email() for n in range(EMAIL_CLAIMS)]
    ]

    refused = api.patch("/users/me", json={"email": unknown_email()}, headers=prober)
    moved = api.patch(
        "/users/me", json={"email": unknown_email()}, headers=at(accounts.client_address(), headers)
    )

    assert statuses == [200, 409] * (EMAIL_CLAIMS // 2)
    assert_too_many(refused)
    assert_too_many(moved)  # the account's own count follows it to any address
    assert api.get("/users/me", headers=headers).status_code == 200  # the token still works
