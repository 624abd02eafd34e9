"""Faults: the database or Redis goes away under load, the server is stopped, clients race.

Each outage case starts an app process of its own and puts a :class:`TcpProxy` between it and
the service, so that cutting the service breaks only that process, not the shared server the
other sections use. The bounds below state the contract ("a request never hangs longer than
this", "ready again within that"); they are generous on purpose: nothing here measures speed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

from shared.verify.battery.conftest import (
    CHAPTER_DIR,
    PLAN,
    RESULT,
    Accounts,
    require_postgres,
    require_redis,
    start_server,
)
from shared.verify.battery.database import scalar
from shared.verify.battery.proxy import TcpProxy
from shared.verify.battery.server import Server, client_limits
from shared.verify.plan import documented_settings

REQUEST_BOUND = 10.0
"""No request may take longer than this, outage or not: a hang is a failure."""
READINESS_TIMEOUT = 2.0
"""``NEODYME_READINESS_TIMEOUT_SECONDS`` for the servers started here."""
MARGIN = 2.0
STEADY_SECONDS = 2.0
OUTAGE_SECONDS = 3.0
CUTS = 2
RECOVERY_BOUND = 20.0
"""Once the service is back, the app serves again within this, without a restart."""
SHUTDOWN_BOUND = 60.0
IN_FLIGHT = 12
CACHE_TTL_SECONDS = 2
"""Shorter than the outage: an entry cached before the cut has expired when Redis returns."""
LOGIN_FAILURES_ALLOWED = 3
PROBLEM = "application/problem+json"
HAS_REDIS = "NEODYME_REDIS_URL" in documented_settings(
    (CHAPTER_DIR / ".env.example").read_text() if (CHAPTER_DIR / ".env.example").is_file() else ""
)


@dataclass
class Outcome:
    """One request and what came back: ``status`` 0 means no HTTP answer at all."""

    operation: str
    started: float
    finished: float
    status: int = 0
    media_type: str = ""
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        return (
            f"{self.operation} -> {self.status or 'no answer'} in {self.seconds:.1f}s: {self.body}"
        )


async def call(
    client: httpx.AsyncClient, operation: str, method: str, url: str, **kwargs
) -> Outcome:
    started = time.monotonic()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        return Outcome(operation, started, time.monotonic(), body=repr(exc))
    media_type = response.headers.get("content-type", "").split(";")[0]
    body = response.json() if media_type.endswith("json") else response.text
    return Outcome(
        operation,
        started,
        time.monotonic(),
        response.status_code,
        media_type,
        body,
        dict(response.headers),
    )


@dataclass
class Step:
    """One request of the steady load; ``json`` builds a fresh body each time."""

    operation: str
    method: str
    url: str
    json: Callable[[], dict] | None = None


@asynccontextmanager
async def traffic(client: httpx.AsyncClient, steps: list[Step], workers: int = 6):
    """``workers`` clients repeating ``steps`` until the block ends; yields every outcome."""
    outcomes: list[Outcome] = []
    stop = asyncio.Event()

    async def keep_busy() -> None:
        while not stop.is_set():
            for step in steps:
                body = step.json() if step.json else None
                outcomes.append(
                    await call(client, step.operation, step.method, step.url, json=body)
                )

    tasks = [asyncio.create_task(keep_busy()) for _ in range(workers)]
    try:
        yield outcomes
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def wait_until(probe: Callable[[], Awaitable[bool]], bound: float) -> float | None:
    """Seconds until ``probe()`` is true, or ``None`` if it is still false after ``bound``."""
    started = time.monotonic()
    while time.monotonic() - started < bound:
        if await probe():
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    return None


def misbehaving(outcomes: list[Outcome], allowed: Callable[[Outcome], bool]) -> list[str]:
    """Every outcome that is not ``allowed``, took longer than the bound, or got no answer."""
    return [str(o) for o in outcomes if not o.status or o.seconds > REQUEST_BOUND or not allowed(o)]


def is_problem_503(outcome: Outcome) -> bool:
    return (
        outcome.status == 503
        and outcome.media_type == PROBLEM
        and isinstance(outcome.body, dict)
        and outcome.body.get("status") == 503
    )


def note(text: str) -> None:
    """A figure worth keeping: it goes into the chapter's result file."""
    RESULT.notes.append(f"faults: {text}")


@contextmanager
def served(database_url: str, log_dir: Path, **overrides: str) -> Iterator[Server]:
    server = start_server(
        database_url, log_dir, NEODYME_READINESS_TIMEOUT_SECONDS=str(READINESS_TIMEOUT), **overrides
    )
    try:
        yield server
    finally:
        server.stop()


def sync_api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url + PLAN.api_prefix, timeout=30, limits=client_limits())


def todo_steps() -> list[Step]:
    return [
        Step(
            "write",
            "POST",
            f"{PLAN.api_prefix}/todos",
            lambda: {"title": "load " + uuid.uuid4().hex},
        ),
        Step("read", "GET", f"{PLAN.api_prefix}/todos?limit=5"),
    ]


# --- The database goes away -----------------------------------------------------------------


@dataclass
class Cut:
    """One outage: when it began and ended, and how long the app took to notice and recover."""

    cut_at: float
    not_ready_after: float | None = None
    restored_at: float = float("inf")
    recovered_after: float | None = None

    @property
    def recovered_at(self) -> float:
        return self.restored_at + (self.recovered_after or 0.0)


async def database_outages(
    server: Server, headers: dict[str, str], proxy: TcpProxy
) -> tuple[list[Outcome], list[Cut]]:
    """Steady load; ``CUTS`` times: cut the database, wait, restore it, wait until served again.

    More than one cut, because what breaks depends on where each request is at that instant:
    before its query, inside it, or already closing its session after the response.
    """
    cuts: list[Cut] = []
    async with (
        httpx.AsyncClient(
            base_url=server.url, headers=headers, timeout=REQUEST_BOUND * 2, limits=client_limits()
        ) as client,
        traffic(client, todo_steps()) as outcomes,
    ):

        async def answers(path: str, status: int) -> bool:
            outcome = await call(client, path, "GET", path)
            outcomes.append(outcome)
            return outcome.status == status

        async def serves_again() -> bool:
            write = await call(
                client, "write", "POST", f"{PLAN.api_prefix}/todos", json={"title": "back"}
            )
            outcomes.append(write)
            return write.ok and await answers("/health/ready", 200)

        for _ in range(CUTS):
            await asyncio.sleep(STEADY_SECONDS)
            cut = Cut(cut_at=time.monotonic())
            cuts.append(cut)
            proxy.cut()
            cut.not_ready_after = await wait_until(
                lambda: answers("/health/ready", 503), READINESS_TIMEOUT + MARGIN
            )
            await asyncio.sleep(OUTAGE_SECONDS)
            cut.restored_at = time.monotonic()
            proxy.restore()
            cut.recovered_after = await wait_until(serves_again, RECOVERY_BOUND)
        await asyncio.sleep(STEADY_SECONDS / 2)
    return outcomes, cuts


@pytest.fixture
def postgres_proxy(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the run's PostgreSQL database, and the URL that goes through it."""
    require_postgres()
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port)
        yield proxy, through.render_as_string(hide_password=False)


def test_a_database_outage_answers_503_and_the_app_recovers_without_losing_writes(
    postgres_proxy: tuple[TcpProxy, str], database_url: str, tmp_path: Path
) -> None:
    proxy, proxied_url = postgres_proxy
    with served(proxied_url, tmp_path) as server:
        with sync_api(server) as api:
            user, headers = Accounts(api).user_with_token()
        outcomes, cuts = asyncio.run(database_outages(server, headers, proxy))

    assert not misbehaving(outcomes, lambda o: o.ok or is_problem_503(o))
    api_503 = 0
    for cut, next_cut in zip(cuts, [*cuts[1:], Cut(cut_at=float("inf"))], strict=True):
        assert cut.not_ready_after is not None, "/health/ready did not turn 503 within its timeout"
        during = [o for o in outcomes if cut.cut_at < o.started and o.finished < cut.restored_at]
        assert all(map(is_problem_503, during)), [str(o) for o in during if not is_problem_503(o)]
        api_calls = [o for o in during if o.operation in ("read", "write")]
        assert api_calls, "no API call was made while the database was away"
        api_503 += len(api_calls)
        assert cut.recovered_after is not None, "the app did not serve again after the restore"
        after = [
            o for o in outcomes if cut.recovered_at < o.started and o.finished < next_cut.cut_at
        ]
        assert all(o.ok for o in after), [str(o) for o in after if not o.ok]

    acknowledged = [o.body["id"] for o in outcomes if o.operation == "write" and o.status == 201]
    ids = ", ".join(map(str, acknowledged))
    stored = asyncio.run(scalar(database_url, f"SELECT count(*) FROM todo WHERE id IN ({ids})"))
    assert stored == len(acknowledged), "a write answered 201 is not in the database"
    rows = asyncio.run(
        scalar(database_url, f"SELECT count(*) FROM todo WHERE user_id = {user['id']}")
    )
    assert rows >= len(acknowledged)
    note(
        f"database outage x{CUTS}: /health/ready 503 after "
        f"{max(c.not_ready_after or 0 for c in cuts):.2f}s at most, {api_503} API calls answered "
        f"503 during them, serving again {max(c.recovered_after or 0 for c in cuts):.2f}s after "
        f"a restore at most; {len(acknowledged)} acknowledged writes all stored "
        f"({rows - len(acknowledged)} more committed without an answer)"
    )


# --- SIGTERM under load ---------------------------------------------------------------------


async def logins_across_sigterm(server: Server, user: dict) -> tuple[list[Outcome], float]:
    """Start ``IN_FLIGHT`` logins; SIGTERM as soon as the first one is answered."""
    form = {"username": user["email"], "password": user["password"]}
    async with httpx.AsyncClient(
        base_url=server.url + PLAN.api_prefix, timeout=SHUTDOWN_BOUND, limits=client_limits()
    ) as client:
        logins = [
            asyncio.create_task(
                call(
                    client,
                    "login",
                    "POST",
                    "/auth/token",
                    data=form,
                    headers={"X-Forwarded-For": Accounts.client_address()},
                )
            )
            for _ in range(IN_FLIGHT)
        ]
        await asyncio.wait(logins, return_when=asyncio.FIRST_COMPLETED)
        signalled_at = time.monotonic()
        server.interrupt()
        return list(await asyncio.gather(*logins)), signalled_at


def test_sigterm_lets_in_flight_requests_finish_and_exits_0(
    database_url: str, tmp_path: Path
) -> None:
    # Production-strength bcrypt makes each login slow enough to still be running at the SIGTERM.
    with served(
        database_url,
        tmp_path,
        NEODYME_BCRYPT_ROUNDS="12",
        NEODYME_LOGIN_FAILURES_ALLOWED=str(IN_FLIGHT * 2),
    ) as server:
        with sync_api(server) as api:
            user = Accounts(api).sign_up()
        outcomes, signalled_at = asyncio.run(logins_across_sigterm(server, user))
        exit_code = server.wait(SHUTDOWN_BOUND)

    assert [o.status for o in outcomes] == [200] * IN_FLIGHT, [str(o) for o in outcomes]
    assert all(o.body["token_type"] == "bearer" for o in outcomes)
    in_flight = sum(o.finished > signalled_at for o in outcomes)
    assert in_flight > 0, "every login finished before the SIGTERM: nothing was in flight"
    assert exit_code == 0, server.log()
    assert "Traceback" not in server.log()
    note(f"SIGTERM: {in_flight} of {IN_FLIGHT} logins were in flight, all answered 200; exit 0")


# --- Redis goes away --------------------------------------------------------------------------


@dataclass
class RedisOutage:
    outcomes: list[Outcome]
    renamed: Outcome | None = None
    logins: list[Outcome] = field(default_factory=list)
    used_before: float | None = None
    back_after: float | None = None


async def redis_outage(
    server: Server,
    headers: dict[str, str],
    proxy: TcpProxy,
    victim: dict,
    redis_url: str,
    prefix: str,
) -> RedisOutage:
    """Steady load with Redis; cut it: rename the user, fail logins; restore; see Redis used."""
    from redis.asyncio import Redis  # the chapter's own dependency, from ch12

    api = PLAN.api_prefix
    steps = [Step("me", "GET", f"{api}/users/me"), *todo_steps()]
    wrong = {"username": victim["email"], "password": "not the password"}
    attacker = {"X-Forwarded-For": Accounts.client_address()}
    async with (
        Redis.from_url(redis_url) as redis,
        httpx.AsyncClient(
            base_url=server.url, headers=headers, timeout=REQUEST_BOUND * 2, limits=client_limits()
        ) as client,
        traffic(client, steps, workers=3) as outcomes,
    ):

        async def keys() -> list[bytes]:
            return await redis.keys(prefix + "*")

        async def redis_in_use() -> bool:
            return bool(await keys())

        run = RedisOutage(outcomes, used_before=await wait_until(redis_in_use, RECOVERY_BOUND))
        await asyncio.sleep(STEADY_SECONDS)
        proxy.cut()
        cut_at = time.monotonic()
        run.renamed = await call(
            client, "rename", "PATCH", f"{api}/users/me", json={"full_name": "Renamed"}
        )
        for _ in range(LOGIN_FAILURES_ALLOWED + 1):
            login = await call(
                client, "login", "POST", f"{api}/auth/token", data=wrong, headers=attacker
            )
            run.logins.append(login)
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
        proxy.restore()
        if stale := await keys():
            await redis.delete(*stale)  # what the app writes from now on proves it is back
        run.back_after = await wait_until(redis_in_use, RECOVERY_BOUND)
        await asyncio.sleep(STEADY_SECONDS / 2)
        if leftover := await keys():
            await redis.delete(*leftover)
    return run


@pytest.mark.skipif(not HAS_REDIS, reason=f"{PLAN.name} has no Redis support (NEODYME_REDIS_URL)")
def test_a_redis_outage_falls_back_to_the_database_and_in_process_limits(
    database_url: str, tmp_path: Path
) -> None:
    redis_url = urlsplit(require_redis())
    prefix = f"neodyme-verify-{uuid.uuid4().hex[:8]}:"
    with TcpProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379) as proxy:
        proxied = redis_url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        with served(
            database_url,
            tmp_path,
            NEODYME_REDIS_URL=proxied,
            NEODYME_REDIS_KEY_PREFIX=prefix,
            NEODYME_CACHE_TTL_SECONDS=str(CACHE_TTL_SECONDS),
            NEODYME_LOGIN_FAILURES_ALLOWED=str(LOGIN_FAILURES_ALLOWED),
        ) as server:
            with sync_api(server) as api:
                accounts = Accounts(api)
                _, headers = accounts.user_with_token()
                victim = accounts.sign_up()
            run = asyncio.run(
                redis_outage(server, headers, proxy, victim, redis_url.geturl(), prefix)
            )

    assert run.used_before is not None, "the app did not use Redis before the outage"
    assert run.renamed is not None and run.renamed.status == 200, str(run.renamed)
    assert not misbehaving(run.outcomes, lambda o: o.ok)
    renamed_at = run.renamed.finished
    reads = [o for o in run.outcomes if o.operation == "me" and o.started > renamed_at]
    assert reads and all(o.body["full_name"] == "Renamed" for o in reads), "a stale read"
    statuses = [o.status for o in run.logins]
    assert statuses == [401] * LOGIN_FAILURES_ALLOWED + [429], [str(o) for o in run.logins]
    assert int(run.logins[-1].headers["retry-after"]) > 0
    assert run.back_after is not None, "the app did not use Redis again after the restore"
    note(
        f"Redis outage: {len(run.outcomes)} requests all 2xx, login limit held in process, "
        f"Redis in use again {run.back_after:.1f}s after the restore"
    )


# --- Clients racing -------------------------------------------------------------------------


async def all_at_once(server: Server, requests: list[dict[str, Any]]) -> list[Outcome]:
    async with httpx.AsyncClient(
        base_url=server.url + PLAN.api_prefix, timeout=60, limits=client_limits()
    ) as client:
        return list(await asyncio.gather(*(call(client, "race", **r) for r in requests)))


def test_fifty_identical_signups_make_exactly_one_user(server: Server, database_url: str) -> None:
    require_postgres()
    email = f"race-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "full_name": "Racer", "password": "correct horse battery staple"}

    # Fifty clients: one client may only sign up a few times in a row (ch07+).
    sign_up = {"method": "POST", "url": "/users", "json": body}
    outcomes = asyncio.run(
        all_at_once(
            server,
            [
                {**sign_up, "headers": {"X-Forwarded-For": Accounts.client_address()}}
                for _ in range(50)
            ],
        )
    )

    assert sorted(o.status for o in outcomes) == [201] + [409] * 49, [str(o) for o in outcomes]
    assert all(o.body["code"] == "email_taken" for o in outcomes if o.status == 409)
    rows = asyncio.run(
        scalar(database_url, f"""SELECT count(*) FROM "user" WHERE email = '{email}'""")
    )
    assert rows == 1


def test_concurrent_updates_leave_one_consistent_todo(
    server: Server, api: httpx.Client, accounts: Accounts
) -> None:
    require_postgres()
    _, headers = accounts.user_with_token()
    created = api.post("/todos", json={"title": "original"}, headers=headers).json()
    patches = [
        {
            "method": "PATCH",
            "url": f"/todos/{created['id']}",
            "json": {"title": f"title {i}", "description": f"description {i}"},
            "headers": headers,
        }
        for i in range(20)
    ]

    outcomes = asyncio.run(all_at_once(server, patches))

    assert [o.status for o in outcomes] == [200] * 20, [str(o) for o in outcomes]
    final = api.get(f"/todos/{created['id']}", headers=headers).json()
    winners = [o.body for o in outcomes if o.body["title"] == final["title"]]
    assert winners == [final], "the stored todo is not what any one update wrote"
    assert final["description"] == final["title"].replace("title", "description")
    updated_at = datetime.fromisoformat(final["updated_at"])
    assert updated_at.utcoffset() is not None and updated_at.utcoffset().total_seconds() == 0
    assert updated_at >= datetime.fromisoformat(created["updated_at"])
