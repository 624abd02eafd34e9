"""Data access for users: the only code that talks to the database session about them."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select, update

from neodyme.core.exceptions import EmailTakenError, UserNotFoundError
from neodyme.models.user import User, UserCreate, UserPublic

PUBLIC_BY_ID = select(*(getattr(User, name) for name in UserPublic.model_fields)).where(
    User.id == bindparam("user_id")
)
"""``UserPublic``'s columns of the user whose id is the parameter ``user_id``."""


class UserRepository:
    """Reads and writes users. Each write is committed before the method returns.

    Routes ask for what they need ("the user with id 7", "store this new user") and never see
    SQL, sessions or driver exceptions; swapping the storage means changing only this class.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def get_public(self, user_id: int) -> UserPublic | None:
        """The public view of a user: the hot read, so only those columns, no ORM object.

        The statement is built once (``PUBLIC_BY_ID``) and the id passed as a parameter; see
        ``repositories.todo.page_query`` for why that matters.
        """
        parameters = {"user_id": user_id}
        row = (await self.session.execute(PUBLIC_BY_ID, parameters)).first()
        return UserPublic.model_validate(row._mapping) if row else None

    async def record_login(self, user_id: int) -> None:
        await self.session.execute(
            update(User).where(User.id == user_id).values(last_login_at=datetime.now(UTC))
        )
        await self.session.commit()

    async def get_by_email(self, email: str) -> User | None:
        return (await self.session.scalars(select(User).where(User.email == email))).first()

    async def list(self, offset: int, limit: int) -> Sequence[User]:
        """A page of users in id order."""
        users = await self.session.scalars(
            select(User).order_by(User.id).offset(offset).limit(limit)
        )
        return users.all()

    async def create(
        self, data: UserCreate, hashed_password: str, is_superuser: bool = False
    ) -> User:
        """Store a new user; raises ``EmailTakenError`` if the address is in use."""
        user = User(
            email=data.email,
            full_name=data.full_name,
            hashed_password=hashed_password,
            is_superuser=is_superuser,
        )
        self.session.add(user)
        await self._commit()
        return user

    async def update(self, user: User, changes: dict[str, Any]) -> User:
        """Apply ``changes``; raises ``EmailTakenError`` if the new address is in use and
        ``UserNotFoundError`` if another request deleted the user meanwhile."""
        user.sqlmodel_update(changes)
        await self._commit()
        return user

    async def delete(self, user: User) -> None:
        """Delete ``user``; raises ``UserNotFoundError`` if another request deleted them first.

        As for todos, the ``DELETE``'s row count says whether it found the row: of two requests
        deleting one user at once, exactly one sees 1.
        """
        result = await self.session.execute(delete(User).where(User.id == user.id))
        await self.session.commit()
        if result.rowcount == 0:
            raise UserNotFoundError

    async def _commit(self) -> None:
        """Commit; the unique email index, not a prior lookup, decides whether it is taken.

        An ``UPDATE`` of a user that another request deleted after our read matches no row,
        which SQLAlchemy reports as ``StaleDataError``: the user is gone, a 404.
        """
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise EmailTakenError from None
        except StaleDataError:
            await self.session.rollback()
            raise UserNotFoundError from None
