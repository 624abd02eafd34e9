"""The graph benchmark's generated graph: the shapes its questions are about."""

from shared.bench.graph import (
    CHAINS,
    FAN_OUT,
    LATTICE_DEPTH,
    LATTICE_WIDTH,
    TODOS,
    TREE_DEPTH,
    generated_graph,
    render_markdown,
)


def blockers_of(edges):
    found = {}
    for todo, blocker in edges:
        found.setdefault(todo, []).append(blocker)
    return found


def reach(edges, start, depth):
    """Every todo within ``depth`` steps of ``start``, at its shortest distance."""
    blockers, distances, frontier = blockers_of(edges), {}, [start]
    for distance in range(1, depth + 1):
        frontier = [b for todo in frontier for b in blockers.get(todo, []) if b not in distances]
        distances |= dict.fromkeys(frontier, distance)
    return distances


def test_each_question_walks_the_shape_it_is_named_after():
    edges, roots = generated_graph(first_id=1)

    for length in CHAINS:
        todo, depth = roots[f"chain of {length}"]
        assert depth == length
        assert sorted(reach(edges, todo, depth).values()) == list(range(1, length + 1))
    tree, depth = roots[f"tree, fan-out {FAN_OUT}, depth {TREE_DEPTH}"]
    below = reach(edges, tree, depth)
    assert len(below) == sum(FAN_OUT**level for level in range(1, TREE_DEPTH + 1))
    lattice, depth = roots[f"lattice, width {LATTICE_WIDTH}, depth {LATTICE_DEPTH}"]
    assert sorted(reach(edges, lattice, depth).values()) == [
        level for level in range(1, depth + 1) for _ in range(LATTICE_WIDTH)
    ]


def test_the_graph_has_no_cycle_and_stays_within_the_todos():
    edges, _ = generated_graph(first_id=100)

    assert all(todo < blocker for todo, blocker in edges)  # every edge points forwards
    assert all(100 <= todo < 100 + TODOS and 100 <= b < 100 + TODOS for todo, b in edges)
    assert len(set(edges)) == len(edges)


def test_the_report_names_both_databases_and_the_ratio():
    timing = {"median_ms": 1.0, "p95_ms": 2.0}
    results = {
        "measured": "2026-12-06T20:00:00Z",
        "graph": {"todos": 10, "blockers": 9},
        "method": "m",
        "machine": "2 cores",
        "versions": "neo4j 6",
        "load": [0.1, 0.2],
        "questions": [
            {"question": "q", "rows": 3, "sql": timing, "cypher": timing, "sql_over_cypher": 1.0}
        ],
        "projection": {"rebuild_seconds": 1.5, "graph_server_rss_mib": 300.0},
    }

    markdown = render_markdown(results)

    assert "recursive SQL, PostgreSQL" in markdown and "Cypher, Bolt server" in markdown
    assert "| q | 3 | 1.0 / 2.0 | 1.0 / 2.0 | 1.0 |" in markdown
