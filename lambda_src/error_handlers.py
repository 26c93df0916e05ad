"""Every failure as an OpenAI-shaped JSON error, and the per-request scope around each request.

:class:`RequestScope` is the outermost layer of the app: it reads the request context (caller,
request id, deadline, trace), puts the request id and caller on every log line of the request,
writes the request's metrics before its answer ends, and turns anything unexpected into a 500
without a traceback or a message (either may hold secrets) in the response or the log.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lambda_src import request_context
from lambda_src.exceptions import (
    ApiError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotImplementedRouteError,
    UnknownRouteError,
)
from lambda_src.responses import error_body, error_response, json_response
from lambda_src.telemetry import logger, write_request_metrics
from lambda_src.upstream import DEFAULT_BUDGET_SECONDS

INTERNAL_ERROR = "The server had an error processing your request."


def log_api_error(err: ApiError) -> None:
    if err.status >= 500 and not isinstance(err, NotImplementedRouteError):
        # The one log line for a server-side failure; ``reason`` never reaches the client.
        logger.error(err.message, extra={"error_code": err.code, "status": err.status, "reason": err.reason})


async def api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    log_api_error(exc)
    return error_response(exc)


def http_error_handler(allowed_methods: Mapping[str, tuple[str, ...]]):  # type: ignore[no-untyped-def]
    """Starlette's own 404 and 405 (no route; a path with another method) in OpenAI's shape."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        method, path = request.method.upper(), request.url.path
        allowed = allowed_methods.get(path)
        if exc.status_code in (404, 405) and allowed:
            return error_response(
                MethodNotAllowedError(f"{method} is not allowed on {path}; use {', '.join(allowed)}"),
                headers={"Allow": ", ".join(allowed)},
            )
        if exc.status_code == 404:
            # OpenAI's own wording for an unknown URL.
            return error_response(UnknownRouteError(f"Invalid URL ({method} {path})"))
        kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return json_response(error_body(str(exc.detail), type=kind), exc.status_code)

    return http_error


def unexpected(err: BaseException) -> Response:
    # The type and where it was raised, never the message or a traceback: either may hold secrets.
    frames = traceback.extract_tb(err.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else None
    logger.error("unhandled exception", extra={"error_type": type(err).__name__, "where": where})
    return json_response(error_body(INTERNAL_ERROR, type="server_error"), 500)


class RequestScope:
    """Pure ASGI middleware (it must not buffer streamed answers)."""

    def __init__(self, app: ASGIApp, *, default_timeout: float = DEFAULT_BUDGET_SECONDS) -> None:
        self.app = app
        self.default_timeout = default_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Before the answer's end, not after it: once the adapter has the whole answer,
                # Lambda may freeze the environment before work left for later has run.
                write_request_metrics()
            await send(message)

        try:
            context = request_context.from_headers(scope["headers"], default_timeout=self.default_timeout)
        except InvalidRequestError as err:
            await error_response(err)(scope, receive, send)
            return
        request_context.bind(context)
        keys = {"correlation_id": context.request_id}
        if context.caller_arn:
            keys["caller"] = context.caller_arn
        logger.thread_safe_append_keys(**keys)
        try:
            await self.app(scope, receive, tracked)
        except Exception as err:
            if not started:
                await unexpected(err)(scope, receive, tracked)
            else:
                unexpected(err)  # the answer is under way: log it; the stream ends here
        finally:
            write_request_metrics()  # what an answer that never ended (the client left) recorded
            logger.thread_safe_clear_keys()
            request_context.bind(None)
