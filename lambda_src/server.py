"""Serve the app in Lambda, behind the AWS Lambda Web Adapter: ``python -m lambda_src.server``.

The adapter waits for its readiness check (``GET /health`` on ``AWS_LWA_PORT``) before it
forwards the first request. Only 127.0.0.1 is bound: the adapter runs in the same sandbox.
"""

from __future__ import annotations

import gc
import os
import socket
from typing import Any

import uvicorn

HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def listening_socket(port: int, host: str = HOST) -> socket.socket:
    """A listening TCP socket. Made with the TCP protocol number, so that asyncio turns Nagle's
    algorithm off on every connection it accepts (it checks ``proto``): otherwise an answer
    written as headers then body waits for a delayed ACK, about 40 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        app,
        log_config=None,  # the app logs JSON through Powertools; uvicorn's own lines are not needed
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_keep_alive=3600,  # the adapter keeps one connection open
    )
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    from lambda_src.app import app

    sock = listening_socket(int(os.environ.get("AWS_LWA_PORT") or DEFAULT_PORT))
    # Everything imported so far lives as long as the process: move it out of the collector's
    # reach, so that the first requests do not pay for a full collection over import garbage.
    gc.freeze()
    serve(app, sock)


if __name__ == "__main__":
    main()
