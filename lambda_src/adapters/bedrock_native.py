"""Bedrock InvokeModel bodies, per model family: chat for models Converse cannot serve
(``api: invoke_model``), and the embedding models (Titan, Cohere).

Each family is data: how to build its request body and where its answer is. Token counts come
from the body where the family reports them, else from Bedrock's
``x-amzn-bedrock-input-token-count`` / ``-output-token-count`` response headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from lambda_src.adapters.prompts import build_prompt, conversation
from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from lambda_src.chat import (
    ChatResult,
    FinishReason,
    Usage,
    extra_model_kwargs,
    generation_params,
    token_count,
)
from lambda_src.exceptions import InvalidRequestError, UpstreamError
from lambda_src.inventory import ModelSpec

# Anthropic's messages API on Bedrock requires max_tokens.
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024
ANTHROPIC_VERSION = "bedrock-2023-05-31"
COHERE_EMBED_BATCH = 96


def _header_count(headers: Mapping[str, str], which: str) -> int:
    raw = headers.get(f"x-amzn-bedrock-{which}-token-count", "0")
    return token_count(int(raw)) if raw.isdigit() and len(raw) < 12 else 0


def _malformed(family: str) -> UpstreamError:
    return UpstreamError(
        "the model returned a response in an unexpected format", reason=f"invoke_model {family}: bad body"
    )


def _finish(value: Any, lengths: tuple[str, ...]) -> FinishReason:
    return "length" if isinstance(value, str) and value.lower() in lengths else "stop"


def _no_tools(spec: ModelSpec, request: ChatCompletionRequest) -> None:
    if request.tools:
        raise InvalidRequestError(f"model {spec.id!r} does not support tools", param="tools")


# --- chat ---------------------------------------------------------------------------------------


def _anthropic(spec: ModelSpec, request: ChatCompletionRequest) -> dict[str, Any]:
    c = conversation(request, spec)
    params = generation_params(spec, request)
    messages: list[dict[str, Any]] = []
    for turn in c.turns:
        block = {"type": "text", "text": turn.text}
        if messages and messages[-1]["role"] == turn.role:
            messages[-1] = {"role": turn.role, "content": [*messages[-1]["content"], block]}
        else:
            messages.append({"role": turn.role, "content": [block]})
    body: dict[str, Any] = {
        **extra_model_kwargs(spec),
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": params.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if c.system:
        body["system"] = c.system
    _put(body, temperature=params.temperature, top_p=params.top_p, stop_sequences=list(params.stop) or None)
    return body


def _put(body: dict[str, Any], **values: Any) -> None:
    body.update({k: v for k, v in values.items() if v is not None})


def _prompt_body(
    spec: ModelSpec, request: ChatCompletionRequest, default_format: str, names: Mapping[str, str]
) -> dict[str, Any]:
    prompt, format_stops = build_prompt(spec, request, default_format)
    params = generation_params(spec, request)
    stops = list(dict.fromkeys((*params.stop, *format_stops))) if "stop" in names else None
    body: dict[str, Any] = {**extra_model_kwargs(spec), "prompt": prompt}
    _put(
        body,
        **{
            names["max_tokens"]: params.max_tokens,
            names["temperature"]: params.temperature,
            names["top_p"]: params.top_p,
        },
    )
    if stops:
        body[names["stop"]] = stops
    return body


def _titan_text(spec: ModelSpec, request: ChatCompletionRequest) -> dict[str, Any]:
    prompt, format_stops = build_prompt(spec, request, "titan")
    params = generation_params(spec, request)
    config: dict[str, Any] = {}
    _put(config, maxTokenCount=params.max_tokens, temperature=params.temperature, topP=params.top_p)
    stops = list(dict.fromkeys((*params.stop, *format_stops)))
    if stops:
        config["stopSequences"] = stops
    return {**extra_model_kwargs(spec), "inputText": prompt, "textGenerationConfig": config}


def _parse_anthropic(payload: Any, headers: Mapping[str, str]) -> ChatResult:
    content = payload["content"]
    text = "".join(b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text")
    usage = payload.get("usage") or {}
    return ChatResult(
        content=text,
        finish_reason=_finish(payload.get("stop_reason"), ("max_tokens",)),
        usage=Usage(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))),
    )


def _parse_meta(payload: Any, headers: Mapping[str, str]) -> ChatResult:
    return ChatResult(
        content=str(payload["generation"]),
        finish_reason=_finish(payload.get("stop_reason"), ("length",)),
        usage=Usage(
            token_count(payload.get("prompt_token_count")) or _header_count(headers, "input"),
            token_count(payload.get("generation_token_count")) or _header_count(headers, "output"),
        ),
    )


def _parse_first(key: str, text_key: str, reason_key: str, lengths: tuple[str, ...]) -> Parser:
    def parse(payload: Any, headers: Mapping[str, str]) -> ChatResult:
        first = payload[key][0]
        return ChatResult(
            content=str(first[text_key]),
            finish_reason=_finish(first.get(reason_key), lengths),
            usage=Usage(_header_count(headers, "input"), _header_count(headers, "output")),
        )

    return parse


def _parse_titan(payload: Any, headers: Mapping[str, str]) -> ChatResult:
    first = payload["results"][0]
    return ChatResult(
        content=str(first["outputText"]),
        finish_reason=_finish(first.get("completionReason"), ("length",)),
        usage=Usage(int(payload.get("inputTextTokenCount", 0)), int(first.get("tokenCount", 0))),
    )


Builder = Callable[[ModelSpec, ChatCompletionRequest], dict[str, Any]]
Parser = Callable[[Any, Mapping[str, str]], ChatResult]
_COMPLETION_NAMES = {
    "max_tokens": "max_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "stop": "stop",
}


class ChatFamily(NamedTuple):
    build: Builder
    parse: Parser


CHAT_FAMILIES: dict[str, ChatFamily] = {
    "anthropic": ChatFamily(_anthropic, _parse_anthropic),
    "meta": ChatFamily(
        lambda s, r: _prompt_body(
            s, r, "llama3-chat", {"max_tokens": "max_gen_len", "temperature": "temperature", "top_p": "top_p"}
        ),
        _parse_meta,
    ),
    "mistral": ChatFamily(
        lambda s, r: _prompt_body(s, r, "mistral-instruct", _COMPLETION_NAMES),
        _parse_first("outputs", "text", "stop_reason", ("length",)),
    ),
    "amazon": ChatFamily(_titan_text, _parse_titan),
    "cohere": ChatFamily(
        lambda s, r: _prompt_body(
            s,
            r,
            "plain",
            {
                "max_tokens": "max_tokens",
                "temperature": "temperature",
                "top_p": "p",
                "stop": "stop_sequences",
            },
        ),
        _parse_first("generations", "text", "finish_reason", ("max_tokens",)),
    ),
}
# Imported and other models that take a bare prompt (DeepSeek, Qwen, ...): the completion format.
_COMPLETION_FAMILY = ChatFamily(
    lambda s, r: _prompt_body(s, r, "chatml", _COMPLETION_NAMES),
    _parse_first("choices", "text", "stop_reason", ("length",)),
)


def to_chat_body(spec: ModelSpec, family: str | None, request: ChatCompletionRequest) -> dict[str, Any]:
    _no_tools(spec, request)
    return CHAT_FAMILIES.get(family or "", _COMPLETION_FAMILY).build(spec, request)


def from_chat_body(family: str | None, payload: Any, headers: Mapping[str, str]) -> ChatResult:
    try:
        return CHAT_FAMILIES.get(family or "", _COMPLETION_FAMILY).parse(payload, headers)
    except (KeyError, IndexError, TypeError, ValueError):
        raise _malformed(family or "completion") from None


# --- embeddings ---------------------------------------------------------------------------------


# Output sizes a model takes for OpenAI's ``dimensions``, by base model id (checked 2026-11-29
# against the Bedrock user guide: Titan Text Embeddings V2 "dimensions" 1024, 512, 256; Cohere
# Embed v4 "output_dimension" 256, 512, 1024, 1536). Other embedding models have one fixed size.
EMBEDDING_DIMENSIONS: dict[str, tuple[int, ...]] = {
    "amazon.titan-embed-text-v2:0": (256, 512, 1024),
    "cohere.embed-v4:0": (256, 512, 1024, 1536),
}


def _dimensions(spec: ModelSpec, request: EmbeddingRequest) -> int | None:
    """The request's ``dimensions`` if the model takes that size; a 400 naming the choices otherwise."""
    wanted = request.dimensions
    if wanted is None:
        return None
    try:
        base = parse_model_ref(spec.model).base_model_id
    except ModelIdError:
        base = None
    allowed = EMBEDDING_DIMENSIONS.get(base or "")
    if allowed is None:
        offered = " and ".join(EMBEDDING_DIMENSIONS)
        raise InvalidRequestError(
            f"model {spec.id!r} does not take dimensions (its embeddings have one size); "
            f"leave dimensions out, or use a model that takes it ({offered})",
            param="dimensions",
        )
    if wanted not in allowed:
        raise InvalidRequestError(
            f"dimensions is {wanted}; model {spec.id!r} ({base}) takes " + ", ".join(str(n) for n in allowed),
            param="dimensions",
        )
    return wanted


def _titan_bodies(spec: ModelSpec, request: EmbeddingRequest) -> Iterator[dict[str, Any]]:
    # Titan embeds one text per call.
    dimensions = _dimensions(spec, request)
    for text in request.texts:
        body: dict[str, Any] = {**spec.model_kwargs, "inputText": text}
        if dimensions is not None:
            body["dimensions"] = dimensions
        yield body


def _titan_parse(payload: Any, headers: Mapping[str, str]) -> tuple[list[tuple[float, ...]], int]:
    vector = tuple(float(x) for x in payload["embedding"])
    return [vector], int(payload.get("inputTextTokenCount") or _header_count(headers, "input"))


def _cohere_bodies(spec: ModelSpec, request: EmbeddingRequest) -> Iterator[dict[str, Any]]:
    texts = request.texts
    dimensions = _dimensions(spec, request)
    for start in range(0, len(texts), COHERE_EMBED_BATCH):
        body: dict[str, Any] = {"input_type": "search_document", **spec.model_kwargs}
        body["texts"] = list(texts[start : start + COHERE_EMBED_BATCH])
        if dimensions is not None:
            body["output_dimension"] = dimensions
        yield body


def _cohere_parse(payload: Any, headers: Mapping[str, str]) -> tuple[list[tuple[float, ...]], int]:
    embeddings = payload["embeddings"]
    if isinstance(embeddings, dict):  # response_type "embeddings_by_type"
        embeddings = embeddings["float"]
    return [tuple(float(x) for x in v) for v in embeddings], _header_count(headers, "input")


class EmbeddingFamily(NamedTuple):
    bodies: Callable[[ModelSpec, EmbeddingRequest], Iterator[dict[str, Any]]]
    parse_body: Callable[[Any, Mapping[str, str]], tuple[list[tuple[float, ...]], int]]

    def parse(self, payload: Any, headers: Mapping[str, str]) -> tuple[list[tuple[float, ...]], int]:
        try:
            return self.parse_body(payload, headers)
        except (KeyError, IndexError, TypeError, ValueError):
            raise _malformed("embedding") from None


EMBEDDING_FAMILIES: dict[str, EmbeddingFamily] = {
    "amazon": EmbeddingFamily(_titan_bodies, _titan_parse),
    "cohere": EmbeddingFamily(_cohere_bodies, _cohere_parse),
}


def embedding_family(spec: ModelSpec, family: str | None) -> EmbeddingFamily:
    found = EMBEDDING_FAMILIES.get(family or "")
    if found is None:
        raise InvalidRequestError(
            f"model {spec.id!r}: embeddings are served for Amazon Titan and Cohere models only", param="model"
        )
    return found
