"""Undo what an interrupted run of a page left in the shared PostgreSQL and Redis.

A page that creates a database, or fills a Redis key prefix, cleans up in a later step. A run
stopped in between (Ctrl+C, a killed CI job) leaves them behind, and the next run of the page
fails at its first step: ``database "neodyme_ch10" already exists``. So before a page runs,
each step that creates such a thing is turned into the command that removes it.
"""

from __future__ import annotations

import re

CREATE_DATABASE = re.compile(r"\bCREATE DATABASE (\w+)")
CREATEDB = re.compile(r"^createdb\b(.*)\s(\w+)$")
REDIS_SCAN = re.compile(r"^(redis-cli\b.*?)\s+--scan --pattern (\S+)")


def undoing(command: str) -> str | None:
    """The command that removes what ``command`` creates, or ``None`` if it creates nothing.

    ``createdb`` and ``psql -c 'CREATE DATABASE …'`` become a forced drop if it exists (a
    server the interrupted run left connected does not stop it); a scan of a Redis key pattern
    becomes the deletion of those keys.
    """
    command = command.strip()
    if match := CREATEDB.match(command):
        return f"dropdb --if-exists --force{match[1]} {match[2]}"
    if CREATE_DATABASE.search(command):
        return CREATE_DATABASE.sub(r"DROP DATABASE IF EXISTS \1 WITH (FORCE)", command)
    if match := REDIS_SCAN.match(command):
        return f"{match[1]} --scan --pattern {match[2]} | xargs -r {match[1]} del"
    return None
