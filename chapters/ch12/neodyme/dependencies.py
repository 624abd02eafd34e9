"""What the routes depend on, as ``Annotated`` aliases that FastAPI resolves per request.

A route that declares ``users: UserRepositoryDep`` gets a repository bound to this request's
database session; ``user: CurrentUserDep`` gets the user its bearer token names, or the
request ends with a 401. Tests can replace any provider with ``app.dependency_overrides``.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.core.config import Settings
from neodyme.core.database import open_session
from neodyme.core.exceptions import (
    ForbiddenError,
    InvalidTokenError,
    UnauthorizedError,
)
from neodyme.core.rate_limit import Attempts, client_of
from neodyme.core.security import decode_token
from neodyme.models.user import UserPublic
from neodyme.observability.context import set_current_user
from neodyme.repositories.refresh_token import RefreshTokenRepository
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserRepository
from neodyme.resources import ResourcesDep
from neodyme.services.auth import AuthService
from neodyme.services.todos import TodoService
from neodyme.services.users import CachedUsers, UserService


async def get_app_settings(resources: ResourcesDep) -> Settings:
    """The settings this app was created with (``create_app(settings)``)."""
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency: one session per request, closed when the request is done.

    A database that cannot be reached becomes ``DatabaseUnavailableError`` (503), wherever in
    the request it shows up.
    """
    async with open_session(resources.sessionmaker) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_user_repository(session: SessionDep) -> UserRepository:
    return UserRepository(session)


async def get_todo_repository(session: SessionDep) -> TodoRepository:
    return TodoRepository(session)


async def get_refresh_token_repository(session: SessionDep) -> RefreshTokenRepository:
    return RefreshTokenRepository(session)


UserRepositoryDep = Annotated[UserRepository, Depends(get_user_repository)]
TodoRepositoryDep = Annotated[TodoRepository, Depends(get_todo_repository)]
RefreshTokenRepositoryDep = Annotated[RefreshTokenRepository, Depends(get_refresh_token_repository)]


async def get_todo_service(resources: ResourcesDep) -> TodoService:
    """Pages of todos, which open a (read) session only when the cache cannot answer, and the
    writes that invalidate the cached one."""
    return TodoService(resources.cache, resources.read_sessionmaker)


TodoServiceDep = Annotated[TodoService, Depends(get_todo_service)]


async def get_auth_service(
    users: UserRepositoryDep, refresh_tokens: RefreshTokenRepositoryDep, resources: ResourcesDep
) -> AuthService:
    return AuthService(
        users, refresh_tokens, resources.hasher, resources.settings, resources.sessionmaker
    )


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


async def get_user_service(
    users: UserRepositoryDep, refresh_tokens: RefreshTokenRepositoryDep, resources: ResourcesDep
) -> UserService:
    return UserService(users, refresh_tokens, resources.hasher, resources.cache)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]

# Reads "Authorization: Bearer <token>"; auto_error=False lets us answer with our own problem.
# tokenUrl only tells the docs' Authorize button where to log in (default API prefix).
bearer_token = OAuth2PasswordBearer(tokenUrl="api/v1/auth/token", auto_error=False)


async def get_current_user(
    token: Annotated[str | None, Depends(bearer_token)], resources: ResourcesDep
) -> UserPublic:
    """The active user named by a valid access token, from the cache when it holds them.

    No session dependency here on purpose: a request whose user is cached and whose route
    needs no database (``GET /users/me``) never opens one. Nor a dependency for the settings
    or for ``CachedUsers``: nearly every request runs this, and FastAPI resolves each
    dependency of each request anew, so one fewer here is work saved on every request.
    """
    if token is None:
        raise UnauthorizedError
    user_id = int(decode_token(token, "access", resources.settings)["sub"])
    user = await CachedUsers(resources.cache, resources.read_sessionmaker).get(user_id)
    if user is None or not user.is_active:
        raise InvalidTokenError
    set_current_user(user.id)  # every log record of this request now names the user
    return user


CurrentUserDep = Annotated[UserPublic, Depends(get_current_user)]


async def get_superuser(user: CurrentUserDep) -> UserPublic:
    if not user.is_superuser:
        raise ForbiddenError("Only superusers may do this.")
    return user


SuperuserDep = Annotated[UserPublic, Depends(get_superuser)]


async def get_attempts(request: Request, resources: ResourcesDep) -> Attempts:
    """This request's client, counted against the app's limits (see ``core.rate_limit``)."""
    host = request.client.host if request.client else None
    return Attempts(resources.limiter, resources.limits, client_of(host))


AttemptsDep = Annotated[Attempts, Depends(get_attempts)]
