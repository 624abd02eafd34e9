"""Forwarded headers: a client must not choose the address the login limiter counts it under.

From ch10 ``python -m neodyme serve`` believes ``X-Forwarded-For`` only from the addresses in
``NEODYME_FORWARDED_ALLOW_IPS``. ch12 ships nginx in front of its replicas: its ``nginx.conf``
and the compose file's trust setting are run here as shipped, rebuilt on this machine's loopback
(any 127.x.y.z is this machine, so each address stands for a different computer).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from shared.verify.battery.conftest import CHAPTER_DIR, PASSWORD, PLAN, Accounts, start_server
from shared.verify.battery.server import client_limits, free_port
from shared.verify.plan import ChapterPlan

pytestmark = pytest.mark.defends("forwarded headers through the proxy")

ATTEMPTS_BOUND = 200
"""More failed logins than any per-client limit allows: a client let in after this many is not
being counted at all."""
UNTRUSTED_PROXY = "10.255.255.254"
"""A proxy address that the battery's own connections (from 127.0.0.1) never come from."""
NGINX_CONF = CHAPTER_DIR / "nginx.conf"
COMPOSE_FILE = CHAPTER_DIR / "docker-compose.yml"


def loopback_address() -> str:
    """A made-up address of this machine other than 127.0.0.1, new for every call."""
    number = uuid.uuid4().int
    return f"127.{number % 250 + 1}.{number // 250 % 250}.{number // 62500 % 250 + 1}"


def client_at(address: str) -> httpx.Client:
    """A client whose connections come from ``address``."""
    transport = httpx.HTTPTransport(local_address=address, limits=client_limits())
    return httpx.Client(transport=transport, timeout=30)


def fail_until_refused(
    client: httpx.Client, login_url: str, claimed_address: Callable[[int], str]
) -> list[int]:
    """Failed logins for new unknown emails, the n-th claiming ``claimed_address(n)`` in
    ``X-Forwarded-For``, until one is refused or the bound is reached; their statuses.

    No email is tried twice, so only a per-client count can refuse: a 429 proves that the
    attempts were counted against one client, whatever they claimed.
    """
    statuses = []
    for n in range(ATTEMPTS_BOUND):
        form = {"username": f"spoof-{uuid.uuid4().hex[:12]}@example.com", "password": "wrong"}
        headers = {"X-Forwarded-For": claimed_address(n)}
        statuses.append(client.post(login_url, data=form, headers=headers).status_code)
        if statuses[-1] != 401:
            break
    return statuses


def varying(n: int) -> str:
    return f"198.51.100.{n % 250 + 1}"


@pytest.mark.skipif(
    not PLAN.has_serve_command,
    reason="the chapter has no serve command: how it is served is the reader's choice",
)
def test_a_forwarded_header_from_an_untrusted_address_is_ignored(
    plan: ChapterPlan, database_url: str, tmp_path: Path
):
    server = start_server(database_url, tmp_path, NEODYME_FORWARDED_ALLOW_IPS=UNTRUSTED_PROXY)
    try:
        with httpx.Client(timeout=30, limits=client_limits()) as client:
            login_url = f"{server.url}{plan.api_prefix}/auth/token"
            statuses = fail_until_refused(client, login_url, varying)
    finally:
        server.stop()

    assert set(statuses[:-1]) == {401}
    assert statuses[-1] == 429, f"{len(statuses)} failures, each claiming a new address, let in"


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        message = "nginx is not installed (Debian package nginx-light)"
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def trusted_as_shipped() -> str:
    """The replicas' ``NEODYME_FORWARDED_ALLOW_IPS`` from the compose file, with nginx's address
    there replaced by its address here (127.0.0.1)."""
    import yaml  # the chapters that ship a compose file have PyYAML in their test extra

    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    trusted = str(services["app1"]["environment"]["NEODYME_FORWARDED_ALLOW_IPS"])
    nginx_address = services["nginx"].get("networks", {}).get("default", {}).get("ipv4_address")
    return trusted.replace(nginx_address, "127.0.0.1") if nginx_address else trusted


needs_nginx_conf = pytest.mark.skipif(
    not NGINX_CONF.exists(), reason="the chapter ships no proxy (nginx.conf comes with ch12)"
)


@pytest.fixture(scope="module")
def behind_nginx(
    plan: ChapterPlan, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The chapter's nginx.conf in front of a replica that trusts what compose makes it trust;
    the base URL of the API through nginx."""
    binary = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx")
    replica = start_server(database_url, folder, NEODYME_FORWARDED_ALLOW_IPS=trusted_as_shipped())
    try:
        nginx, url = start_nginx(binary, folder, replica.url.removeprefix("http://"))
        try:
            yield url + plan.api_prefix
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)
    finally:
        replica.stop()


def start_nginx(binary: str, folder: Path, upstream: str) -> tuple[subprocess.Popen, str]:
    """The chapter's nginx.conf with both replicas at ``upstream``, listening on 127.0.0.1."""
    port = free_port()
    config = folder / "nginx.conf"
    config.write_text(
        NGINX_CONF.read_text()
        .replace("app1:8000", upstream)
        .replace("app2:8000", upstream)
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("access_log /dev/stdout;", "access_log off;")
    )
    argv = [binary, "-p", str(folder), "-c", str(config)]
    pid = f"pid {folder}/nginx.pid;"
    subprocess.run([*argv, "-t", "-g", pid], check=True, capture_output=True)
    with (folder / "nginx.log").open("wb") as log:
        nginx = subprocess.Popen([*argv, "-g", f"daemon off; {pid}"], stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, nginx)
    except RuntimeError:
        nginx.terminate()
        nginx.wait(timeout=30)
        raise
    return nginx, url


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer /health at {base_url}")


@needs_nginx_conf
def test_through_nginx_a_forged_address_cannot_lock_out_the_client_it_names(
    behind_nginx: str, accounts: Accounts
):
    victim = accounts.sign_up()
    victims_address = loopback_address()

    with client_at(loopback_address()) as attacker:
        statuses = fail_until_refused(
            attacker, f"{behind_nginx}/auth/token", lambda n: victims_address
        )
    with client_at(victims_address) as victims_computer:
        form = {"username": victim["email"], "password": PASSWORD}
        login = victims_computer.post(f"{behind_nginx}/auth/token", data=form)

    assert statuses[-1] == 429  # counted, against the attacker's own address
    assert login.status_code == 200, login.text


@needs_nginx_conf
def test_through_nginx_failures_count_against_the_client_whatever_it_claims(behind_nginx: str):
    with client_at(loopback_address()) as attacker:
        statuses = fail_until_refused(attacker, f"{behind_nginx}/auth/token", varying)

    assert set(statuses[:-1]) == {401}
    assert statuses[-1] == 429, f"{len(statuses)} failures, each claiming a new address, let in"
