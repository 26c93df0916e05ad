"""The OpenAI SDK through ``scripts/serve`` to a vLLM container and a Text Embeddings Inference
container (the SageMaker fake speaking their wire formats): a chat, a streamed chat, a tool call,
and a batch of embeddings."""

from __future__ import annotations

import json

import openai

from tests.e2e.conftest import Served
from tests.fakes.sagemaker_runtime import tei_vector

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}


def test_vllm_answers_a_chat(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(
        model="qwen", messages=[{"role": "user", "content": "hi vllm"}]
    )

    assert completion.choices[0].message.content == "echo: hi vllm"
    (sent,) = server.sagemaker.requests
    assert (sent.target, sent.json["messages"]) == ("qwen-vllm", [{"role": "user", "content": "hi vllm"}])


def test_vllm_streams_a_chat_with_usage(client: openai.OpenAI, server: Served) -> None:
    stream = client.chat.completions.create(
        model="qwen",
        messages=[{"role": "user", "content": "stream it please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream it please"
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 3
    (sent,) = server.sagemaker.requests
    assert sent.operation == "InvokeEndpointWithResponseStream"


def test_vllm_calls_a_tool(client: openai.OpenAI, server: Served) -> None:
    completion = client.chat.completions.create(
        model="qwen", messages=[{"role": "user", "content": "look it up"}], tools=[LOOKUP]
    )

    (call,) = completion.choices[0].message.tool_calls or []
    assert call.type == "function"
    assert (call.function.name, json.loads(call.function.arguments)) == ("lookup", {"query": "x"})
    assert completion.choices[0].finish_reason == "tool_calls"


def test_tei_answers_embeddings(client: openai.OpenAI, server: Served) -> None:
    result = client.embeddings.create(model="bge", input=["first text", "second text"])

    # The SDK asks for base64 (float32) by default: compare at float32's precision.
    got = [[round(x, 3) for x in d.embedding] for d in result.data]
    assert got == [tei_vector("first text"), tei_vector("second text")]
    (sent,) = server.sagemaker.requests
    assert (sent.target, sent.json) == ("e2e-bge", {"inputs": ["first text", "second text"]})
