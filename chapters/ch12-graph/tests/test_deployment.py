"""Deployment: the image definition, the compose file, and the exact command the image runs.

No Docker engine runs where these tests run, so the container is tested in parts: hadolint
lints the Dockerfile, the compose file is checked for what matters, and the image's CMD is
started as a process against a real database and stopped with SIGTERM mid-request.
"""

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import make_settings
from factories import PASSWORD, user_payload
from processes import (
    API_PREFIX,
    connect,
    environment,
    fail_logins_until_refused,
    finish_request,
    free_port,
    read_until_closed,
    serving,
    stalled_request,
    wait_until_ready,
)

from neodyme import __main__ as cli

CHAPTER = Path(__file__).resolve().parents[1]
DOCKERFILE = (CHAPTER / "Dockerfile").read_text()


def dockerfile_instructions(name: str) -> list[str]:
    """The arguments of every ``name`` instruction, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_hadolint_finds_nothing():
    hadolint = Path(sys.executable).with_name("hadolint")

    result = subprocess.run([hadolint, CHAPTER / "Dockerfile"], capture_output=True, text=True)

    assert (result.returncode, result.stdout) == (0, "")


def test_the_image_is_multi_stage_non_root_and_health_checked():
    assert len(dockerfile_instructions("FROM")) >= 2
    assert dockerfile_instructions("USER") == ["10001"]  # the neodyme user, by number
    [healthcheck] = dockerfile_instructions("HEALTHCHECK")
    assert "/health" in healthcheck


def test_the_command_is_exec_form_and_runs_the_production_server():
    [cmd] = dockerfile_instructions("CMD")

    assert json.loads(cmd) == ["python", "-m", "neodyme", "serve"]


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = (CHAPTER / ".dockerignore").read_text().split()

    assert {".env", "*.db", ".venv/", "tests/"} <= set(ignored)


def test_compose_migrates_after_a_healthy_postgres_then_runs_the_app():
    compose = yaml.safe_load((CHAPTER / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app1"]

    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert compose["services"]["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app["environment"]["NEODYME_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@db:5432/" in app["environment"]["NEODYME_DATABASE_URL"]
    assert app["build"] == "."
    grace = int(re.fullmatch(r"(\d+)s", app["stop_grace_period"])[1])
    assert grace > 30  # longer than the app's own graceful-shutdown timeout


@pytest.fixture
def server(empty_database_url, tmp_path):
    """The image's exact CMD, run from a folder laid out like the image's /app."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(CHAPTER / "alembic.ini", app_dir)
    shutil.copytree(CHAPTER / "alembic", app_dir / "alembic")
    port = free_port()
    settings = environment(
        environment="production",
        secret_key="a-production-strength-secret-key-for-this-test-only",
        database_url=empty_database_url,
        port=str(port),
        # A deliberately slow hash, so that a login is still running when SIGTERM arrives.
        bcrypt_rounds="14",
        graceful_shutdown_seconds="20",
    )
    [cmd] = dockerfile_instructions("CMD")
    argv = [sys.executable if part == "python" else part for part in json.loads(cmd)]
    process = subprocess.Popen(argv, cwd=app_dir, env=settings, stderr=subprocess.PIPE, text=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_command_migrates_serves_and_drains_in_flight_requests_on_sigterm(server):
    process, base_url = server
    user = user_payload()
    assert httpx.post(f"{base_url}{API_PREFIX}/users", json=user, timeout=30).status_code == 201
    results = {}

    def slow_login():
        form = {"username": user["email"], "password": PASSWORD}
        results["login"] = httpx.post(f"{base_url}{API_PREFIX}/auth/token", data=form, timeout=30)

    in_flight = threading.Thread(target=slow_login)
    in_flight.start()
    time.sleep(0.3)  # the login is now hashing
    process.send_signal(signal.SIGTERM)
    in_flight.join(timeout=30)

    assert results["login"].status_code == 200
    assert process.wait(timeout=30) == 0
    # Every line is one JSON record: the migrations', uvicorn's and the app's own alike.
    records = [json.loads(line) for line in process.stderr.read().splitlines()]
    events = [record["event"] for record in records]
    assert "Waiting for application shutdown." in events
    assert "Application shutdown complete." in events
    route = f"{API_PREFIX}/auth/token"
    [login] = [r for r in records if r["event"] == "request" and r["route"] == route]
    assert login["status"] == 200
    assert {"alembic.runtime.migration", "uvicorn.error", "neodyme.requests"} <= {
        record["logger"] for record in records
    }
    assert not any("color_message" in record for record in records)  # no terminal colours


def test_prestart_gives_up_on_an_unreachable_database_with_one_line(tmp_path):
    settings = environment(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/neodyme",
        database_wait_seconds="2",
    )

    result = subprocess.run(
        [sys.executable, "-m", "neodyme", "prestart"],
        cwd=tmp_path,
        env=settings,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Database not reachable yet" in result.stderr  # it retried, with back-off
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: The database did not answer within 2s")
    )
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """``serve`` alone, as a bare uvicorn: idle connections close after 1 s, and forwarded
    headers are trusted only from a proxy at 10.0.0.5, which is not where the tests connect from."""
    folder = tmp_path_factory.mktemp("bare")
    port = free_port()
    settings = environment(
        environment="testing",
        bcrypt_rounds="4",
        database_url=f"sqlite+aiosqlite:///{folder / 'neodyme.db'}",
        port=str(port),
        keep_alive_seconds="1",
        forwarded_allow_ips="10.0.0.5",
    )
    argv = [sys.executable, "-m", "neodyme", "serve"]
    with (
        (folder / "server.log").open("w") as log,
        serving(argv, folder, settings, port, log) as url,
    ):
        yield url


def test_forwarded_headers_from_an_untrusted_address_are_ignored(bare_server):
    with httpx.Client(timeout=30) as client:
        statuses = fail_logins_until_refused(client, bare_server, lambda n: f"198.51.100.{n % 250}")

    # Every failure counted against 127.0.0.1, whatever address each one claimed.
    assert set(statuses[:-1]) == {401}
    assert statuses[-1] == 429


def test_a_bare_server_closes_idle_connections_but_not_a_stalled_request(bare_server):
    with stalled_request(bare_server) as stalled, connect(bare_server) as idle:
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: neodyme\r\n\r\n")
        answered_then_closed = read_until_closed(idle)  # closed after 1 s of keep-alive
        answer = finish_request(stalled)  # older than that, and still waiting

    assert answered_then_closed.startswith(b"HTTP/1.1 200 OK")
    assert answer.startswith(b"HTTP/1.1 200 OK")


def test_serve_passes_the_proxy_and_keep_alive_settings_to_uvicorn(monkeypatch):
    options = {}
    monkeypatch.setattr(cli, "prestart", lambda settings: None)
    monkeypatch.setattr(cli.signal, "signal", lambda signum, handler: None)
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **kwargs: options.update(kwargs))
    settings = make_settings("sqlite+aiosqlite://").model_copy(
        update={"keep_alive_seconds": 42, "forwarded_allow_ips": "10.0.0.0/24"}
    )

    cli.serve(settings)

    assert options["timeout_keep_alive"] == 42
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (True, "10.0.0.0/24")
