"""Liveness (also the Lambda Web Adapter's readiness check): answers without touching
configuration, SSM or any model."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambda_src.responses import json_response


async def health(_: Request) -> Response:
    return json_response({"status": "ok"})
