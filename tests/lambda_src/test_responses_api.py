"""The Responses API's translation and encoders, on their own (no I/O): event order for answers the
fakes do not give (text before and after a tool call, parallel calls), checked against the pinned
``openai`` package's stream accumulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from lambda_src.chat import Delta, FinishDelta, TextDelta, ToolCallDelta, Usage, UsageDelta
from lambda_src.exceptions import InvalidRequestError, UpstreamError
from lambda_src.responses_api import ResponseEventEncoder, ResponseHeader, chat_messages, to_chat_request
from lambda_src.responses_types import ResponseCreateRequest

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def _request(**body: Any) -> ResponseCreateRequest:
    return ResponseCreateRequest.model_validate_json(json.dumps({"model": "m", "input": "hi", **body}))


def _stream(deltas: list[Delta]) -> list[dict[str, Any]]:
    encoder = ResponseEventEncoder(ResponseHeader.new(_request(), "m"))
    raw = [*encoder.start(), *(e for d in deltas for e in encoder.encode(d)), *encoder.finish()]
    events = [json.loads(e.decode().split("\n")[1].removeprefix("data: ")) for e in raw]
    # The SDK's own accumulator (what ``client.responses.stream`` runs) must accept the sequence.
    state = ResponseStreamState(input_tools=[], text_format=omit)
    for event in events:
        state.handle_event(EVENTS.validate_python(event))
    return events


def test_text_then_a_tool_call_closes_the_message_first() -> None:
    events = _stream(
        [
            TextDelta("Let me look."),
            ToolCallDelta(0, "call_1", "get_weather", '{"city":'),
            ToolCallDelta(0, arguments=' "Paris"}'),
            FinishDelta("tool_calls"),
            UsageDelta(Usage(7, 9)),
        ]
    )

    assert [e["type"] for e in events[2:]] == [
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    final = events[-1]["response"]
    assert [i["type"] for i in final["output"]] == ["message", "function_call"]
    assert final["output"][1]["arguments"] == '{"city": "Paris"}'
    assert final["usage"]["input_tokens"] == 7 and final["status"] == "completed"


def test_text_after_a_tool_call_is_a_new_message_item() -> None:
    events = _stream([ToolCallDelta(0, "call_1", "f", "{}"), TextDelta("done"), FinishDelta("stop")])

    output = events[-1]["response"]["output"]
    assert [i["type"] for i in output] == ["function_call", "message"]
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    assert added == [0, 1]


def test_parallel_calls_keep_their_items_open_for_late_fragments() -> None:
    events = _stream(
        [
            ToolCallDelta(0, "call_a", "f", '{"n":'),
            ToolCallDelta(1, "call_b", "g", '{"m": 2}'),
            ToolCallDelta(0, arguments=" 1}"),
            FinishDelta("tool_calls"),
        ]
    )

    done = {
        e["item"]["call_id"]: e["item"]["arguments"]
        for e in events
        if e["type"] == "response.output_item.done"
    }
    assert done == {"call_a": '{"n": 1}', "call_b": '{"m": 2}'}


def test_a_call_without_arguments_completes_with_an_empty_object() -> None:
    events = _stream([ToolCallDelta(0, "call_a", "now"), FinishDelta("tool_calls")])

    (done,) = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert (done["arguments"], done["name"]) == ("{}", "now")


def test_a_filtered_answer_is_incomplete() -> None:
    events = _stream([TextDelta("par"), FinishDelta("content_filter")])

    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}
    assert events[-1]["response"]["output"][0]["status"] == "incomplete"


def test_an_error_event_continues_the_sequence() -> None:
    encoder = ResponseEventEncoder(ResponseHeader.new(_request(), "m"))
    list(encoder.start())

    (raw,) = encoder.error(UpstreamError("model 'm' failed"))

    event = json.loads(raw.decode().split("\n")[1].removeprefix("data: "))
    assert event == {
        "type": "error",
        "sequence_number": 2,
        "code": "upstream_error",
        "message": "model 'm' failed",
        "param": None,
    }
    EVENTS.validate_python(event)


def test_a_function_call_without_text_before_it_is_its_own_assistant_message() -> None:
    request = _request(
        instructions="Be brief.",
        input=[
            {"role": "user", "content": "hi"},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        ],
    )

    assert chat_messages(request) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]


def test_the_chat_request_carries_the_settings() -> None:
    chat = to_chat_request(
        _request(
            max_output_tokens=64,
            top_p=0.5,
            stream=True,
            tools=[{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}],
            tool_choice="required",
        )
    )

    assert (chat.max_completion_tokens, chat.top_p, chat.stream, chat.tool_choice) == (
        64,
        0.5,
        True,
        "required",
    )
    assert chat.tools is not None and chat.tools[0].function.parameters == {"type": "object"}


def test_text_format_and_reasoning_effort_become_the_chat_fields() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    text = {"format": {"type": "json_schema", "name": "x", "schema": schema, "description": "an x"}}

    chat = to_chat_request(_request(text=text, reasoning={"effort": "low"}))

    assert chat.structured_output is not None
    assert (chat.structured_output.name, chat.structured_output.schema) == ("x", schema)
    assert chat.structured_output.description == "an x"
    assert chat.reasoning_effort == "low"
    json_object = to_chat_request(_request(text={"format": {"type": "json_object"}}))
    assert json_object.structured_output is not None and json_object.structured_output.schema is None


def test_a_json_schema_format_without_its_schema_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="needs a name and a schema"):
        to_chat_request(_request(text={"format": {"type": "json_schema", "name": "x"}}))


def test_a_system_message_with_an_image_is_refused() -> None:
    image = {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}

    with pytest.raises(InvalidRequestError) as caught:
        chat_messages(_request(input=[{"role": "system", "content": [image]}]))

    assert caught.value.param == "input.0.content"
