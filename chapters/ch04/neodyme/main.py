"""The application factory and the ASGI application that uvicorn serves."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

from neodyme import __version__
from neodyme.core.database import create_engine, create_sessionmaker, database_url
from neodyme.core.migrations import check_database_is_at_head
from neodyme.routes import users

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This stage stores users in a database (SQLite by default, PostgreSQL in production),
validates everything a client sends, and evolves its schema with Alembic migrations.
"""

TAGS_METADATA = [
    {"name": "health", "description": "Is the service up, and which version is it?"},
    {"name": "users", "description": "Sign users up, read, change and delete them."},
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
        app.state.sessionmaker = create_sessionmaker(engine)
        yield
    finally:
        await engine.dispose()


async def method_not_allowed(request: Request, exc: HTTPException) -> JSONResponse:
    """405 with an ``Allow`` header that lists every method of the path (RFC 9110).

    FastAPI makes one route per method, and the 405 it raises names only the methods of the
    route whose path matched first: ``Allow: GET`` for ``/users/1``, which also takes PATCH
    and DELETE. So the handler asks every route, as the router does, whether it serves the path.
    """
    methods = {
        method
        for route in iter_route_contexts(request.app.routes)
        if route.matches(request.scope)[0] is not Match.NONE
        for method in route.methods or ()
    }
    if "GET" in methods:
        methods.add("HEAD")
    allow = ", ".join(sorted(methods))
    return JSONResponse({"detail": exc.detail}, status_code=405, headers={"Allow": allow})


def create_app() -> FastAPI:
    """Build the application; tests call this to get a fresh app."""
    app = FastAPI(
        title="Neodyme",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS_METADATA,
        lifespan=lifespan,
        exception_handlers={405: method_not_allowed},
    )

    @app.get("/health", response_model=HealthStatus, tags=["health"])
    async def health() -> HealthStatus:
        """Report that the service is running, and its version."""
        return HealthStatus(status="ok", version=__version__)

    app.include_router(users.router)
    return app


app = create_app()
