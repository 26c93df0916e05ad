"""The Cohere fake's stream, read by the cohere SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import cohere
import pytest

from tests.fakes.cohere_chat import FakeCohere

KEY = "co-fake"
HELLO: Any = [{"role": "user", "content": "hello there"}]
WEATHER: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@pytest.fixture
def fake() -> Iterator[FakeCohere]:
    with FakeCohere(KEY) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeCohere) -> cohere.ClientV2:
    return cohere.ClientV2(api_key=KEY, base_url=fake.url, timeout=10)


def test_the_sdk_reads_text_deltas_and_the_end(client: cohere.ClientV2, fake: FakeCohere) -> None:
    events = list(client.chat_stream(model="command-r", messages=HELLO))

    assert [e.type for e in events] == [
        "message-start",
        "content-start",
        *["content-delta"] * 3,
        "content-end",
        "message-end",
    ]
    assert (
        "".join(e.delta.message.content.text for e in events if e.type == "content-delta")
        == "echo: hello there"
    )  # type: ignore[union-attr]
    assert events[-1].delta.finish_reason == "COMPLETE"  # type: ignore[union-attr]
    assert events[-1].delta.usage.tokens.output_tokens == 3  # type: ignore[union-attr]
    assert fake.requests[0].json["stream"] is True


def test_a_tool_call_streams_its_plan_name_and_argument_fragments(client: cohere.ClientV2) -> None:
    events = list(client.chat_stream(model="command-r", messages=HELLO, tools=WEATHER))

    plan = "".join(e.delta.message.tool_plan for e in events if e.type == "tool-plan-delta")  # type: ignore[union-attr]
    [start] = [e for e in events if e.type == "tool-call-start"]
    arguments = [e.delta.message.tool_calls.function.arguments for e in events if e.type == "tool-call-delta"]  # type: ignore[union-attr]
    assert plan == "I will look it up."
    assert start.delta.message.tool_calls.function.name == "get_weather"  # type: ignore[union-attr]
    assert len(arguments) > 1 and json.loads("".join(arguments)) == {"city": "Paris"}
    assert events[-1].delta.finish_reason == "TOOL_CALL"  # type: ignore[union-attr]


def test_a_failure_ends_the_message_with_an_error(client: cohere.ClientV2, fake: FakeCohere) -> None:
    fake.stream.fail_after = 1

    events = list(client.chat_stream(model="command-r", messages=HELLO))

    assert [e.type for e in events] == ["message-start", "content-start", "content-delta", "message-end"]
    assert events[-1].delta.finish_reason == "ERROR"  # type: ignore[union-attr]
    assert "internal server error" in events[-1].delta.error  # type: ignore[union-attr]
