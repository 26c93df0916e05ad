"""Third-party chat models through LangChain: OpenAI request -> LangChain messages -> our result.

Imported only by :class:`lambda_src.adapters.third_party.ThirdPartyModel` when it is called:
LangChain and the provider SDKs come from the provider layer. Mapping is pure
(:func:`to_langchain_messages`, :func:`call_options`, :func:`from_ai_message`,
:func:`deltas_from_chunks`); :func:`chat` and :func:`stream` make the one call. Keys are
passed to each constructor explicitly, never through ``os.environ`` (which every thread and
every library would see).

Chat model objects are reused per connection (provider, model, base URL, key, timeout,
retries), so their HTTP clients keep their connections between requests; the request's
generation settings and tools are given per call.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from lambda_src import api_types as api
from lambda_src.adapters.base import DeltaStream
from lambda_src.adapters.connections import Connection
from lambda_src.adapters.provider_errors import map_provider_error
from lambda_src.chat import (
    ChatResult,
    Delta,
    FinishDelta,
    FinishReason,
    GenerationParams,
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
from lambda_src.exceptions import (
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    ProviderNotSupportedError,
    UpstreamError,
)
from lambda_src.inventory import ModelSpec
from lambda_src.reasoning import ReasoningBlock

USER_AGENT = "llm-inference-api"

# --- chat model objects, per provider ------------------------------------------------------------


def _openai(c: Connection, timeout: float, retries: int) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=c.model,
        api_key=c.api_key,
        base_url=c.base_url,
        timeout=timeout,
        max_retries=retries,
        # Extra headers: an openai_compatible entry's (validated: no credentials).
        default_headers={**dict(c.headers), "User-Agent": USER_AGENT},
        stream_usage=False,
    )


def _azure(c: Connection, timeout: float, retries: int) -> BaseChatModel:
    from langchain_openai import AzureChatOpenAI

    if c.api_version is None:  # Azure's v1 API: OpenAI's own client, the key as a bearer token
        return _openai(c, timeout, retries)

    return AzureChatOpenAI(
        model=c.deployment,
        azure_endpoint=c.base_url,
        azure_deployment=c.deployment,
        api_version=c.api_version,
        api_key=c.api_key,
        # Explicit, so an AZURE_OPENAI_AD_TOKEN in the environment cannot replace the key.
        azure_ad_token=None,
        timeout=timeout,
        max_retries=retries,
        stream_usage=False,
    )


def _anthropic(c: Connection, timeout: float, retries: int) -> BaseChatModel:
    from langchain_anthropic import ChatAnthropic

    return ChatAnthropic(
        model=c.model,
        api_key=c.api_key,
        base_url=c.base_url,
        timeout=timeout,
        max_retries=retries,
        # The request (or the model's kwargs) sets max_tokens per call; this is Anthropic's required default.
        max_tokens=4096,
    )


def _cohere(c: Connection, timeout: float, retries: int) -> BaseChatModel:
    from langchain_cohere import ChatCohere

    del retries  # Cohere's SDK takes retries per call (request_options)
    return ChatCohere(
        model=c.model,
        cohere_api_key=c.api_key,
        base_url=c.base_url,
        timeout_seconds=timeout,
        user_agent=USER_AGENT,
    )


def _mistral(c: Connection, timeout: float, retries: int) -> BaseChatModel:
    from langchain_mistralai import ChatMistralAI

    return ChatMistralAI(
        model=c.model,
        api_key=c.api_key,
        base_url=c.base_url,
        timeout=math.ceil(timeout),
        max_retries=retries,
    )


ToolChoiceMap = Callable[[Any], Any]


def _same(choice: Any) -> Any:
    if isinstance(choice, api.NamedToolChoice):
        return choice.function.name
    return choice


def _anthropic_choice(choice: Any) -> Any:
    if isinstance(choice, api.NamedToolChoice):
        return choice.function.name
    return {"auto": "auto", "required": "any", "none": {"type": "none"}}[choice]


def _mistral_choice(choice: Any) -> Any:
    if isinstance(choice, api.NamedToolChoice):
        return choice.function.name
    return {"auto": "auto", "required": "any", "none": "none"}[choice]


def _cohere_choice(choice: Any) -> Any:
    if isinstance(choice, api.NamedToolChoice):
        raise InvalidRequestError(
            "Cohere models cannot be made to call one named tool; use tool_choice 'required'",
            param="tool_choice",
        )
    return {"auto": None, "required": "REQUIRED", "none": "NONE"}[choice]


@dataclass(frozen=True)
class Flavor:
    """How one provider's LangChain integration takes what the request asks for."""

    factory: Callable[[Connection, float, int], BaseChatModel]
    tool_choice: ToolChoiceMap = _same
    top_p: str = "top_p"
    # Where model_kwargs the integration does not know go: "extra_body" (OpenAI and Anthropic
    # SDKs), "request_options" (Cohere's additional body parameters) or "kwargs" (sent as they are).
    extras: str = "extra_body"
    # Send max_tokens in the body as it is (ChatOpenAI renames it to max_completion_tokens,
    # which some OpenAI-compatible servers do not know).
    max_tokens_in_body: bool = False
    # Join system messages into one leading system message (Anthropic takes one system prompt).
    leading_system: bool = False
    retries_per_call: bool = False
    # Pass OpenAI-format tools as they are instead of through bind_tools (langchain-cohere's
    # conversion of dict tools flattens nested schemas; Cohere's v2 API takes OpenAI's format).
    bind_tools: bool = True
    # The API refuses a conversation that does not end with a user or tool message.
    ends_with_user_or_tool: bool = False
    # OpenAI request fields the provider's API takes as they are (passed through per call).
    openai_fields: tuple[str, ...] = ()


OPENAI_FIELDS = ("response_format", "reasoning_effort", "service_tier")


FLAVORS: dict[str, Flavor] = {
    "openai": Flavor(_openai, openai_fields=OPENAI_FIELDS),
    "azure_openai": Flavor(_azure, openai_fields=OPENAI_FIELDS),
    # max_tokens under that name: vLLM, TGI, DeepSeek and others do not all know max_completion_tokens.
    "openai_compatible": Flavor(_openai, max_tokens_in_body=True, openai_fields=("response_format",)),
    "anthropic": Flavor(_anthropic, tool_choice=_anthropic_choice, leading_system=True),
    "cohere": Flavor(
        _cohere,
        tool_choice=_cohere_choice,
        top_p="p",
        extras="request_options",
        retries_per_call=True,
        bind_tools=False,
        ends_with_user_or_tool=True,
    ),
    "mistral": Flavor(
        _mistral, tool_choice=_mistral_choice, extras="kwargs", openai_fields=("response_format",)
    ),
}


@functools.lru_cache(maxsize=32)
def chat_model_for(connection: Connection, timeout: float, retries: int) -> BaseChatModel:
    """One chat model object per connection (a rotated key makes a new one)."""
    return FLAVORS[connection.provider].factory(connection, timeout, retries)


# --- mapping ------------------------------------------------------------------------------------


def _parts(content: str | tuple[Any, ...]) -> str | list[str | dict[str, Any]]:
    if isinstance(content, str):
        return content
    out: list[str | dict[str, Any]] = []
    for part in content:
        if isinstance(part, api.ImagePart):
            out.append({"type": "image_url", "image_url": {"url": part.image_url.url}})
        else:
            out.append({"type": "text", "text": part.text})
    return out


def _arguments(raw: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError("tool call arguments must be a JSON object", param=where)
    return value


def to_langchain_messages(
    request: api.ChatCompletionRequest, *, leading_system: bool = False
) -> list[BaseMessage]:
    """The conversation as LangChain messages (``developer`` becomes ``system``)."""
    system: list[str] = []
    out: list[BaseMessage] = []
    for i, m in enumerate(request.messages):
        if isinstance(m, api.SystemMessage):
            if leading_system:
                system.append(api.text_of(m.content))
            else:
                out.append(SystemMessage(content=api.text_of(m.content)))
        elif isinstance(m, api.UserMessage):
            out.append(HumanMessage(content=_parts(m.content)))
        elif isinstance(m, api.AssistantMessage):
            calls = [
                {
                    "name": c.function.name,
                    "args": _arguments(
                        c.function.arguments, f"messages.{i}.tool_calls.{j}.function.arguments"
                    ),
                    "id": c.id,
                    "type": "tool_call",
                }
                for j, c in enumerate(m.tool_calls or ())
            ]
            out.append(AIMessage(content=api.text_of(m.content), tool_calls=calls))
        else:
            out.append(ToolMessage(content=api.text_of(m.content), tool_call_id=m.tool_call_id))
    if leading_system and any(system):
        out.insert(0, SystemMessage(content="\n\n".join(s for s in system if s)))
    return out


@dataclass(frozen=True)
class CallOptions:
    """What :func:`chat` passes besides the messages: tools to bind and per-call kwargs."""

    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def call_options(
    provider: str, spec: ModelSpec, request: api.ChatCompletionRequest, *, timeout: float, retries: int
) -> CallOptions:
    flavor = FLAVORS[provider]
    params: GenerationParams = generation_params(spec, request)
    kwargs: dict[str, Any] = {}
    extras = extra_model_kwargs(spec)
    if params.temperature is not None:
        kwargs["temperature"] = params.temperature
    if params.top_p is not None:
        kwargs[flavor.top_p] = params.top_p
    if params.stop:
        kwargs["stop"] = list(params.stop)
    if params.max_tokens is not None:
        if flavor.max_tokens_in_body:
            extras = {**extras, "max_tokens": params.max_tokens}
        else:
            kwargs["max_tokens"] = params.max_tokens
    if flavor.retries_per_call:
        options: dict[str, Any] = {"max_retries": retries, "timeout_in_seconds": math.ceil(timeout)}
        if extras:
            options["additional_body_parameters"] = extras
        kwargs["request_options"] = options
    elif extras:
        if flavor.extras == "extra_body":
            kwargs["extra_body"] = extras
        else:
            kwargs = {**extras, **kwargs}
    tools: tuple[dict[str, Any], ...] = ()
    choice = None
    if request.tools:
        tools = tuple(t.model_dump(mode="json", exclude_none=True) for t in request.tools)
        if request.tool_choice is not None:
            choice = flavor.tool_choice(request.tool_choice)
        if not flavor.bind_tools:
            kwargs["tools"] = list(tools)
            if choice is not None:
                kwargs["tool_choice"] = choice
            tools, choice = (), None
    for name in OPENAI_FIELDS:
        value = getattr(request, name)
        if value is None or (name == "response_format" and request.structured_output is None):
            continue
        if name not in flavor.openai_fields:
            raise InvalidRequestError(
                f"model {spec.id!r}: {name} is not passed to {provider} models by this API", param=name
            )
        kwargs[name] = request.model_dump(mode="json", by_alias=True, exclude_none=True)[name]
    if flavor.ends_with_user_or_tool and request.messages[-1].role not in ("user", "tool"):
        raise InvalidRequestError(
            f"model {spec.id!r} needs the conversation to end with a user or tool message", param="messages"
        )
    return CallOptions(tools, choice, kwargs)


FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "tool_call": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "content_filter",
}


def _text(content: str | list[str | dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        p if isinstance(p, str) else str(p.get("text", ""))
        for p in content
        if isinstance(p, str) or p.get("type") == "text"
    )


def _thinking(content: str | list[str | dict[str, Any]]) -> str:
    """Thinking blocks' text, where the integration keeps them in the content (Anthropic's)."""
    if isinstance(content, str):
        return ""
    return "".join(
        str(p.get("thinking", "")) for p in content if isinstance(p, dict) and p.get("type") == "thinking"
    )


def _usage_of(usage: Mapping[str, Any]) -> Usage:
    details = usage.get("output_token_details")
    # langchain-openai names them per service tier ("flex_reasoning", "priority_reasoning").
    reasoning = sum(
        token_count(v)
        for k, v in (details.items() if isinstance(details, Mapping) else ())
        if k.endswith("reasoning")
    )
    return Usage(
        token_count(usage.get("input_tokens")),
        token_count(usage.get("output_tokens")),
        token_count(reasoning),
    )


def from_ai_message(message: AIMessage) -> ChatResult:
    """Our result from LangChain's answer: text, tool calls, finish reason and token usage."""
    calls = tuple(
        ToolCallResult(str(c.get("id") or f"call_{i}"), c["name"], json.dumps(c.get("args") or {}))
        for i, c in enumerate(message.tool_calls)
    )
    metadata = {**message.additional_kwargs, **message.response_metadata}
    raw = metadata.get("finish_reason") or metadata.get("stop_reason")
    finish: FinishReason = "tool_calls" if calls else FINISH_REASONS.get(str(raw).lower(), "stop")
    usage: Mapping[str, Any] = message.usage_metadata or {}
    text = _text(message.content)
    thinking = _thinking(message.content)
    return ChatResult(
        content=text if text or not calls else None,
        tool_calls=calls,
        finish_reason=finish,
        usage=_usage_of(usage),
        reasoning=(ReasoningBlock(thinking),) if thinking else (),
        service_tier=tier if isinstance(tier := metadata.get("service_tier"), str) else None,
    )


# --- the call -----------------------------------------------------------------------------------


def _prepared(
    connection: Connection,
    spec: ModelSpec,
    request: api.ChatCompletionRequest,
    *,
    timeout: float,
    max_retries: int,
) -> tuple[Any, list[BaseMessage], CallOptions]:
    """The chat model (tools bound), the messages and the call options for one request."""
    flavor = FLAVORS[connection.provider]
    options = call_options(connection.provider, spec, request, timeout=timeout, retries=max_retries)
    messages = to_langchain_messages(request, leading_system=flavor.leading_system)
    try:
        model: Any = chat_model_for(connection, timeout, max_retries)
    except ImportError as err:
        raise ProviderNotSupportedError(
            f"model {spec.id!r}: the provider layer has no integration for {connection.provider!r}; "
            f"enable third_party.{connection.provider} in the deployment config and deploy again",
            reason=f"ImportError: {err.name}",
        ) from None
    except Exception as err:  # the integration refused its settings
        raise ConfigurationError(
            f"model {spec.id!r}: the {connection.provider} client could not be created",
            reason=type(err).__name__,
        ) from None
    if options.tools:
        bind: dict[str, Any] = {} if options.tool_choice is None else {"tool_choice": options.tool_choice}
        try:
            model = model.bind_tools(list(options.tools), **bind)
        except Exception as err:
            raise map_provider_error(err, spec, secrets=(connection.api_key, *connection.secrets)) from err
    return model, messages, options


def chat(
    connection: Connection,
    spec: ModelSpec,
    request: api.ChatCompletionRequest,
    *,
    timeout: float,
    max_retries: int,
) -> ChatResult:
    model, messages, options = _prepared(connection, spec, request, timeout=timeout, max_retries=max_retries)
    try:
        answer = model.invoke(messages, **options.kwargs)
    except Exception as err:  # whatever the provider's SDK or the integration raises
        raise map_provider_error(err, spec, secrets=(connection.api_key, *connection.secrets)) from err
    if not isinstance(answer, AIMessage):
        raise UpstreamError(f"model {spec.id!r} answered something that is not a chat message")
    return from_ai_message(answer)


# Integrations that report token usage in a stream only when asked.
_STREAM_USAGE = frozenset({"openai", "azure_openai", "openai_compatible"})


def deltas_from_chunks(chunks: Iterator[Any]) -> Iterator[Delta]:
    """Deltas from LangChain's ``AIMessageChunk`` stream; usage reported in parts is added up."""
    prompt = completion = reasoning = 0
    saw_usage = False
    finish: FinishReason | None = None
    calls = False
    for chunk in chunks:
        if not isinstance(chunk, AIMessageChunk):
            raise UpstreamError("the provider streamed something that is not a chat message")
        if thinking := _thinking(chunk.content):
            yield ReasoningDelta(0, thinking)
        text = _text(chunk.content)
        if text:
            yield TextDelta(text)
        for call in chunk.tool_call_chunks:
            calls = True
            yield ToolCallDelta(
                token_count(call.get("index")),
                call.get("id") or None,
                call.get("name") or None,
                call.get("args") or "",
            )
        metadata = {**chunk.additional_kwargs, **chunk.response_metadata}
        raw = metadata.get("finish_reason") or metadata.get("stop_reason")
        if raw:
            finish = FINISH_REASONS.get(str(raw).lower(), "stop")
        usage: Mapping[str, Any] | None = chunk.usage_metadata
        if usage:
            saw_usage = True
            part = _usage_of(usage)
            prompt, completion = prompt + part.prompt_tokens, completion + part.completion_tokens
            reasoning += part.reasoning_tokens
    yield FinishDelta("tool_calls" if calls and finish in (None, "stop") else (finish or "stop"))
    if saw_usage:
        yield UsageDelta(Usage(prompt, completion, reasoning))


def stream(
    connection: Connection,
    spec: ModelSpec,
    request: api.ChatCompletionRequest,
    *,
    timeout: float,
    max_retries: int,
) -> DeltaStream:
    """Start the provider's stream; errors until its first chunk are raised here."""
    model, messages, options = _prepared(connection, spec, request, timeout=timeout, max_retries=max_retries)
    kwargs = dict(options.kwargs)
    if connection.provider in _STREAM_USAGE:
        kwargs["stream_usage"] = True
    secrets = (connection.api_key, *connection.secrets)
    try:
        chunks = iter(model.stream(messages, **kwargs))
        first = next(chunks, None)
    except Exception as err:
        raise map_provider_error(err, spec, secrets=secrets) from err

    def mapped() -> Iterator[Delta]:
        try:
            yield from deltas_from_chunks(itertools.chain(() if first is None else (first,), chunks))
        except (GeneratorExit, ApiError):
            raise
        except Exception as err:
            raise map_provider_error(err, spec, secrets=secrets) from err
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return DeltaStream(mapped())
