"""HTTP routes, one :class:`Router` per area, included by :mod:`lambda_src.app`.

:data:`ALLOWED_METHODS` lists every path the API serves, so that a known path called with
another method answers 405 (powertools itself only knows "no route": 404).
"""

from __future__ import annotations

ALLOWED_METHODS: dict[str, tuple[str, ...]] = {
    "/health": ("GET",),
    "/v1/models": ("GET",),
    "/v1/chat/completions": ("POST",),
    "/v1/completions": ("POST",),
    "/v1/embeddings": ("POST",),
}
