"""Routes that belong to the OpenAI API but are not served by this version: 501."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambda_src.exceptions import NotImplementedRouteError


async def completions(_: Request) -> Response:
    raise NotImplementedRouteError("POST /v1/completions is not implemented yet in this version of the API")
