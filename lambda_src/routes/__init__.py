"""HTTP routes, one module per area; :mod:`lambda_src.app` lists them.

:data:`ALLOWED_METHODS` lists every path the API serves, so that a known path called with
another method answers 405 with an ``Allow`` header.
"""

from __future__ import annotations

from starlette.requests import Request

from lambda_src.exceptions import InvalidRequestError
from lambda_src.request_body import MAX_BODY_BYTES, too_large

ALLOWED_METHODS: dict[str, tuple[str, ...]] = {
    "/health": ("GET",),
    "/v1/models": ("GET",),
    "/v1/chat/completions": ("POST",),
    "/v1/completions": ("POST",),
    "/v1/embeddings": ("POST",),
    "/v1/responses": ("POST",),
}


async def read_body(request: Request) -> bytes:
    """The request body, refused as soon as it is known to exceed the limit (never buffered past it)."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidRequestError("the Content-Length header must be a whole number of bytes")
        if int(length) > MAX_BODY_BYTES:
            raise too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)
