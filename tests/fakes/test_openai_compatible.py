"""The OpenAI-compatible fakes' streams, read by the openai SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.fakes.openai_compatible import FakeAzureOpenAI, FakeChatCompletions, stream_error

KEY = "sk-fake-stream"
HELLO = [{"role": "user", "content": "hello there"}]
WEATHER = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@pytest.fixture
def fake() -> Iterator[FakeChatCompletions]:
    with FakeChatCompletions(KEY) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeChatCompletions) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=f"{fake.url}/v1", max_retries=0, timeout=10)


def _stream(client: openai.OpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-fake", messages=HELLO, stream=True, **kwargs)  # type: ignore[arg-type]


def test_the_sdk_reads_role_content_and_finish_chunks(
    client: openai.OpenAI, fake: FakeChatCompletions
) -> None:
    chunks = list(_stream(client))

    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].delta.content for c in chunks[1:-1]] == ["echo:", " hello", " there"]
    assert [c.choices[0].finish_reason for c in chunks] == [None, None, None, None, "stop"]
    assert {c.id for c in chunks} == {"chatcmpl-fake"} and {c.model for c in chunks} == {"gpt-fake"}
    assert all(c.usage is None for c in chunks)
    assert fake.requests[0].json["stream"] is True
    assert fake.stream.outcome() == "complete"


def test_usage_comes_last_with_no_choices_when_asked_for(client: openai.OpenAI) -> None:
    chunks = list(_stream(client, stream_options={"include_usage": True}))

    assert chunks[-1].choices == []
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (2, 3)
    assert all(c.usage is None for c in chunks[:-1])


def test_a_tool_call_streams_its_id_and_name_then_its_arguments(client: openai.OpenAI) -> None:
    chunks = list(_stream(client, tools=WEATHER))

    calls = [call for c in chunks for call in c.choices[0].delta.tool_calls or ()]
    assert (calls[0].index, calls[0].id, calls[0].function.name) == (0, "call0ABCD", "get_weather")
    assert all(call.id is None and call.function.name is None for call in calls[1:])
    assert len(calls) > 2  # the arguments come in fragments
    assert "".join(call.function.arguments for call in calls) == '{"city": "Paris"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_the_first_content_chunk_arrives_while_the_fake_holds_the_rest(
    client: openai.OpenAI, fake: FakeChatCompletions
) -> None:
    fake.stream.hold_after = 1
    stream = _stream(client)

    first = next(c for c in stream if c.choices[0].delta.content)

    assert first.choices[0].delta.content == "echo:"
    assert fake.stream.holding.is_set() and fake.stream.outcomes == []
    fake.stream.release()
    assert "".join(c.choices[0].delta.content or "" for c in stream) == " hello there"
    assert fake.stream.outcome() == "complete" and not fake.stream.timed_out.is_set()


def test_an_error_mid_stream_raises_api_error(client: openai.OpenAI, fake: FakeChatCompletions) -> None:
    fake.stream.fail_after = 1
    fake.stream.failure = stream_error("Rate limit reached mid-stream.", "rate_limit_error", "rate_limit")
    seen: list[str] = []

    with pytest.raises(openai.APIError, match=r"Rate limit reached mid-stream\.") as caught:
        seen.extend(c.choices[0].delta.content or "" for c in _stream(client))

    assert seen == ["", "echo:"]
    assert caught.value.body == {
        "message": "Rate limit reached mid-stream.",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit",
    }


def test_closing_the_stream_early_is_seen_as_a_closed_upstream(
    client: openai.OpenAI, fake: FakeChatCompletions
) -> None:
    fake.stream.hold_after = 1
    stream = _stream(client)
    next(c for c in stream if c.choices[0].delta.content)

    stream.close()

    assert fake.stream.client_closed.wait(5)
    assert fake.stream.outcome() == "client_closed"


def test_a_non_streaming_request_still_gets_one_json_answer(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model="gpt-fake", messages=HELLO)  # type: ignore[arg-type]

    assert answer.choices[0].message.content == "echo: hello there"


def test_azure_streams_a_prompt_filter_chunk_first() -> None:
    with FakeAzureOpenAI({"gpt4o": "azure-key"}) as fake:
        client = openai.AzureOpenAI(
            api_key="azure-key", azure_endpoint=fake.url, api_version="2024-10-21", max_retries=0, timeout=10
        )
        chunks = list(
            client.chat.completions.create(model="gpt4o", messages=HELLO, stream=True)  # type: ignore[arg-type]
        )

    assert chunks[0].choices == []
    assert chunks[0].prompt_filter_results  # type: ignore[attr-defined]
    assert "".join(c.choices[0].delta.content or "" for c in chunks[1:]) == "echo: hello there"
    assert chunks[-1].model == "azure:gpt4o"
