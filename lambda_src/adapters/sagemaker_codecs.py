"""Wire formats of SageMaker containers, one codec per ``ModelSpec.api``.

A codec turns a chat request into an :class:`Invocation` (body, content type, accept, custom
attributes) and the container's answer into a :class:`ChatResult`. Which codec applies is data
(the inventory entry's ``api``), never a guess from the endpoint's name.

- ``tgi-messages``: TGI's (and LMI's) OpenAI-style messages API; tools and images pass through.
- ``tgi-generate``: TGI ``/generate``: a prompt in a chat format (``prompt_format`` /
  ``prompt_template``), ``[{"generated_text", "details"}]`` back.
- ``jumpstart-llama2-chat``: JumpStart's dialog format, with the ``accept_eula=true`` custom
  attribute those endpoints require (the deployer accepted the EULA when deploying).
- ``content-handler``: described by ``content_handler`` (content type, accepts, input key
  paths, output JSONPath).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from lambda_src.adapters import jsonpath
from lambda_src.adapters.prompts import build_prompt, conversation
from lambda_src.api_types import ChatCompletionRequest, NamedToolChoice
from lambda_src.chat import (
    ChatResult,
    Delta,
    FinishDelta,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallResult,
    Usage,
    UsageDelta,
    extra_model_kwargs,
    generation_params,
    token_count,
)
from lambda_src.exceptions import ConfigurationError, InvalidRequestError, UpstreamError
from lambda_src.inventory import ContentHandler, ModelSpec
from lambda_src.reasoning import ReasoningBlock

JSON = "application/json"
TGI_PARAMETER_NAMES = {
    "max_tokens": "max_new_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "stop": "stop",
}
FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "eos_token": "stop",
    "stop_sequence": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}


@dataclass(frozen=True)
class Invocation:
    body: bytes
    content_type: str = JSON
    accept: str = JSON
    # Codec default, used when the inventory entry sets no custom attributes of its own.
    custom_attributes: str | None = None
    # Stop sequences the answer is cut at (text-completion containers may run past them).
    stops: tuple[str, ...] = ()


def _json(body: bytes, codec: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise UpstreamError(
            "the model endpoint returned a body that is not JSON", reason=f"{codec}: not JSON"
        ) from None


def _malformed(codec: str) -> UpstreamError:
    return UpstreamError(
        "the model endpoint returned a response in an unexpected format", reason=f"{codec}: bad body"
    )


def cut_at_stops(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the first stop sequence, and whether one was found."""
    positions = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[: min(positions)], True) if positions else (text, False)


def _no_tools(spec: ModelSpec, request: ChatCompletionRequest) -> None:
    if request.tools:
        raise InvalidRequestError(f"model {spec.id!r} does not support tools", param="tools")


def _plain_text(spec: ModelSpec, request: ChatCompletionRequest) -> None:
    """For containers that take a prompt and parameters only."""
    _no_tools(spec, request)
    _no_extras(spec, request, takes_grammar=False)


def _no_extras(
    spec: ModelSpec, request: ChatCompletionRequest, *, takes_grammar: bool, takes_effort: bool = False
) -> None:
    """Refuse what this container cannot be asked for: a grammar (``response_format``), a
    reasoning setting, a service tier other than the default (endpoints have one)."""
    if request.structured_output is not None and not takes_grammar:
        raise InvalidRequestError(
            f"model {spec.id!r}: its container takes no grammar; response_format is served by SageMaker "
            "endpoints with the openai-chat, lmi-chat, tgi-messages and tgi-generate codecs",
            param="response_format",
        )
    if request.reasoning_effort is not None and not takes_effort:
        raise InvalidRequestError(
            f"model {spec.id!r}: reasoning_effort is passed to SageMaker endpoints with the openai-chat, "
            "lmi-chat and tgi-messages codecs only",
            param="reasoning_effort",
        )
    if request.service_tier not in (None, "auto", "default"):
        raise InvalidRequestError(
            f"model {spec.id!r}: a SageMaker endpoint has one service tier; service_tier may only be "
            "'auto' or 'default'",
            param="service_tier",
        )


def grammar(request: ChatCompletionRequest) -> dict[str, Any] | None:
    """TGI's grammar for the request's structured output (``response_format`` of its messages
    API, ``parameters.grammar`` of ``/generate``): ``{"type": "json", "value": <schema>}``."""
    output = request.structured_output
    if output is None:
        return None
    return {"type": "json", "value": output.schema if output.schema is not None else {"type": "object"}}


def _usage(raw: Any) -> Usage:
    usage = raw if isinstance(raw, dict) else {}
    details = usage.get("completion_tokens_details")
    return Usage(
        token_count(usage.get("prompt_tokens")),
        token_count(usage.get("completion_tokens")),
        token_count(details.get("reasoning_tokens")) if isinstance(details, dict) else 0,
    )


def _reasoning(message: Mapping[str, Any]) -> str | None:
    """Thinking text as vLLM and SGLang return it (``reasoning_content``, newer: ``reasoning``)."""
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key]:
            return str(message[key])
    return None


def sse_data(parts: Iterable[bytes]) -> Iterator[str]:
    """The ``data:`` payloads of a server-sent event stream split into arbitrary byte chunks."""
    buffer = b""
    for part in parts:
        buffer += part
        while True:
            cut = min((i for i in (buffer.find(b"\n\n"), buffer.find(b"\r\n\r\n")) if i >= 0), default=-1)
            if cut < 0:
                break
            event, buffer = buffer[:cut], buffer[cut:].lstrip(b"\r\n")
            data = [line[5:].lstrip() for line in event.splitlines() if line.startswith(b"data:")]
            if data:
                yield b"\n".join(data).decode("utf-8", errors="replace")
    if buffer.strip().startswith(b"data:"):
        yield buffer.strip()[5:].lstrip().decode("utf-8", errors="replace")


class StopCutter:
    """Streams text up to the first stop sequence, holding back what may be a stop's beginning."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self._held += text
        cut, found = cut_at_stops(self._held, self._stops)
        if found:
            self.stopped, self._held = True, ""
            return cut
        keep = max((len(s) - 1 for s in self._stops), default=0)
        out, self._held = (self._held[:-keep], self._held[-keep:]) if keep else (self._held, "")
        return out

    def flush(self) -> str:
        out, self._held = ("" if self.stopped else self._held), ""
        return out


class Codec:
    name: ClassVar[str]
    # How a response stream is cut into events: server-sent events, or one JSON object per line.
    framing: ClassVar[str] = "sse"

    def encode(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation:
        raise NotImplementedError

    def decode(self, body: bytes, invocation: Invocation) -> ChatResult:
        raise NotImplementedError

    def encode_stream(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation | None:
        """The streaming request, or None where the container cannot stream."""
        return None

    def decode_stream(self, events: Iterable[str], invocation: Invocation) -> Iterator[Delta]:
        """Deltas from the container's server-sent event payloads."""
        raise NotImplementedError


def _event(data: str, codec: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise UpstreamError(
            "the model endpoint streamed an event that is not JSON", reason=f"{codec}: stream event not JSON"
        ) from None


class TgiMessages(Codec):
    name = "tgi-messages"
    stream_accept: ClassVar[str] = "text/event-stream"

    def encode(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation:
        _no_extras(spec, request, takes_grammar=True, takes_effort=True)
        params = generation_params(spec, request)
        messages = []
        for m in request.messages:
            # Thinking is not sent back: open-weight reasoning models are not trained to read it.
            message = m.model_dump(
                mode="json", exclude_none=True, exclude={"reasoning_content", "reasoning_signature"}
            )
            if message["role"] == "developer":  # OpenAI's newer name; containers know "system"
                message = {**message, "role": "system"}
            messages.append(message)
        body: dict[str, Any] = {**extra_model_kwargs(spec), "messages": messages, "stream": False}
        for key, value in (("max_tokens", params.max_tokens), ("temperature", params.temperature)):
            if value is not None:
                body[key] = value
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop"] = list(params.stop)
        if request.tools:
            body["tools"] = [t.model_dump(mode="json", exclude_none=True) for t in request.tools]
            choice = request.tool_choice
            if isinstance(choice, NamedToolChoice):
                body["tool_choice"] = choice.model_dump(mode="json")
            elif choice is not None:
                body["tool_choice"] = choice
        if (constraint := self.response_format(request)) is not None:
            body["response_format"] = constraint
        if request.reasoning_effort is not None:
            body["reasoning_effort"] = request.reasoning_effort
        return Invocation(json.dumps(body).encode())

    def response_format(self, request: ChatCompletionRequest) -> dict[str, Any] | None:
        """What the container takes as ``response_format``: TGI's grammar."""
        return grammar(request)

    def encode_stream(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation | None:
        body = json.loads(self.encode(spec, request).body)
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        return Invocation(json.dumps(body).encode(), accept=self.stream_accept)

    def decode_stream(self, events: Iterable[str], invocation: Invocation) -> Iterator[Delta]:
        for data in events:
            if data.strip() == "[DONE]":
                return
            chunk = _event(data, self.name)
            if not isinstance(chunk, dict):
                raise _malformed(self.name)
            if chunk.get("error"):
                raise UpstreamError(
                    "the model endpoint failed while streaming", reason=f"{self.name}: error event"
                )
            usage = chunk.get("usage")
            if isinstance(usage, dict):
                yield UsageDelta(_usage(usage))
            for choice in chunk.get("choices") or ():
                if not isinstance(choice, dict):
                    raise _malformed(self.name)
                delta = choice.get("delta") or {}
                if thinking := _reasoning(delta):
                    yield ReasoningDelta(0, thinking)
                if isinstance(delta.get("content"), str) and delta["content"]:
                    yield TextDelta(delta["content"])
                for call in delta.get("tool_calls") or ():
                    yield _tool_call_delta(call, self.name)
                if choice.get("finish_reason"):
                    yield FinishDelta(FINISH_REASONS.get(str(choice["finish_reason"]), "stop"))

    def decode(self, body: bytes, invocation: Invocation) -> ChatResult:
        payload = _json(body, self.name)
        try:
            choice = payload["choices"][0]
            message = choice["message"]
            calls = tuple(_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or ()))
            content = message.get("content")
            if content is not None and not isinstance(content, str):
                raise TypeError
            thinking = _reasoning(message)
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _malformed(self.name) from None
        finish = "tool_calls" if calls else FINISH_REASONS.get(str(choice.get("finish_reason")), "stop")
        return ChatResult(
            content=content if content or not calls else None,
            tool_calls=calls,
            finish_reason=finish,
            usage=_usage(payload.get("usage")),
            reasoning=(ReasoningBlock(thinking),) if thinking else (),
        )


class OpenAiChat(TgiMessages):
    """The OpenAI chat-completions schema as vLLM and SGLang serve it at ``/invocations``: TGI's
    messages API but for structured output, which is OpenAI's ``response_format`` itself."""

    name = "openai-chat"

    def response_format(self, request: ChatCompletionRequest) -> dict[str, Any] | None:
        """OpenAI's own ``response_format``, as the request sent it."""
        if request.response_format is None or request.structured_output is None:
            return None
        return request.response_format.model_dump(mode="json", by_alias=True, exclude_none=True)


class LmiChat(OpenAiChat):
    """DJL LMI's chat schema: OpenAI's, but its stream is JSON lines (each a chunk, no ``[DONE]``)."""

    name = "lmi-chat"
    framing = "jsonlines"
    stream_accept = "application/jsonlines"


# Inputs per Text Embeddings Inference call: its MAX_CLIENT_BATCH_SIZE default.
TEI_BATCH = 32


def tei_embed_invocation(batch: tuple[str, ...]) -> Invocation:
    """Text Embeddings Inference's ``{"inputs": [...]}`` for at most TEI_BATCH texts."""
    return Invocation(json.dumps({"inputs": list(batch)}).encode())


def tei_vectors(body: bytes, expected: int) -> list[tuple[float, ...]]:
    """The vectors of one TEI answer (a list of lists of numbers), as many as inputs were sent."""
    payload = _json(body, "tei-embed")
    if not isinstance(payload, list) or len(payload) != expected:
        raise UpstreamError(
            "the model returned a different number of embeddings than inputs",
            reason=f"tei-embed: {len(payload) if isinstance(payload, list) else 'no list'} for {expected}",
        )
    vectors = []
    for vector in payload:
        if not isinstance(vector, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in vector
        ):
            raise _malformed("tei-embed")
        vectors.append(tuple(float(x) for x in vector))
    return vectors


def json_lines(parts: Iterable[bytes]) -> Iterator[str]:
    """The lines of a JSON-lines stream split into arbitrary byte chunks (blank lines skipped)."""
    buffer = b""
    for part in parts:
        buffer += part
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield line.strip().decode("utf-8", errors="replace")
    if buffer.strip():
        yield buffer.strip().decode("utf-8", errors="replace")


def _tool_call_delta(raw: Any, codec: str) -> ToolCallDelta:
    if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
        raise _malformed(codec)
    function = raw["function"]
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):  # TGI may send the arguments as an object
        arguments = json.dumps(arguments)
    name = function.get("name")
    return ToolCallDelta(
        token_count(raw.get("index")),
        str(raw["id"]) if raw.get("id") else None,
        name if isinstance(name, str) else None,
        arguments,
    )


def _tool_call(raw: Any, index: int) -> ToolCallResult:
    function = raw["function"]
    arguments = function.get("arguments", {})
    # TGI returns arguments as an object; OpenAI's format is a JSON string.
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    name = function["name"]
    if not isinstance(name, str):
        raise TypeError
    return ToolCallResult(str(raw.get("id") or f"call_{index}"), name, arguments)


class TgiGenerate(Codec):
    name = "tgi-generate"

    def encode(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation:
        _no_tools(spec, request)
        _no_extras(spec, request, takes_grammar=True)
        prompt, format_stops = build_prompt(spec, request, "plain")
        params = generation_params(spec, request)
        stops = tuple(dict.fromkeys((*params.stop, *format_stops)))
        parameters: dict[str, Any] = {**extra_model_kwargs(spec), "details": True, "return_full_text": False}
        if (constraint := grammar(request)) is not None:
            parameters["grammar"] = constraint
        if params.max_tokens is not None:
            parameters["max_new_tokens"] = params.max_tokens
        # TGI refuses temperature 0 and top_p outside (0, 1): greedy decoding is do_sample false.
        if params.temperature is not None:
            if params.temperature > 0:
                parameters["temperature"] = params.temperature
            else:
                parameters["do_sample"] = False
        if params.top_p is not None and 0 < params.top_p < 1:
            parameters["top_p"] = params.top_p
        if stops:
            parameters["stop"] = list(stops)
        body = {"inputs": prompt, "parameters": parameters}
        return Invocation(json.dumps(body).encode(), stops=stops)

    def encode_stream(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation | None:
        plain = self.encode(spec, request)
        body = {**json.loads(plain.body), "stream": True}
        return Invocation(json.dumps(body).encode(), accept="text/event-stream", stops=plain.stops)

    def decode_stream(self, events: Iterable[str], invocation: Invocation) -> Iterator[Delta]:
        cutter = StopCutter(invocation.stops)
        details: dict[str, Any] = {}
        for data in events:
            event = _event(data, self.name)
            if not isinstance(event, dict):
                raise _malformed(self.name)
            if event.get("error"):
                raise UpstreamError(
                    "the model endpoint failed while streaming", reason=f"{self.name}: error event"
                )
            token = event.get("token") or {}
            speaks = (
                isinstance(token, dict) and isinstance(token.get("text"), str) and not token.get("special")
            )
            if speaks and (text := cutter.feed(token["text"])):
                yield TextDelta(text)
            if isinstance(event.get("details"), dict):
                details = event["details"]
        if text := cutter.flush():
            yield TextDelta(text)
        yield FinishDelta(
            "stop" if cutter.stopped else FINISH_REASONS.get(str(details.get("finish_reason")), "stop")
        )
        prefill = details.get("prefill")
        yield UsageDelta(
            Usage(
                len(prefill) if isinstance(prefill, list) else 0, token_count(details.get("generated_tokens"))
            )
        )

    def decode(self, body: bytes, invocation: Invocation) -> ChatResult:
        payload = _json(body, self.name)
        try:
            first = payload[0] if isinstance(payload, list) else payload
            text = first["generated_text"]
            details = first.get("details") or {}
            if not isinstance(text, str) or not isinstance(details, dict):
                raise TypeError
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _malformed(self.name) from None
        text, _ = cut_at_stops(text, invocation.stops)
        prefill = details.get("prefill")
        return ChatResult(
            content=text,
            finish_reason=FINISH_REASONS.get(str(details.get("finish_reason")), "stop"),
            usage=Usage(
                len(prefill) if isinstance(prefill, list) else 0, token_count(details.get("generated_tokens"))
            ),
        )


class JumpStartLlama2Chat(Codec):
    name = "jumpstart-llama2-chat"

    def encode(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation:
        _plain_text(spec, request)
        c = conversation(request, spec)
        params = generation_params(spec, request)
        dialog = [{"role": "system", "content": c.system}] if c.system else []
        dialog += [{"role": t.role, "content": t.text} for t in c.turns]
        parameters: dict[str, Any] = extra_model_kwargs(spec)
        for key, value in (
            ("max_new_tokens", params.max_tokens),
            ("temperature", params.temperature),
            ("top_p", params.top_p),
        ):
            if value is not None:
                parameters[key] = value
        body = {"inputs": [dialog], "parameters": parameters}
        return Invocation(json.dumps(body).encode(), custom_attributes="accept_eula=true")

    def decode(self, body: bytes, invocation: Invocation) -> ChatResult:
        payload = _json(body, self.name)
        try:
            first = payload[0] if isinstance(payload, list) else payload
            generation = first["generation"]
            text = generation["content"] if isinstance(generation, dict) else generation
            if not isinstance(text, str):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise _malformed(self.name) from None
        return ChatResult(content=text)


class ContentHandlerCodec(Codec):
    name = "content-handler"

    def __init__(self, output_path: str) -> None:
        self._output_path = output_path

    def encode(self, spec: ModelSpec, request: ChatCompletionRequest) -> Invocation:
        _plain_text(spec, request)
        handler = spec.content_handler or ContentHandler()
        prompt, format_stops = build_prompt(spec, request, "plain")
        params = generation_params(spec, request)
        stops = tuple(dict.fromkeys((*params.stop, *format_stops)))
        if "json" not in handler.content_type:
            return Invocation(prompt.encode(), handler.content_type, handler.accepts, stops=stops)
        try:
            body = jsonpath.build(handler.input_prompt_path, prompt)
            if handler.input_kwargs_path:
                configured = handler.parameter_names
                names: Mapping[str, str] = (
                    {str(k): v for k, v in configured.items()}
                    if configured is not None
                    else TGI_PARAMETER_NAMES
                )
                kwargs = extra_model_kwargs(spec)
                values = {
                    "max_tokens": params.max_tokens,
                    "temperature": params.temperature,
                    "top_p": params.top_p,
                    "stop": list(params.stop) or None,
                }
                kwargs.update({names[k]: v for k, v in values.items() if v is not None and k in names})
                body = jsonpath.build(handler.input_kwargs_path, kwargs, into=body)
        except jsonpath.JsonPathError as err:
            raise ConfigurationError(f"model {spec.id!r}: content_handler: {err}") from None
        return Invocation(json.dumps(body).encode(), handler.content_type, handler.accepts, stops=stops)

    def decode(self, body: bytes, invocation: Invocation) -> ChatResult:
        if "json" not in invocation.accept:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _malformed(self.name) from None
        else:
            document = _json(body, self.name)
            try:
                value = jsonpath.find(document, self._output_path)
            except jsonpath.JsonPathError:
                raise _malformed(self.name) from None
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if not isinstance(value, str):
                raise _malformed(self.name)
            text = value
        text, _ = cut_at_stops(text, invocation.stops)
        return ChatResult(content=text)


def _content_handler(spec: ModelSpec) -> Codec:
    handler = spec.content_handler or ContentHandler()
    try:
        jsonpath.parse(handler.output_path)
    except jsonpath.JsonPathError as err:
        raise ConfigurationError(f"model {spec.id!r}: content_handler: {err}") from None
    return ContentHandlerCodec(handler.output_path)


CODECS: dict[str, Callable[[ModelSpec], Codec]] = {
    "tgi-messages": lambda _: TgiMessages(),
    "openai-chat": lambda _: OpenAiChat(),
    "lmi-chat": lambda _: LmiChat(),
    "tgi-generate": lambda _: TgiGenerate(),
    "jumpstart-llama2-chat": lambda _: JumpStartLlama2Chat(),
    "content-handler": _content_handler,
}
DEFAULT_API = "tgi-messages"


def codec_for(spec: ModelSpec) -> Codec:
    """The codec named by ``spec.api`` (TGI's messages API when unset)."""
    factory = CODECS.get(spec.api or DEFAULT_API)
    if factory is None:
        raise ConfigurationError(f"model {spec.id!r}: api {spec.api!r} does not apply to SageMaker endpoints")
    return factory(spec)
