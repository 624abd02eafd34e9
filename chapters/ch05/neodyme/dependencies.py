"""What the routes depend on, as ``Annotated`` aliases that FastAPI resolves per request.

A route that declares ``users: UserRepositoryDep`` gets a repository bound to this request's
database session; tests can replace any provider with ``app.dependency_overrides``.
"""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from neodyme.core.database import get_session
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserRepository
from neodyme.services.todos import TodoService

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
