"""Amazon Bedrock: chat through Converse, native InvokeModel bodies where Converse cannot serve.

Pure mapping (:func:`to_converse_request`, :func:`from_converse_response`, and the native
bodies in :mod:`lambda_src.adapters.bedrock_native`) is kept apart from :class:`BedrockModel`,
which only makes the one client call. ``spec.model`` is passed to Bedrock as it is: a base
model id, any cross-region inference profile id, or a model / profile ARN.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore

from lambda_src.adapters import bedrock_native
from lambda_src.adapters.base import DeltaStream, response_closer
from lambda_src.adapters.bedrock_features import features
from lambda_src.adapters.errors import UPSTREAM_EXCEPTIONS, map_aws_error
from lambda_src.api_types import (
    AssistantMessage,
    ChatCompletionRequest,
    EmbeddingRequest,
    ImagePart,
    NamedToolChoice,
    SystemMessage,
    ToolMessage,
    UserMessage,
    decode_image,
    text_of,
)
from lambda_src.aws_clients import AwsClients
from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from lambda_src.chat import (
    ChatResult,
    Delta,
    EmbeddingResult,
    FinishDelta,
    FinishReason,
    ReasoningDelta,
    ServiceTierDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallResult,
    Usage,
    UsageDelta,
    deltas_of,
    extra_model_kwargs,
    fold,
    generation_params,
    token_count,
)
from lambda_src.exceptions import (
    ConfigurationError,
    InvalidRequestError,
    ProviderNotSupportedError,
    UpstreamError,
)
from lambda_src.inventory import ModelSpec
from lambda_src.reasoning import ReasoningBlock

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
_MALFORMED = frozenset({"malformed_model_output", "malformed_tool_use"})
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
# Concurrent calls for models that take one input per call (Titan); botocore's connection pool
# holds 10 connections per client.
EMBED_CONCURRENCY = 8


def base_model_provider(spec: ModelSpec) -> str | None:
    """The model family: from the config, else from the id (ARNs of custom models do not say)."""
    if spec.base_model_provider:
        return spec.base_model_provider
    try:
        return parse_model_ref(spec.model).provider
    except ModelIdError:
        return None


# --- Converse: request --------------------------------------------------------------------------


def _user_blocks(message: UserMessage, index: int) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        parts: list[Any] = [message.content]
    else:
        parts = list(message.content)
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, str):
            if part:
                blocks.append({"text": part})
        elif isinstance(part, ImagePart):
            try:
                fmt, data = decode_image(part.image_url.url)
            except ValueError as err:
                raise InvalidRequestError(str(err), param=f"messages.{index}.content") from None
            blocks.append({"image": {"format": fmt, "source": {"bytes": data}}})
        elif part.text:
            blocks.append({"text": part.text})
    if not blocks:
        raise InvalidRequestError("a user message must not be empty", param=f"messages.{index}.content")
    return blocks


def _arguments(raw: str, index: int) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError(
            "tool call arguments must be a JSON object", param=f"messages.{index}.tool_calls"
        )
    return value


def _reasoning_blocks(message: AssistantMessage) -> list[dict[str, Any]]:
    """The thinking blocks to send back: signed and redacted ones (models whose thinking is not
    signed, such as gpt-oss and DeepSeek-R1, refuse it as input)."""
    blocks: list[dict[str, Any]] = []
    for block in message.reasoning_blocks:
        if block.redacted is not None:
            blocks.append({"reasoningContent": {"redactedContent": block.redacted}})
        elif block.signature:
            text = {"text": block.text, "signature": block.signature}
            blocks.append({"reasoningContent": {"reasoningText": text}})
    return blocks


def _assistant_blocks(message: AssistantMessage, index: int) -> list[dict[str, Any]]:
    text = text_of(message.content)
    # Thinking first: Claude wants a tool-use turn to start with its thinking blocks.
    blocks: list[dict[str, Any]] = _reasoning_blocks(message)
    if text:
        blocks.append({"text": text})
    for call in message.tool_calls or ():
        blocks.append(
            {
                "toolUse": {
                    "toolUseId": call.id,
                    "name": call.function.name,
                    "input": _arguments(call.function.arguments, index),
                }
            }
        )
    return blocks


def _append(messages: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    # Converse wants user and assistant to alternate: consecutive turns of one role are merged.
    if messages and messages[-1]["role"] == role:
        messages[-1] = {"role": role, "content": [*messages[-1]["content"], *blocks]}
    else:
        messages.append({"role": role, "content": blocks})


def converse_messages(request: ChatCompletionRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) in Converse's shape."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(request.messages):
        if isinstance(message, SystemMessage):
            text = text_of(message.content)
            if text:
                system.append({"text": text})
        elif isinstance(message, UserMessage):
            _append(messages, "user", _user_blocks(message, i))
        elif isinstance(message, AssistantMessage):
            _append(messages, "assistant", _assistant_blocks(message, i))
        elif isinstance(message, ToolMessage):
            result = {"toolUseId": message.tool_call_id, "content": [{"text": text_of(message.content)}]}
            _append(messages, "user", [{"toolResult": result}])
    return system, messages


def _uses_tools(messages: list[dict[str, Any]]) -> bool:
    return any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])


def tool_config(request: ChatCompletionRequest, history_uses_tools: bool) -> dict[str, Any] | None:
    """Converse's toolConfig; None where no tool may be used and none has been."""
    if not request.tools:
        return None
    choice = request.tool_choice
    # Converse has no "none": leave the tools out, unless the history needs their definitions.
    if choice == "none" and not history_uses_tools:
        return None
    tools = []
    for tool in request.tools:
        spec: dict[str, Any] = {
            "name": tool.function.name,
            "inputSchema": {"json": tool.function.parameters or _EMPTY_SCHEMA},
        }
        if tool.function.description:
            spec["description"] = tool.function.description
        tools.append({"toolSpec": spec})
    config: dict[str, Any] = {"tools": tools}
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, NamedToolChoice):
        config["toolChoice"] = {"tool": {"name": choice.function.name}}
    return config


def to_converse_request(spec: ModelSpec, request: ChatCompletionRequest) -> dict[str, Any]:
    """Keyword arguments of ``bedrock-runtime`` ``converse`` for ``request``."""
    system, messages = converse_messages(request)
    params = generation_params(spec, request)
    extras = features(spec, request)
    inference: dict[str, Any] = {}
    if params.max_tokens is not None:
        inference["maxTokens"] = params.max_tokens
    if extras.min_max_tokens and request.output_limit is None:
        inference["maxTokens"] = max(inference.get("maxTokens", 0), extras.min_max_tokens)
    # Claude thinks at temperature 1 and refuses other sampling settings (defaults included).
    if params.temperature is not None and not extras.thinking:
        inference["temperature"] = params.temperature
    if params.top_p is not None and not extras.thinking:
        inference["topP"] = params.top_p
    if params.stop:
        inference["stopSequences"] = list(params.stop)
    out: dict[str, Any] = {"modelId": spec.model, "messages": messages}
    if system:
        out["system"] = system
    if inference:
        out["inferenceConfig"] = inference
    tools = extras.tool_config or tool_config(request, _uses_tools(messages))
    if tools:
        out["toolConfig"] = tools
    extra = {**extra_model_kwargs(spec), **(extras.additional_fields or {})}
    if extra:
        out["additionalModelRequestFields"] = extra
    if extras.output_config:
        out["outputConfig"] = extras.output_config
    if extras.service_tier:
        out["serviceTier"] = extras.service_tier
    return out


def answer_tool_as_text(deltas: Iterable[Delta]) -> Iterator[Delta]:
    """A structured answer given as the forced tool's input, as the message's content."""
    for delta in deltas:
        if isinstance(delta, ToolCallDelta):
            yield TextDelta(delta.arguments)
        elif isinstance(delta, FinishDelta) and delta.reason == "tool_calls":
            yield FinishDelta("stop")
        else:
            yield delta


def _reasoning_block(block: Mapping[str, Any]) -> ReasoningBlock | None:
    reasoning = block.get("reasoningContent")
    if not isinstance(reasoning, dict):
        return None
    if isinstance(reasoning.get("redactedContent"), bytes):
        return ReasoningBlock(redacted=reasoning["redactedContent"])
    text = reasoning.get("reasoningText")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        signature = text.get("signature")
        return ReasoningBlock(text["text"], signature if isinstance(signature, str) else None)
    return None


def _service_tier(payload: Mapping[str, Any]) -> str | None:
    tier = payload.get("serviceTier")
    return tier["type"] if isinstance(tier, dict) and isinstance(tier.get("type"), str) else None


# --- Converse: response -------------------------------------------------------------------------


def from_converse_response(payload: Mapping[str, Any]) -> ChatResult:
    """A :class:`ChatResult` from Converse's answer; :class:`UpstreamError` if it is malformed."""
    try:
        content = payload["output"]["message"]["content"]
        stop_reason = payload["stopReason"]
        if not isinstance(content, list) or not isinstance(stop_reason, str):
            raise TypeError
    except (KeyError, TypeError):
        raise UpstreamError(
            "Bedrock returned a response without a message", reason="converse: no output.message.content"
        ) from None
    if stop_reason in _MALFORMED:
        raise UpstreamError(
            "the model produced malformed output", reason=f"converse stopReason {stop_reason}"
        )
    texts: list[str] = []
    calls: list[ToolCallResult] = []
    reasoning: list[ReasoningBlock] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if (thought := _reasoning_block(block)) is not None:
            reasoning.append(thought)
        elif isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            use = block["toolUse"]
            if not isinstance(use.get("toolUseId"), str) or not isinstance(use.get("name"), str):
                raise UpstreamError(
                    "the model produced a malformed tool call", reason="converse: bad toolUse"
                )
            calls.append(ToolCallResult(use["toolUseId"], use["name"], json.dumps(use.get("input", {}))))
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    finish = _finish(stop_reason, bool(calls))
    return ChatResult(
        content="".join(texts) if texts or not calls else None,
        tool_calls=tuple(calls),
        finish_reason=finish,
        usage=Usage(token_count(usage.get("inputTokens")), token_count(usage.get("outputTokens"))),
        reasoning=tuple(reasoning),
        service_tier=_service_tier(payload),
    )


def from_converse_stream(events: Iterable[Mapping[str, Any]]) -> Iterator[Delta]:
    """Deltas from ConverseStream's events (as botocore parses them), in order."""
    tool_index: dict[int, int] = {}
    for event in events:
        if "contentBlockStart" in event:
            block = event["contentBlockStart"]
            use = (block.get("start") or {}).get("toolUse")
            if isinstance(use, dict):
                index = tool_index.setdefault(token_count(block.get("contentBlockIndex")), len(tool_index))
                yield ToolCallDelta(index, str(use.get("toolUseId", "")), str(use.get("name", "")))
        elif "contentBlockDelta" in event:
            block = event["contentBlockDelta"]
            delta = block.get("delta") or {}
            if isinstance(delta.get("text"), str):
                yield TextDelta(delta["text"])
            elif isinstance(delta.get("reasoningContent"), dict):
                yield _reasoning_delta(token_count(block.get("contentBlockIndex")), delta["reasoningContent"])
            elif isinstance(delta.get("toolUse"), dict):
                position = token_count(block.get("contentBlockIndex"))
                if position not in tool_index:
                    raise UpstreamError(
                        "the model streamed a malformed tool call",
                        reason="converse_stream: toolUse delta first",
                    )
                yield ToolCallDelta(tool_index[position], arguments=str(delta["toolUse"].get("input", "")))
        elif "messageStop" in event:
            stop_reason = str(event["messageStop"].get("stopReason", ""))
            if stop_reason in _MALFORMED:
                raise UpstreamError(
                    "the model produced malformed output", reason=f"converse_stream stopReason {stop_reason}"
                )
            yield FinishDelta(_finish(stop_reason, bool(tool_index)))
        elif "metadata" in event:
            if tier := _service_tier(event["metadata"]):
                yield ServiceTierDelta(tier)
            usage = event["metadata"].get("usage")
            if isinstance(usage, dict):
                yield UsageDelta(
                    Usage(token_count(usage.get("inputTokens")), token_count(usage.get("outputTokens")))
                )


def _finish(stop_reason: str, called: bool) -> FinishReason:
    # A tool call cut at max_tokens is "length", as OpenAI reports it: its arguments are incomplete.
    reason = STOP_REASONS.get(stop_reason, "stop")
    return "tool_calls" if called and reason != "length" else reason


def _reasoning_delta(index: int, reasoning: Mapping[str, Any]) -> ReasoningDelta:
    text, signature, redacted = (
        reasoning.get("text"),
        reasoning.get("signature"),
        reasoning.get("redactedContent"),
    )
    return ReasoningDelta(
        index,
        text if isinstance(text, str) else "",
        signature if isinstance(signature, str) else None,
        redacted if isinstance(redacted, bytes) else None,
    )


# --- the client call ----------------------------------------------------------------------------


class BedrockModel:
    """One Bedrock model; the client comes from the container's cache."""

    def __init__(self, spec: ModelSpec, clients: AwsClients) -> None:
        self._spec = spec
        self._clients = clients

    def _client(self) -> Any:
        s = self._spec
        return self._clients.get("bedrock-runtime", s.region, s.role_arn, s.external_id)

    def chat(self, request: ChatCompletionRequest) -> ChatResult:
        spec = self._spec
        api = spec.api or "converse"
        if api == "converse":
            kwargs = to_converse_request(spec, request)
            result = from_converse_response(self._call("converse", kwargs))
            if features(spec, request).answer_tool:
                return fold(answer_tool_as_text(deltas_of(result)))
            return result
        if api == "invoke_model":
            _converse_only(spec, request)
            body = bedrock_native.to_chat_body(spec, base_model_provider(spec), request)
            payload, headers = self._invoke(body)
            return bedrock_native.from_chat_body(base_model_provider(spec), payload, headers)
        raise ConfigurationError(f"model {spec.id!r}: api {api!r} does not apply to Bedrock models")

    def stream(self, request: ChatCompletionRequest) -> DeltaStream:
        spec = self._spec
        if (spec.api or "converse") != "converse":
            return DeltaStream.of(self.chat(request))  # InvokeModel bodies are answered whole
        events = self._call("converse_stream", to_converse_request(spec, request))["stream"]
        deltas = from_converse_stream(events)
        if features(spec, request).answer_tool:
            deltas = answer_tool_as_text(deltas)
        return DeltaStream(self._mapped(deltas), close=response_closer(_raw(events)))

    def _mapped(self, deltas: Iterator[Delta]) -> Iterator[Delta]:
        """Errors met mid-stream (exception events, broken connections) as API errors."""
        try:
            yield from deltas
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, self._spec) from err

    def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        family = bedrock_native.embedding_family(self._spec, base_model_provider(self._spec))
        bodies = list(family.bodies(self._spec, request))
        answers = self._invoke_all(bodies)
        vectors: list[tuple[float, ...]] = []
        tokens = 0
        for payload, headers in answers:
            got, count = family.parse(payload, headers)
            vectors += got
            tokens += count
        if len(vectors) != len(request.texts):
            raise UpstreamError(
                "the model returned a different number of embeddings than inputs",
                reason=f"embeddings: {len(vectors)} for {len(request.texts)} inputs",
            )
        return EmbeddingResult(tuple(vectors), tokens)

    def _invoke_all(self, bodies: list[dict[str, Any]]) -> list[tuple[Any, Mapping[str, str]]]:
        """One call per body (models that embed one input per call), at most EMBED_CONCURRENCY
        at once, answers in order. The request's deadline bounds them all from the caller."""
        if len(bodies) == 1:
            return [self._invoke(bodies[0])]
        pool = ThreadPoolExecutor(max_workers=min(EMBED_CONCURRENCY, len(bodies)))
        try:
            # Each call in a copy of this thread's context: the request's trace header goes along.
            futures = [pool.submit(contextvars.copy_context().run, self._invoke, body) for body in bodies]
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # after an error: start no more calls

    def _invoke(self, body: dict[str, Any]) -> tuple[Any, Mapping[str, str]]:
        response = self._call(
            "invoke_model",
            {
                "modelId": self._spec.model,
                "body": json.dumps(body).encode(),
                "contentType": "application/json",
                "accept": "application/json",
            },
        )
        try:
            raw = response["body"].read()
            payload = json.loads(raw)
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, self._spec) from err
        except (ValueError, RecursionError) as err:
            raise UpstreamError(
                f"model {self._spec.id!r} returned a body that is not JSON", reason="invoke_model: not JSON"
            ) from err
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return payload, headers

    def _call(self, operation: str, kwargs: dict[str, Any]) -> Any:
        try:
            client = self._client()
            _known_to(client, operation, kwargs, self._spec)
            return getattr(client, operation)(**kwargs)
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, self._spec) from err


# Converse fields newer than some botocore releases, and the request field that needs each.
NEWER_FIELDS = {"outputConfig": "response_format or reasoning_effort", "serviceTier": "service_tier"}


def _known_to(client: Any, operation: str, kwargs: Mapping[str, Any], spec: ModelSpec) -> None:
    """A clear 501 where the function's botocore (the Lambda runtime's) predates a Converse field
    the request needs, instead of botocore's parameter error blaming the request."""
    newer = [name for name in NEWER_FIELDS if name in kwargs]
    if not newer:
        return
    model = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[operation])
    for name in newer:
        if name not in model.input_shape.members:
            raise ProviderNotSupportedError(
                f"model {spec.id!r}: this function's botocore {botocore.__version__} does not know "
                f"Converse's {name}, which {NEWER_FIELDS[name]} needs; package a newer boto3 with the "
                "function or leave the field out",
                reason=f"botocore lacks {operation}.{name}",
            )


def _converse_only(spec: ModelSpec, request: ChatCompletionRequest) -> None:
    asked = {
        "response_format": request.structured_output,
        "reasoning_effort": request.reasoning_effort,
        "service_tier": request.service_tier,
    }
    for name, value in asked.items():
        if value is not None:
            raise InvalidRequestError(
                f"model {spec.id!r} is called with its native InvokeModel body, which this API serves "
                f"without {name}; configure it with api 'converse' to use it",
                param=name,
            )


def _raw(events: Any) -> Any:
    # botocore keeps the HTTP response of an event stream private; closing the EventStream
    # itself is the fallback (it cannot wake a read blocked in another thread).
    return getattr(events, "_raw_stream", events)
