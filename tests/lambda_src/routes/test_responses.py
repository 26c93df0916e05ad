"""POST /v1/responses through the real handler, against the wire fakes; every body and event is
checked against the pinned ``openai`` package's own types."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, Invoke, ReadLogs, WriteInventory

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}
EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory(MODELS)


def _create(invoke: Invoke, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "claude")
    body.setdefault("input", "hello there")
    return invoke("POST", "/v1/responses", body)


def _response(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["statusCode"] == 200, reply["body"]
    assert reply["headers"]["Content-Type"] == "application/json"
    body = json.loads(reply["body"])
    Response.model_validate(body, strict=True)
    return body


def _events(reply: dict[str, Any]) -> list[dict[str, Any]]:
    assert reply["statusCode"] == 200, reply["body"]
    assert reply["headers"]["Content-Type"] == "text/event-stream; charset=utf-8"
    events = []
    for block in reply["body"].split("\n\n"):
        if not block:
            continue
        name, data = block.split("\n")
        event = json.loads(data.removeprefix("data: "))
        assert name == f"event: {event['type']}"
        EVENTS.validate_python(event)
        events.append(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def _error(reply: dict[str, Any], status: int = 400) -> dict[str, Any]:
    assert reply["statusCode"] == status, reply["body"]
    error = json.loads(reply["body"])["error"]
    assert set(error) == {"message", "type", "code", "param"}
    return error


def _text(body: dict[str, Any]) -> str:
    return "".join(
        part["text"] for item in body["output"] if item["type"] == "message" for part in item["content"]
    )


def test_a_string_input_is_answered_as_a_response_object(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _response(_create(invoke, instructions="Answer in French.", metadata={"ticket": "42"}))

    assert body["object"] == "response"
    assert body["id"].startswith("resp_")
    assert (body["status"], body["model"], body["error"]) == ("completed", "claude", None)
    (message,) = body["output"]
    assert (
        message["type"] == "message" and message["role"] == "assistant" and message["status"] == "completed"
    )
    assert message["id"].startswith("msg_")
    assert message["content"] == [
        {"type": "output_text", "text": "echo: hello there", "annotations": [], "logprobs": []}
    ]
    # The fake counts words: the instructions' and the input's in, the answer's out.
    assert body["usage"]["input_tokens"] == 5 and body["usage"]["output_tokens"] == 3
    assert body["usage"]["total_tokens"] == 8
    assert (body["instructions"], body["metadata"]) == ("Answer in French.", {"ticket": "42"})
    (sent,) = bedrock.requests
    assert sent.json["system"] == [{"text": "Answer in French."}]
    assert sent.json["messages"] == [{"role": "user", "content": [{"text": "hello there"}]}]


def test_items_become_the_conversation(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _response(
        _create(
            invoke,
            input=[
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
                {
                    "type": "message",
                    "id": "msg_earlier",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "answer one", "annotations": []}],
                },
                {"type": "message", "role": "user", "content": "second question"},
            ],
            max_output_tokens=100,
            temperature=0.5,
        )
    )

    assert _text(body) == "echo: second question"
    (sent,) = bedrock.requests
    assert sent.json["system"] == [{"text": "Be brief."}]
    assert [m["role"] for m in sent.json["messages"]] == ["user", "assistant", "user"]
    assert sent.json["messages"][1]["content"] == [{"text": "answer one"}]
    assert sent.json["inferenceConfig"] == {"maxTokens": 100, "temperature": 0.5}
    assert (body["max_output_tokens"], body["temperature"]) == (100, 0.5)


def test_a_function_call_round_trip(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    first = _response(_create(invoke, input="Weather in Paris?", tools=[WEATHER]))

    (call,) = first["output"]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert call["id"].startswith("fc_") and call["status"] == "completed"
    assert json.loads(call["arguments"]) == {"query": "Weather in Paris?"}
    assert first["tools"] == [WEATHER]
    assert bedrock.requests[0].json["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"

    second = _response(
        _create(
            invoke,
            input=[
                {"role": "user", "content": "Weather in Paris?"},
                call,
                {"type": "function_call_output", "call_id": call["call_id"], "output": '{"celsius": 18}'},
            ],
            tools=[WEATHER],
        )
    )

    assert _text(second) == 'tool said: {"celsius": 18}'
    sent = bedrock.requests[1].json["messages"]
    assert sent[1]["content"][0]["toolUse"]["toolUseId"] == call["call_id"]
    assert sent[2]["content"][0]["toolResult"]["toolUseId"] == call["call_id"]


def test_text_and_function_calls_of_one_turn_go_back_as_one_assistant_message(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    calls = [
        {
            "type": "function_call",
            "call_id": f"call_{n}",
            "name": "get_weather",
            "arguments": f'{{"city": "{n}"}}',
        }
        for n in ("a", "b")
    ]
    _response(
        _create(
            invoke,
            input=[
                {"role": "user", "content": "two cities"},
                {"role": "assistant", "content": "Let me look."},
                *calls,
                {"type": "function_call_output", "call_id": "call_a", "output": "sunny"},
                {
                    "type": "function_call_output",
                    "call_id": "call_b",
                    "output": [{"type": "input_text", "text": "rain"}],
                },
            ],
            tools=[WEATHER],
        )
    )

    assistant, results = bedrock.requests[0].json["messages"][1:]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {"text": "Let me look."}
    assert [b["toolUse"]["toolUseId"] for b in assistant["content"][1:]] == ["call_a", "call_b"]
    assert [b["toolResult"]["content"] for b in results["content"]] == [
        [{"text": "sunny"}],
        [{"text": "rain"}],
    ]


def test_a_named_tool_choice_forces_that_tool(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _response(
        _create(invoke, tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"})
    )

    assert bedrock.requests[0].json["toolConfig"]["toolChoice"] == {"tool": {"name": "get_weather"}}
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}


def test_the_output_limit_makes_an_incomplete_response(invoke: Invoke) -> None:
    body = _response(_create(invoke, input="one two three four five", max_output_tokens=2))

    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["output"][0]["status"] == "incomplete"


def test_a_sagemaker_model_answers_too(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    body = _response(_create(invoke, model="tgi", input="hi tgi"))

    assert _text(body) == "echo: hi tgi"
    assert sagemaker.requests[0].target == "tgi-endpoint"


def test_a_stream_is_the_typed_event_sequence(invoke: Invoke) -> None:
    events = _events(_create(invoke, input="stream me please", stream=True))

    kinds = [e["type"] for e in events]
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * len(deltas),
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert len(deltas) > 1 and "".join(deltas) == "echo: stream me please"
    created, done, completed = events[0]["response"], events[-2]["item"], events[-1]["response"]
    assert created["status"] == "in_progress" and created["output"] == [] and created["usage"] is None
    assert completed["id"] == created["id"]
    assert completed["output"] == [done]
    assert done["content"][0]["text"] == "echo: stream me please"
    assert completed["usage"]["output_tokens"] == 4
    item_ids = {e["item_id"] for e in events if "item_id" in e}
    assert item_ids == {done["id"]}


def test_a_streamed_function_call(invoke: Invoke) -> None:
    events = _events(_create(invoke, input="Weather?", tools=[WEATHER], stream=True))

    added = next(e for e in events if e["type"] == "response.output_item.added")["item"]
    assert added["type"] == "function_call" and added["name"] == "get_weather" and added["arguments"] == ""
    pieces = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    (done,) = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert "".join(pieces) == done["arguments"] and json.loads(done["arguments"]) == {"query": "Weather?"}
    completed = events[-1]
    assert completed["type"] == "response.completed"
    (item,) = completed["response"]["output"]
    assert (item["call_id"], item["arguments"]) == (added["call_id"], done["arguments"])


def test_a_streamed_answer_cut_by_the_limit_ends_incomplete(invoke: Invoke) -> None:
    events = _events(_create(invoke, input="one two three four five", max_output_tokens=2, stream=True))

    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_a_failure_mid_stream_ends_with_an_error_event(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    bedrock.stream.fail_after = 2

    events = _events(_create(invoke, input="one two three four", stream=True))

    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "upstream_error" and "claude" in events[-1]["message"]
    assert not any(e["type"] == "response.completed" for e in events)


def test_an_error_before_the_stream_is_an_http_error(invoke: Invoke) -> None:
    error = _error(_create(invoke, model="nope", stream=True), 404)

    assert error["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("field", "value", "param", "words"),
    [
        ("store", True, "store", "keeps no responses"),
        ("previous_response_id", "resp_123", "previous_response_id", "keeps no responses"),
        ("conversation", "conv_123", "conversation", "keeps no conversations"),
        ("prompt", {"id": "pmpt_1"}, "prompt", "keeps no prompt templates"),
        ("background", True, "background", "stream: true"),
        ("input", [{"type": "item_reference", "id": "msg_1"}], "input.0", "keeps no items"),
        ("input", [{"type": "reasoning", "id": "rs_1", "summary": []}], "input.0", "reasoning items"),
        ("input", [{"type": "file_search_call", "id": "x"}], "input.0", "input item"),
        (
            "input",
            [{"type": "function_call_output", "call_id": "c", "output": 5}],
            "input.0.output",
            "input_text",
        ),
        ("metadata", {f"k{i}": "v" for i in range(17)}, "metadata", "at most 16"),
        ("tools", [{"type": "web_search"}], "tools.0", "only tools of type 'function'"),
        (
            "text",
            {"format": {"type": "json_schema", "name": "x"}},
            "text.format",
            "needs a name and a schema",
        ),
        ("include", ["message.output_text.logprobs"], "include", "logprobs"),
        ("tool_choice", {"type": "function", "name": "nope"}, None, "tool_choice"),
        ("custom_model", {"provider": "bedrock"}, "custom_model", "Unrecognized request argument"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_what_is_refused_is_a_400_naming_the_field(
    invoke: Invoke, bedrock: FakeBedrockRuntime, field: str, value: Any, param: str | None, words: str
) -> None:
    body: dict[str, Any] = {field: value}
    if field == "tool_choice":
        body["tools"] = [WEATHER]

    error = _error(_create(invoke, **body))

    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert words in error["message"]
    assert bedrock.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("store", False), ("include", []), ("text", {"format": {"type": "text"}, "verbosity": "low"}),
     ("reasoning", {"summary": "auto"}), ("parallel_tool_calls", False), ("truncation", "disabled"),
     ("user", "u-1"), ("stream_options", {"include_obfuscation": False})],
)  # fmt: skip
def test_what_clients_send_by_default_is_accepted(invoke: Invoke, field: str, value: Any) -> None:
    body = _response(_create(invoke, **{field: value}))

    assert _text(body) == "echo: hello there"


def test_an_image_part_reaches_converse(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    png = "iVBORw0KGgo="
    _response(
        _create(
            invoke,
            input=[
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "what is this"},
                        {
                            "type": "input_image",
                            "image_url": f"data:image/png;base64,{png}",
                            "detail": "auto",
                        },
                    ],
                }
            ],
        )
    )

    blocks = bedrock.requests[0].json["messages"][0]["content"]
    assert blocks[1]["image"]["format"] == "png"


def test_a_remote_image_or_a_file_is_refused(invoke: Invoke) -> None:
    remote = {"type": "input_image", "image_url": "https://example.com/cat.png"}
    file_part = {"type": "input_file", "file_id": "file-1"}

    assert "data URL" in _error(_create(invoke, input=[{"role": "user", "content": [remote]}]))["message"]
    error = _error(_create(invoke, input=[{"role": "user", "content": [file_part]}]))
    assert error["param"] == "input.0.content.0"


def test_the_log_line_says_which_api_and_holds_no_prompt(invoke: Invoke, read_logs: ReadLogs) -> None:
    _response(_create(invoke, input="a secret prompt"))

    (line,) = [entry for entry in read_logs() if entry["message"] == "chat completion"]
    assert line["api"] == "responses" and line["model"] == "claude"
    assert "a secret prompt" not in json.dumps(read_logs())


def test_other_methods_are_405(invoke: Invoke) -> None:
    reply = invoke("GET", "/v1/responses")

    assert _error(reply, 405)["code"] == "method_not_allowed"
    assert reply["headers"]["Allow"] == "POST"


def test_text_format_asks_for_structured_output_as_response_format_does(
    invoke: Invoke, write_inventory: WriteInventory, bedrock: FakeBedrockRuntime
) -> None:
    sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    write_inventory([*MODELS, {"id": "sonnet", "provider": "bedrock", "model": sonnet}])
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    text = {"format": {"type": "json_schema", "name": "person", "schema": schema, "strict": True}}

    body = _response(_create(invoke, model="sonnet", text=text))

    assert set(json.loads(_text(body))) == {"name", "age"}
    (sent,) = bedrock.requests
    sent_format = sent.json["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert (sent_format["name"], json.loads(sent_format["schema"])) == ("person", schema)


def test_reasoning_effort_reaches_the_model_and_its_tokens_the_usage(
    invoke: Invoke, write_inventory: WriteInventory, bedrock: FakeBedrockRuntime
) -> None:
    sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    write_inventory([*MODELS, {"id": "sonnet", "provider": "bedrock", "model": sonnet}])

    body = _response(_create(invoke, model="sonnet", reasoning={"effort": "low"}, max_output_tokens=4096))

    (sent,) = bedrock.requests
    assert sent.json["additionalModelRequestFields"]["thinking"]["type"] == "enabled"
    assert body["status"] == "completed" and _text(body)
