"""The OpenAI Python SDK against ``scripts/serve`` (the real handler), Bedrock and SageMaker fakes."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.e2e.conftest import Served
from tests.fakes import bedrock_runtime

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_models_are_listed(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [
        "claude",
        "throttled",
        "titan-embed",
        "tgi",
        "qwen",
        "falcon",
        "bge",
        "gpt-mini",
    ]


def test_plain_chat_on_bedrock(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "hello there"}], max_tokens=50
    )

    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 3)
    (sent,) = server.bedrock.requests
    assert sent.target == "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert sent.access_key_id == "AKIDE2EFAKE"


def test_chat_with_a_system_prompt(client: openai.OpenAI, server: Served) -> None:
    client.chat.completions.create(
        model="claude",
        messages=[{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "hi"}],
    )

    assert server.bedrock.requests[0].json["system"] == [{"text": "Answer in French."}]


def test_streamed_chat(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="claude",
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )

    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5


def test_tools_round_trip(client: openai.OpenAI) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Paris?"}]

    first = client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER])  # type: ignore[arg-type]

    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather"
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"celsius": 18})},
    ]
    second = client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER])  # type: ignore[arg-type]
    assert second.choices[0].message.content == 'tool said: {"celsius": 18}'


def test_streamed_tool_call(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="claude",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[WEATHER],
        stream=True,  # type: ignore[list-item]
    )

    calls = [tc for c in stream if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    # Streamed as OpenAI streams it: the name once, then the arguments in pieces.
    assert [tc.function.name for tc in calls if tc.function and tc.function.name] == ["get_weather"]
    assert {tc.index for tc in calls} == {0}
    arguments = "".join(tc.function.arguments or "" for tc in calls if tc.function)
    assert isinstance(json.loads(arguments), dict)


def test_chat_on_sagemaker_tgi_messages(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(model="tgi", messages=[{"role": "user", "content": "hi tgi"}])

    assert completion.choices[0].message.content == "echo: hi tgi"
    (sent,) = server.sagemaker.requests
    assert sent.target == "tgi-endpoint"


def test_chat_on_sagemaker_tgi_generate_with_a_prompt_format(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(
        model="falcon",
        messages=[{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}],
        stream=True,
    )

    assert "".join(c.choices[0].delta.content or "" for c in completion if c.choices) == "generated says hi"
    assert server.sagemaker.requests[0].json["inputs"] == "Be kind.\nUser: hi\nFalcon:"


def test_tools_on_sagemaker(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="tgi", messages=[{"role": "user", "content": "x"}], tools=[WEATHER]
    )  # type: ignore[list-item]

    (call,) = completion.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"


def test_embeddings(client: openai.OpenAI) -> None:
    # The SDK asks for base64 by default and decodes it.
    result = client.embeddings.create(model="titan-embed", input=["hello world", "bye"], dimensions=256)

    assert [len(d.embedding) for d in result.data] == [256, 256]
    assert result.usage.prompt_tokens == 3


def test_bad_request_is_the_sdks_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="claude", messages=[{"role": "wizard", "content": "x"}])  # type: ignore[list-item,misc]

    assert caught.value.status_code == 400
    assert caught.value.code is None
    assert "role" in caught.value.message


def test_unknown_model_is_the_sdks_not_found_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])

    assert caught.value.code == "model_not_found"


def test_throttling_is_the_sdks_rate_limit_error(client: openai.OpenAI, server: Served) -> None:
    server.bedrock.always("amazon.nova-micro-v1:0", bedrock_runtime.THROTTLED)

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="throttled", messages=[{"role": "user", "content": "x"}])

    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.code == "rate_limit_exceeded"


def test_access_denied_is_the_sdks_permission_error(client: openai.OpenAI, server: Served) -> None:
    server.bedrock.always("us.anthropic.claude-haiku-4-5-20251001-v1:0", bedrock_runtime.ACCESS_DENIED)

    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}])

    assert "Marketplace" in caught.value.message and "Model access" not in caught.value.message


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (
            b'{"model": "claude", "messages": [{"role": "user", "content": "\xff"}]}',
            {"content-type": "application/json"},
        ),
        (b"\x00\x01binary", {"content-type": "application/octet-stream"}),
        (b'{"model": "claude"', {"content-type": "application/json"}),
        (b"x" * (6 * 1024 * 1024 + 1), {"content-type": "application/json"}),
    ],
    ids=["non-utf8", "binary", "truncated", "over-6mb"],
)
def test_raw_bad_bodies_through_the_server(server: Served, content: bytes, headers: dict[str, str]) -> None:
    response = httpx.post(f"{server.base_url}/chat/completions", content=content, headers=headers, timeout=30)

    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"message", "type", "code", "param"}
    assert server.bedrock.requests == []
