"""``POST /v1/embeddings``: the inventory's embedding models, in OpenAI's format."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambda_src.adapters import embedding_model
from lambda_src.api_types import EmbeddingRequest
from lambda_src.aws_clients import get_clients
from lambda_src.chat import EmbeddingResult, Usage, embedding_body
from lambda_src.model_lookup import find_model
from lambda_src.request_body import parse_body
from lambda_src.responses import json_response
from lambda_src.routes import read_body
from lambda_src.settings import get_settings
from lambda_src.telemetry import logger, upstream_call
from lambda_src.upstream import run_upstream


async def embeddings(request: Request) -> Response:
    # Here, not at the top, like EmbeddingRequest's validator: a function that only chats (the
    # cold start's first request) never loads them.
    from lambda_src.token_arrays import with_texts

    embed_request = with_texts(parse_body(await read_body(request), EmbeddingRequest))
    settings = get_settings()
    spec = find_model(embed_request.model, "embedding", settings)  # cached inventory, as for chat
    model = embedding_model(spec, get_clients(settings.upstream_timeout_seconds))
    with upstream_call(spec, "embed") as call:
        result: EmbeddingResult = await run_upstream(lambda: model.embed(embed_request))
        call.usage = Usage(prompt_tokens=result.prompt_tokens)
    logger.info(
        "embeddings",
        extra={
            "model": spec.id,
            "provider": spec.provider,
            "inputs": len(result.vectors),
            "prompt_tokens": result.prompt_tokens,
            "latency_ms": round(call.latency_ms, 1),
        },
    )
    return json_response(embedding_body(result, model=spec.id, encoding_format=embed_request.encoding_format))
