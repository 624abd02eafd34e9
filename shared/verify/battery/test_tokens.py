"""Refresh-token theft: a copied refresh token must not give its thief lasting access.

Rotation alone is not enough: a thief who refreshes first gets a chain of their own, and the
victim's next refresh merely fails. Reuse detection (OAuth 2.0 Security BCP, RFC 9700
section 4.14.2) turns that failure into a revocation of the whole family, the thief's newest
token included, while the same user's other logins carry on.
"""

from __future__ import annotations

import httpx
import pytest

from shared.verify.battery.conftest import Accounts

pytestmark = pytest.mark.defends("refresh-token theft")


def refresh(api: httpx.Client, tokens: dict) -> httpx.Response:
    return api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"


def test_a_thief_who_refreshes_first_loses_the_stolen_chain_when_the_victim_refreshes(
    api: httpx.Client, accounts: Accounts
):
    stolen = accounts.tokens(accounts.sign_up())

    thief = refresh(api, stolen)
    victim = refresh(api, stolen)

    assert thief.status_code == 200, thief.text
    assert_invalid_token(victim)
    assert_invalid_token(refresh(api, thief.json()))


def test_the_same_users_other_login_survives_the_revocation(api: httpx.Client, accounts: Accounts):
    user = accounts.sign_up()
    stolen, other_login = accounts.tokens(user), accounts.tokens(user)

    thief = refresh(api, stolen)
    assert_invalid_token(refresh(api, stolen))

    assert thief.status_code == 200, thief.text
    assert refresh(api, other_login).status_code == 200


def test_a_victim_who_logs_out_with_the_stolen_token_ends_the_thiefs_chain(
    api: httpx.Client, accounts: Accounts
):
    stolen = accounts.tokens(accounts.sign_up())
    thief = refresh(api, stolen)

    logout = api.post("/auth/logout", json={"refresh_token": stolen["refresh_token"]})

    assert thief.status_code == 200, thief.text
    assert logout.status_code == 204
    assert_invalid_token(refresh(api, thief.json()))
