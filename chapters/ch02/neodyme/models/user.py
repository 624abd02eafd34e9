"""The user: the first thing Neodyme stores."""

from sqlmodel import Field, SQLModel


class UserBase(SQLModel):
    """The fields a client sends to create a user."""

    email: str = Field(max_length=255, unique=True, index=True)
    full_name: str = Field(max_length=100)


class User(UserBase, table=True):
    """A row of the ``user`` table."""

    id: int | None = Field(default=None, primary_key=True)
