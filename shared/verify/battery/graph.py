"""The graph side track is served with its graph: the battery then attacks the projection too.

Every other configuration answers from recursive SQL; with ``NEODYME_GRAPH_*`` set, writes go
through the outbox and its worker, and reads through the graph when it has caught up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.bolt import bolt_server

PASSWORD = "verify-graph-password"


@contextmanager
def graph_settings_for(track: Path, folder: Path) -> Iterator[dict[str, str]]:
    """The track's Bolt server while the block runs; the app's settings for it."""
    with bolt_server(track, folder, PASSWORD) as server:
        yield server.settings
