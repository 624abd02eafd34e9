"""A user's todo list: the rules that sit above plain storage.

Each repository knows one table. That user 7's todos need a user 7 is a rule about both, so it
lives here: adding or listing todos reads the owner first, then the todos. Like every service,
it is a dataclass whose fields are the repositories it works with: its dependency provider
builds it with them, and a test can build it with anything that behaves like them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from neodyme.models.todo import Todo, TodoCreate
from neodyme.models.user import User
from neodyme.repositories.todo import TodoRepository
from neodyme.repositories.user import UserNotFoundError, UserRepository


@dataclass
class TodoService:
    users: UserRepository
    todos: TodoRepository

    async def get_owner(self, owner_id: int) -> User:
        owner = await self.users.get(owner_id)
        if owner is None:
            raise UserNotFoundError
        return owner

    async def add_todo_for(self, owner_id: int, data: TodoCreate) -> Todo:
        owner = await self.get_owner(owner_id)
        return await self.todos.create(owner.id, data)

    async def list_todos_of(
        self, owner_id: int, offset: int, limit: int, completed: bool | None = None
    ) -> Sequence[Todo]:
        """A page of the owner's todos, newest first; an unknown owner is an error, not ``[]``."""
        owner = await self.get_owner(owner_id)
        return await self.todos.list(owner.id, offset, limit, completed)
