"""Reference app: FastAPI and a raw asyncpg pool reading one user by primary key.

The ceiling for an authenticated ``GET /api/v1/users/me``: one indexed row fetched with no ORM,
no session and no token check, returned through a response model. It reads the ``user`` table
of the chapter database named by ``BENCH_DATABASE_DSN`` (a plain ``postgresql://`` DSN), so
both sides of the comparison read the same row from the same table.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

QUERY = 'SELECT id, email, full_name, created_at, is_active, is_superuser FROM "user" WHERE id = $1'


class UserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    created_at: datetime
    is_active: bool
    is_superuser: bool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with asyncpg.create_pool(os.environ["BENCH_DATABASE_DSN"], max_size=10) as pool:
        app.state.pool = pool
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/users/{user_id}", response_model=UserPublic)
async def read_user(user_id: int, request: Request) -> UserPublic:
    row = await request.app.state.pool.fetchrow(QUERY, user_id)
    if row is None:
        raise HTTPException(status_code=404)
    return UserPublic(**dict(row))
