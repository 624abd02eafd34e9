"""The ``/users`` endpoints: HTTP in, HTTP out; the repository does the storing."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from neodyme.core.database import MAX_INTEGER
from neodyme.core.exceptions import UserNotFoundError
from neodyme.dependencies import UserRepositoryDep
from neodyme.models.user import User, UserCreate, UserPublic, UserUpdate
from neodyme.repositories.user import UserRepository
from neodyme.web.problems import problem_responses

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]


async def get_user_or_404(users: UserRepository, user_id: int) -> User:
    user = await users.get(user_id)
    if user is None:
        raise UserNotFoundError
    return user


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 409, 422, 503),
)
async def create_user(data: UserCreate, users: UserRepositoryDep) -> User:
    """Sign a user up; the email address must not be taken yet, in any letter case."""
    return await users.create(data)


@router.get("/{user_id}", response_model=UserPublic, responses=problem_responses(404, 422, 503))
async def read_user(user_id: UserId, users: UserRepositoryDep) -> User:
    """One user by id."""
    return await get_user_or_404(users, user_id)


@router.get("", response_model=list[UserPublic], responses=problem_responses(422, 503))
async def list_users(
    users: UserRepositoryDep,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[User]:
    """Users in id order, a page at a time."""
    return list(await users.list(offset, limit))


@router.patch(
    "/{user_id}", response_model=UserPublic, responses=problem_responses(400, 404, 409, 422, 503)
)
async def update_user(user_id: UserId, data: UserUpdate, users: UserRepositoryDep) -> User:
    """Change the fields the client sent; the others keep their values."""
    user = await get_user_or_404(users, user_id)
    return await users.update(user, data.model_dump(exclude_unset=True, exclude_none=True))


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 422, 503)
)
async def delete_user(user_id: UserId, users: UserRepositoryDep) -> None:
    """Delete a user for good."""
    await users.delete(await get_user_or_404(users, user_id))
