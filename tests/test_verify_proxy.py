"""The fault battery's TCP proxy: forwards, cuts every connection, refuses, then restores."""

import socket
import socketserver
import threading

import pytest

from shared.verify.battery.proxy import TcpProxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address
    server.shutdown()
    server.server_close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def round_trip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(1024)
        if not chunk:
            break
        received += chunk
    return received


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the other end went away: end of stream, or a reset."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def test_the_proxy_forwards_both_ways(echo_server):
    with TcpProxy(*echo_server) as proxy, connect(proxy.port) as sock:
        assert round_trip(sock, b"SELECT 1") == b"SELECT 1"
        assert proxy.open_connections == 2


def test_a_cut_drops_open_connections_and_refuses_new_ones(echo_server):
    with TcpProxy(*echo_server) as proxy, connect(proxy.port) as sock:
        assert round_trip(sock, b"ping") == b"ping"

        proxy.cut()

        assert closed_by_peer(sock)
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.port)
        assert not proxy.listening
        assert proxy.open_connections == 0


def test_a_restored_proxy_listens_on_the_same_port_again(echo_server):
    with TcpProxy(*echo_server) as proxy:
        port = proxy.port
        proxy.cut()
        proxy.restore()

        assert proxy.port == port
        with connect(port) as sock:
            assert round_trip(sock, b"back") == b"back"


def test_an_unreachable_target_closes_the_client_connection():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]  # bound, never listening: connections are refused
        with TcpProxy("127.0.0.1", dead_port) as proxy, connect(proxy.port) as sock:
            assert closed_by_peer(sock)
