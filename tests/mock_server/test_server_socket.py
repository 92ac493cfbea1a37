"""The listening socket ``labelf-mock serve`` and the plugin's server hand to uvicorn."""

from __future__ import annotations

import asyncio
import socket

from labelf_testkit.mock_server import bind_socket


async def _accepted_nodelay(listener: socket.socket) -> int:
    """Accept one real connection with asyncio (as uvicorn does) and read TCP_NODELAY on the server's side."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await loop.create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        value = await asyncio.wait_for(accepted, 10)
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_connections_accepted_on_the_bound_socket_have_nodelay() -> None:
    # asyncio sets TCP_NODELAY on accepted sockets only when the listener was created with IPPROTO_TCP
    # (asyncio.base_events._set_nodelay); without it every response waits out the client's delayed ACK.
    listener = bind_socket("127.0.0.1", 0)
    assert asyncio.run(_accepted_nodelay(listener)) != 0
