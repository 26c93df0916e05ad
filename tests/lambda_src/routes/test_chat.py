"""POST /v1/chat/completions through the real handler, against the wire fakes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.fakes import bedrock_runtime as br
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import CLAUDE, MODELS, Invoke, ReadLogs, WriteInventory

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory(MODELS)


def _chat(invoke: Invoke, **body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "hello there"}])
    return invoke("POST", "/v1/chat/completions", body)


def _json(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def _events(response: dict[str, Any]) -> list[Any]:
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "text/event-stream; charset=utf-8"
    body = response["body"]
    assert body.endswith("data: [DONE]\n\n")
    events = [e for e in body.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    return [json.loads(e[6:]) if e != "data: [DONE]" else "[DONE]" for e in events]


def test_plain_completion(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _json(_chat(invoke, model="claude"))

    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "claude"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "echo: hello there", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    (sent,) = bedrock.requests
    assert sent.target == CLAUDE


def test_system_prompt_goes_to_converse_system(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    messages = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]

    _json(_chat(invoke, model="claude", messages=messages, max_tokens=20, temperature=0.1))

    sent = bedrock.requests[0].json
    assert sent["system"] == [{"text": "Be terse."}]
    assert sent["inferenceConfig"] == {"maxTokens": 20, "temperature": 0.1}


def test_max_tokens_reached_is_finish_reason_length(invoke: Invoke) -> None:
    body = _json(
        _chat(
            invoke, model="claude", messages=[{"role": "user", "content": "one two three four"}], max_tokens=2
        )
    )

    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["message"]["content"] == "echo: one"


def test_stream_is_a_complete_event_stream(invoke: Invoke) -> None:
    events = _events(_chat(invoke, model="claude", stream=True))

    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "echo: hello there"
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"
    assert all("usage" not in c for c in chunks)


def test_stream_with_usage_ends_with_a_usage_chunk(invoke: Invoke) -> None:
    events = _events(_chat(invoke, model="claude", stream=True, stream_options={"include_usage": True}))

    last = events[-2]
    assert last["choices"] == []
    assert last["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    assert all(c["usage"] is None for c in events[:-2])


def test_tool_call_round_trip(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    question = [{"role": "user", "content": "Weather in Paris?"}]

    first = _json(_chat(invoke, model="claude", messages=question, tools=[WEATHER_TOOL], tool_choice="auto"))

    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"query": "Weather in Paris?"}
    assert bedrock.requests[0].json["toolConfig"]["toolChoice"] == {"auto": {}}

    followup = [*question, choice["message"], {"role": "tool", "tool_call_id": call["id"], "content": "18 C"}]
    second = _json(_chat(invoke, model="claude", messages=followup, tools=[WEATHER_TOOL]))

    assert second["choices"][0]["message"]["content"] == "tool said: 18 C"
    sent = bedrock.requests[1].json["messages"]
    assert sent[1]["content"][0]["toolUse"]["toolUseId"] == call["id"]
    assert sent[2]["content"][0]["toolResult"]["toolUseId"] == call["id"]


def test_stream_with_tool_calls(invoke: Invoke) -> None:
    events = _events(_chat(invoke, model="claude", stream=True, tools=[WEATHER_TOOL]))

    deltas = [c["choices"][0]["delta"] for c in events[:-1]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    # The first fragment names the call (id, type, name); the rest carry pieces of its arguments.
    first, *rest = calls
    assert (first["index"], first["type"], first["function"]["name"]) == (0, "function", "get_weather")
    assert first["id"]
    assert rest and all(set(c) == {"index", "function"} and set(c["function"]) == {"arguments"} for c in rest)
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == {"query": "hello there"}
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_image_reaches_converse_as_bytes(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    image = b"\xff\xd8\xff\xe0 jpeg bytes"
    url = "data:image/jpeg;base64," + base64.b64encode(image).decode()
    content = [{"type": "text", "text": "What is it?"}, {"type": "image_url", "image_url": {"url": url}}]

    _json(_chat(invoke, model="claude", messages=[{"role": "user", "content": content}]))

    block = bedrock.requests[0].json["messages"][0]["content"][1]["image"]
    assert block["format"] == "jpeg"
    # botocore sends blobs base64-encoded in JSON.
    assert base64.b64decode(block["source"]["bytes"]) == image


def test_arn_model_with_limit(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    _json(_chat(invoke, model="provisioned"))

    sent = bedrock.requests[0]
    assert sent.target == "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/x1y2z3a4b5c6"
    assert sent.json["inferenceConfig"] == {"maxTokens": 500}


@pytest.mark.parametrize(
    ("model", "endpoint", "content"),
    [
        ("tgi", "tgi-endpoint", "echo: hello there"),
        ("tgi-llama2", "tgi-llama2-endpoint", "generated says hi"),
        ("jumpstart", "js-llama2-endpoint", "echo: hello there"),
    ],
)
def test_sagemaker_codecs(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, model: str, endpoint: str, content: str
) -> None:
    body = _json(_chat(invoke, model=model))

    assert body["choices"][0]["message"]["content"] == content
    (sent,) = sagemaker.requests
    assert sent.target == endpoint


def test_sagemaker_tgi_generate_prompt_is_llama2(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]

    _json(_chat(invoke, model="tgi-llama2", messages=messages))

    assert sagemaker.requests[0].json["inputs"] == "<s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nhi [/INST]"


def test_sagemaker_tools_through_tgi_messages(invoke: Invoke) -> None:
    body = _json(_chat(invoke, model="tgi", tools=[WEATHER_TOOL]))

    (call,) = body["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"query": "x"}'}
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_embedding_model_on_chat_route_is_a_400(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    response = _chat(invoke, model="titan-embed")

    assert response["statusCode"] == 400
    assert "/v1/embeddings" in json.loads(response["body"])["error"]["message"]
    assert bedrock.requests == []


def test_provider_not_served_yet_is_a_501_not_retried(invoke: Invoke) -> None:
    response = _chat(invoke, model="gpt-4o")

    assert response["statusCode"] == 501
    assert response["headers"]["x-should-retry"] == "false"
    assert json.loads(response["body"])["error"]["code"] == "provider_not_supported"


# --- observability ------------------------------------------------------------------------------


def test_prompts_stay_out_of_the_logs_by_default(invoke: Invoke, read_logs: ReadLogs) -> None:
    _json(_chat(invoke, model="claude", messages=[{"role": "user", "content": "my secret diagnosis"}]))

    lines = read_logs()
    (summary,) = [line for line in lines if line["message"] == "chat completion"]
    assert (summary["model"], summary["provider"], summary["prompt_tokens"]) == ("claude", "bedrock", 3)
    assert summary["correlation_id"]
    assert "secret diagnosis" not in json.dumps(lines)


def test_prompts_are_logged_when_the_config_says_so(
    invoke: Invoke, read_logs: ReadLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_PROMPTS", "true")

    _json(_chat(invoke, model="claude", messages=[{"role": "user", "content": "my secret diagnosis"}]))

    (summary,) = [line for line in read_logs() if line["message"] == "chat completion"]
    assert summary["messages"] == [{"role": "user", "content": "my secret diagnosis"}]
    assert summary["completion"] == "echo: my secret diagnosis"


def test_metrics_per_model_and_provider(invoke: Invoke, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()

    _json(_chat(invoke, model="tgi"))

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    (blob,) = blobs
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert ["model", "provider", "service"] in [sorted(d) for d in directive["Dimensions"]]
    assert {m["Name"] for m in directive["Metrics"]} == {"UpstreamLatency", "InputTokens", "OutputTokens"}
    assert (blob["model"], blob["provider"]) == ("tgi", "sagemaker")
    assert blob["InputTokens"] == [2.0]
    assert blob["OutputTokens"] == [3.0]


def test_the_invocations_trace_header_reaches_the_upstream_call(bedrock: FakeBedrockRuntime) -> None:
    from starlette.testclient import TestClient

    from lambda_src.app import app
    from tests.fakes.function_url import adapter_headers

    headers = adapter_headers()
    trace = json.loads(headers["x-amzn-lambda-context"])["xray_trace_id"]
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "claude", "messages": [{"role": "user", "content": "hello there"}]},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    [sent] = bedrock.requests
    assert sent.headers["x-amzn-trace-id"] == trace


def _record_order(
    body: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str], list[bytes]]:
    """One chat request to the app in process, with the order of its body messages, its log lines
    (``log: <message>``) and its metrics (``metrics`` when an EMF line has been written)."""
    import asyncio
    import logging
    import threading

    from lambda_src.app import app, logger
    from tests.fakes.asgi import _call
    from tests.fakes.function_url import adapter_headers

    order: list[str] = []
    bodies: list[bytes] = []

    class Record(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            order.append(f"log: {record.getMessage()}")
            # Written on the event loop's thread, not handed to a worker thread.
            assert record.threadName == threading.current_thread().name

    def metrics_written() -> None:
        if any(line.startswith('{"_aws"') for line in capsys.readouterr().out.splitlines()):
            order.append("metrics")

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                metrics_written()
                order.append("body" if message.get("more_body") else "end of body")
                bodies.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, record)

    headers = {"content-type": "application/json", **adapter_headers()}
    target = logging.getLogger(logger.name)
    handler = Record()
    target.addHandler(handler)
    capsys.readouterr()
    try:
        status, _, _ = asyncio.run(
            _call(recording, "POST", "/v1/chat/completions", json.dumps(body).encode(), headers)
        )
    finally:
        target.removeHandler(handler)
    metrics_written()
    return status, order, bodies


def test_a_streamed_answer_has_all_its_events_before_its_log_line_and_both_before_its_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The client has every event (the last one [DONE]) before the request's log line is formatted
    and written, so a stream never waits for its own bookkeeping; the log line and the metrics are
    written before the response ends, after which Lambda may freeze the environment."""
    body = {"model": "claude", "stream": True, "messages": [{"role": "user", "content": "one two"}]}

    status, order, bodies = _record_order(body, capsys)

    assert status == 200
    done = max(i for i, chunk in enumerate(bodies) if b"data: [DONE]" in chunk)
    assert order.count("body") == done + 1  # nothing but the response's end follows [DONE]
    assert order[-3:] == ["log: chat completion", "metrics", "end of body"], order
    # The closing events (the finish chunk and [DONE]) leave in one write.
    closing = bodies[-2].decode()
    assert '"finish_reason":"stop"' in closing
    assert closing.endswith("data: [DONE]\n\n")


def test_an_answers_log_line_and_metrics_are_written_before_it_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = {"model": "claude", "messages": [{"role": "user", "content": "one two"}]}

    status, order, _ = _record_order(body, capsys)

    assert status == 200
    assert order == ["log: chat completion", "metrics", "end of body"], order


def test_an_error_answers_metrics_are_written_before_it_ends(
    bedrock: FakeBedrockRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock.always(CLAUDE, br.ACCESS_DENIED)
    body = {"model": "claude", "messages": [{"role": "user", "content": "one two"}]}

    status, order, _ = _record_order(body, capsys)

    assert status == 403
    assert order[-2:] == ["metrics", "end of body"], order
