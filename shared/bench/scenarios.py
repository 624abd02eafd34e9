"""What is compared with what, and the goal each comparison has (the targets are for ch12).

Each scenario has two sides, A and B. A side names an app (by key) and the request wrk sends;
the login storm's B side is no request at all but the ceiling bcrypt allows:
cores ÷ the time of one hash.

App keys: a chapter's name (``ch12``), with ``-cache-off`` or ``-2-workers`` for variants of
it, ``bare`` (bare FastAPI) and ``asyncpg`` (FastAPI + raw asyncpg, reading the subject's
database). Workers are compared with the cache off on both sides: without Redis, ch12 turns
its cache off when it runs several workers, and the cache has its own scenario.
"""

from dataclasses import dataclass

from shared.bench.apps import declares_setting
from shared.bench.results import Target
from shared.chapters import Chapter

TARGET_CHAPTER = "ch12"
CACHE_SETTING = "NEODYME_CACHE_TTL_SECONDS"
"""ch12's cache lifetime; a chapter that declares it has a cache, and 0 turns it off."""
CACHE_OFF = {CACHE_SETTING: "0"}
MIN_CHAPTER = 8
"""From ch08 every chapter has its resources under ``/api/v1`` and its settings in variables."""

TODOS_PATH = "/api/v1/todos?limit=20"
USERS_ME_PATH = "/api/v1/users/me"
LOGIN_PATH = "/api/v1/auth/token"


@dataclass(frozen=True)
class Side:
    app: str
    label: str
    path: str | None = None
    """``None``: the bcrypt ceiling rather than a request. ``{user_id}`` is filled in."""
    authenticated: bool = False
    login: bool = False
    """POST the login form (and probe ``/health`` latency meanwhile)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    a: Side
    b: Side
    unit: str = "req/s"
    target: Target | None = None

    @property
    def apps(self) -> set[str]:
        return {self.a.app, self.b.app}


def has_cache(chapter: Chapter) -> bool:
    return declares_setting(chapter, CACHE_SETTING)


def all_scenarios(subject: Chapter, previous: Chapter | None) -> list[Scenario]:
    """Every scenario this subject (and the chapter before it) can run, in report order."""
    s = subject.name
    uncached = f"{s}-cache-off" if has_cache(subject) else s
    users_me = f"{s} GET /users/me"
    raw = Side("asyncpg", "raw asyncpg by id", "/users/{user_id}")
    todos = Side(s, f"{s} GET /todos?limit=20", TODOS_PATH, authenticated=True)
    scenarios = [
        Scenario(
            "health",
            "`/health` vs bare FastAPI",
            Side(s, f"{s} GET /health", "/health"),
            Side("bare", "bare FastAPI GET /health", "/health"),
            target=Target(0.85, TARGET_CHAPTER),
        ),
        Scenario(
            "users-me",
            "`users/me` (cache off) vs raw asyncpg",
            Side(
                uncached,
                f"{users_me}, cache off" if has_cache(subject) else users_me,
                USERS_ME_PATH,
                authenticated=True,
            ),
            raw,
            target=Target(0.7, TARGET_CHAPTER),
        ),
    ]
    if has_cache(subject):
        cached = Side(s, f"{users_me}, cache on", USERS_ME_PATH, authenticated=True)
        scenarios += [
            Scenario(
                "users-me-cached",
                "`users/me` (cache on) vs raw asyncpg",
                cached,
                raw,
                target=Target(1.5, TARGET_CHAPTER),
            ),
            Scenario(
                "cache",
                "`users/me`, cache on vs off",
                cached,
                Side(uncached, f"{users_me}, cache off", USERS_ME_PATH, authenticated=True),
            ),
        ]
    if previous is not None and previous.number >= MIN_CHAPTER:
        scenarios.append(
            Scenario(
                "todos",
                f"`todos?limit=20` vs {previous.name}",
                todos,
                Side(
                    previous.name,
                    f"{previous.name} GET /todos?limit=20",
                    TODOS_PATH,
                    authenticated=True,
                ),
                target=Target(2.5, TARGET_CHAPTER),
            )
        )
    scenarios += [
        Scenario(
            "login-storm",
            "login storm vs bcrypt ceiling",
            Side(s, f"{s} POST /auth/token", LOGIN_PATH, login=True),
            Side(s, "cores ÷ one bcrypt hash"),
            unit="logins/s",
            target=Target(0.8, TARGET_CHAPTER, max_health_p99_ms=50),
        ),
        Scenario(
            "workers",
            "two workers vs one",
            Side(
                f"{s}-2-workers",
                f"{s} 2 workers GET /todos?limit=20",
                TODOS_PATH,
                authenticated=True,
            ),
            Side(uncached, f"{s} 1 worker GET /todos?limit=20", TODOS_PATH, authenticated=True),
        ),
    ]
    return scenarios


AGAINST_TARGET = 0.95
"""A refactoring may cost at most 5 % of any request's throughput."""


def against_scenarios(subject: Chapter, baseline: Chapter) -> list[Scenario]:
    """The subject against itself at another revision (``--against``): the same request on
    both sides, so a ratio under 1 is what the changes since that revision cost."""
    # name, what is requested, the path, whether signed in, the app variant and its label
    requests = [("health", "`/health`", "/health", False, "", "")]
    if has_cache(subject) and has_cache(baseline):
        requests += [
            ("users-me", "`users/me`, cache off", USERS_ME_PATH, True, "-cache-off", ", cache off"),
            ("users-me-cached", "`users/me`, cache on", USERS_ME_PATH, True, "", ", cache on"),
        ]
    else:
        requests.append(("users-me", "`users/me`", USERS_ME_PATH, True, "", ""))
    requests.append(("todos", "`todos?limit=20`", TODOS_PATH, True, "", ""))
    scenarios = []
    for name, what, path, signed, variant, label in requests:
        a, b = (
            Side(f"{chapter.name}{variant}", f"{chapter.name} GET {path}{label}", path, signed)
            for chapter in (subject, baseline)
        )
        title = f"{what}, {subject.name} vs {baseline.name}"
        scenarios.append(Scenario(name, title, a, b, target=Target(AGAINST_TARGET, subject.name)))
    return scenarios
