"""Self-hosted engines through the real handler: vLLM and SGLang (OpenAI's chat schema over
``/invocations``), DJL LMI (the same, streaming JSON lines) and Text Embeddings Inference, each
against the SageMaker fake speaking that container's wire format."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from tests.fakes.aws_http import Reply
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime, tei_vector
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


# --- Text Embeddings Inference ------------------------------------------------------------------


@pytest.fixture
def tei(write_inventory: WriteInventory, sagemaker: FakeSageMakerRuntime) -> FakeSageMakerRuntime:
    embedding = {
        "id": "bge",
        "provider": "sagemaker",
        "model": "bge-tei",
        "api": "tei-embed",
        "task": "embedding",
    }
    write_inventory([*ENGINES, embedding])
    sagemaker.containers["bge-tei"] = "tei"
    return sagemaker


def test_tei_embeds_a_batch_in_the_containers_batches(invoke: Invoke, tei: FakeSageMakerRuntime) -> None:
    texts = [f"text number {i}" for i in range(40)]

    body = ok_body(invoke("POST", "/v1/embeddings", {"model": "bge", "input": texts}))

    assert [d["index"] for d in body["data"]] == list(range(40))
    assert body["data"][7]["embedding"] == tei_vector("text number 7")
    assert [len(r.json["inputs"]) for r in tei.requests] == [32, 8]  # TEI's default client batch size


def test_tei_answers_base64_and_refuses_dimensions(invoke: Invoke, tei: FakeSageMakerRuntime) -> None:
    encoded = ok_body(
        invoke("POST", "/v1/embeddings", {"model": "bge", "input": "hi", "encoding_format": "base64"})
    )
    vector = struct.unpack(f"<{len(tei_vector('hi'))}f", base64.b64decode(encoded["data"][0]["embedding"]))
    assert [round(x, 3) for x in vector] == tei_vector("hi")

    refused = invoke("POST", "/v1/embeddings", {"model": "bge", "input": "hi", "dimensions": 256})
    assert refused["statusCode"] == 400 and json.loads(refused["body"])["error"]["param"] == "dimensions"


def test_a_tei_answer_with_too_few_vectors_is_a_502(invoke: Invoke, tei: FakeSageMakerRuntime) -> None:
    tei.script("bge-tei", Reply(200, [[0.1, 0.2]]))

    reply = invoke("POST", "/v1/embeddings", {"model": "bge", "input": ["a", "b"]})

    assert reply["statusCode"] == 502, reply["body"]
