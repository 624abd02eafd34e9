"""Create, drop and describe the benchmark's databases (run by an environment with asyncpg).

Usage: ``python pgadmin.py ADMIN_DSN create NAME | drop NAME | version``. The orchestrator
itself uses only the standard library, so it runs this script with an app environment's Python.
"""

import asyncio
import sys

import asyncpg


async def main(dsn: str, action: str, name: str | None = None) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        if action == "create":
            await connection.execute(f'CREATE DATABASE "{name}"')
        elif action == "drop":
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
