"""The application factory and the ASGI application that uvicorn serves."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, status
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, select

from neodyme import __version__
from neodyme.core.database import (
    MAX_INTEGER,
    create_engine,
    create_sessionmaker,
    database_url,
    get_session,
)
from neodyme.models.user import User, UserBase

DESCRIPTION = """
Neodyme is the API built, chapter by chapter, in the Neodyme book.

This stage stores users in a database: SQLite by default, PostgreSQL in production.
"""

TAGS_METADATA = [
    {"name": "health", "description": "Is the service up, and which version is it?"},
    {"name": "users", "description": "Create and read users."},
]

UserId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]


class HealthStatus(BaseModel):
    """What `GET /health` answers."""

    status: str
    version: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database when the app starts and release its connections when it stops."""
    engine = create_engine(database_url())
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    app.state.sessionmaker = create_sessionmaker(engine)
    yield
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

    @app.post("/users", response_model=User, status_code=status.HTTP_201_CREATED, tags=["users"])
    async def create_user(
        data: UserBase, session: Annotated[AsyncSession, Depends(get_session)]
    ) -> User:
        """Store a new user; the email address must not be taken yet."""
        user = User.model_validate(data)
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise HTTPException(
                status.HTTP_409_CONFLICT, "A user with this email already exists"
            ) from None
        return user

    @app.get("/users/{user_id}", response_model=User, tags=["users"])
    async def read_user(
        user_id: UserId, session: Annotated[AsyncSession, Depends(get_session)]
    ) -> User:
        """One user by id."""
        user = await session.get(User, user_id)
        if user is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
        return user

    @app.get("/users", response_model=list[User], tags=["users"])
    async def list_users(
        session: Annotated[AsyncSession, Depends(get_session)],
        offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 100,
    ) -> list[User]:
        """Users in id order, a page at a time."""
        users = await session.scalars(select(User).order_by(User.id).offset(offset).limit(limit))
        return list(users)

    return app


app = create_app()
