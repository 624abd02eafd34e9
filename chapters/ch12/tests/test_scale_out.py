"""More than one process: two servers on one database and one Redis, nginx in front of them,
``serve --workers``, and the compose file that runs it all."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import crossplane
import httpx
import pytest
import yaml
from factories import PASSWORD, user_payload
from processes import environment, free_port, wait_until_ready

CHAPTER = Path(__file__).resolve().parents[1]


def start_server(
    tmp_path: Path, name: str, *options: str, **settings: str
) -> tuple[subprocess.Popen, str]:
    """``python -m neodyme serve [options]`` on a free port; it logs to ``tmp_path/<name>.log``."""
    port = free_port()
    env = environment(environment="testing", bcrypt_rounds="4", port=str(port), **settings)
    env["NEODYME_SECRET_KEY"] = "a-secret-key-shared-by-every-process-of-this-test"
    with (tmp_path / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "neodyme", "serve", *options],
            cwd=CHAPTER,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.fixture
def two_servers(database_url, redis_settings, tmp_path):
    """Servers A and B: one database, one Redis (under this test's key prefix)."""
    started = [
        start_server(tmp_path, name, database_url=database_url, **redis_settings)
        for name in ("a", "b")
    ]
    try:
        for process, url in started:
            wait_until_ready(url, process)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            stop(process)


def bearer(base_url: str, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    response = httpx.post(f"{base_url}/api/v1/auth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_a_write_through_one_process_is_read_through_the_other(two_servers):
    a, b = two_servers
    user = user_payload()
    assert httpx.post(f"{a}/api/v1/users", json=user, timeout=30).status_code == 201
    headers = bearer(a, user["email"])
    assert (
        httpx.get(f"{b}/api/v1/users/me", headers=headers).json()["full_name"] == user["full_name"]
    )

    changed = httpx.patch(f"{a}/api/v1/users/me", json={"full_name": "New Name"}, headers=headers)

    assert changed.status_code == 200
    assert httpx.get(f"{b}/api/v1/users/me", headers=headers).json()["full_name"] == "New Name"
    assert httpx.get(f"{b}/api/v1/todos", headers=headers).json() == []  # B caches the page
    todo = httpx.post(f"{a}/api/v1/todos", json={"title": "from A"}, headers=headers).json()
    assert httpx.get(f"{b}/api/v1/todos", headers=headers).json() == [todo]


def test_a_user_deleted_through_one_process_is_refused_by_the_other(two_servers):
    a, b = two_servers
    user = user_payload()
    created = httpx.post(f"{a}/api/v1/users", json=user, timeout=30).json()
    headers = bearer(a, user["email"])
    assert httpx.get(f"{b}/api/v1/users/me", headers=headers).status_code == 200  # cached now

    deleted = httpx.delete(f"{a}/api/v1/users/{created['id']}", headers=headers)

    assert deleted.status_code == 204
    assert httpx.get(f"{b}/api/v1/users/me", headers=headers).status_code == 401


def test_failed_logins_are_counted_across_both_processes(two_servers):
    user = user_payload()
    assert httpx.post(f"{two_servers[0]}/api/v1/users", json=user, timeout=30).status_code == 201
    form = {"username": user["email"], "password": "not the password"}

    statuses = [
        httpx.post(f"{two_servers[n % 2]}/api/v1/auth/token", data=form, timeout=30).status_code
        for n in range(6)
    ]

    assert statuses == [401] * 5 + [429]  # the default: 5 failures allowed


NGINX_CONF = (CHAPTER / "nginx.conf").read_text()


def test_nginx_conf_proxies_to_both_replicas_with_the_proxy_headers():
    [config] = crossplane.parse(str(CHAPTER / "nginx.conf"))["config"]
    assert config["errors"] == []
    text = str(config["parsed"])

    for expected in ("app1:8000", "app2:8000", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert expected in text
    assert "'X-Request-ID', '$request_id_out'" in text
    assert "proxy_read_timeout" in text


@pytest.fixture
def nginx(two_servers, tmp_path):
    """The chapter's nginx.conf, with the replicas at A and B and nginx on a free port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is not installed (Debian package nginx-light)")
        pytest.skip("nginx is not installed (Debian package nginx-light)")
    port = free_port()
    a, b = (url.removeprefix("http://") for url in two_servers)
    config = tmp_path / "nginx.conf"
    config.write_text(
        NGINX_CONF.replace("app1:8000", a)
        .replace("app2:8000", b)
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("access_log /dev/stdout;", "access_log off;")
    )
    argv = [binary, "-p", str(tmp_path), "-c", str(config)]
    pid = f"pid {tmp_path}/nginx.pid;"
    check = subprocess.run([*argv, "-t", "-g", pid], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*argv, "-g", f"daemon off; {pid}"], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        yield url
    finally:
        stop(process)


def test_nginx_spreads_requests_over_both_processes(nginx, tmp_path):
    user = user_payload()
    assert httpx.post(f"{nginx}/api/v1/users", json=user, timeout=30).status_code == 201
    headers = bearer(nginx, user["email"])

    statuses = [httpx.get(f"{nginx}/api/v1/users/me", headers=headers).status_code for _ in "abcd"]

    assert statuses == [200] * 4
    for log in ("a.log", "b.log"):
        records = [json.loads(line) for line in (tmp_path / log).read_text().splitlines()]
        assert any(record.get("path") == "/api/v1/users/me" for record in records)


def test_nginx_keeps_the_metrics_off_the_public_side(nginx):
    assert httpx.get(f"{nginx}/metrics").status_code == 404
    assert httpx.get(f"{nginx}/health").status_code == 200


def test_serve_workers_starts_that_many_processes_and_stops_cleanly(database_url, tmp_path):
    process, url = start_server(tmp_path, "workers", "--workers", "2", database_url=database_url)
    try:
        wait_until_ready(url, process)
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
    finally:
        assert stop(process) == 0
    log = (tmp_path / "workers.log").read_text()
    assert log.count("Started server process") == 2
    assert "Started parent process" in log


def test_compose_runs_two_replicas_behind_nginx_with_redis_and_postgres():
    compose = yaml.safe_load((CHAPTER / "docker-compose.yml").read_text())
    services = compose["services"]
    apps = [services["app1"], services["app2"]]

    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:")
    assert services["migrate"]["command"] == ["python", "-m", "neodyme", "prestart"]
    for app in apps:
        assert app["environment"]["NEODYME_REDIS_URL"] == "redis://redis:6379/0"
        assert "@db:5432/" in app["environment"]["NEODYME_DATABASE_URL"]
        assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert app["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert "ports" not in app  # reachable only through nginx
    proxy = services["nginx"]
    assert proxy["ports"] == ["8000:80"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert set(proxy["depends_on"]) == {"app1", "app2"}
