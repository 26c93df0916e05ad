"""Structured output and reasoning as the common clients use them, against ``scripts/serve`` and the
wire fakes: the OpenAI Python SDK (``parse``, streams, ``reasoning_effort``) and LangChain's
``ChatOpenAI`` (invoke, stream, tools, ``with_structured_output`` with its default method,
``json_schema`` in the pinned langchain-openai, and with function calling).

``claude`` is Claude Haiku 4.5 (native structured output, thinking with a budget), ``throttled``
is Nova Micro (structured output through a forced tool), ``tgi`` a TGI messages endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.e2e.conftest import Served
from tests.e2e.test_openai_sdk import WEATHER
from tests.fakes import bedrock_runtime

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "amazon.nova-micro-v1:0"


class Pet(BaseModel):
    name: str
    kind: str


class Person(BaseModel):
    name: str
    age: int
    pets: list[Pet]


@pytest.fixture
def client(server: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=30)


def _chat_openai(server: Served, model: str, **kwargs: Any) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=server.base_url, api_key="unused", model=model, max_retries=0, **kwargs)  # type: ignore[arg-type]


# --- structured output ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["claude", "throttled", "tgi"])
def test_the_openai_sdks_parse_returns_a_validated_object(client: openai.OpenAI, model: str) -> None:
    completion = client.chat.completions.parse(
        model=model, messages=[{"role": "user", "content": "Who is Ada?"}], response_format=Person
    )

    person = completion.choices[0].message.parsed
    assert isinstance(person, Person) and isinstance(person.pets[0], Pet)


def test_structured_output_streams_through_the_sdk(client: openai.OpenAI, server: Served) -> None:
    stream = client.chat.completions.create(
        model="throttled",
        messages=[{"role": "user", "content": "Who is Ada?"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": Person.model_json_schema()},
        },
        stream=True,
    )

    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert Person.model_validate_json(text)
    # Nova answered through the forced tool, streamed to the client as content.
    assert server.bedrock.requests_for(NOVA)[0].json["toolConfig"]["toolChoice"] == {
        "tool": {"name": "person"}
    }


@pytest.mark.parametrize("model", ["claude", "tgi"])
def test_the_sdks_streaming_parse_returns_a_validated_object(client: openai.OpenAI, model: str) -> None:
    with client.chat.completions.stream(
        model=model, messages=[{"role": "user", "content": "Who is Ada?"}], response_format=Person
    ) as stream:
        pieces = [e for e in stream if e.type == "content.delta"]
        completion = stream.get_final_completion()

    assert len(pieces) > 1
    assert isinstance(completion.choices[0].message.parsed, Person)


def test_an_answer_off_the_schema_is_an_sdk_error(client: openai.OpenAI, server: Served) -> None:
    server.bedrock.script(
        HAIKU, bedrock_runtime.converse_reply(json.dumps({"name": "Ada", "age": "old", "pets": []}))
    )

    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.parse(
            model="claude", messages=[{"role": "user", "content": "x"}], response_format=Person
        )

    assert caught.value.code == "response_format_mismatch"
    assert "$.age: expected integer, got string" in caught.value.message


@pytest.mark.parametrize("model", ["claude", "tgi"])
def test_langchain_with_structured_output_by_default(server: Served, model: str) -> None:
    person = _chat_openai(server, model).with_structured_output(Person).invoke("Who is Ada?")

    assert isinstance(person, Person) and isinstance(person.pets[0], Pet)
    # The pinned langchain-openai asks for a strict json_schema by default.
    sent = (server.bedrock.requests_for(HAIKU) or server.sagemaker.requests)[0].json
    if model == "claude":
        assert sent["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"] == "Person"
    else:
        assert sent["response_format"]["type"] == "json"


@pytest.mark.parametrize("model", ["claude", "throttled"])
def test_langchain_with_structured_output_through_function_calling(server: Served, model: str) -> None:
    structured = _chat_openai(server, model).with_structured_output(Person, method="function_calling")

    assert isinstance(structured.invoke("Who is Ada?"), Person)


# --- LangChain's everyday calls -----------------------------------------------------------------


def test_langchain_invoke_stream_and_tools(server: Served) -> None:
    chat = _chat_openai(server, "claude")

    assert chat.invoke("hello there").content == "echo: hello there"
    assert "".join(str(c.content) for c in chat.stream("stream me")) == "echo: stream me"
    called = chat.bind_tools([WEATHER]).invoke("Weather in Paris?")
    assert [c["name"] for c in called.tool_calls] == ["get_weather"]


# --- reasoning ----------------------------------------------------------------------------------


def _extra(message: Any, name: str) -> Any:
    # The SDK keeps fields it does not know as extras of its pydantic models.
    return (message.model_extra or {}).get(name)


def test_thinking_arrives_as_reasoning_content_through_the_sdk(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "why"}], reasoning_effort="low"
    )

    message = completion.choices[0].message
    assert _extra(message, "reasoning_content") == "Thinking about why."
    assert _extra(message, "reasoning_signature")
    assert server.bedrock.requests[0].json["additionalModelRequestFields"]["thinking"]["type"] == "enabled"


def test_a_tool_loop_with_thinking_through_the_sdk(client: openai.OpenAI, server: Served) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(
        model="claude", messages=messages, tools=[WEATHER], reasoning_effort="low"
    )  # type: ignore[list-item]
    message = first.choices[0].message
    (call,) = message.tool_calls or []
    assert _extra(message, "reasoning_content")

    # The usual loop: the SDK's message goes back as it came, extras included.
    messages += [
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18 C"},
    ]
    stream = client.chat.completions.create(
        model="claude",
        messages=messages,
        tools=[WEATHER],
        reasoning_effort="low",
        stream=True,  # type: ignore[list-item]
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]

    assert "".join(d.content or "" for d in deltas) == "tool said: 18 C"
    assert "".join(_extra(d, "reasoning_content") or "" for d in deltas) == "Thinking about the tool result."
    sent = server.bedrock.requests[1].json["messages"][1]["content"]
    assert sent[0]["reasoningContent"]["reasoningText"]["signature"] == bedrock_runtime.sign(
        _extra(message, "reasoning_content")
    )


def test_a_tool_loop_with_thinking_through_langchain(server: Served) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    chat = _chat_openai(server, "claude", reasoning_effort="low").bind_tools([WEATHER])
    history: list[Any] = [HumanMessage("Weather in Paris?")]
    first = chat.invoke(history)
    (call,) = first.tool_calls
    history += [first, ToolMessage("18 C", tool_call_id=call["id"])]

    # ChatOpenAI sends the assistant turn back without its thinking; the turn is answered without.
    assert chat.invoke(history).content == "tool said: 18 C"
