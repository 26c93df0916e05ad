"""``POST /v1/chat/completions``: any chat model of the inventory, in OpenAI's format.

Runtime overrides (``custom_model``, ``model_overrides``) are resolved by
:mod:`lambda_src.overrides`, for admin callers in a dev stage only.

``stream: true`` answers with a complete ``text/event-stream`` body (chunks, then ``[DONE]``):
Lambda's Python runtime cannot stream a response through a Function URL, so the model is
called once and its answer is sent as the chunks OpenAI would have streamed.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import LambdaFunctionUrlRouter

from lambda_src.adapters import chat_model
from lambda_src.api_types import ChatCompletionRequest, text_of
from lambda_src.aws_clients import get_clients
from lambda_src.chat import ChatResult, completion_body, new_completion_id, stream_body
from lambda_src.inventory import ModelSpec
from lambda_src.overrides import chat_spec, which
from lambda_src.principals import caller_arn
from lambda_src.request_body import parse_body
from lambda_src.settings import get_settings
from lambda_src.telemetry import UpstreamCall, logger, upstream_call

router = LambdaFunctionUrlRouter()  # type: ignore[no-untyped-call]  # powertools leaves __init__ unannotated

EVENT_STREAM = "text/event-stream"


@router.post("/v1/chat/completions")
def chat_completions() -> Response[str]:
    request = parse_body(router.current_event, ChatCompletionRequest)
    settings = get_settings()
    # Overrides are authorized here, before any key, role or model is touched.
    spec = chat_spec(request, settings, caller_arn(router.current_event.raw_event))
    model = chat_model(spec, get_clients(settings.upstream_timeout_seconds))
    with upstream_call(spec, "chat") as call:
        result = model.chat(request)
        call.usage = result.usage
    _log(spec, request, result, call, settings.log_prompts)
    completion_id = new_completion_id()
    if request.stream:
        body = stream_body(
            result, model=spec.id, completion_id=completion_id, include_usage=request.include_usage_chunk
        )
        return Response(200, EVENT_STREAM, body, headers={"Cache-Control": "no-cache"})
    payload = completion_body(result, model=spec.id, completion_id=completion_id)
    return Response(200, content_types.APPLICATION_JSON, json.dumps(payload, separators=(",", ":")))


def _log(
    spec: ModelSpec, request: ChatCompletionRequest, result: ChatResult, call: UpstreamCall, log_prompts: bool
) -> None:
    extra: dict[str, Any] = {
        "model": spec.id,
        "provider": spec.provider,
        "stream": bool(request.stream),
        "finish_reason": result.finish_reason,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "latency_ms": round(call.latency_ms, 1),
    }
    override = which(request)
    if override:
        extra["override"] = override
    if log_prompts:
        extra["messages"] = [{"role": m.role, "content": text_of(m.content)} for m in request.messages]
        extra["completion"] = result.content
        extra["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]
    logger.info("chat completion", extra=extra)
