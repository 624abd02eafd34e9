"""The application factory and the ASGI application that uvicorn serves."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from neodyme import __version__
from neodyme.core.database import create_engine, create_sessionmaker, database_url
from neodyme.core.migrations import check_database_is_at_head
from neodyme.core.rate_limit import AttemptLimiter, Limits
from neodyme.core.security import (
    BCRYPT_ROUNDS,
    PasswordHasher,
    WeakSecretKeyError,
    check_secret_key,
)
from neodyme.resources import Resources
from neodyme.routes import auth, todos, users
from neodyme.web.head import HeadMiddleware
from neodyme.web.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from neodyme.web.problems import add_problem_handlers

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This stage stores users in a database (SQLite by default, PostgreSQL in production),
validates everything a client sends, and evolves its schema with Alembic migrations.
Every error is an RFC 9457 problem (`application/problem+json`) with a stable `code`.
Users log in for JWT access and refresh tokens and keep their own todo lists.
"""

TAGS_METADATA = [
    {"name": "health", "description": "Is the service up, and which version is it?"},
    {"name": "auth", "description": "Log in for a token pair, refresh it, log out."},
    {
        "name": "users",
        "description": "Sign up; read and change your account (or any, as superuser).",
    },
    {"name": "todos", "description": "Your own todo list."},
]

# What a client may repeat within the window (chapter 7 explains each number): wrong passwords
# (failed logins, wrong `current_password`) per account and client, per account from any
# client, and per client for any accounts; and sign-ups or email changes per client and account.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_FAILURES_PER_ACCOUNT = 20
LOGIN_FAILURES_PER_CLIENT = 100
EMAIL_CLAIMS_ALLOWED = 10
LIMIT_WINDOW_SECONDS = 15 * 60

# The largest request body read (1 MiB, nginx's default too); ours are a few hundred bytes.
MAX_BODY_BYTES = 1024 * 1024


class HealthStatus(BaseModel):
    """What `GET /health` answers."""

    status: str
    version: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database when the app starts and release its connections when it stops.

    The schema belongs to the migrations (``alembic upgrade head``), not to the app: the app
    only checks that the database is at the newest revision before it serves anything.
    """
    engine = create_engine(database_url())
    try:
        await check_database_is_at_head(engine)
        hasher = PasswordHasher(BCRYPT_ROUNDS)
        await hasher.prepare_dummy_hash()
        app.state.resources = Resources(
            sessionmaker=create_sessionmaker(engine),
            limiter=AttemptLimiter(LIMIT_WINDOW_SECONDS),
            limits=Limits(
                guesses_per_account_and_client=LOGIN_FAILURES_ALLOWED,
                guesses_per_account=LOGIN_FAILURES_PER_ACCOUNT,
                guesses_per_client=LOGIN_FAILURES_PER_CLIENT,
                email_claims=EMAIL_CLAIMS_ALLOWED,
                window_seconds=LIMIT_WINDOW_SECONDS,
            ),
            hasher=hasher,
        )
        yield
    finally:
        await engine.dispose()


def create_app() -> FastAPI:
    """Build the application; tests call this to get a fresh app."""
    check_secret_key()
    app = FastAPI(
        title="Neodyme",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS_METADATA,
        lifespan=lifespan,
    )

    @app.get("/health", response_model=HealthStatus, tags=["health"])
    async def health() -> HealthStatus:
        """Report that the service is running, and its version."""
        return HealthStatus(status="ok", version=__version__)

    add_problem_handlers(app)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(todos.router)
    return app


try:
    app = create_app()
except WeakSecretKeyError as error:
    # One clear line instead of a traceback: the server cannot start with this key.
    sys.exit(f"neodyme: {error}")
