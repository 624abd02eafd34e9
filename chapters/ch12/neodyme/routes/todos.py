"""The ``/todos`` endpoints. Every todo belongs to the signed-in user; others' do not exist."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import TodoNotFoundError
from neodyme.dependencies import CurrentUserDep, TodoRepositoryDep, TodoServiceDep
from neodyme.models.pagination import decode_cursor, encode_cursor
from neodyme.models.todo import Todo, TodoCreate, TodoPublic, TodoUpdate
from neodyme.services.todos import FIRST_PAGE_SIZE
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/todos", tags=["todos"])

TodoId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]


async def get_own_todo(todos: TodoRepositoryDep, user: CurrentUserDep, todo_id: TodoId) -> Todo:
    """The caller's todo; another user's todo answers 404, exactly like a missing one."""
    todo = await todos.get(user.id, todo_id)
    if todo is None:
        raise TodoNotFoundError
    return todo


OwnTodoDep = Annotated[Todo, Depends(get_own_todo)]


@router.post(
    "",
    response_model=TodoPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 413, 422, 503),
)
async def create_todo(
    data: TodoCreate, user: CurrentUserDep, todos: TodoRepositoryDep, service: TodoServiceDep
) -> Todo:
    return await service.create(todos, user.id, data)


@router.get("", response_model=list[TodoPublic], responses=problem_responses(400, 401, 422, 503))
async def list_todos(
    request: Request,
    response: Response,
    user: CurrentUserDep,
    service: TodoServiceDep,
    completed: bool | None = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Opaque: copy it from the `Link` header; any other value is a 400.",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER, deprecated=True)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = FIRST_PAGE_SIZE,
) -> list[TodoPublic]:
    """Your todos, newest first; `completed` filters by state.

    When there are more, the `Link` header's `rel="next"` URL fetches the next page (it carries
    a `cursor`). `offset` still works but gets slower the deeper it goes: follow the link.
    """
    after = decode_cursor(cursor) if cursor is not None else None
    page = await service.read_page(user.id, offset, limit, completed, after)
    if page.has_more:
        last = page.todos[-1]
        next_page = request.url.remove_query_params("offset").include_query_params(
            cursor=encode_cursor(last.created_at, last.id)
        )
        response.headers["Link"] = f'<{next_page}>; rel="next"'
    return page.todos


@router.get(
    "/{todo_id}", response_model=TodoPublic, responses=problem_responses(401, 404, 422, 503)
)
async def read_todo(todo: OwnTodoDep) -> Todo:
    return todo


@router.patch(
    "/{todo_id}",
    response_model=TodoPublic,
    responses=problem_responses(400, 401, 404, 413, 422, 503),
)
async def update_todo(
    todo: OwnTodoDep, data: TodoUpdate, todos: TodoRepositoryDep, service: TodoServiceDep
) -> Todo:
    """Change the fields sent; `null` keeps a value."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    return await service.update(todos, todo, changes)


@router.delete(
    "/{todo_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 422, 503),
)
async def delete_todo(todo: OwnTodoDep, todos: TodoRepositoryDep, service: TodoServiceDep) -> None:
    await service.delete(todos, todo)
