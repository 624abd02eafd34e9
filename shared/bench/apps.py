"""The apps under test: chapters, configured as in production, and the two reference apps."""

from pathlib import Path

from shared.bench.envs import Environment
from shared.bench.postgres import plain_dsn
from shared.bench.servers import AppSpec
from shared.chapters import Chapter

REFERENCE_DIR = Path(__file__).with_name("reference")
BCRYPT_ROUNDS = 12
"""The production minimum (ch08's ``Settings``), set explicitly so the ceiling uses the same."""

UVICORN_OPTIONS = ["--host", "127.0.0.1", "--port", "{port}", "--no-access-log"]
UVICORN_OPTIONS += ["--log-level", "warning"]


def has_serve_command(chapter: Chapter) -> bool:
    """``python -m neodyme serve`` exists from ch10, the chapter that adds the Dockerfile."""
    return chapter.has_deployment


def declares_setting(chapter: Chapter, variable: str) -> bool:
    """Whether ``variable`` is one of the chapter's settings (``.env.example`` lists them all)."""
    example = chapter.path / ".env.example"
    return example.is_file() and variable in example.read_text()


def chapter_settings(database_url: str, secret_key: str, workers: int) -> dict[str, str]:
    """Production settings, plus the two the benchmark cannot do without.

    One client logs in over and over, so the login limits (which count each attempt until its
    password check succeeds) are raised out of the way; the access token must outlive the run.
    """
    return {
        "NEODYME_ENVIRONMENT": "production",
        "NEODYME_SECRET_KEY": secret_key,
        "NEODYME_DATABASE_URL": database_url,
        "NEODYME_BCRYPT_ROUNDS": str(BCRYPT_ROUNDS),
        "NEODYME_LOG_LEVEL": "WARNING",
        "NEODYME_HOST": "127.0.0.1",
        "NEODYME_PORT": "{port}",
        "NEODYME_WORKERS": str(workers),
        "NEODYME_ACCESS_TOKEN_EXPIRE_MINUTES": str(24 * 60),
        "NEODYME_LOGIN_FAILURES_ALLOWED": str(10**9),
        "NEODYME_LOGIN_FAILURES_PER_ACCOUNT": str(10**9),
        "NEODYME_LOGIN_FAILURES_PER_CLIENT": str(10**9),
    }


def chapter_app(
    key: str,
    chapter: Chapter,
    environment: Environment,
    settings: dict[str, str],
) -> AppSpec:
    """``python -m neodyme serve`` from ch10; before that, migrations then plain uvicorn."""
    if has_serve_command(chapter):
        command, prestart = ["-m", "neodyme", "serve"], None
    else:
        workers = ["--workers", settings["NEODYME_WORKERS"]]
        command = ["-m", "uvicorn", "neodyme.main:app", *UVICORN_OPTIONS, *workers]
        prestart = ["-m", "alembic", "upgrade", "head"]
    return AppSpec(
        key=key,
        label=key,
        environment=environment,
        cwd=chapter.path,
        command=command,
        env=settings,
        prestart=prestart,
    )


def reference_app(
    key: str, label: str, module: str, environment: Environment, env: dict[str, str]
) -> AppSpec:
    """One of the apps in ``reference/``, served by uvicorn as the chapters before ch10 are."""
    return AppSpec(
        key=key,
        label=label,
        environment=environment,
        cwd=REFERENCE_DIR,
        command=["-m", "uvicorn", f"{module}:app", *UVICORN_OPTIONS],
        env=env,
    )


def bare_app(environment: Environment) -> AppSpec:
    return reference_app("bare", "bare FastAPI", "bare", environment, {})


def raw_asyncpg_app(environment: Environment, database_url: str) -> AppSpec:
    """Reads the chapter database at ``database_url`` (see ``reference/raw_asyncpg.py``)."""
    env = {"BENCH_DATABASE_DSN": plain_dsn(database_url)}
    return reference_app("asyncpg", "FastAPI + raw asyncpg", "raw_asyncpg", environment, env)
