"""The application factory and the ASGI application that uvicorn serves."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from neodyme import __version__
from neodyme.core.database import create_engine, create_sessionmaker, database_url
from neodyme.core.migrations import check_database_is_at_head
from neodyme.resources import Resources
from neodyme.routes import todos, users
from neodyme.web.head import HeadMiddleware
from neodyme.web.problems import add_problem_handlers

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This stage stores users in a database (SQLite by default, PostgreSQL in production),
validates everything a client sends, and evolves its schema with Alembic migrations.
Each user keeps a todo list.
Every error is an RFC 9457 problem (`application/problem+json`) with a stable `code`.
"""

TAGS_METADATA = [
    {"name": "health", "description": "Is the service up, and which version is it?"},
    {"name": "users", "description": "Sign users up, read, change and delete them."},
    {"name": "todos", "description": "Each user's todo list."},
]


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
        app.state.resources = Resources(sessionmaker=create_sessionmaker(engine))
        yield
    finally:
        await engine.dispose()


def create_app() -> FastAPI:
    """Build the application; tests call this to get a fresh app."""
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
    app.include_router(users.router)
    app.include_router(todos.router)
    return app


app = create_app()
