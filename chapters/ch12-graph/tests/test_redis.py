"""The app with ``NEODYME_REDIS_URL``: the cache and the login limits live in Redis, and an
outage of Redis costs speed, never a request."""

import logging

import pytest
from conftest import make_settings
from factories import PASSWORD
from processes import free_port
from redis import Redis

from neodyme.core.redis import REDIS_ERRORS


@pytest.fixture
def settings(database_url, redis_settings):
    return make_settings(database_url, **redis_settings)


async def test_the_signed_in_user_is_cached_in_redis_and_invalidated_by_a_change(
    client, ada, redis_settings
):
    key = f"{redis_settings['redis_key_prefix']}user:{ada.user['id']}"
    redis = Redis.from_url(redis_settings["redis_url"])
    await client.get("/users/me", headers=ada.headers)
    assert b'"email":"ada@example.com"' in redis.get(key)

    await client.patch("/users/me", json={"full_name": "Countess"}, headers=ada.headers)

    assert redis.get(key) == b"-"  # a tombstone: a load racing the change cannot store
    me = await client.get("/users/me", headers=ada.headers)
    assert me.json()["full_name"] == "Countess"
    redis.close()


async def test_readiness_lists_redis_with_its_latency(client):
    ready = await client.get("http://test/health/ready")

    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["components"]["redis"]["status"] == "ok"
    assert ready.json()["components"]["redis"]["latency_ms"] >= 0


async def test_guesses_spread_over_addresses_and_instances_lock_the_account(
    start_app, sign_up, settings
):
    """The per-account limit, shared through Redis: each address stays under its own limit."""
    await sign_up("eve@example.com")
    wrong = {"username": "eve@example.com", "password": "wrong password"}
    statuses = []
    async with start_app() as first, start_app() as second:
        for attempt in range(settings.login_failures_per_account):
            client = first if attempt % 2 else second
            address = f"203.0.113.{attempt // settings.login_failures_allowed + 1}"
            response = await client.post(
                "/auth/token", data=wrong, headers={"X-Forwarded-For": address}
            )
            statuses.append(response.status_code)
        right = {**wrong, "password": PASSWORD}
        refused = await first.post(
            "/auth/token", data=right, headers={"X-Forwarded-For": "198.51.100.7"}
        )

    assert statuses == [401] * settings.login_failures_per_account
    assert refused.status_code == 429


async def test_limit_keys_in_redis_are_digests_whatever_the_username(client, redis_settings):
    """No email in Redis, and no key longer than a digest, however long the username."""
    prefix = redis_settings["redis_key_prefix"]
    redis = Redis.from_url(redis_settings["redis_url"])
    longest = "a" * 242 + "@example.com"  # 254 characters: the longest email address
    too_long = "a" + longest

    allowed = await client.post("/auth/token", data={"username": longest, "password": "x"})
    refused = await client.post("/auth/token", data={"username": too_long, "password": "x"})

    keys = [key.decode() for key in redis.scan_iter(match=f"{prefix}limit:*")]
    assert (allowed.status_code, refused.status_code) == (401, 422)
    assert len(keys) == 2  # (email, client) and client: an unknown email has no account key
    assert all(len(key) <= len(prefix) + 64 and "example" not in key for key in keys)
    redis.close()


class TestWithRedisDown:
    """Redis at an address where nothing listens: every call to it fails."""

    @pytest.fixture
    def settings(self, database_url):
        return make_settings(database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")

    async def test_reads_are_served_from_the_database_and_the_outage_is_logged(
        self, client, ada, caplog
    ):
        with caplog.at_level(logging.DEBUG, logger="neodyme.core"):
            responses = [await client.get("/users/me", headers=ada.headers) for _ in "ab"]

        assert [response.status_code for response in responses] == [200, 200]
        assert responses[0].json()["email"] == "ada@example.com"
        warnings = [r for r in caplog.get_records("setup") if r.name == "neodyme.core.redis"]
        assert "Redis is unavailable" in warnings[0].getMessage()  # logged once, at the start
        assert caplog.text.count("Redis is unavailable: skipped reading the cache") == 2

    async def test_the_app_stays_ready_but_says_it_is_degraded(self, client):
        ready = await client.get("http://test/health/ready")

        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["components"]["database"]["status"] == "ok"
        assert ready.json()["components"]["redis"]["status"] == "unavailable"

    async def test_writes_still_work(self, client, ada):
        response = await client.patch(
            "/users/me", json={"full_name": "Countess"}, headers=ada.headers
        )

        assert response.status_code == 200
        me = await client.get("/users/me", headers=ada.headers)
        assert me.json()["full_name"] == "Countess"

    async def test_failed_logins_are_still_limited_in_process(self, client, sign_up, settings):
        await sign_up("eve@example.com")
        form = {"username": "eve@example.com", "password": "wrong password"}

        statuses = [
            (await client.post("/auth/token", data=form)).status_code
            for _ in range(settings.login_failures_allowed + 1)
        ]

        assert statuses == [401] * settings.login_failures_allowed + [429]


def test_a_refused_connection_is_one_of_the_errors_handled():
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)

    with pytest.raises(REDIS_ERRORS):
        redis.ping()
