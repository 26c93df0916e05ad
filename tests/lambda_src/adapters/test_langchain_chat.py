"""Pure mapping of the LangChain adapter: OpenAI request -> LangChain messages and call options,
LangChain's answer -> our result; and the connection each provider gets from the keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from lambda_src.adapters.langchain_chat import call_options, from_ai_message, to_langchain_messages
from lambda_src.adapters.third_party import Connection, resolve_connection
from lambda_src.api_keys import ApiKeys
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import (
    ConfigurationError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderNotSupportedError,
)
from lambda_src.inventory import ModelSpec

PNG = "data:image/png;base64,iVBORw0KGgo="
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def _request(**body: Any) -> ChatCompletionRequest:
    body.setdefault("model", "m")
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    return ChatCompletionRequest.model_validate_json(json.dumps(body))


COMPAT = {"name": "deepseek", "base_url": "https://api.deepseek.com/v1/", "api_key_name": "DEEPSEEK_API_KEY"}


def _spec(provider: str = "openai", **fields: Any) -> ModelSpec:
    if provider == "openai_compatible":
        fields.setdefault("connection", COMPAT)
    return ModelSpec(id="m", provider=provider, model="name", **fields)  # type: ignore[arg-type]


def test_messages_map_one_to_one() -> None:
    request = _request(
        messages=[
            {"role": "developer", "content": "Be terse."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ]
    )

    messages = to_langchain_messages(request)

    assert messages == [
        SystemMessage(content="Be terse."),
        HumanMessage(
            content=[{"type": "text", "text": "What is"}, {"type": "image_url", "image_url": {"url": PNG}}]
        ),
        AIMessage(content="", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]),
        ToolMessage(content="42", tool_call_id="c1"),
    ]


def test_system_messages_can_be_joined_in_front() -> None:
    request = _request(
        messages=[
            {"role": "user", "content": "a"},
            {"role": "system", "content": "one"},
            {"role": "system", "content": "two"},
            {"role": "user", "content": "b"},
        ]
    )

    messages = to_langchain_messages(request, leading_system=True)

    assert messages == [
        SystemMessage(content="one\n\ntwo"),
        HumanMessage(content="a"),
        HumanMessage(content="b"),
    ]


def test_tool_call_arguments_must_be_an_object() -> None:
    request = _request(
        messages=[
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "[1]"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "x"},
        ]
    )

    with pytest.raises(InvalidRequestError) as caught:
        to_langchain_messages(request)

    assert caught.value.param == "messages.1.tool_calls.0.function.arguments"


@pytest.mark.parametrize(
    ("provider", "kwargs"),
    [
        (
            "openai",
            {"temperature": 0.5, "top_p": 0.9, "stop": ["X"], "max_tokens": 10, "extra_body": {"seed_x": 1}},
        ),
        (
            "azure_openai",
            {"temperature": 0.5, "top_p": 0.9, "stop": ["X"], "max_tokens": 10, "extra_body": {"seed_x": 1}},
        ),
        (
            "openai_compatible",
            {"temperature": 0.5, "top_p": 0.9, "stop": ["X"], "extra_body": {"seed_x": 1, "max_tokens": 10}},
        ),
        (
            "anthropic",
            {"temperature": 0.5, "top_p": 0.9, "stop": ["X"], "max_tokens": 10, "extra_body": {"seed_x": 1}},
        ),
        ("mistral", {"seed_x": 1, "temperature": 0.5, "top_p": 0.9, "stop": ["X"], "max_tokens": 10}),
        (
            "cohere",
            {
                "temperature": 0.5,
                "p": 0.9,
                "stop": ["X"],
                "max_tokens": 10,
                "request_options": {
                    "max_retries": 2,
                    "timeout_in_seconds": 8,
                    "additional_body_parameters": {"seed_x": 1},
                },
            },
        ),
    ],
)
def test_generation_settings_and_model_kwargs_per_provider(provider: str, kwargs: dict[str, Any]) -> None:
    spec = _spec(provider, model_kwargs={"temperature": 0.1, "seed_x": 1})
    request = _request(temperature=0.5, top_p=0.9, stop="X", max_completion_tokens=10)

    options = call_options(provider, spec, request, timeout=7.5, retries=2)

    assert options.kwargs == kwargs
    assert spec.model_kwargs == {"temperature": 0.1, "seed_x": 1}  # not mutated


@pytest.mark.parametrize(
    ("provider", "choice", "expected"),
    [
        ("openai", "required", "required"),
        ("openai", {"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
        ("anthropic", "required", "any"),
        ("anthropic", "none", {"type": "none"}),
        ("mistral", "required", "any"),
        ("anthropic", {"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
    ],
)
def test_tool_choice_per_provider(provider: str, choice: Any, expected: Any) -> None:
    options = call_options(
        provider, _spec(provider), _request(tools=[WEATHER], tool_choice=choice), timeout=1, retries=0
    )

    assert options.tools == (WEATHER,)
    assert options.tool_choice == expected


def test_cohere_takes_tools_as_they_are_and_cannot_name_one() -> None:
    options = call_options(
        "cohere", _spec("cohere"), _request(tools=[WEATHER], tool_choice="none"), timeout=1, retries=0
    )
    assert (options.tools, options.kwargs["tools"], options.kwargs["tool_choice"]) == ((), [WEATHER], "NONE")

    named = _request(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    with pytest.raises(InvalidRequestError, match="one named tool"):
        call_options("cohere", _spec("cohere"), named, timeout=1, retries=0)


def test_cohere_needs_a_user_or_tool_message_last() -> None:
    request = _request(messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}])

    with pytest.raises(InvalidRequestError, match="end with a user or tool message"):
        call_options("cohere", _spec("cohere"), request, timeout=1, retries=0)


@pytest.mark.parametrize(
    ("metadata", "finish"),
    [
        ({"finish_reason": "stop"}, "stop"),
        ({"finish_reason": "length"}, "length"),
        ({"stop_reason": "end_turn"}, "stop"),
        ({"stop_reason": "max_tokens"}, "length"),
        ({"finish_reason": "COMPLETE"}, "stop"),
        ({"finish_reason": "MAX_TOKENS"}, "length"),
        ({"finish_reason": "content_filter"}, "content_filter"),
        ({}, "stop"),
    ],
)
def test_finish_reasons(metadata: dict[str, str], finish: str) -> None:
    assert from_ai_message(AIMessage(content="x", response_metadata=metadata)).finish_reason == finish


def test_an_answer_with_text_blocks_tool_calls_and_usage() -> None:
    message = AIMessage(
        content=[
            {"type": "text", "text": "Let me "},
            {"type": "text", "text": "check."},
            {"type": "tool_use", "id": "t"},
        ],
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "t1", "type": "tool_call"}],
        usage_metadata={"input_tokens": 11, "output_tokens": 7, "total_tokens": 18},
        response_metadata={"stop_reason": "tool_use"},
    )

    result = from_ai_message(message)

    assert result.content == "Let me check."
    assert [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls] == [
        ("t1", "get_weather", {"city": "Paris"})
    ]
    assert (result.finish_reason, result.usage.prompt_tokens, result.usage.completion_tokens) == (
        "tool_calls",
        11,
        7,
    )


def test_tool_calls_without_text_have_null_content() -> None:
    message = AIMessage(content="", tool_calls=[{"name": "f", "args": {}, "id": "c", "type": "tool_call"}])

    assert from_ai_message(message).content is None


# --- connections --------------------------------------------------------------------------------

KEYS = ApiKeys(
    {
        "OPENAI_API_KEY": "sk-o",
        "ANTHROPIC_API_KEY": "sk-a",
        "ANTHROPIC_BASE_URL": "https://proxy.example.com/anthropic/",
        "AZURE_OPENAI_MODELS": "Model1,Half",
        "AZURE_OPENAI_API_TYPE__Model1": "azure",
        "AZURE_OPENAI_API_VERSION__Model1": "2024-06-01",
        "AZURE_OPENAI_API_BASE__Model1": "https://r.openai.azure.com/",
        "AZURE_OPENAI_API_KEY__Model1": "az-1",
        "AZURE_OPENAI_API_DEPLOYMENT_NAME__Model1": "dep-1",
        "AZURE_OPENAI_API_TYPE__Half": "azure",
        "DEEPSEEK_API_KEY": "sk-d",
    },
    "the API-keys secret 'arn:x'",
)


def test_connections_take_keys_and_base_urls_from_the_secret() -> None:
    assert resolve_connection(_spec("openai"), KEYS) == Connection(
        "openai", "name", "https://api.openai.com/v1", "sk-o"
    )
    assert resolve_connection(_spec("anthropic"), KEYS) == Connection(
        "anthropic", "name", "https://proxy.example.com/anthropic", "sk-a"
    )
    azure = ModelSpec(id="Model1", provider="azure_openai", model="Model1")
    assert resolve_connection(azure, KEYS) == Connection(
        "azure_openai",
        "dep-1",
        "https://r.openai.azure.com",
        "az-1",
        api_version="2024-06-01",
        deployment="dep-1",
    )
    assert "sk-o" not in repr(resolve_connection(_spec("openai"), KEYS))


def test_openai_compatible_connections_take_the_configured_url_key_and_headers() -> None:
    spec = _spec("openai_compatible", connection={**COMPAT, "headers": {"X-Route": "eu"}})

    assert resolve_connection(spec, KEYS) == Connection(
        "openai_compatible", "name", "https://api.deepseek.com/v1", "sk-d", headers=(("X-Route", "eu"),)
    )


def test_an_openai_compatible_loopback_url_needs_the_local_servers_permission() -> None:
    spec = _spec("openai_compatible", connection={**COMPAT, "base_url": "http://127.0.0.1:8000/v1"})

    with pytest.raises(ConfigurationError, match="plain http is accepted only for a loopback host"):
        resolve_connection(spec, KEYS)
    assert resolve_connection(spec, KEYS, allow_loopback=True).base_url == "http://127.0.0.1:8000/v1"


def test_ai21_is_refused_with_the_shutdown() -> None:
    with pytest.raises(ProviderNotSupportedError, match="shut down its Jamba API on 2026-08-09") as caught:
        resolve_connection(_spec("ai21"), KEYS)
    assert "openai_compatible" in caught.value.message and "SageMaker" in caught.value.message


def test_missing_keys_are_named() -> None:
    with pytest.raises(
        ConfigurationError,
        match="model 'm' \\(openai_compatible provider 'deepseek'\\) needs DEEPSEEK_API_KEY",
    ):
        resolve_connection(_spec("openai_compatible"), ApiKeys({}, "the API-keys secret 'arn:x'"))
    with pytest.raises(ConfigurationError, match="lacks AZURE_OPENAI_API_BASE__Half"):
        resolve_connection(ModelSpec(id="Half", provider="azure_openai", model="Half"), KEYS)
    with pytest.raises(ModelNotFoundError):
        resolve_connection(ModelSpec(id="Other", provider="azure_openai", model="Other"), KEYS)


def test_thinking_blocks_and_reasoning_tokens_whole_and_streamed() -> None:
    from langchain_core.messages import AIMessageChunk

    from lambda_src.adapters.langchain_chat import deltas_from_chunks
    from lambda_src.chat import fold

    content: list[Any] = [
        {"type": "thinking", "thinking": "Hmm, Paris.", "signature": "s"},
        {"type": "text", "text": "Sunny."},
    ]
    usage: Any = {
        "input_tokens": 5,
        "output_tokens": 9,
        "total_tokens": 14,
        "output_token_details": {"flex_reasoning": 4},  # langchain-openai's name under the flex tier
    }
    whole = from_ai_message(AIMessage(content=content, usage_metadata=usage))
    streamed = fold(
        deltas_from_chunks(
            iter(
                [
                    AIMessageChunk(content=[c], usage_metadata=usage if i else None)
                    for i, c in enumerate(content)
                ]
            )
        )
    )

    for result in (whole, streamed):
        assert result.content == "Sunny."
        assert [b.text for b in result.reasoning] == ["Hmm, Paris."]
        assert result.usage.reasoning_tokens == 4
