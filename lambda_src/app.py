"""The API as one ASGI application, the same in Lambda and on a developer's machine.

In Lambda the AWS Lambda Web Adapter (a layer) starts ``lambda_src/run.sh``, which serves this
app with uvicorn on 127.0.0.1, and forwards each Function URL request to it, streaming the
answer back (invoke mode ``RESPONSE_STREAM``). ``scripts/serve`` runs the same app locally.
Every error, including unknown routes and unexpected exceptions, is answered as OpenAI-shaped
JSON (see :mod:`lambda_src.error_handlers`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from lambda_src.error_handlers import RequestScope, api_error, http_error_handler
from lambda_src.exceptions import ApiError
from lambda_src.routes import ALLOWED_METHODS
from lambda_src.routes.chat import chat_completions
from lambda_src.routes.embeddings import embeddings
from lambda_src.routes.health import health
from lambda_src.routes.models import list_models
from lambda_src.routes.not_implemented import completions
from lambda_src.routes.responses import create_response
from lambda_src.telemetry import logger, metrics

__all__ = ["app", "logger", "metrics"]

app = Starlette(
    routes=[
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/responses", create_response, methods=["POST"]),
    ],
    middleware=[Middleware(RequestScope)],
    exception_handlers={
        ApiError: api_error,
        HTTPException: http_error_handler(ALLOWED_METHODS),
    },
)
# "/health/" is not "/health": an unknown URL, as OpenAI answers it, not a redirect.
app.router.redirect_slashes = False
