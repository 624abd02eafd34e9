"""The application factory and the ASGI application that uvicorn serves."""

from fastapi import FastAPI
from pydantic import BaseModel

from neodyme import __version__

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This first stage answers one question: is the service up?
"""

TAGS_METADATA = [
    {"name": "health", "description": "Is the service up, and which version is it?"},
]


class HealthStatus(BaseModel):
    """What `GET /health` answers."""

    status: str
    version: str


def create_app() -> FastAPI:
    """Build the application; tests call this to get a fresh app."""
    app = FastAPI(
        title="Neodyme",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS_METADATA,
    )

    @app.get("/health", response_model=HealthStatus, tags=["health"])
    async def health() -> HealthStatus:
        """Report that the service is running, and its version."""
        return HealthStatus(status="ok", version=__version__)

    return app


app = create_app()
