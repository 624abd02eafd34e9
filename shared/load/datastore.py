"""Seed the accounts and clear the Redis keys of a load run (run by the app's environment).

Usage: ``python datastore.py seed DSN ACCOUNTS TODOS COST`` (the password comes from
``LOADTEST_PASSWORD``) or ``python datastore.py clear-redis URL PREFIX``. The orchestrator uses
only the standard library and locust, so it runs this with the environment that has asyncpg,
bcrypt and redis: the app's.

The accounts go straight into the tables, in two statements, all with one password hash.
Signing thousands of accounts up through the API would cost a bcrypt hash each, minutes before
the first step. The hash is made at a low cost (4, from ``run.py``), not the server's 12:
``bcrypt.checkpw`` works at the cost stored in the hash, so each simulated user's one login
stays cheap while the server's own settings stay those of production. Logins are rare in a
real journey (once per session), and the benchmark (``nox -s bench``) measures them at full
cost on their own.
"""

import asyncio
import os
import sys

import asyncpg
import bcrypt
import redis

USERS = """
INSERT INTO "user" (email, full_name, hashed_password)
SELECT 'load-' || n || '@example.com', 'Load User ' || n, $1 FROM generate_series(1, $2) AS n
"""
# Each account's todos a second apart, so that the newest-first pages are in a stable order.
TODOS = """
INSERT INTO todo (title, description, user_id, created_at, updated_at)
SELECT 'Seeded todo ' || n, 'put in by the load test', "user".id,
       now() - n * interval '1 second', now() - n * interval '1 second'
FROM "user", generate_series(1, $1) AS n
"""


async def seed(dsn: str, accounts: int, todos: int, cost: int) -> None:
    password = os.environ["LOADTEST_PASSWORD"].encode()
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(cost)).decode()
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute(USERS, hashed, accounts)
            await connection.execute(TODOS, todos)
    finally:
        await connection.close()


def clear_redis(url: str, prefix: str) -> None:
    """Delete the keys under ``prefix``, and only those."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


if __name__ == "__main__":
    action, *arguments = sys.argv[1:]
    if action == "seed":
        dsn, accounts, todos, cost = arguments
        asyncio.run(seed(dsn, int(accounts), int(todos), int(cost)))
    else:
        clear_redis(*arguments)
