"""Password hashing runs off the event loop; token helpers round-trip."""

import threading

import pytest

from neodyme.core import security
from neodyme.core.config import Settings
from neodyme.core.exceptions import InvalidTokenError

SETTINGS = Settings(_env_file=None, environment="testing", bcrypt_rounds=4)
HASHER = security.PasswordHasher(rounds=4)


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

    hashed = await HASHER.hash("a password")
    assert await HASHER.verify("a password", hashed)

    assert hashed.startswith("$2b$04$")  # the hasher's own cost
    assert len(threads) == 2
    assert threading.main_thread() not in threads


async def test_verify_rejects_a_wrong_password_and_an_unusable_hash():
    hashed = await HASHER.hash("a password")

    assert not await HASHER.verify("another password", hashed)
    assert not await HASHER.verify("a password", "!")
    assert not await HASHER.verify("a password", None)
    assert not await HASHER.verify("é" * 40, hashed)  # 80 bytes: bcrypt 5 would raise


async def test_without_a_user_a_dummy_hash_of_the_same_cost_is_checked(monkeypatch):
    checked = []
    monkeypatch.setattr(security, "_check", lambda password, hashed: checked.append(hashed))

    assert not await security.PasswordHasher(5).verify("a password", None)

    [dummy] = checked
    assert dummy.startswith("$2b$05$")


async def test_the_dummy_hash_is_made_once_ahead_of_the_first_unknown_email(monkeypatch):
    security._dummy_hash.cache_clear()
    made = []
    real_hashpw = security.bcrypt.hashpw
    monkeypatch.setattr(
        security.bcrypt, "hashpw", lambda *args: made.append(1) or real_hashpw(*args)
    )
    hasher = security.PasswordHasher(5)

    await hasher.prepare_dummy_hash()
    assert len(made) == 1
    await hasher.verify("a password", None)
    await hasher.verify("another password", None)

    assert len(made) == 1


def test_a_token_round_trips_with_its_claims():
    token, jti, expires_at = security.create_token(7, "access", SETTINGS)

    claims = security.decode_token(token, "access", SETTINGS)

    assert (claims["sub"], claims["type"], claims["jti"]) == ("7", "access", jti)
    assert claims["exp"] == int(expires_at.timestamp())


def test_a_token_of_the_other_type_is_refused():
    token, _, _ = security.create_token(7, "refresh", SETTINGS)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, "access", SETTINGS)


def test_a_remembered_token_still_expires(monkeypatch):
    token, _, expires_at = security.create_token(7, "access", SETTINGS)
    security.decode_token(token, "access", SETTINGS)  # checked once, and remembered

    monkeypatch.setattr(security.time, "time", lambda: expires_at.timestamp() + 1)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, "access", SETTINGS)


def test_a_remembered_token_is_refused_under_another_secret_key():
    token, _, _ = security.create_token(7, "access", SETTINGS)
    security.decode_token(token, "access", SETTINGS)
    other = Settings(_env_file=None, environment="testing", secret_key="another secret key " * 4)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, "access", other)


def test_changing_the_returned_claims_does_not_change_the_remembered_ones():
    token, _, _ = security.create_token(7, "access", SETTINGS)
    security.decode_token(token, "access", SETTINGS)["sub"] = "8"

    assert security.decode_token(token, "access", SETTINGS)["sub"] == "7"
