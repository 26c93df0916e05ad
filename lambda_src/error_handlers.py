"""Exception handlers that turn every failure into an OpenAI-shaped JSON error response.

Powertools picks the handler registered for the nearest class in the exception's MRO, so the
catch-all ``Exception`` handler would also swallow powertools' own ``RequestValidationError``
(normally a 422) unless that class has a handler of its own, as it does here.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from lambda_src.exceptions import (
    ApiError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotImplementedRouteError,
    UnknownRouteError,
)
from lambda_src.responses import error_body, error_response

ErrorResponse = Response[dict[str, Any]]


def register_error_handlers(
    app: ApiGatewayResolver, allowed_methods: Mapping[str, tuple[str, ...]], logger: Logger
) -> None:
    """Install the handlers on ``app``.

    ``allowed_methods`` (path -> methods) turns 404s on known paths into 405s; ``logger`` is the
    handler's own (a child logger would take its service name from the environment at import).
    """

    def api_error(err: ApiError) -> ErrorResponse:
        if err.status >= 500 and not isinstance(err, NotImplementedRouteError):
            # The one log line for a server-side failure; ``reason`` never reaches the client.
            logger.error(
                err.message, extra={"error_code": err.code, "status": err.status, "reason": err.reason}
            )
        return error_response(err)

    def request_validation_error(err: RequestValidationError) -> ErrorResponse:
        return error_response(_invalid_request(err))

    # Powertools' own BadRequestError, UnauthorizedError, ...: keep their status, reshape the body.
    def service_error(err: ServiceError) -> ErrorResponse:
        kind = "invalid_request_error" if err.status_code < 500 else "server_error"
        return Response(
            status_code=err.status_code,
            content_type=content_types.APPLICATION_JSON,
            body=error_body(str(err.msg), type=kind),
        )

    def not_found(_: NotFoundError) -> ErrorResponse:
        method = app.current_event.http_method.upper()
        path = app.current_event.path
        allowed = allowed_methods.get(path)
        if allowed:
            return error_response(
                MethodNotAllowedError(f"{method} is not allowed on {path}; use {', '.join(allowed)}"),
                headers={"Allow": ", ".join(allowed)},
            )
        # OpenAI's own wording for an unknown URL.
        return error_response(UnknownRouteError(f"Invalid URL ({method} {path})"))

    def unexpected(err: Exception) -> ErrorResponse:
        # The type and where it was raised, never the message or a traceback: either may hold secrets.
        frames = traceback.extract_tb(err.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else None
        logger.error("unhandled exception", extra={"error_type": type(err).__name__, "where": where})
        return Response(
            status_code=500,
            content_type=content_types.APPLICATION_JSON,
            body=error_body("The server had an error processing your request.", type="server_error"),
        )

    # Calls rather than decorators: powertools' decorators are untyped, which strict mypy rejects.
    app.exception_handler(ApiError)(api_error)
    app.exception_handler(RequestValidationError)(request_validation_error)
    app.exception_handler(ServiceError)(service_error)
    app.not_found(not_found)
    app.exception_handler(Exception)(unexpected)


def _invalid_request(err: RequestValidationError) -> InvalidRequestError:
    errors = err.errors()
    if not errors:
        return InvalidRequestError("invalid request")
    first = errors[0]
    kind = str(first.get("type", "invalid"))
    # Drop the leading "body"/"query"/...; OpenAI names params by their path in the body.
    param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    # Only the location and the error type: pydantic's messages may echo the input.
    if kind == "json_invalid":
        param, message = None, "the request body is not valid JSON"
    elif kind == "missing":
        message = f"missing required parameter: {param!r}" if param else "the request body is required"
    elif param:
        message = f"invalid value for {param!r} ({kind})"
    else:
        message = f"invalid request body ({kind})"
    more = len(errors) - 1
    return InvalidRequestError(message + (f"; and {more} more error(s)" if more else ""), param=param)
