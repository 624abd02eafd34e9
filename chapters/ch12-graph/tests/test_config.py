"""Settings: read from NEODYME_* variables and .env, and refused when unsafe for production."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from processes import environment

from neodyme.core.config import ConfigurationError, Settings, load_settings
from neodyme.main import create_app

STRONG_KEY = "k" * 48


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No NEODYME_* variable or .env file from the developer's machine leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("NEODYME_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_suit_a_developer_laptop():
    settings = load_settings()

    assert settings.environment == "development"
    assert settings.database_url == "sqlite+aiosqlite:///./neodyme.db"
    assert settings.api_prefix == "/api/v1"
    assert settings.bcrypt_rounds == 12
    assert settings.serve_docs is True
    assert settings.cors_origins == []


def test_environment_variables_use_the_neodyme_prefix(monkeypatch):
    monkeypatch.setenv("NEODYME_ACCESS_TOKEN_EXPIRE_MINUTES", "5")
    monkeypatch.setenv("NEODYME_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("NEODYME_LOG_LEVEL", "debug")

    settings = load_settings()

    assert settings.access_token_expire_minutes == 5
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"


def test_a_dot_env_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NEODYME_LOG_LEVEL=WARNING\nNEODYME_API_PREFIX=/v2\n")
    monkeypatch.setenv("NEODYME_API_PREFIX", "/api/v3")

    settings = load_settings()

    assert (settings.log_level, settings.api_prefix) == ("WARNING", "/api/v3")


def test_empty_values_mean_the_default(tmp_path):
    (tmp_path / ".env").write_text("NEODYME_SECRET_KEY=\nNEODYME_DOCS_ENABLED=\n")

    settings = load_settings()

    assert (settings.secret_key, settings.docs_enabled) == (None, None)


def test_the_example_file_documents_every_setting():
    example = (Path(__file__).parents[1] / ".env.example").read_text()

    missing = [name for name in Settings.model_fields if f"NEODYME_{name.upper()}=" not in example]
    assert missing == []


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({}, "NEODYME_SECRET_KEY"),
        ({"secret_key": "too-short"}, "NEODYME_SECRET_KEY"),
        ({"secret_key": "é" * 15}, "NEODYME_SECRET_KEY"),  # 30 bytes in 15 characters
        ({"secret_key": STRONG_KEY, "bcrypt_rounds": 10}, "NEODYME_BCRYPT_ROUNDS"),
        ({"secret_key": STRONG_KEY, "debug": True}, "NEODYME_DEBUG"),
    ],
)
def test_production_refuses_unsafe_settings_naming_the_variable(overrides, variable):
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(environment="production", **overrides)


def test_the_secret_key_length_is_counted_in_bytes():
    """16 characters of "é" are 32 bytes: enough, although 16 characters alone would not be."""
    settings = load_settings(environment="production", secret_key="é" * 16)

    assert len(settings.signing_key) == 16


def test_production_accepts_a_strong_configuration():
    settings = load_settings(environment="production", secret_key=STRONG_KEY)

    assert settings.signing_key == STRONG_KEY
    assert settings.serve_docs is False


def test_only_testing_may_lower_the_bcrypt_cost():
    assert load_settings(environment="testing", bcrypt_rounds=4).bcrypt_rounds == 4
    with pytest.raises(ConfigurationError, match="NEODYME_BCRYPT_ROUNDS"):
        load_settings(environment="development", bcrypt_rounds=4)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEODYME_ENVIRONMENT", "staging"),
        ("NEODYME_ACCESS_TOKEN_EXPIRE_MINUTES", "soon"),
        ("NEODYME_API_PREFIX", "api/v1"),
    ],
)
def test_a_bad_value_is_named_in_the_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_the_server_stops_with_one_clear_line_on_bad_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", "0"],
        env=environment(environment="production"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("neodyme: invalid configuration: NEODYME_SECRET_KEY")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def serve(settings: Settings, method: str, path: str, **kwargs) -> httpx.Response:
    """One request to an app built from ``settings`` (no database needed for these routes)."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


async def test_the_body_limit_is_a_setting():
    settings = load_settings(max_body_bytes=64)

    response = await serve(settings, "POST", f"{settings.api_prefix}/users", content=b"x" * 65)

    assert response.status_code == 413


async def test_docs_are_off_in_production_unless_enabled():
    production = {"environment": "production", "secret_key": STRONG_KEY}

    hidden = await serve(load_settings(**production), "GET", "/docs")
    shown = await serve(load_settings(**production, docs_enabled=True), "GET", "/docs")

    assert (hidden.status_code, shown.status_code) == (404, 200)


async def test_cors_allows_only_the_configured_origins():
    settings = load_settings(cors_origins=["https://app.example"])
    preflight = {"access-control-request-method": "POST"}
    users = f"{settings.api_prefix}/users"

    allowed = await serve(
        settings, "OPTIONS", users, headers={"origin": "https://app.example", **preflight}
    )
    refused = await serve(
        settings, "OPTIONS", users, headers={"origin": "https://evil.example", **preflight}
    )

    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers


async def test_no_cross_origin_calls_without_configured_origins():
    response = await serve(
        load_settings(), "GET", "/health", headers={"origin": "https://a.example"}
    )

    assert "access-control-allow-origin" not in response.headers


async def test_resources_live_under_the_api_prefix_and_health_at_the_root():
    """A 405 shows the route exists (for other methods) without touching a database."""
    settings = load_settings()

    assert (await serve(settings, "GET", "/health")).status_code == 200
    assert (await serve(settings, "PUT", "/users/me")).status_code == 404
    assert (await serve(settings, "PUT", f"{settings.api_prefix}/users/me")).status_code == 405


async def test_the_prefix_is_a_setting():
    response = await serve(load_settings(api_prefix="/v2"), "PUT", "/v2/users/me")

    assert response.status_code == 405
