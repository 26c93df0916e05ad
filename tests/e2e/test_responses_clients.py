"""The Responses API as its clients use it: the OpenAI Python SDK (``client.responses``) and the
OpenAI Agents SDK (one agent run with one function tool), against ``scripts/serve`` and the
Bedrock fake. The Agents SDK's tracing, which would send spans to OpenAI, is off."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import openai
import pytest
from agents import Agent, OpenAIResponsesModel, RunConfig, Runner, function_tool, set_tracing_disabled

from tests.e2e.conftest import Served

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def no_tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    set_tracing_disabled(True)
    yield
    set_tracing_disabled(False)


def test_responses_create(client: openai.OpenAI, server: Served) -> None:
    response = client.responses.create(model="claude", instructions="Be kind.", input="hello there")

    assert response.output_text == "echo: hello there"
    assert response.status == "completed"
    assert response.usage is not None and response.usage.output_tokens == 3
    assert server.bedrock.requests[0].json["system"] == [{"text": "Be kind."}]


def test_responses_create_streamed(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="claude", input="stream me please", stream=True))

    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "echo: stream me please" == events[-1].response.output_text


def test_the_sdks_stream_helper_accumulates_the_events(client: openai.OpenAI) -> None:
    with client.responses.stream(model="claude", input="one two three") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()

    assert "".join(deltas) == final.output_text == "echo: one two three"


def test_a_tool_round_trip(client: openai.OpenAI) -> None:
    question = {"role": "user", "content": "Weather in Paris?"}
    first = client.responses.create(model="claude", input=[question], tools=[WEATHER])  # type: ignore[list-item]

    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    second = client.responses.create(
        model="claude",
        input=[
            question,
            call,  # the output item as the SDK parsed it, sent back unchanged
            {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"celsius": 18})},
        ],  # type: ignore[list-item]
        tools=[WEATHER],  # type: ignore[list-item]
    )

    assert second.output_text == 'tool said: {"celsius": 18}'


def test_a_streamed_tool_call(client: openai.OpenAI) -> None:
    with client.responses.stream(model="claude", input="Weather?", tools=[WEATHER]) as stream:  # type: ignore[list-item]
        final = stream.get_final_response()

    (call,) = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"query": "Weather?"}


def test_a_failure_mid_stream_reaches_the_sdk_as_an_error_event(
    client: openai.OpenAI, server: Served
) -> None:
    server.bedrock.stream.fail_after = 2

    events = list(client.responses.create(model="claude", input="one two three four", stream=True))

    assert events[-1].type == "error"
    assert "claude" in events[-1].message
    assert server.bedrock.stream.outcome() == "failed"


def test_stored_state_is_the_sdks_bad_request_error(client: openai.OpenAI, server: Served) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="claude", input="x", previous_response_id="resp_123")

    assert caught.value.param == "previous_response_id"
    assert "stateless" in caught.value.message
    assert server.bedrock.requests == []


def _weather_agent(server: Served, calls: list[str]) -> Agent:
    @function_tool
    def get_weather(query: str) -> str:
        """The weather for a question about it."""
        calls.append(query)
        return "sunny, 21 C"

    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=30)
    return Agent(
        name="weather",
        instructions="Answer questions about the weather.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model="claude", openai_client=client),
    )


def test_an_agents_sdk_run_with_a_tool(server: Served, no_tracing: None) -> None:
    calls: list[str] = []

    result = asyncio.run(Runner.run(_weather_agent(server, calls), "Weather in Paris?"))

    assert calls == ["Weather in Paris?"]
    assert result.final_output == "tool said: sunny, 21 C"
    first, second = (r.json for r in server.bedrock.requests)
    assert first["system"] == [{"text": "Answer questions about the weather."}]
    assert second["messages"][-1]["content"][0]["toolResult"]["content"] == [{"text": "sunny, 21 C"}]


def test_an_agents_sdk_streamed_run_with_a_tool(server: Served, no_tracing: None) -> None:
    calls: list[str] = []

    async def run() -> tuple[object, list[str]]:
        result = Runner.run_streamed(
            _weather_agent(server, calls), "Weather in Oslo?", run_config=RunConfig(tracing_disabled=True)
        )
        kinds = [event.type async for event in result.stream_events()]
        return result.final_output, kinds

    final, kinds = asyncio.run(run())

    assert calls == ["Weather in Oslo?"]
    assert final == "tool said: sunny, 21 C"
    assert "raw_response_event" in kinds and "run_item_stream_event" in kinds
