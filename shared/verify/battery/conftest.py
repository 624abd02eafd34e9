"""The battery's fixtures: the chapter under test, its database, its server, its users.

``nox -s verify`` runs this suite once per chapter, inside that chapter's own virtual
environment, with ``NEODYME_VERIFY_CHAPTER`` naming it (``ch07``) and
``NEODYME_VERIFY_CHAPTER_DIR`` pointing at its folder. Each run writes
``$NEODYME_VERIFY_RESULTS/chNN.json``: cases tried, passed and failed per section.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.bolt import bolt_server
from shared.verify.battery.database import postgres_database, sqlite_url
from shared.verify.battery.server import Server, client_limits
from shared.verify.plan import ChapterPlan
from shared.verify.results import ChapterResult, SectionResult

PLAN = ChapterPlan.named(os.environ["NEODYME_VERIFY_CHAPTER"])
CHAPTER_DIR = Path(os.environ["NEODYME_VERIFY_CHAPTER_DIR"])
RESULTS_DIR = Path(os.environ.get("NEODYME_VERIFY_RESULTS", "verify-results"))
POSTGRES_ADMIN_URL = os.environ.get("NEODYME_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("NEODYME_TEST_REDIS_URL")
SECRET_KEY = "verify-battery-secret-key-" + "x" * 40
ALLOWED_ORIGIN = "https://app.example.com"
PASSWORD = "correct horse battery staple"
GRAPH_PASSWORD = "verify-graph-password"
SECTION_OF_MODULE = {
    "test_fuzz.py": "fuzz",
    "test_attacks.py": "attacks",
    "test_faults.py": "faults",
    "test_proxy.py": "attacks",
    "test_login_limits.py": "attacks",
    "test_tokens.py": "attacks",
    "test_input.py": "attacks",
    "test_database_faults.py": "attacks",
    "test_graph.py": "attacks",
}
TRACK_MODULES = {"test_graph.py": "graph"}
"""Modules that attack what one side track adds: collected for that track only."""

RESULT = ChapterResult(chapter=PLAN.name, database="postgresql" if POSTGRES_ADMIN_URL else "sqlite")
_STARTED = time.monotonic()
_SELF_COUNTED: set[str] = set()
_DEFENCE_OF_CASE: dict[str, str] = {}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    section = SECTION_OF_MODULE.get(collection_path.name)
    if section is not None and section not in PLAN.sections:
        return True
    track = TRACK_MODULES.get(collection_path.name)
    if track is not None and track != PLAN.track:
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1" and not POSTGRES_ADMIN_URL:
        raise pytest.UsageError("NEODYME_REQUIRE_SERVICES=1 but NEODYME_TEST_POSTGRES_URL is unset")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Remember which class of defect each ``defends``-marked case guards against."""
    for item in items:
        if (marker := item.get_closest_marker("defends")) is not None:
            _DEFENCE_OF_CASE[item.nodeid] = marker.args[0]


def record_note(note: str) -> None:
    """A figure for the summary that is measured, not asserted (e.g. a timing difference)."""
    RESULT.notes.append(note)


def record_cases(section: str, nodeid: str, tried: int, failed: int) -> None:
    """A test that counts its own cases (the fuzzer runs hundreds in one test)."""
    counts = RESULT.section(section)
    counts.tried += tried
    counts.failed += failed
    counts.passed += tried - failed
    _SELF_COUNTED.add(nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    section = SECTION_OF_MODULE.get(Path(report.fspath).name)
    if section is None or (report.when != "call" and report.passed):
        return
    if report.when == "teardown" and report.passed:
        return
    tallies = [RESULT.section(section)]
    if (defence := _DEFENCE_OF_CASE.get(report.nodeid)) is not None:
        tallies.append(RESULT.defence(defence))
    for counts in tallies:
        _count(counts, report)


def _count(counts: SectionResult, report: pytest.TestReport) -> None:
    if report.nodeid in _SELF_COUNTED:
        if report.failed and counts.failed == 0:
            counts.tried += 1
            counts.failed += 1
        return
    counts.tried += 1
    if report.skipped and hasattr(report, "wasxfail"):
        counts.expected_failures += 1  # a known gap, marked ``xfail(strict=True)`` with its reason
    elif report.skipped:
        counts.skipped += 1
    elif report.failed:
        counts.failed += 1
    else:
        counts.passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.option.collectonly:
        return
    RESULT.seconds = time.monotonic() - _STARTED
    path = RESULT.write(RESULTS_DIR)
    session.config.get_terminal_writer().line(f"verify: {PLAN.name} result written to {path}")


def require_postgres() -> str:
    """The PostgreSQL admin URL, or a skip (a failure when services are required)."""
    if not POSTGRES_ADMIN_URL:
        pytest.skip("needs PostgreSQL: set NEODYME_TEST_POSTGRES_URL")
    return POSTGRES_ADMIN_URL


def require_redis() -> str:
    """The test Redis URL, or a skip (a failure when services are required)."""
    if not REDIS_URL:
        message = "needs Redis: set NEODYME_TEST_REDIS_URL"
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(scope="session")
def plan() -> ChapterPlan:
    return PLAN


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if POSTGRES_ADMIN_URL:
        with postgres_database(POSTGRES_ADMIN_URL, PLAN.name) as url:
            yield url
    else:
        yield sqlite_url(tmp_path_factory.mktemp("sqlite"))


def app_environment(database_url: str) -> dict[str, str]:
    """Settings for a served chapter: testing mode, cheap bcrypt, a known signing key."""
    return {
        "NEODYME_DATABASE_URL": database_url,
        "NEODYME_ENVIRONMENT": "testing",
        "NEODYME_BCRYPT_ROUNDS": "4",
        "NEODYME_SECRET_KEY": SECRET_KEY,
        "NEODYME_CORS_ORIGINS": ALLOWED_ORIGIN,
        "NEODYME_LOG_LEVEL": "WARNING",
        "NEODYME_DATABASE_WAIT_SECONDS": "30",
    }


def start_server(database_url: str, log_dir: Path, **overrides: str) -> Server:
    env = app_environment(database_url) | overrides
    return Server(PLAN, CHAPTER_DIR, env, log_dir / f"server-{uuid.uuid4().hex[:6]}.log").start()


@pytest.fixture(scope="session")
def graph_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The graph track is served with its Bolt server, so the battery attacks the projection
    and its outbox worker too, not only the recursive SQL; nothing elsewhere."""
    if PLAN.track != "graph":
        yield {}
        return
    with bolt_server(CHAPTER_DIR, tmp_path_factory.mktemp("graph"), GRAPH_PASSWORD) as graph:
        yield graph.settings


@pytest.fixture(scope="session")
def server(
    database_url: str, graph_settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app the fuzzer and the attacks talk to, shared by the whole run."""
    process = start_server(database_url, tmp_path_factory.mktemp("logs"), **graph_settings)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def api(server: Server) -> Iterator[httpx.Client]:
    """A client for the resources (``/users``, ``/todos``, ...) under the chapter's prefix."""
    with httpx.Client(
        base_url=server.url + PLAN.api_prefix, timeout=30, limits=client_limits()
    ) as client:
        yield client


class Accounts:
    """Sign users up and log them in; each caller gets its own client address."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api

    @staticmethod
    def client_address() -> str:
        """A made-up client address, so that login limits never leak from one test to another."""
        number = uuid.uuid4().int
        return f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250 + 1}"

    def sign_up(self, password: str = PASSWORD) -> dict:
        email = f"verify-{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": email, "full_name": "Verify User", "password": password}
        # Its own address too: sign-ups are limited per client (ch07+).
        response = self.api.post(
            "/users", json=body, headers={"X-Forwarded-For": self.client_address()}
        )
        assert response.status_code == 201, response.text
        return {**response.json(), "password": password}

    def log_in(self, email: str, password: str, client: str | None = None) -> httpx.Response:
        return self.api.post(
            "/auth/token",
            data={"username": email, "password": password},
            headers={"X-Forwarded-For": client or self.client_address()},
        )

    def tokens(self, user: dict) -> dict:
        response = self.log_in(user["email"], user["password"])
        assert response.status_code == 200, response.text
        return response.json()

    def user_with_token(self) -> tuple[dict, dict[str, str]]:
        user = self.sign_up()
        return user, bearer(self.tokens(user)["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def accounts(api: httpx.Client) -> Accounts:
    return Accounts(api)
