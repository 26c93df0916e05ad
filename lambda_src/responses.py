"""OpenAI-shaped JSON responses: answers and errors, as compact JSON in one body."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from lambda_src import request_context
from lambda_src.exceptions import ApiError, ConfigurationError

JSON = "application/json"
# What callers learn of a misconfiguration: the details (ARNs, account ids, parameter and key
# names) are for the operators, in the request's log line.
MISCONFIGURED = (
    "The deployment is misconfigured; its operators can find the cause in the function's logs "
    "under request id {request_id}."
)


def error_body(
    message: str,
    *,
    type: str,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """``{"error": {"message", "type", "code", "param"}}``, as the OpenAI API answers errors."""
    return {"error": {"message": message, "type": type, "code": code, "param": param}}


def public_message(err: ApiError) -> str:
    if isinstance(err, ConfigurationError):
        context = request_context.current()
        return MISCONFIGURED.format(request_id=context.request_id if context else "unknown")
    return err.message


def api_error_body(err: ApiError) -> dict[str, Any]:
    return error_body(public_message(err), type=err.type, code=err.code, param=err.param)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def error_headers(err: ApiError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if err.should_retry is not None:
        headers["x-should-retry"] = "true" if err.should_retry else "false"
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    return headers


def error_response(err: ApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(api_error_body(err), err.status, {**error_headers(err), **(headers or {})})
