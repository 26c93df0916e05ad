"""``POST /v1/embeddings``: the inventory's embedding models, in OpenAI's format."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import LambdaFunctionUrlRouter

from lambda_src.adapters import embedding_model
from lambda_src.api_types import EmbeddingRequest
from lambda_src.aws_clients import get_clients
from lambda_src.chat import Usage, embedding_body
from lambda_src.model_lookup import find_model
from lambda_src.request_body import parse_body
from lambda_src.settings import get_settings
from lambda_src.telemetry import logger, upstream_call

router = LambdaFunctionUrlRouter()  # type: ignore[no-untyped-call]  # powertools leaves __init__ unannotated


@router.post("/v1/embeddings")
def embeddings() -> Response[str]:
    request = parse_body(router.current_event, EmbeddingRequest)
    settings = get_settings()
    spec = find_model(request.model, "embedding", settings)
    model = embedding_model(spec, get_clients(settings.upstream_timeout_seconds))
    with upstream_call(spec, "embed") as call:
        result = model.embed(request)
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
    payload = embedding_body(result, model=spec.id, encoding_format=request.encoding_format)
    return Response(200, content_types.APPLICATION_JSON, json.dumps(payload, separators=(",", ":")))
