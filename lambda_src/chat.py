"""What every adapter returns, the generation settings they share, and the OpenAI response bodies.

Adapters turn a provider's answer into a :class:`ChatResult` or :class:`EmbeddingResult`; the
functions here turn those into ``chat.completion``, ``chat.completion.chunk`` (server-sent
events) and embedding-list bodies. Nothing here does I/O.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import ConfigurationError, InvalidRequestError
from lambda_src.inventory import ModelSpec

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
# model_kwargs keys that act as defaults for the request's own generation settings.
GENERATION_KEYS = frozenset({"max_tokens", "temperature", "top_p", "stop"})


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ToolCallResult:
    id: str
    name: str
    # A JSON object, serialized, as OpenAI's ``function.arguments``.
    arguments: str


@dataclass(frozen=True)
class ChatResult:
    content: str | None
    tool_calls: tuple[ToolCallResult, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int = 0


@dataclass(frozen=True)
class GenerationParams:
    """The request's generation settings, after the model's defaults and limits."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()


def _number(spec: ModelSpec, key: str) -> float | None:
    value = spec.model_kwargs.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"model {spec.id!r}: model_kwargs.{key} must be a number")
    return float(value)


def generation_params(spec: ModelSpec, request: ChatCompletionRequest) -> GenerationParams:
    """Request values win over ``model_kwargs`` defaults; ``limits.max_tokens`` caps both."""
    limit = spec.limits.max_tokens
    max_tokens = request.output_limit
    if max_tokens is not None and limit is not None and max_tokens > limit:
        raise InvalidRequestError(
            f"max_tokens is {max_tokens}, above the limit of {limit} for model {spec.id!r}",
            param="max_completion_tokens" if request.max_completion_tokens else "max_tokens",
        )
    if max_tokens is None:
        default = _number(spec, "max_tokens")
        max_tokens = int(default) if default is not None else limit
        if max_tokens is not None and limit is not None:
            max_tokens = min(max_tokens, limit)
    stop = request.stop_sequences
    if not stop:
        configured = spec.model_kwargs.get("stop")
        if isinstance(configured, str):
            stop = (configured,)
        elif isinstance(configured, list) and all(isinstance(s, str) for s in configured):
            stop = tuple(configured)
    return GenerationParams(
        max_tokens=max_tokens,
        temperature=request.temperature if request.temperature is not None else _number(spec, "temperature"),
        top_p=request.top_p if request.top_p is not None else _number(spec, "top_p"),
        stop=stop,
    )


def extra_model_kwargs(spec: ModelSpec) -> dict[str, Any]:
    """``model_kwargs`` other than the generation defaults: passed to the model as they are."""
    return {k: v for k, v in spec.model_kwargs.items() if k not in GENERATION_KEYS}


# --- OpenAI bodies ------------------------------------------------------------------------------


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _tool_calls(result: ChatResult) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in result.tool_calls
    ]


def completion_body(
    result: ChatResult, *, model: str, completion_id: str, created: int | None = None
) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": result.content, "refusal": None}
    if result.tool_calls:
        message["tool_calls"] = _tool_calls(result)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": result.finish_reason}
        ],
        "usage": _usage(result.usage),
        "system_fingerprint": None,
    }


def stream_chunks(
    result: ChatResult,
    *,
    model: str,
    completion_id: str,
    created: int | None = None,
    include_usage: bool = False,
) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects OpenAI would stream for ``result``, in order."""
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    if result.content:
        yield chunk({"content": result.content})
    for index, call in enumerate(_tool_calls(result)):
        yield chunk({"tool_calls": [{"index": index, **call}]})
    yield chunk({}, result.finish_reason)
    if include_usage:
        yield {**base, "choices": [], "usage": _usage(result.usage)}


def stream_body(
    result: ChatResult,
    *,
    model: str,
    completion_id: str,
    created: int | None = None,
    include_usage: bool = False,
) -> str:
    """A complete ``text/event-stream`` body: one ``data:`` event per chunk, then ``[DONE]``."""
    chunks = stream_chunks(
        result, model=model, completion_id=completion_id, created=created, include_usage=include_usage
    )
    events = [f"data: {json.dumps(c, separators=(',', ':'))}\n\n" for c in chunks]
    events.append("data: [DONE]\n\n")
    return "".join(events)


def _encode_vector(vector: Sequence[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        # OpenAI's base64 format: little-endian float32, as the SDKs decode it.
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return list(vector)


def embedding_body(result: EmbeddingResult, *, model: str, encoding_format: str) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": _encode_vector(v, encoding_format)}
            for i, v in enumerate(result.vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }
