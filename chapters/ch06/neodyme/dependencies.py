"""What the routes depend on, as ``Annotated`` aliases that FastAPI resolves per request.

A route that declares ``users: UserRepositoryDep`` gets a repository bound to this request's
database session; tests can replace any provider with ``app.dependency_overrides``.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.core.database import close_session, is_unreachable
from neodyme.core.exceptions import DatabaseUnavailableError
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserRepository
from neodyme.resources import ResourcesDep
from neodyme.services.todos import TodoService


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency: one session per request, closed when the request is done.

    A database that cannot be reached becomes ``DatabaseUnavailableError`` (503), wherever in
    the request it shows up.
    """
    session = resources.sessionmaker()
    try:
        yield session
    except Exception as exc:
        if is_unreachable(exc):
            raise DatabaseUnavailableError from exc
        raise
    finally:
        await close_session(session)


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_user_repository(session: SessionDep) -> UserRepository:
    return UserRepository(session)


async def get_todo_repository(session: SessionDep) -> TodoRepository:
    return TodoRepository(session)


UserRepositoryDep = Annotated[UserRepository, Depends(get_user_repository)]
TodoRepositoryDep = Annotated[TodoRepository, Depends(get_todo_repository)]


async def get_todo_service(users: UserRepositoryDep, todos: TodoRepositoryDep) -> TodoService:
    return TodoService(users, todos)


TodoServiceDep = Annotated[TodoService, Depends(get_todo_service)]
