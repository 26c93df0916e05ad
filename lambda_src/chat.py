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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import ConfigurationError, InvalidRequestError
from lambda_src.inventory import ModelSpec
from lambda_src.reasoning import ReasoningBlock, reasoning_text, signature_of

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
# model_kwargs keys that act as defaults for the request's own generation settings.
GENERATION_KEYS = frozenset({"max_tokens", "temperature", "top_p", "stop"})


# No answer counts more tokens than this; a larger or negative count from upstream is not trusted.
MAX_TOKEN_COUNT = 10**9


def token_count(value: Any) -> int:
    """A token count reported by a provider, or 0 when it is missing, malformed or absurd."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKEN_COUNT:
        return value
    return 0


class Usage(NamedTuple):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Part of completion_tokens, where the provider reports it.
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ToolCallResult(NamedTuple):
    id: str
    name: str
    # A JSON object, serialized, as OpenAI's ``function.arguments``.
    arguments: str


class ChatResult(NamedTuple):
    content: str | None
    tool_calls: tuple[ToolCallResult, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage = Usage()
    reasoning: tuple[ReasoningBlock, ...] = ()
    # The service tier that served the answer, where the provider says.
    service_tier: str | None = None


class EmbeddingResult(NamedTuple):
    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int = 0


class GenerationParams(NamedTuple):
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


def _usage(usage: Usage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.reasoning_tokens:
        body["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return body


def _reasoning_fields(blocks: Sequence[ReasoningBlock]) -> dict[str, str]:
    fields: dict[str, str] = {}
    if (text := reasoning_text(blocks)) is not None:
        fields["reasoning_content"] = text
    if (signature := signature_of(blocks)) is not None:
        fields["reasoning_signature"] = signature
    return fields


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
    message.update(_reasoning_fields(result.reasoning))
    if result.tool_calls:
        message["tool_calls"] = _tool_calls(result)
    body = {
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
    if result.service_tier:
        body["service_tier"] = result.service_tier
    return body


# --- the delta stream every adapter produces ----------------------------------------------------


class TextDelta(NamedTuple):
    text: str


# A dataclass, not a NamedTuple like the others: its ``index`` would hide ``tuple.index``.
@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of tool call ``index``: its first fragment carries ``id`` and ``name``."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class ReasoningDelta(NamedTuple):
    """A piece of thinking block ``block``: text, its signature (sent last), or redacted data."""

    block: int
    text: str = ""
    signature: str | None = None
    redacted: bytes | None = None


class ServiceTierDelta(NamedTuple):
    tier: str


class FinishDelta(NamedTuple):
    reason: FinishReason


class UsageDelta(NamedTuple):
    usage: Usage


Delta = TextDelta | ReasoningDelta | ToolCallDelta | FinishDelta | UsageDelta | ServiceTierDelta


def deltas_of(result: ChatResult) -> Iterator[Delta]:
    """A complete answer as deltas: reasoning, one content delta, one per tool call, finish, usage."""
    for index, block in enumerate(result.reasoning):
        yield ReasoningDelta(index, block.text, block.signature, block.redacted)
    if result.service_tier:
        yield ServiceTierDelta(result.service_tier)
    if result.content:
        yield TextDelta(result.content)
    for index, call in enumerate(result.tool_calls):
        yield ToolCallDelta(index, call.id, call.name, call.arguments)
    yield FinishDelta(result.finish_reason)
    yield UsageDelta(result.usage)


def fold(deltas: Iterable[Delta]) -> ChatResult:
    """The answer a delta stream adds up to."""
    text: list[str] = []
    calls: dict[int, list[str]] = {}
    heads: dict[int, tuple[str, str]] = {}
    finish: FinishReason = "stop"
    usage = Usage()
    reasoning = _ReasoningParts()
    tier: str | None = None
    for delta in deltas:
        if isinstance(delta, TextDelta):
            text.append(delta.text)
        elif isinstance(delta, ReasoningDelta):
            reasoning.add(delta)
        elif isinstance(delta, ServiceTierDelta):
            tier = delta.tier
        elif isinstance(delta, ToolCallDelta):
            if delta.index not in heads:
                heads[delta.index] = (delta.id or f"call_{delta.index}", delta.name or "")
            calls.setdefault(delta.index, []).append(delta.arguments)
        elif isinstance(delta, FinishDelta):
            finish = delta.reason
        else:
            usage = delta.usage
    tool_calls = tuple(
        ToolCallResult(heads[i][0], heads[i][1], "".join(calls[i]) or "{}") for i in sorted(heads)
    )
    return ChatResult("".join(text) or None, tool_calls, finish, usage, reasoning.blocks(), tier)


class _ReasoningParts:
    """Thinking blocks put together from their deltas, in the order they started."""

    def __init__(self) -> None:
        self._texts: dict[int, list[str]] = {}
        self._signatures: dict[int, str] = {}
        self._redacted: dict[int, bytes] = {}

    def add(self, delta: ReasoningDelta) -> None:
        self._texts.setdefault(delta.block, []).append(delta.text)
        if delta.signature:
            self._signatures[delta.block] = delta.signature
        if delta.redacted is not None:
            self._redacted[delta.block] = self._redacted.get(delta.block, b"") + delta.redacted

    def blocks(self) -> tuple[ReasoningBlock, ...]:
        return tuple(
            ReasoningBlock(redacted=self._redacted[i])
            if i in self._redacted
            else ReasoningBlock("".join(self._texts[i]), self._signatures.get(i))
            for i in self._texts
        )


class ChunkEncoder:
    """Turns one answer's deltas into the ``chat.completion.chunk`` objects OpenAI streams."""

    def __init__(
        self, *, model: str, completion_id: str, created: int | None = None, include_usage: bool = False
    ) -> None:
        self._base: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()) if created is None else created,
            "model": model,
            "system_fingerprint": None,
        }
        if include_usage:
            self._base["usage"] = None
        self._include_usage = include_usage
        self._finish: FinishReason = "stop"
        self._usage = Usage()
        self._tool_calls = False
        self._reasoning = _ReasoningParts()

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._base, "choices": [choice]}

    def start(self) -> dict[str, Any]:
        return self._chunk({"role": "assistant", "content": "", "refusal": None})

    def encode(self, delta: Delta) -> dict[str, Any] | None:
        """The chunk for ``delta`` (None for what is only sent at the end: finish, usage)."""
        if isinstance(delta, TextDelta):
            return self._chunk({"content": delta.text}) if delta.text else None
        if isinstance(delta, ReasoningDelta):
            self._reasoning.add(delta)
            return self._chunk({"reasoning_content": delta.text}) if delta.text else None
        if isinstance(delta, ServiceTierDelta):
            self._base["service_tier"] = delta.tier
            return None
        if isinstance(delta, ToolCallDelta):
            self._tool_calls = True
            call: dict[str, Any] = {"index": delta.index}
            if delta.id is not None or delta.name is not None:
                call["id"] = delta.id or f"call_{delta.index}"
                call["type"] = "function"
                call["function"] = {"name": delta.name or "", "arguments": delta.arguments}
            else:
                call["function"] = {"arguments": delta.arguments}
            return self._chunk({"tool_calls": [call]})
        if isinstance(delta, FinishDelta):
            self._finish = delta.reason
        else:
            self._usage = delta.usage
        return None

    def finish(self) -> Iterator[dict[str, Any]]:
        # A model that called tools and stopped for it says "stop" on some providers.
        finish = "tool_calls" if self._tool_calls and self._finish == "stop" else self._finish
        # The signature covers every thinking block, so it goes once, when all are known.
        if (signature := signature_of(self._reasoning.blocks())) is not None:
            yield self._chunk({"reasoning_signature": signature})
        yield self._chunk({}, finish)
        if self._include_usage:
            yield {**self._base, "choices": [], "usage": _usage(self._usage)}


def sse(payload: dict[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>`` (or a literal such as ``[DONE]``)."""
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


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
