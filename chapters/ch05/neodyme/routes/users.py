"""The ``/users`` endpoints: HTTP in, HTTP out; the repository does the storing."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from neodyme.core.database import MAX_INTEGER
from neodyme.dependencies import UserRepositoryDep
from neodyme.models.user import User, UserCreate, UserPublic, UserUpdate
from neodyme.repositories.user import EmailTakenError, UserRepository

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]

EMAIL_TAKEN = "A user with this email already exists"


class ErrorMessage(BaseModel):
    """The body of FastAPI's errors: ``{"detail": "User not found"}``."""

    detail: str


# The errors each route can answer, so that the OpenAPI document lists them next to 422.
NOT_FOUND = {404: {"model": ErrorMessage, "description": "No user has this id."}}
EMAIL_CONFLICT = {409: {"model": ErrorMessage, "description": "The email address is taken."}}
UNREADABLE_BODY = {400: {"model": ErrorMessage, "description": "The body cannot be parsed."}}


async def get_user_or_404(users: UserRepository, user_id: int) -> User:
    user = await users.get(user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return user


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=UNREADABLE_BODY | EMAIL_CONFLICT,
)
async def create_user(data: UserCreate, users: UserRepositoryDep) -> User:
    """Sign a user up; the email address must not be taken yet, in any letter case."""
    try:
        return await users.create(data)
    except EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN) from None


@router.get("/{user_id}", response_model=UserPublic, responses=NOT_FOUND)
async def read_user(user_id: UserId, users: UserRepositoryDep) -> User:
    """One user by id."""
    return await get_user_or_404(users, user_id)


@router.get("", response_model=list[UserPublic])
async def list_users(
    users: UserRepositoryDep,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[User]:
    """Users in id order, a page at a time."""
    return list(await users.list(offset, limit))


@router.patch(
    "/{user_id}", response_model=UserPublic, responses=UNREADABLE_BODY | NOT_FOUND | EMAIL_CONFLICT
)
async def update_user(user_id: UserId, data: UserUpdate, users: UserRepositoryDep) -> User:
    """Change the fields the client sent; the others keep their values."""
    user = await get_user_or_404(users, user_id)
    try:
        return await users.update(user, data.model_dump(exclude_unset=True, exclude_none=True))
    except EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN) from None


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_user(user_id: UserId, users: UserRepositoryDep) -> None:
    """Delete a user for good."""
    await users.delete(await get_user_or_404(users, user_id))
