"""Password hashing runs off the event loop; token helpers round-trip."""

import threading

import pytest

from neodyme.core import security
from neodyme.core.config import Settings
from neodyme.core.exceptions import InvalidTokenError

SETTINGS = Settings(_env_file=None, environment="testing", bcrypt_rounds=4)


async def test_hashing_and_checking_run_in_a_worker_thread(monkeypatch):
    threads = []
    real_hash, real_check = security._hash, security._check

    def spy_hash(password, rounds):
        threads.append(threading.current_thread())
        return real_hash(password, rounds)

    def spy_check(password, hashed):
        threads.append(threading.current_thread())
        return real_check(password, hashed)

    monkeypatch.setattr(security, "_hash", spy_hash)
    monkeypatch.setattr(security, "_check", spy_check)

    hashed = await security.hash_password("a password", 4)
    assert await security.verify_password("a password", hashed, 4)

    assert len(threads) == 2
    assert threading.main_thread() not in threads


async def test_verify_rejects_a_wrong_password_and_an_unusable_hash():
    hashed = await security.hash_password("a password", 4)

    assert not await security.verify_password("another password", hashed, 4)
    assert not await security.verify_password("a password", "!", 4)
    assert not await security.verify_password("a password", None, 4)


def test_a_token_round_trips_with_its_claims():
    token, jti, expires_at = security.create_token(7, "access", SETTINGS)

    claims = security.decode_token(token, "access", SETTINGS)

    assert (claims["sub"], claims["type"], claims["jti"]) == ("7", "access", jti)
    assert claims["exp"] == int(expires_at.timestamp())


def test_a_token_of_the_other_type_is_refused():
    token, _, _ = security.create_token(7, "refresh", SETTINGS)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, "access", SETTINGS)
