"""The ``/users/{user_id}/todos`` endpoints: a user's todos, owned through the URL."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import TodoNotFoundError
from neodyme.dependencies import TodoRepositoryDep, TodoServiceDep
from neodyme.models.todo import Todo, TodoCreate, TodoPublic, TodoUpdate
from neodyme.routes.users import UserId
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/users/{user_id}/todos", tags=["todos"])

TodoId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]


async def get_own_todo(todos: TodoRepositoryDep, user_id: UserId, todo_id: TodoId) -> Todo:
    """The user's todo; another user's todo answers 404, exactly like a missing one."""
    todo = await todos.get(user_id, todo_id)
    if todo is None:
        raise TodoNotFoundError
    return todo


OwnTodoDep = Annotated[Todo, Depends(get_own_todo)]


@router.post(
    "",
    response_model=TodoPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 404, 422, 503),
)
async def create_todo(user_id: UserId, data: TodoCreate, service: TodoServiceDep) -> Todo:
    return await service.add_todo_for(user_id, data)


@router.get("", response_model=list[TodoPublic], responses=problem_responses(404, 422, 503))
async def list_todos(
    user_id: UserId,
    service: TodoServiceDep,
    completed: bool | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Todo]:
    """The user's todos, newest first; `completed` filters by state."""
    return list(await service.list_todos_of(user_id, offset, limit, completed))


@router.get("/{todo_id}", response_model=TodoPublic, responses=problem_responses(404, 422, 503))
async def read_todo(todo: OwnTodoDep) -> Todo:
    return todo


@router.patch(
    "/{todo_id}", response_model=TodoPublic, responses=problem_responses(400, 404, 422, 503)
)
async def update_todo(todo: OwnTodoDep, data: TodoUpdate, todos: TodoRepositoryDep) -> Todo:
    """Change the fields sent; `null` keeps a value."""
    return await todos.update(todo, data.model_dump(exclude_unset=True, exclude_none=True))


@router.delete(
    "/{todo_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 422, 503)
)
async def delete_todo(todo: OwnTodoDep, todos: TodoRepositoryDep) -> None:
    await todos.delete(todo)
