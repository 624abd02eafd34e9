"""Every Cypher statement the app sends, in one place.

Each one runs unchanged on Neo4j 5 and on ArcadeDB (whose Bolt server the tests use): plain
``MATCH``, ``MERGE``, ``SET``, ``DELETE``, ``DETACH DELETE``, ``UNWIND`` over a list parameter,
a variable-length path with ``min(length(p))``, and parameters for every value. A todo is a
node ``(:Todo {id, user_id, completed})``; ``(a)-[:BLOCKED_BY]->(b)`` says b blocks a.

Every write is idempotent (``MERGE`` finds before it creates; deleting what is gone does
nothing), so applying a change twice leaves the graph as applying it once: the outbox may
deliver a change again after a crash.
"""

from neodyme.models.graph_outbox import GraphChange

SAVE_TODO = "MERGE (t:Todo {id: $id}) SET t.user_id = $user_id, t.completed = $completed"
DELETE_TODO = "MATCH (t:Todo {id: $id}) DETACH DELETE t"
ADD_BLOCKER = (
    "MATCH (a:Todo {id: $todo_id}), (b:Todo {id: $blocker_id}) MERGE (a)-[:BLOCKED_BY]->(b)"
)
DELETE_USERS_TODOS = "MATCH (t:Todo {user_id: $user_id}) DETACH DELETE t"
REMOVE_BLOCKER = "MATCH (a:Todo {id: $todo_id})-[r:BLOCKED_BY]->(b:Todo {id: $blocker_id}) DELETE r"

STATEMENT_FOR = {
    GraphChange.TODO_SAVED: SAVE_TODO,
    GraphChange.TODO_DELETED: DELETE_TODO,
    GraphChange.BLOCKER_ADDED: ADD_BLOCKER,
    GraphChange.BLOCKER_REMOVED: REMOVE_BLOCKER,
    GraphChange.USER_DELETED: DELETE_USERS_TODOS,
}
"""The statement that applies each kind of outbox row; the row's payload is its parameters."""

PING = "RETURN 1 AS ok"
DELETE_EVERYTHING = "MATCH (t:Todo) DETACH DELETE t"
SAVE_TODOS = (
    "UNWIND $rows AS row MERGE (t:Todo {id: row.id}) "
    "SET t.user_id = row.user_id, t.completed = row.completed"
)
ADD_BLOCKERS = (
    "UNWIND $rows AS row MATCH (a:Todo {id: row.todo_id}), (b:Todo {id: row.blocker_id}) "
    "MERGE (a)-[:BLOCKED_BY]->(b)"
)


def transitive_blockers(depth: int) -> str:
    """What blocks ``$todo_id`` within ``depth`` steps, each at its shortest distance.

    A path's length cannot be a parameter in Cypher: it is written into the statement, which
    is safe only because ``depth`` is an int the API has bounded (1 to 50).
    """
    if not isinstance(depth, int) or not 1 <= depth <= 50:
        raise ValueError(f"depth must be an int from 1 to 50, not {depth!r}")
    return (
        f"MATCH p = (t:Todo {{id: $todo_id}})-[:BLOCKED_BY*1..{depth}]->(b:Todo) "
        "RETURN b.id AS id, min(length(p)) AS distance ORDER BY distance, id"
    )
