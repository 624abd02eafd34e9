"""The application factory and the ASGI application that uvicorn serves."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from neodyme import __version__
from neodyme.core.cache import create_cache
from neodyme.core.config import ConfigurationError, Settings, get_settings
from neodyme.core.database import (
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    pool_options,
)
from neodyme.core.migrations import check_database_is_at_head
from neodyme.core.rate_limit import AttemptLimiter, Limits, RedisAttemptLimiter
from neodyme.core.redis import SharedRedis
from neodyme.core.security import PasswordHasher
from neodyme.graph.client import create_graph
from neodyme.observability.context import route_templates
from neodyme.observability.error_tracking import configure_error_tracking
from neodyme.observability.logging import configure_logging
from neodyme.observability.metrics import Metrics
from neodyme.observability.queries import count_queries
from neodyme.observability.requests import RequestObservabilityMiddleware
from neodyme.repositories.outbox import Outbox
from neodyme.resources import Resources
from neodyme.routes import auth, health, metrics, todos, users
from neodyme.services.projection import Projector
from neodyme.web.docs import add_offline_docs
from neodyme.web.head import HeadMiddleware
from neodyme.web.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from neodyme.web.problems import add_problem_handlers

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This stage stores users in a database (SQLite by default, PostgreSQL in production),
validates everything a client sends, and evolves its schema with Alembic migrations.
Every error is an RFC 9457 problem (`application/problem+json`) with a stable `code`.
Users log in for JWT access and refresh tokens and keep their own todo lists.
Resources live under `/api/v1`; every setting comes from `NEODYME_*` variables.
Every response carries an `X-Request-ID`, every request is logged as one JSON line, and
Prometheus metrics are served at `/metrics`.
"""

TAGS_METADATA = [
    {"name": "health", "description": "Liveness (`/health`) and readiness (`/health/ready`)."},
    {"name": "auth", "description": "Log in for a token pair, refresh it, log out."},
    {
        "name": "users",
        "description": "Sign up; read and change your account (or any, as superuser).",
    },
    {"name": "todos", "description": "Your own todo list, and which todo blocks which."},
]


@asynccontextmanager
async def lifespan(app: FastAPI, settings: Settings, app_metrics: Metrics) -> AsyncIterator[None]:
    """Open the database when the app starts and release its connections when it stops.

    The schema belongs to the migrations (``alembic upgrade head``), not to the app: the app
    only checks that the database is at the newest revision before it serves anything.
    FastAPI passes only ``app``; ``create_app`` binds the other arguments (``functools.partial``).
    """
    engine = create_engine(
        settings.database_url,
        echo=settings.debug,
        connect_timeout=settings.database_connect_timeout_seconds,
        **pool_options(settings),
    )
    count_queries(engine)
    in_memory = AttemptLimiter(settings.login_failure_window_seconds)
    redis = None
    if settings.redis_url:
        redis = SharedRedis(
            settings.redis_url, settings.redis_key_prefix, settings.redis_timeout_seconds
        )
    graph = create_graph(settings)
    sessionmaker = create_sessionmaker(engine)
    outbox = projector = None
    if graph is not None:
        outbox = Outbox()
        projector = Projector(sessionmaker, graph, outbox)
    try:
        await check_database_is_at_head(engine)
        hasher = PasswordHasher(settings.bcrypt_rounds)
        await hasher.prepare_dummy_hash()
        app_metrics.pool.engine = engine
        app.state.resources = Resources(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            read_sessionmaker=create_read_sessionmaker(engine),
            metrics=app_metrics,
            limiter=in_memory if redis is None else RedisAttemptLimiter(redis, fallback=in_memory),
            limits=Limits(
                guesses_per_account_and_client=settings.login_failures_allowed,
                guesses_per_account=settings.login_failures_per_account,
                guesses_per_client=settings.login_failures_per_client,
                email_claims=settings.email_claims_allowed,
                window_seconds=settings.login_failure_window_seconds,
            ),
            hasher=hasher,
            cache=create_cache(settings, redis),
            redis=redis,
            graph=graph,
            outbox=outbox,
            projector=projector,
        )
        if projector is not None:
            projector.start()  # first what earlier runs left in the outbox, then each commit
        yield
    finally:
        if projector is not None:
            await projector.stop()
        await engine.dispose()
        if redis is not None:
            await redis.close()
        if graph is not None:
            await graph.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application from ``settings`` (default: the environment and ``.env``)."""
    settings = settings or get_settings()
    configure_logging(settings)
    configure_error_tracking(settings)
    docs = settings.serve_docs
    app_metrics = Metrics()
    app = FastAPI(
        title="Neodyme",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS_METADATA,
        lifespan=partial(lifespan, settings=settings, app_metrics=app_metrics),
        openapi_url="/openapi.json" if docs else None,
        docs_url=None,
        redoc_url=None,
    )
    if docs:
        add_offline_docs(app)

    add_problem_handlers(app)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(
        RequestObservabilityMiddleware,
        metrics=app_metrics,
        slow_request_ms=settings.slow_request_ms,
    )
    app.include_router(health.router)
    if settings.metrics_enabled:
        app.include_router(metrics.router)
    for router in (auth.router, users.router, todos.router):
        app.include_router(router, prefix=settings.api_prefix)
    app.state.route_templates = route_templates(app)
    return app


try:
    app = create_app()
except ConfigurationError as error:
    # One clear line instead of a traceback: the server cannot start with these settings.
    sys.exit(f"neodyme: {error}")
