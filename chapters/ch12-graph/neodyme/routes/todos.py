"""The ``/todos`` endpoints. Every todo belongs to the signed-in user; others' do not exist."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import TodoNotFoundError
from neodyme.dependencies import (
    BlockerRepositoryDep,
    BlockerServiceDep,
    CurrentUserDep,
    TodoRepositoryDep,
    TodoServiceDep,
)
from neodyme.models.blocker import MAX_DEPTH, BlockerPublic
from neodyme.models.pagination import decode_cursor, encode_cursor
from neodyme.models.todo import Todo, TodoCreate, TodoPublic, TodoUpdate
from neodyme.services.todos import FIRST_PAGE_SIZE, TodoPage
from neodyme.web import paths  # noqa: F401  (registers the :digits convertor used below)
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/todos", tags=["todos"])

TodoId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Opaque: copy it from the `Link` header; any other value is a 400.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]


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
    cursor: Cursor = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER, deprecated=True)] = 0,
    limit: Limit = FIRST_PAGE_SIZE,
) -> list[TodoPublic]:
    """Your todos, newest first; `completed` filters by state.

    When there are more, the `Link` header's `rel="next"` URL fetches the next page (it carries
    a `cursor`). `offset` still works but gets slower the deeper it goes: follow the link.
    """
    after = decode_cursor(cursor) if cursor is not None else None
    page = await service.read_page(user.id, offset, limit, completed, after)
    link_next_page(request, response, page)
    return page.todos


def link_next_page(request: Request, response: Response, page: TodoPage) -> None:
    """When more follow, the `Link` header's `rel="next"` URL: this one, from the page's end."""
    if page.has_more:
        last = page.todos[-1]
        next_page = request.url.remove_query_params("offset").include_query_params(
            cursor=encode_cursor(last.created_at, last.id)
        )
        response.headers["Link"] = f'<{next_page}>; rel="next"'


@router.get(
    "/next", response_model=list[TodoPublic], responses=problem_responses(400, 401, 422, 503)
)
async def list_next_todos(
    request: Request,
    response: Response,
    user: CurrentUserDep,
    service: BlockerServiceDep,
    cursor: Cursor = None,
    limit: Limit = FIRST_PAGE_SIZE,
) -> list[TodoPublic]:
    """Your open todos that nothing open blocks: what you can do next, newest first.

    Paged like `GET /todos`: follow the `Link` header's `rel="next"` URL.
    """
    after = decode_cursor(cursor) if cursor is not None else None
    page = await service.next_page(user.id, limit, after)
    link_next_page(request, response, page)
    return page.todos


@router.get(
    "/{todo_id:digits}", response_model=TodoPublic, responses=problem_responses(401, 404, 422, 503)
)
async def read_todo(todo: OwnTodoDep) -> Todo:
    return todo


@router.patch(
    "/{todo_id:digits}",
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
    "/{todo_id:digits}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 422, 503),
)
async def delete_todo(todo: OwnTodoDep, todos: TodoRepositoryDep, service: TodoServiceDep) -> None:
    await service.delete(todos, todo)


@router.get(
    "/{todo_id}/blockers",
    response_model=list[BlockerPublic],
    responses=problem_responses(401, 404, 422, 503),
)
async def list_blockers(
    todo: OwnTodoDep,
    service: BlockerServiceDep,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = MAX_DEPTH,
) -> list[BlockerPublic]:
    """Every todo that blocks this one, directly (`distance` 1) or through others, up to
    `depth` steps away; nearest first."""
    return await service.transitive(todo.user_id, todo.id, depth)


@router.put(
    "/{todo_id}/blockers/{blocker_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 409, 422, 503),
)
async def add_blocker(
    todo: OwnTodoDep,
    blocker_id: TodoId,
    user: CurrentUserDep,
    todos: TodoRepositoryDep,
    blockers: BlockerRepositoryDep,
) -> None:
    """`blocker_id` must be done before this todo; sending it again changes nothing.

    A blocker that already depends on this todo, however indirectly, is a 409 whose `cycle`
    lists the todos of the loop it would close.
    """
    if blocker_id == todo.id:
        itself = {"loc": ("path", "blocker_id"), "msg": "A todo cannot block itself"}
        raise RequestValidationError([itself | {"type": "value_error"}])
    if await todos.get(user.id, blocker_id) is None:
        raise TodoNotFoundError
    await blockers.add(user.id, todo.id, blocker_id)


@router.delete(
    "/{todo_id}/blockers/{blocker_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 422, 503),
)
async def remove_blocker(
    todo: OwnTodoDep, blocker_id: TodoId, user: CurrentUserDep, blockers: BlockerRepositoryDep
) -> None:
    """This todo no longer waits for `blocker_id`; a 404 `blocker_not_found` if it did not."""
    await blockers.remove(user.id, todo.id, blocker_id)
