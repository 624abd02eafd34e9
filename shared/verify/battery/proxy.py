"""A TCP proxy a test can cut and restore: the app talks to its database (or Redis) through it.

Cutting it is an outage as the app sees one: every open connection is dropped at once and new
ones are refused, because nothing listens on the port any more. Restoring it listens on the
same port again, so the app's configured URL stays right and it has to recover by itself.

The proxy runs its own event loop in a thread, so a test can block (sleep, wait for a process,
use a synchronous client) without stalling the traffic it forwards.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

CHUNK = 65536


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port`` until it is cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0  # chosen by the system at the first start, then kept
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def open_connections(self) -> int:
        """Connections forwarded right now, counting each side (client and target) once."""
        return self._call(self._count())

    def start(self) -> TcpProxy:
        self._thread.start()
        self.restore()
        return self

    def cut(self) -> None:
        """Stop listening (new connections are refused) and drop every open connection."""
        self._call(self._cut())

    def restore(self) -> None:
        """Listen again, on the same port as before."""
        self._call(self._listen())

    def close(self) -> None:
        if self._thread.is_alive():
            self._call(self._shut_down())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _count(self) -> int:
        return len(self._transports)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()  # no goodbye: the peer learns it on its next read or write
        self._transports.clear()

    async def _shut_down(self) -> None:
        await self._cut()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _forward(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter):
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._connect(client_reader, client)
        finally:
            self._tasks.discard(task)

    async def _connect(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter):
        try:
            target_reader, target = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        pair = {client.transport, target.transport}
        self._transports |= pair
        try:
            await asyncio.gather(
                self._pipe(client_reader, target), self._pipe(target_reader, client)
            )
        finally:
            for transport in pair:
                transport.abort()
            self._transports -= pair

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction until either side goes away, then close the other."""
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
