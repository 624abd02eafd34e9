"""The ``/users`` endpoints: HTTP in, HTTP out; services and repositories do the rest.

Anyone may sign up. Everything else needs a bearer token: users see and change themselves,
superusers see and change everyone.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import ForbiddenError, UserNotFoundError
from neodyme.dependencies import (
    AttemptsDep,
    CurrentUserDep,
    SuperuserDep,
    UserRepositoryDep,
    UserServiceDep,
)
from neodyme.models.user import User, UserCreate, UserPublic, UserUpdate
from neodyme.repositories.user import UserRepository
from neodyme.web import paths  # noqa: F401  (registers the :digits convertor used below)
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]


# The routes below take "/{user_id:digits}": only digits reach them, so /users/me is never taken
# for an id, and DELETE /users/me is a 405 (that path has GET and PATCH), not a 422 about "me".


async def get_user_for(actor: UserPublic, users: UserRepository, user_id: int) -> User:
    """The user ``actor`` asks for: themself, or anyone if ``actor`` is a superuser."""
    if actor.id != user_id and not actor.is_superuser:
        raise ForbiddenError("You may only access your own account.")
    user = await users.get(user_id)
    if user is None:
        raise UserNotFoundError
    return user


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 409, 413, 422, 429, 503),
)
async def create_user(data: UserCreate, service: UserServiceDep, attempts: AttemptsDep) -> User:
    """Sign a user up; the email address must not be taken yet, in any letter case.

    One client may sign up 10 times in 15 minutes (429 after that), taken addresses included.
    """
    await attempts.claim_email()
    return await service.sign_up(data)


@router.get("/me", response_model=UserPublic, responses=problem_responses(401, 503))
async def read_me(user: CurrentUserDep) -> UserPublic:
    """The signed-in user."""
    return user


@router.patch(
    "/me",
    response_model=UserPublic,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
async def update_me(
    data: UserUpdate,
    user: CurrentUserDep,
    users: UserRepositoryDep,
    service: UserServiceDep,
    attempts: AttemptsDep,
) -> User:
    """Change your own account; a new password needs `current_password`.

    A wrong `current_password` counts like a failed login, and an email change like a
    sign-up: repeated, they are refused with 429 for a while.
    """
    account = await get_user_for(user, users, user.id)
    return await service.change(account, data, actor=user, attempts=attempts)


@router.get(
    "/{user_id:digits}",
    response_model=UserPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def read_user(user_id: UserId, actor: CurrentUserDep, users: UserRepositoryDep) -> User:
    """One user by id: yourself, or anyone for a superuser."""
    return await get_user_for(actor, users, user_id)


@router.get("", response_model=list[UserPublic], responses=problem_responses(401, 403, 422, 503))
async def list_users(
    _: SuperuserDep,
    users: UserRepositoryDep,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[User]:
    """Users in id order, a page at a time (superusers only)."""
    return list(await users.list(offset, limit))


@router.patch(
    "/{user_id:digits}",
    response_model=UserPublic,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
async def update_user(
    user_id: UserId,
    data: UserUpdate,
    actor: CurrentUserDep,
    users: UserRepositoryDep,
    service: UserServiceDep,
    attempts: AttemptsDep,
) -> User:
    """Change the fields the client sent; the others keep their values (limits as for /me)."""
    user = await get_user_for(actor, users, user_id)
    return await service.change(user, data, actor=actor, attempts=attempts)


@router.delete(
    "/{user_id:digits}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def delete_user(
    user_id: UserId, actor: CurrentUserDep, users: UserRepositoryDep, service: UserServiceDep
) -> None:
    """Delete a user for good, with their todos and tokens."""
    await service.delete(await get_user_for(actor, users, user_id))
