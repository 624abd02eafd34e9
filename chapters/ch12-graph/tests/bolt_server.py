"""An ArcadeDB server with its Bolt listener, for the tests: ``python bolt_server.py DIR PASSWORD``.

ArcadeDB runs inside this process (a JVM through jpype), so the tests start it as a child
process of their own: it prints the ports it listens on, then serves until its stdin closes.
"""

import socket
import sys

from arcadedb_embedded.server import ArcadeDBServer
from neo4j import GraphDatabase

from neodyme.graph import cypher

DATABASE = "neodyme"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def warm_up(url: str, password: str) -> None:
    """Log in and run the app's traversal once before saying ready.

    A JVM's first Bolt session and first Cypher plan take far longer than the next ones, on a
    busy machine longer than the app's graph timeout: the app's first read would go to SQL.
    """
    with GraphDatabase.driver(url, auth=("root", password)) as driver:
        for statement in (cypher.PING, cypher.transitive_blockers(1)):
            driver.execute_query(statement, todo_id=0, database_=DATABASE)


def main(root: str, password: str) -> None:
    bolt_port = free_port()
    server = ArcadeDBServer(
        root_path=root,
        root_password=password,
        config={
            "http_port": free_port(),
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": bolt_port,
            "server_httpsIncomingPort": free_port(),
        },
        jvm_kwargs={"heap_size": "512m"},
    )
    server.start()
    server.create_database(DATABASE)
    warm_up(f"bolt://127.0.0.1:{bolt_port}", password)
    # On a line of its own: the server's log shares this output.
    print(f"\nready bolt://127.0.0.1:{bolt_port} {DATABASE}", flush=True)
    sys.stdin.read()  # the test run closes it when it ends (or dies)
    server.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
