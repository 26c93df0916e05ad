"""Self-hosted engines through the real handler: vLLM and SGLang (OpenAI's chat schema over
``/invocations``) and DJL LMI (the same, streaming JSON lines), each against the SageMaker fake
speaking that container's wire format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import Invoke, WriteInventory, chunks_of, ok_body

ENGINES = [
    {"id": "qwen", "provider": "sagemaker", "model": "qwen-vllm", "api": "openai-chat"},
    {"id": "mistral", "provider": "sagemaker", "model": "mistral-lmi", "api": "lmi-chat"},
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}


@pytest.fixture(autouse=True)
def _engines(write_inventory: WriteInventory, sagemaker: FakeSageMakerRuntime) -> None:
    write_inventory(ENGINES)
    sagemaker.containers.update({"qwen-vllm": "vllm", "mistral-lmi": "lmi"})


def _chat(invoke: Invoke, model: str, **body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "hello engine"}])
    return invoke("POST", "/v1/chat/completions", {"model": model, **body})


@pytest.mark.parametrize("model", ["qwen", "mistral"])
def test_a_chat_answer_in_openais_schema(invoke: Invoke, sagemaker: FakeSageMakerRuntime, model: str) -> None:
    body = ok_body(_chat(invoke, model, max_tokens=20))

    assert body["choices"][0]["message"]["content"] == "echo: hello engine"
    assert body["usage"]["prompt_tokens"] == 2
    (sent,) = sagemaker.requests
    assert sent.json["messages"] == [{"role": "user", "content": "hello engine"}]
    assert sent.json["max_tokens"] == 20 and sent.json["stream"] is False


@pytest.mark.parametrize(
    ("model", "accept"), [("qwen", "text/event-stream"), ("mistral", "application/jsonlines")]
)
def test_a_streamed_answer_in_each_engines_framing(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, model: str, accept: str
) -> None:
    chunks = chunks_of(_chat(invoke, model, stream=True, stream_options={"include_usage": True}))

    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: hello engine"
    assert chunks[-1]["usage"]["completion_tokens"] == 3  # the container's own count, asked for
    (sent,) = sagemaker.requests
    assert sent.operation == "InvokeEndpointWithResponseStream"
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.headers["x-amzn-sagemaker-accept"] == accept


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_come_back_with_their_arguments_as_text(invoke: Invoke, stream: bool) -> None:
    reply = _chat(invoke, "qwen", tools=[WEATHER], stream=stream)

    if stream:
        calls = [
            c
            for chunk in chunks_of(reply)
            if chunk["choices"]
            for c in chunk["choices"][0]["delta"].get("tool_calls") or ()
        ]
        assert calls[0]["function"]["name"] == "weather"
        assert json.loads("".join(c["function"].get("arguments") or "" for c in calls)) == {"query": "x"}
    else:
        message = ok_body(reply)["choices"][0]["message"]
        assert message["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"query": "x"}'}


def test_structured_output_is_sent_as_openais_response_format(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime
) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "who", "schema": schema}}

    body = ok_body(_chat(invoke, "qwen", response_format=response_format))

    assert set(json.loads(body["choices"][0]["message"]["content"])) == {"name"}
    (sent,) = sagemaker.requests
    assert sent.json["response_format"] == response_format  # not TGI's grammar
