"""Password hashing runs off the event loop; token helpers round-trip."""

import os
import subprocess
import sys
import threading

import pytest

from neodyme.core import security
from neodyme.core.exceptions import InvalidTokenError


async def test_hashing_and_checking_run_in_a_worker_thread(monkeypatch):
    threads = []
    real_hash, real_check = security._hash, security._check

    def spy_hash(password):
        threads.append(threading.current_thread())
        return real_hash(password)

    def spy_check(password, hashed):
        threads.append(threading.current_thread())
        return real_check(password, hashed)

    monkeypatch.setattr(security, "_hash", spy_hash)
    monkeypatch.setattr(security, "_check", spy_check)

    hashed = await security.hash_password("a password")
    assert await security.verify_password("a password", hashed)

    assert len(threads) == 2
    assert threading.main_thread() not in threads


async def test_verify_rejects_a_wrong_password_and_an_unusable_hash():
    hashed = await security.hash_password("a password")

    assert not await security.verify_password("another password", hashed)
    assert not await security.verify_password("a password", "!")
    assert not await security.verify_password("a password", None)


def test_a_token_round_trips_with_its_claims():
    token, jti, expires_at = security.create_token(7, "access")

    claims = security.decode_token(token, "access")

    assert (claims["sub"], claims["type"], claims["jti"]) == ("7", "access", jti)
    assert claims["exp"] == int(expires_at.timestamp())


def test_a_token_of_the_other_type_is_refused():
    token, _, _ = security.create_token(7, "refresh")

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, "access")


@pytest.mark.parametrize("key", ["", "short"])
def test_the_server_refuses_a_short_secret_key_with_one_line(tmp_path, key):
    environment = {**os.environ, "NEODYME_SECRET_KEY": key}

    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", "0"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("neodyme: NEODYME_SECRET_KEY must be at least 32 bytes")
    assert len(result.stderr.strip().splitlines()) == 1
