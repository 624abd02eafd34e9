"""A user's todo list: the rules that sit above plain storage.

Each repository knows one table. That user 7's todos need a user 7 is a rule about both, so it
lives here: adding or listing todos reads the owner first, then the todos.
"""

from collections.abc import Sequence

from neodyme.models.todo import Todo, TodoCreate
from neodyme.models.user import User
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserNotFoundError, UserRepository


async def get_owner(users: UserRepository, owner_id: int) -> User:
    owner = await users.get(owner_id)
    if owner is None:
        raise UserNotFoundError
    return owner


async def add_todo_for(
    users: UserRepository, todos: TodoRepository, owner_id: int, data: TodoCreate
) -> Todo:
    owner = await get_owner(users, owner_id)
    return await todos.create(owner.id, data)


async def list_todos_of(
    users: UserRepository,
    todos: TodoRepository,
    owner_id: int,
    offset: int,
    limit: int,
    completed: bool | None = None,
) -> Sequence[Todo]:
    """A page of the owner's todos, newest first; an unknown owner is an error, not ``[]``."""
    owner = await get_owner(users, owner_id)
    return await todos.list(owner.id, offset, limit, completed)
