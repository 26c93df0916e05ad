"""The Anthropic fake's stream, read by the anthropic SDK."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from tests.fakes.anthropic_messages import FakeAnthropic

KEY = "sk-ant-fake"
HELLO: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hello there"}]
WEATHER: list[anthropic.types.ToolParam] = [
    {"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}
]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(KEY) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=fake.url, max_retries=0, timeout=10)


def test_the_sdk_reads_the_event_sequence(client: anthropic.Anthropic) -> None:
    events = list(client.messages.create(model="claude-fake", max_tokens=50, messages=HELLO, stream=True))

    assert [e.type for e in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == "echo: hello there"  # type: ignore[union-attr]


def test_a_tool_use_streams_its_input_as_json_fragments(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model="claude-fake", max_tokens=50, messages=HELLO, tools=WEATHER) as stream:
        deltas = [e.delta for e in stream if e.type == "content_block_delta"]
        message = stream.get_final_message()

    fragments = [d.partial_json for d in deltas if d.type == "input_json_delta"]
    assert len(fragments) > 1
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == {"city": "Paris"}  # type: ignore[union-attr]
    assert message.content[1].name == "get_weather"  # type: ignore[union-attr]
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2, 3)


def test_an_error_event_mid_stream_raises(client: anthropic.Anthropic, fake: FakeAnthropic) -> None:
    fake.stream.fail_after = 1
    texts: list[str] = []

    stream = client.messages.create(model="claude-fake", max_tokens=50, messages=HELLO, stream=True)

    with pytest.raises(anthropic.APIStatusError, match="overloaded_error") as caught:
        texts.extend(e.delta.text for e in stream if e.type == "content_block_delta")  # type: ignore[union-attr]

    assert texts == ["echo:"]
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert fake.stream.outcome() == "failed"
