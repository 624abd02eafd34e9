"""The ``/users/{user_id}/todos`` endpoints: a user's todos, owned through the URL."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from neodyme.core.database import MAX_INTEGER
from neodyme.dependencies import TodoRepositoryDep, TodoServiceDep
from neodyme.models.todo import Todo, TodoCreate, TodoPublic, TodoUpdate
from neodyme.repositories.user import UserNotFoundError
from neodyme.routes.users import UNREADABLE_BODY, ErrorMessage, UserId

router = APIRouter(prefix="/users/{user_id}/todos", tags=["todos"])

TodoId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]

NOT_FOUND = {
    404: {"model": ErrorMessage, "description": "No such user, or no such todo of theirs."}
}


async def get_own_todo(todos: TodoRepositoryDep, user_id: UserId, todo_id: TodoId) -> Todo:
    """The user's todo; another user's todo answers 404, exactly like a missing one."""
    todo = await todos.get(user_id, todo_id)
    if todo is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Todo not found")
    return todo


OwnTodoDep = Annotated[Todo, Depends(get_own_todo)]


@router.post(
    "",
    response_model=TodoPublic,
    status_code=status.HTTP_201_CREATED,
    responses=UNREADABLE_BODY | NOT_FOUND,
)
async def create_todo(user_id: UserId, data: TodoCreate, service: TodoServiceDep) -> Todo:
    try:
        return await service.add_todo_for(user_id, data)
    except UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None


@router.get("", response_model=list[TodoPublic], responses=NOT_FOUND)
async def list_todos(
    user_id: UserId,
    service: TodoServiceDep,
    completed: bool | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Todo]:
    """The user's todos, newest first; `completed` filters by state."""
    try:
        return list(await service.list_todos_of(user_id, offset, limit, completed))
    except UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None


@router.get("/{todo_id}", response_model=TodoPublic, responses=NOT_FOUND)
async def read_todo(todo: OwnTodoDep) -> Todo:
    return todo


@router.patch("/{todo_id}", response_model=TodoPublic, responses=UNREADABLE_BODY | NOT_FOUND)
async def update_todo(todo: OwnTodoDep, data: TodoUpdate, todos: TodoRepositoryDep) -> Todo:
    """Change the fields sent; `null` keeps a value."""
    return await todos.update(todo, data.model_dump(exclude_unset=True, exclude_none=True))


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_todo(todo: OwnTodoDep, todos: TodoRepositoryDep) -> None:
    await todos.delete(todo)
