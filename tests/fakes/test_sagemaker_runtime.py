"""The SageMaker fake's response streams, read by botocore's real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EventStreamError

from tests.fakes import sagemaker_runtime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime

ENDPOINT = "tgi-endpoint"
CHAT = {"messages": [{"role": "user", "content": "hello there"}], "stream": True}
GENERATE = {"inputs": "<s>[INST] hi [/INST]", "parameters": {"max_new_tokens": 20}, "stream": True}
WEATHER = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@pytest.fixture
def fake() -> Iterator[FakeSageMakerRuntime]:
    with FakeSageMakerRuntime() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSageMakerRuntime) -> Any:
    return fake.client("sagemaker-runtime")


def _invoke(client: Any, body: dict[str, Any]) -> Any:
    return client.invoke_endpoint_with_response_stream(
        EndpointName=ENDPOINT, Body=json.dumps(body), ContentType="application/json"
    )


def _parts(client: Any, body: dict[str, Any]) -> list[bytes]:
    return [event["PayloadPart"]["Bytes"] for event in _invoke(client, body)["Body"]]


def _sse(data: bytes) -> list[str]:
    """The data of each event; TGI writes ``data:x`` with no space."""
    events = data.decode().split("\n\n")
    assert events[-1] == ""
    assert all(e.startswith("data:") and not e.startswith("data: ") for e in events[:-1])
    return [e.removeprefix("data:") for e in events[:-1]]


def test_a_messages_stream_reassembles_into_chat_chunks(client: Any, fake: FakeSageMakerRuntime) -> None:
    response = _invoke(client, CHAT)
    parts = [event["PayloadPart"]["Bytes"] for event in response["Body"]]
    data = _sse(b"".join(parts))

    assert response["ContentType"] == "text/event-stream"
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert [c["choices"][0]["delta"]["role"] for c in chunks] == ["assistant"] * len(chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "echo: hello there"
    assert chunks[-1]["choices"][0]["finish_reason"] == "eos_token"
    assert fake.requests[0].operation == "InvokeEndpointWithResponseStream"
    assert fake.requests[0].target == ENDPOINT


def test_some_parts_end_in_the_middle_of_an_event(client: Any) -> None:
    parts = _parts(client, CHAT)

    assert any(not p.endswith(b"\n\n") for p in parts)  # an event goes on in the next part
    assert any(b"\n\ndata:" in p for p in parts)  # a part ends one event and starts another


def test_unsplit_parts_are_one_event_each() -> None:
    with FakeSageMakerRuntime(split_parts=False) as fake:
        client = fake.client("sagemaker-runtime")
        parts = _parts(client, CHAT)

    assert all(p.endswith(b"\n\n") and p.count(b"data:") == 1 for p in parts)


def test_usage_is_streamed_when_asked_for(client: Any) -> None:
    data = _sse(b"".join(_parts(client, {**CHAT, "stream_options": {"include_usage": True}})))

    usage = json.loads(data[-2])
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 3


def test_a_tool_call_streams_as_text_arguments(client: Any) -> None:
    data = _sse(b"".join(_parts(client, {**CHAT, "tools": WEATHER})))

    calls = [c for d in data[:-1] for c in json.loads(d)["choices"][0]["delta"].get("tool_calls", ())]
    assert calls[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"query": "x"}


def test_a_generate_stream_ends_with_the_special_token_and_totals(client: Any) -> None:
    events = [json.loads(d) for d in _sse(b"".join(_parts(client, GENERATE)))]

    assert [e["token"]["text"] for e in events if not e["token"]["special"]] == ["generated", " says", " hi"]
    assert [e["generated_text"] for e in events[:-1]] == [None, None, None]
    assert events[-1]["token"]["special"] is True
    assert events[-1]["generated_text"] == "generated says hi"
    assert events[-1]["details"]["finish_reason"] == "eos_token"


def test_a_body_without_stream_gets_the_one_json_answer_in_parts(client: Any) -> None:
    body = {"inputs": "hi"}
    whole = client.invoke_endpoint(EndpointName=ENDPOINT, Body=json.dumps(body))["Body"].read()

    response = _invoke(client, body)
    parts = [event["PayloadPart"]["Bytes"] for event in response["Body"]]

    assert response["ContentType"] == "application/json"
    assert b"".join(parts) == whole
    assert len(parts) > 1


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        (sagemaker_runtime.STREAM_BROKEN, "ModelStreamError", "model stream broke"),
        (sagemaker_runtime.STREAM_TIMEOUT, "ModelStreamError", "took too long"),
        (sagemaker_runtime.INTERNAL_STREAM_FAILURE, "InternalStreamFailure", "internal error"),
    ],
)
def test_an_error_mid_stream_raises_its_code(
    client: Any, fake: FakeSageMakerRuntime, failure: bytes, code: str, message: str
) -> None:
    fake.stream.fail_after = 1
    fake.stream.failure = failure
    parts: list[Any] = []
    stream = _invoke(client, GENERATE)["Body"]

    with pytest.raises(EventStreamError) as caught:
        parts.extend(stream)

    assert caught.value.response["Error"]["Code"] == code
    assert message in caught.value.response["Error"]["Message"]
    assert b'"text":"generated"' in parts[0]["PayloadPart"]["Bytes"]


def test_the_first_token_arrives_while_the_rest_is_held(client: Any, fake: FakeSageMakerRuntime) -> None:
    fake.stream.hold_after = 1
    events = iter(_invoke(client, GENERATE)["Body"])

    first = next(events)["PayloadPart"]["Bytes"]

    assert b'"text":"generated"' in first
    assert fake.stream.holding.is_set() and fake.stream.outcomes == []
    fake.stream.release()
    assert b"generated says hi" in b"".join(e["PayloadPart"]["Bytes"] for e in events)
    assert fake.stream.outcome() == "complete"


def test_closing_the_body_is_seen_as_a_closed_upstream(client: Any, fake: FakeSageMakerRuntime) -> None:
    fake.stream.hold_after = 1
    body = _invoke(client, CHAT)["Body"]
    next(iter(body))

    body.close()

    assert fake.stream.client_closed.wait(5)
    assert fake.stream.outcome() == "client_closed"
