"""Serve the app in Lambda, behind the AWS Lambda Web Adapter: ``python -m lambda_src.server``.

The adapter waits for its readiness check (``GET /health`` on ``AWS_LWA_PORT``) before it
forwards the first request. Only 127.0.0.1 is bound: the adapter runs in the same sandbox.

The garbage collector is off from start-up until the first API request starts its answer (the
readiness check does not count): what the imports and that request build (the modules, the AWS
clients and their service models, the inventory) lives as long as the process, so collecting it
is wasted work on the cold start. Then all of it is frozen out of the collector's reach and the
collector is switched on for the rest of the process's life.

Lambda sends an execution environment one request at a time, so upstream calls run on the event
loop's thread, under a timer for the deadline (:func:`lambda_src.upstream.call_on_loop_thread`).
"""

from __future__ import annotations

import gc
import io
import os
import socket
import sys
from typing import Any

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# The adapter's readiness check: answered before the first API request, with the collector off.
READINESS_PATH = "/health"

App = Any  # an ASGI application


def hold_collector() -> None:
    """No garbage collection until :func:`collect_after_first_request`'s app starts an answer."""
    gc.disable()


def collect_after_first_request(app: App) -> App:
    """``app``, switching the collector on (after freezing what exists) as soon as its first
    request other than the readiness check starts its answer (or fails without one): by then the
    clients and the inventory are built, and a long stream does not run without the collector."""
    pending = True

    def release() -> None:
        nonlocal pending
        if pending:
            pending = False
            gc.freeze()
            gc.enable()

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if not pending or scope["type"] != "http" or scope["path"] == READINESS_PATH:
            await app(scope, receive, send)
            return

        async def send_then_release(message: Any) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await app(scope, receive, send_then_release)
        finally:
            release()

    return wrapped


def listening_socket(port: int, host: str = HOST) -> socket.socket:
    """A listening TCP socket. Made with the TCP protocol number, so that asyncio turns Nagle's
    algorithm off on every connection it accepts (it checks ``proto``): otherwise an answer
    written as headers then body waits for a delayed ACK, about 40 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def line_buffered_stdout() -> None:
    """Each line printed to stdout leaves the process as it is written.

    In Lambda stdout is a pipe, which Python buffers in blocks, and Powertools prints its metric
    lines (EMF) without flushing: a request's metrics would wait for the next request's log line,
    after Lambda may have frozen or shut down the environment. (The Python runtime's own handler
    loop, awslambdaric's ``bootstrap.run``, unbuffers stdout for handlers; a process started
    through the adapter's wrapper, like this one, is on its own.)
    """
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)


def serve(app: App, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM, with :func:`line_buffered_stdout`."""
    import uvicorn  # here, so that it is imported with the collector held too

    line_buffered_stdout()
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
    hold_collector()
    from lambda_src import upstream
    from lambda_src.app import app

    # Lambda sends an execution environment one request at a time.
    upstream.call_on_loop_thread()

    sock = listening_socket(int(os.environ.get("AWS_LWA_PORT") or DEFAULT_PORT))
    serve(collect_after_first_request(app), sock)


if __name__ == "__main__":
    main()
