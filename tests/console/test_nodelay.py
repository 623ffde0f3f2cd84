"""The console's listening sockets get TCP_NODELAY, which the connections they accept inherit:
without it a kept-alive client waits ~40 ms per answer (see ``answer_small_writes_at_once``)."""

from __future__ import annotations

import socket

from console.server import answer_small_writes_at_once


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_listening_sockets_bound_like_streamlit_get_nodelay_and_pass_it_on() -> None:
    listener = socket.socket(family=socket.AF_INET)  # as Streamlit binds it: protocol number 0
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.socket(family=socket.AF_INET)
    try:
        assert _nodelay(listener) == 0
        assert answer_small_writes_at_once() >= 1
        assert _nodelay(listener) != 0
        client.connect(listener.getsockname())
        accepted, _ = listener.accept()
        with accepted:
            assert _nodelay(accepted) != 0
    finally:
        client.close()
        listener.close()


def test_sockets_that_do_not_listen_are_left_alone() -> None:
    idle = socket.socket(family=socket.AF_INET)
    datagram = socket.socket(family=socket.AF_INET, type=socket.SOCK_DGRAM)
    try:
        answer_small_writes_at_once()
        assert _nodelay(idle) == 0
    finally:
        idle.close()
        datagram.close()
