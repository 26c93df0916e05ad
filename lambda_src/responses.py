"""OpenAI-shaped JSON error responses."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from lambda_src.exceptions import ApiError


def error_body(
    message: str,
    *,
    type: str,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """``{"error": {"message", "type", "code", "param"}}``, as the OpenAI API answers errors."""
    return {"error": {"message": message, "type": type, "code": code, "param": param}}


def error_response(err: ApiError, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    all_headers = dict(headers or {})
    if err.should_retry is not None:
        all_headers["x-should-retry"] = "true" if err.should_retry else "false"
    if err.retry_after is not None:
        all_headers["Retry-After"] = str(err.retry_after)
    return Response(
        status_code=err.status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(err.message, type=err.type, code=err.code, param=err.param),
        headers=all_headers or None,
    )
