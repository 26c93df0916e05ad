"""The Bedrock fake's streams, parsed by botocore's real client."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError
from urllib3.exceptions import ProtocolError

from tests.fakes import bedrock_runtime
from tests.fakes.bedrock_runtime import FakeBedrockRuntime, converse_body, converse_stream
from tests.fakes.streaming import CUT

MODEL = "us.anthropic.claude-3-haiku-20240307-v1:0"
HELLO = [{"role": "user", "content": [{"text": "hello there"}]}]
ANTHROPIC = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}],
}
TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}


@pytest.fixture
def fake() -> Iterator[FakeBedrockRuntime]:
    with FakeBedrockRuntime() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeBedrockRuntime) -> Any:
    return fake.client("bedrock-runtime")


def _events(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(client.converse_stream(modelId=MODEL, messages=HELLO, **kwargs)["stream"])


def test_converse_stream_sends_one_text_delta_per_word(client: Any) -> None:
    assert _events(client) == [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "echo:"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": " hello"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": " there"}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "usage": {"inputTokens": 2, "outputTokens": 3, "totalTokens": 5},
                "metrics": {"latencyMs": 5},
            }
        },
    ]


def test_the_stream_says_what_converse_says(client: Any, fake: FakeBedrockRuntime) -> None:
    answer = client.converse(modelId=MODEL, messages=HELLO, inferenceConfig={"maxTokens": 2})
    events = _events(client, inferenceConfig={"maxTokens": 2})

    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == answer["output"]["message"]["content"][0]["text"] == "echo: hello"
    assert events[-2] == {"messageStop": {"stopReason": "max_tokens"}}
    assert [r.operation for r in fake.requests] == ["Converse", "ConverseStream"]
    assert fake.requests[1].json["inferenceConfig"] == {"maxTokens": 2}


def test_a_tool_use_streams_its_start_then_its_input_in_fragments(client: Any) -> None:
    events = _events(client, toolConfig=TOOLS)

    assert events[1] == {
        "contentBlockStart": {
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}},
            "contentBlockIndex": 0,
        }
    }
    fragments = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e
    ]
    assert len(fragments) > 1
    assert json.loads("".join(fragments)) == {"query": "hello there"}
    assert {"messageStop": {"stopReason": "tool_use"}} in events


def test_a_scripted_answer_streams_reasoning_then_text(client: Any, fake: FakeBedrockRuntime) -> None:
    body = converse_body("it is sunny")
    thought = {"reasoningText": {"text": "check the sky", "signature": "sig-1"}}
    body["output"]["message"]["content"].insert(0, {"reasoningContent": thought})
    fake.script(MODEL, converse_stream(body))

    deltas = [e["contentBlockDelta"] for e in _events(client) if "contentBlockDelta" in e]

    assert [(d["contentBlockIndex"], d["delta"]) for d in deltas] == [
        (0, {"reasoningContent": {"text": "check"}}),
        (0, {"reasoningContent": {"text": " the"}}),
        (0, {"reasoningContent": {"text": " sky"}}),
        (0, {"reasoningContent": {"signature": "sig-1"}}),
        (1, {"text": "it"}),
        (1, {"text": " is"}),
        (1, {"text": " sunny"}),
    ]


@pytest.mark.parametrize(
    "failure",
    [
        "STREAM_MODEL_ERROR",
        "STREAM_THROTTLED",
        "STREAM_UNAVAILABLE",
        "STREAM_INTERNAL",
        "STREAM_VALIDATION",
    ],
)
def test_an_exception_mid_stream_raises_its_code(client: Any, fake: FakeBedrockRuntime, failure: str) -> None:
    fake.stream.fail_after = 2
    fake.stream.failure = getattr(bedrock_runtime, failure)
    code = {
        "STREAM_MODEL_ERROR": "modelStreamErrorException",
        "STREAM_THROTTLED": "throttlingException",
        "STREAM_UNAVAILABLE": "serviceUnavailableException",
        "STREAM_INTERNAL": "internalServerException",
        "STREAM_VALIDATION": "validationException",
    }[failure]
    seen: list[dict[str, Any]] = []
    stream = client.converse_stream(modelId=MODEL, messages=HELLO)["stream"]

    with pytest.raises(EventStreamError) as caught:
        seen.extend(stream)

    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"]
    assert isinstance(caught.value, ClientError)
    assert [next(iter(e)) for e in seen] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]


def test_an_error_before_the_stream_is_an_http_error(client: Any, fake: FakeBedrockRuntime) -> None:
    fake.script(MODEL, bedrock_runtime.THROTTLED)

    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse_stream(modelId=MODEL, messages=HELLO)


def test_a_cut_stream_surfaces_as_urllib3s_protocol_error(client: Any, fake: FakeBedrockRuntime) -> None:
    fake.stream.fail_after = 1
    fake.stream.failure = CUT
    stream = client.converse_stream(modelId=MODEL, messages=HELLO)["stream"]

    with pytest.raises(ProtocolError):
        list(stream)


def test_botocore_sees_the_first_delta_while_the_rest_is_held(client: Any, fake: FakeBedrockRuntime) -> None:
    fake.stream.hold_after = 1
    events = iter(client.converse_stream(modelId=MODEL, messages=HELLO)["stream"])

    assert next(events) == {"messageStart": {"role": "assistant"}}
    assert next(events)["contentBlockDelta"]["delta"] == {"text": "echo:"}
    assert fake.stream.holding.is_set() and fake.stream.outcomes == []

    fake.stream.release()
    assert [next(iter(e)) for e in events][-1] == "metadata"
    assert fake.stream.outcome() == "complete"


def test_closing_the_stream_is_seen_as_a_closed_upstream(client: Any, fake: FakeBedrockRuntime) -> None:
    fake.stream.hold_after = 1
    stream = client.converse_stream(modelId=MODEL, messages=HELLO)["stream"]
    events = iter(stream)
    next(events), next(events)

    stream.close()

    assert fake.stream.client_closed.wait(5)
    assert fake.stream.outcome() == "client_closed"


def test_invoke_with_response_stream_sends_anthropic_events_as_chunks(
    client: Any, fake: FakeBedrockRuntime
) -> None:
    response = client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(ANTHROPIC))
    events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]

    assert response["contentType"] == "application/json"
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert (
        "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
        == "echo: hello there"
    )
    assert events[-2]["delta"]["stop_reason"] == "end_turn"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 3
    assert fake.requests[0].operation == "InvokeModelWithResponseStream"


def test_a_chunk_holds_base64_json_and_padding_on_the_wire() -> None:
    [frame] = bedrock_runtime.invoke_stream([({"type": "message_stop"}, False)]).frames
    buffer = EventStreamBuffer()
    buffer.add_data(frame.data)
    [message] = list(buffer)
    payload = json.loads(message.payload)

    assert message.headers[":event-type"] == "chunk"
    assert set(payload) == {"bytes", "p"}
    assert json.loads(base64.b64decode(payload["bytes"])) == {"type": "message_stop"}


def test_invoke_with_response_stream_sends_llama_generations(client: Any) -> None:
    response = client.invoke_model_with_response_stream(
        modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi", "max_gen_len": 20})
    )
    chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]

    assert "".join(c["generation"] for c in chunks) == "llama says hi"
    assert [c["stop_reason"] for c in chunks] == [None, None, "stop"]


def test_a_mid_stream_exception_reaches_invoke_with_response_stream(
    client: Any, fake: FakeBedrockRuntime
) -> None:
    fake.stream.fail_after = 0
    fake.stream.failure = bedrock_runtime.STREAM_TIMEOUT
    stream = client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(ANTHROPIC))["body"]

    with pytest.raises(EventStreamError, match="modelTimeoutException"):
        list(stream)


# --- reasoning, structured output and service tiers, in the shapes the pinned botocore parses ---

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}


def test_claude_thinking_is_a_signed_reasoning_block_botocore_parses(client: Any) -> None:
    trigger = [{"role": "user", "content": [{"text": f"hi {bedrock_runtime.REDACTED_TRIGGER}"}]}]
    answer = client.converse(
        modelId=SONNET_45,
        messages=trigger,
        inferenceConfig={"maxTokens": 2048},
        additionalModelRequestFields=THINKING,
    )

    thought, redacted, text = answer["output"]["message"]["content"]
    reasoning = thought["reasoningContent"]["reasoningText"]
    assert reasoning["signature"] == bedrock_runtime.sign(reasoning["text"])
    # A blob on the wire (base64 in JSON): botocore hands it over as bytes.
    assert redacted["reasoningContent"]["redactedContent"] == bedrock_runtime.REDACTED_DATA
    assert text["text"].startswith("echo:")


def test_thinking_streams_its_text_then_its_signature(client: Any) -> None:
    events = list(
        client.converse_stream(
            modelId=SONNET_45,
            messages=HELLO,
            inferenceConfig={"maxTokens": 2048},
            additionalModelRequestFields=THINKING,
        )["stream"]
    )

    reasoning = [
        e["contentBlockDelta"]["delta"]["reasoningContent"]
        for e in events
        if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    text = "".join(r.get("text", "") for r in reasoning)
    assert len(reasoning) > 2 and reasoning[-1] == {"signature": bedrock_runtime.sign(text)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inferenceConfig": {"maxTokens": 1024}}, "less than max_tokens"),
        ({"inferenceConfig": {"maxTokens": 4096, "temperature": 0.5}}, "temperature"),
    ],
)
def test_claude_refuses_what_it_refuses_while_thinking(
    client: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=SONNET_45, messages=HELLO, additionalModelRequestFields=THINKING, **kwargs)

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert message in caught.value.response["Error"]["Message"]


def test_a_tool_turn_sent_back_without_its_thinking_is_refused(client: Any) -> None:
    use = {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}
    result = {"toolResult": {"toolUseId": "t1", "content": [{"text": "18 C"}]}}
    messages = [*HELLO, {"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]

    with pytest.raises(ClientError) as caught:
        client.converse(
            modelId=SONNET_45,
            messages=messages,
            toolConfig=TOOLS,
            inferenceConfig={"maxTokens": 4096},
            additionalModelRequestFields=THINKING,
        )

    assert "must start with a thinking block" in caught.value.response["Error"]["Message"]


def test_output_config_and_service_tier_pass_botocores_validation(client: Any) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    answer = client.converse(
        modelId=SONNET_45,
        messages=HELLO,
        outputConfig={
            "textFormat": {
                "type": "json_schema",
                "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "n"}},
            }
        },
        serviceTier={"type": "flex"},
    )

    assert json.loads(answer["output"]["message"]["content"][0]["text"]) == {"n": 1}
    assert answer["serviceTier"] == {"type": "flex"}
