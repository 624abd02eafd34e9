"""The ``/users`` endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from neodyme.core.database import MAX_INTEGER, get_session
from neodyme.models.user import User, UserCreate, UserPublic, UserUpdate

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


async def get_user_or_404(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return user


async def commit_or_409(session: AsyncSession) -> None:
    """Commit; a clash with the unique email index means the address is taken."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN) from None


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=UNREADABLE_BODY | EMAIL_CONFLICT,
)
async def create_user(
    data: UserCreate, session: Annotated[AsyncSession, Depends(get_session)]
) -> User:
    """Sign a user up; the email address must not be taken yet, in any letter case."""
    user = User.model_validate(data)
    session.add(user)
    await commit_or_409(session)
    return user


@router.get("/{user_id}", response_model=UserPublic, responses=NOT_FOUND)
async def read_user(
    user_id: UserId, session: Annotated[AsyncSession, Depends(get_session)]
) -> User:
    """One user by id."""
    return await get_user_or_404(session, user_id)


@router.get("", response_model=list[UserPublic])
async def list_users(
    session: Annotated[AsyncSession, Depends(get_session)],
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[User]:
    """Users in id order, a page at a time."""
    users = await session.scalars(select(User).order_by(User.id).offset(offset).limit(limit))
    return list(users)


@router.patch(
    "/{user_id}", response_model=UserPublic, responses=UNREADABLE_BODY | NOT_FOUND | EMAIL_CONFLICT
)
async def update_user(
    user_id: UserId, data: UserUpdate, session: Annotated[AsyncSession, Depends(get_session)]
) -> User:
    """Change the fields the client sent; the others keep their values."""
    user = await get_user_or_404(session, user_id)
    user.sqlmodel_update(data.model_dump(exclude_unset=True, exclude_none=True))
    await commit_or_409(session)
    return user


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_user(
    user_id: UserId, session: Annotated[AsyncSession, Depends(get_session)]
) -> None:
    """Delete a user for good."""
    user = await get_user_or_404(session, user_id)
    await session.delete(user)
    await session.commit()
