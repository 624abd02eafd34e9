"""Several processes sharing one database and one Redis: two servers, nginx in front of them,
``serve --workers``, and the compose file that runs it all.

What one process does to answer each request with less work is ``test_hot_paths.py``'s subject."""

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import crossplane
import httpx
import pytest
import yaml
from factories import PASSWORD, user_payload
from processes import (
    API_PREFIX,
    client_at,
    connect,
    environment,
    fail_logins_until_refused,
    finish_request,
    free_port,
    read_until_closed,
    stalled_request,
    wait_until_ready,
)

from neodyme.core.config import Settings

CHAPTER = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((CHAPTER / "docker-compose.yml").read_text())
NGINX_ADDRESS = COMPOSE["services"]["nginx"]["networks"]["default"]["ipv4_address"]
TRUSTED_IN_COMPOSE = COMPOSE["services"]["app1"]["environment"]["NEODYME_FORWARDED_ALLOW_IPS"]
TRUSTED_ON_LOOPBACK = TRUSTED_IN_COMPOSE.replace(NGINX_ADDRESS, "127.0.0.1")
"""The replicas' trusted proxies as compose sets them, with nginx's address there replaced by
its address here: these tests rebuild the compose topology on this machine's loopback."""


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


@pytest.fixture(scope="module")
def replicas(module_services, tmp_path_factory):
    """Servers A and B, started once for this module's tests, as compose starts its replicas:
    one database, one Redis, trusting forwarded headers from nginx only. They log to
    ``a.log`` and ``b.log`` in the folder yielded with their URLs."""
    logs = tmp_path_factory.mktemp("replicas")
    started = [
        start_server(logs, name, forwarded_allow_ips=TRUSTED_ON_LOOPBACK, **module_services)
        for name in ("a", "b")
    ]
    try:
        for process, url in started:
            wait_until_ready(url, process)
        yield [url for _, url in started], logs
    finally:
        for process, _ in started:
            stop(process)


@pytest.fixture
def two_servers(replicas, backend, request) -> list[str]:
    """The URLs of servers A and B. Each test signs up users of its own."""
    request.node.user_properties.append(("database", backend))
    urls, _ = replicas
    return urls


def bearer(api: str, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    response = httpx.post(f"{api}/auth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_a_write_through_one_process_is_read_through_the_other(two_servers):
    a, b = (f"{server}{API_PREFIX}" for server in two_servers)
    user = user_payload()
    assert httpx.post(f"{a}/users", json=user, timeout=30).status_code == 201
    headers = bearer(a, user["email"])
    assert httpx.get(f"{b}/users/me", headers=headers).json()["full_name"] == user["full_name"]

    changed = httpx.patch(f"{a}/users/me", json={"full_name": "New Name"}, headers=headers)

    assert changed.status_code == 200
    assert httpx.get(f"{b}/users/me", headers=headers).json()["full_name"] == "New Name"
    assert httpx.get(f"{b}/todos", headers=headers).json() == []  # B caches the page
    todo = httpx.post(f"{a}/todos", json={"title": "from A"}, headers=headers).json()
    assert httpx.get(f"{b}/todos", headers=headers).json() == [todo]


def test_a_user_deleted_through_one_process_is_refused_by_the_other(two_servers):
    a, b = (f"{server}{API_PREFIX}" for server in two_servers)
    user = user_payload()
    created = httpx.post(f"{a}/users", json=user, timeout=30).json()
    headers = bearer(a, user["email"])
    assert httpx.get(f"{b}/users/me", headers=headers).status_code == 200  # cached now

    deleted = httpx.delete(f"{a}/users/{created['id']}", headers=headers)

    assert deleted.status_code == 204
    assert httpx.get(f"{b}/users/me", headers=headers).status_code == 401


def test_failed_logins_are_counted_across_both_processes(two_servers):
    apis = [f"{server}{API_PREFIX}" for server in two_servers]
    user = user_payload()
    assert httpx.post(f"{apis[0]}/users", json=user, timeout=30).status_code == 201
    form = {"username": user["email"], "password": "not the password"}

    statuses = [
        httpx.post(f"{apis[n % 2]}/auth/token", data=form, timeout=30).status_code for n in range(6)
    ]

    assert statuses == [401] * 5 + [429]  # the default: 5 failures allowed


NGINX_CONF = (CHAPTER / "nginx.conf").read_text()


def nginx_directives(name: str) -> list[list[str]]:
    """The arguments of every ``name`` directive in the chapter's nginx.conf, in order."""
    [config] = crossplane.parse(str(CHAPTER / "nginx.conf"))["config"]
    assert config["errors"] == []

    def walk(directives: list[dict]) -> Iterator[dict]:
        for directive in directives:
            yield directive
            yield from walk(directive.get("block", []))

    return [d["args"] for d in walk(config["parsed"]) if d["directive"] == name]


def test_nginx_conf_proxies_to_both_replicas_with_the_proxy_headers():
    assert [args for args in nginx_directives("server") if args] == [
        ["app1:8000", "max_fails=3", "fail_timeout=10s"],
        ["app2:8000", "max_fails=3", "fail_timeout=10s"],
    ]
    headers = dict(args for args in nginx_directives("proxy_set_header"))
    # Overwritten with the address nginx saw: whatever the client wrote is dropped.
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Request-ID"] == "$request_id_out"
    assert nginx_directives("proxy_read_timeout") == [["30s"]]


def test_nginx_conf_times_out_stalled_clients_before_the_apps_close_idle_connections():
    assert nginx_directives("client_header_timeout") == [["10s"]]
    assert nginx_directives("client_body_timeout") == [["10s"]]
    # nginx closes an idle connection to an app before the app would.
    [[idle]] = nginx_directives("keepalive_timeout")
    assert "NEODYME_KEEP_ALIVE_SECONDS" not in COMPOSE["services"]["app1"]["environment"]
    assert Settings.model_fields["keep_alive_seconds"].default > int(idle.removesuffix("s"))


def start_nginx(upstreams: list[str], tmp_path: Path, conf: str = NGINX_CONF):
    """nginx with ``conf`` (the chapter's nginx.conf) adapted to this machine: the replicas at
    ``upstreams``, nginx itself on 127.0.0.1 and a free port. Returns the process and its URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is not installed (Debian package nginx-light)")
        pytest.skip("nginx is not installed (Debian package nginx-light)")
    port = free_port()
    a, b = (url.removeprefix("http://") for url in upstreams)
    config = tmp_path / f"nginx-{port}.conf"
    config.write_text(
        conf.replace("app1:8000", a)
        .replace("app2:8000", b)
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("access_log /dev/stdout;", "access_log off;")
    )
    argv = [binary, "-p", str(tmp_path), "-c", str(config)]
    pid = f"pid {tmp_path}/nginx-{port}.pid;"
    check = subprocess.run([*argv, "-t", "-g", pid], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*argv, "-g", f"daemon off; {pid}"], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
    except AssertionError:
        stop(process)
        raise
    return process, url


@pytest.fixture
def nginx(two_servers, tmp_path):
    """The chapter's nginx.conf in front of servers A and B."""
    process, url = start_nginx(two_servers, tmp_path)
    try:
        yield url
    finally:
        stop(process)


def test_nginx_spreads_requests_over_both_processes(nginx, replicas):
    api = f"{nginx}{API_PREFIX}"
    user = user_payload()
    assert httpx.post(f"{api}/users", json=user, timeout=30).status_code == 201
    headers = bearer(api, user["email"])
    ids = [f"spread-{uuid.uuid4().hex}" for _ in "abcd"]  # nginx passes a client's id on

    statuses = [
        httpx.get(f"{api}/users/me", headers={**headers, "X-Request-ID": request_id}).status_code
        for request_id in ids
    ]

    assert statuses == [200] * 4
    _, logs = replicas
    for log in ("a.log", "b.log"):
        records = [json.loads(line) for line in (logs / log).read_text().splitlines()]
        assert any(record.get("request_id") in ids for record in records)


def test_nginx_keeps_the_metrics_off_the_public_side(nginx):
    assert httpx.get(f"{nginx}/metrics").status_code == 404
    assert httpx.get(f"{nginx}/health").status_code == 200


def test_through_nginx_a_forged_address_cannot_lock_out_the_client_it_names(nginx):
    api = f"{nginx}{API_PREFIX}"
    victim = user_payload()
    assert httpx.post(f"{api}/users", json=victim, timeout=30).status_code == 201
    attacker, victims_computer = client_at("127.0.0.2"), client_at("127.0.0.3")

    with attacker:
        statuses = fail_logins_until_refused(attacker, nginx, lambda n: "127.0.0.3")
    with victims_computer:
        form = {"username": victim["email"], "password": PASSWORD}
        login = victims_computer.post(f"{api}/auth/token", data=form)

    assert statuses[-1] == 429  # the failures were counted, against the attacker's address
    assert login.status_code == 200, login.text  # the address the attacker named is not locked


def test_through_nginx_failures_count_against_the_client_whatever_address_it_claims(nginx):
    with client_at("127.0.0.4") as attacker:
        statuses = fail_logins_until_refused(attacker, nginx, lambda n: f"198.51.100.{n % 250}")

    assert set(statuses[:-1]) == {401}
    assert statuses[-1] == 429


def stalled_body(base_url: str) -> socket.socket:
    """A connection whose request body stops after 5 of the 50 bytes it announced."""
    connection = connect(base_url)
    connection.sendall(
        f"POST {API_PREFIX}/users HTTP/1.1\r\nHost: neodyme\r\nConnection: close\r\n"
        'Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"ema'.encode()
    )
    return connection


def test_nginx_closes_stalled_requests_that_a_bare_app_keeps_open(two_servers, tmp_path):
    # The chapter's nginx.conf with 1 s instead of 10 s for each timeout, to keep the test short.
    conf = NGINX_CONF.replace("_timeout 10s;", "_timeout 1s;")
    assert conf.count("_timeout 1s;") == 2
    process, url = start_nginx(two_servers, tmp_path, conf)
    try:
        with (
            stalled_request(two_servers[0]) as headers_direct,
            stalled_body(two_servers[1]) as body_direct,
            stalled_request(url) as headers_through_nginx,
            stalled_body(url) as body_through_nginx,
        ):
            cut = [read_until_closed(headers_through_nginx), read_until_closed(body_through_nginx)]
            header_answer = finish_request(headers_direct)
            body_direct.sendall(b"x" * 45)  # the rest of the 50 bytes: not JSON, so a 422
            body_answer = read_until_closed(body_direct)
    finally:
        stop(process)

    assert cut == [b"", b""]  # nginx closed both, without an answer
    # The apps, reached directly, have no such timeouts: those requests were still waiting.
    assert header_answer.startswith(b"HTTP/1.1 200 OK")
    assert body_answer.startswith(b"HTTP/1.1 422")


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
    services = COMPOSE["services"]
    apps = [services["app1"], services["app2"]]

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


def test_compose_trusts_forwarded_headers_from_nginx_only():
    [network] = COMPOSE["networks"]["default"]["ipam"]["config"]
    nginx_address = ipaddress.ip_address(NGINX_ADDRESS)

    # A fixed address in the subnet, outside the range Docker hands out to other containers.
    assert nginx_address in ipaddress.ip_network(network["subnet"])
    assert nginx_address not in ipaddress.ip_network(network["ip_range"])
    for app in ("app1", "app2"):
        assert (
            COMPOSE["services"][app]["environment"]["NEODYME_FORWARDED_ALLOW_IPS"] == NGINX_ADDRESS
        )
