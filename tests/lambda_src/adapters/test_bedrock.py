"""Converse mapping, checked against JSON fixtures, and the thin client class against the fake."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lambda_src.adapters.bedrock import (
    BedrockModel,
    base_model_provider,
    from_converse_response,
    to_converse_request,
)
from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.aws_clients import AwsClients
from lambda_src.exceptions import InvalidRequestError, UpstreamError
from lambda_src.inventory import ModelSpec
from tests.fakes import bedrock_runtime
from tests.fakes.bedrock_runtime import FakeBedrockRuntime

FIXTURES = Path(__file__).parent / "fixtures"
REQUESTS = json.loads((FIXTURES / "converse_requests.json").read_text())
RESPONSES = json.loads((FIXTURES / "converse_responses.json").read_text())
PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


def _request(body: dict[str, Any]) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate_json(json.dumps(body))


@pytest.mark.parametrize("case", REQUESTS, ids=[c["name"] for c in REQUESTS])
def test_to_converse_request(case: dict[str, Any]) -> None:
    spec = ModelSpec.model_validate(case["spec"])
    request = _request(case["request"])
    before = request.model_dump()

    assert to_converse_request(spec, request) == case["expected"]
    assert request.model_dump() == before


@pytest.mark.parametrize("case", RESPONSES, ids=[c["name"] for c in RESPONSES])
def test_from_converse_response(case: dict[str, Any]) -> None:
    payload = copy.deepcopy(case["payload"])

    result = from_converse_response(payload)

    expected = case["expected"]
    assert result.content == expected["content"]
    assert [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls] == [
        tuple(c) for c in expected["tool_calls"]
    ]
    assert result.finish_reason == expected["finish_reason"]
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == tuple(expected["usage"])
    assert payload == case["payload"]


def test_images_become_converse_image_blocks() -> None:
    spec = ModelSpec(id="m", provider="bedrock", model="anthropic.claude-3-haiku-20240307-v1:0")
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    request = _request(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": url, "detail": "low"}},
                    ],
                }
            ],
        }
    )

    (message,) = to_converse_request(spec, request)["messages"]

    assert message["content"] == [
        {"text": "What is this?"},
        {"image": {"format": "png", "source": {"bytes": PNG}}},
    ]


def test_image_data_that_is_not_base64_is_a_400() -> None:
    spec = ModelSpec(id="m", provider="bedrock", model="anthropic.claude-3-haiku-20240307-v1:0")
    request = _request(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}],
                }
            ],
        }
    )

    with pytest.raises(InvalidRequestError, match="base64") as caught:
        to_converse_request(spec, request)

    assert caught.value.param == "messages.0.content"


@pytest.mark.parametrize("arguments", ["not json", "[1, 2]", '"text"'])
def test_tool_call_arguments_must_be_a_json_object(arguments: str) -> None:
    spec = ModelSpec(id="m", provider="bedrock", model="anthropic.claude-3-haiku-20240307-v1:0")
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    request = _request(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": "r"},
            ],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        }
    )

    with pytest.raises(InvalidRequestError, match="JSON object"):
        to_converse_request(spec, request)


def test_empty_user_message_is_a_400() -> None:
    spec = ModelSpec(id="m", provider="bedrock", model="anthropic.claude-3-haiku-20240307-v1:0")

    with pytest.raises(InvalidRequestError, match="must not be empty"):
        to_converse_request(spec, _request({"model": "m", "messages": [{"role": "user", "content": ""}]}))


def test_max_tokens_above_the_model_limit_is_a_400() -> None:
    spec = ModelSpec(
        id="m", provider="bedrock", model="meta.llama3-8b-instruct-v1:0", limits={"max_tokens": 100}
    )
    request = _request({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 101})

    with pytest.raises(InvalidRequestError, match="limit of 100") as caught:
        to_converse_request(spec, request)

    assert caught.value.param == "max_tokens"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"output": {}},
        {"output": {"message": {"content": "text, not blocks"}}, "stopReason": "end_turn"},
        {"output": {"message": {"content": []}}},
        {"output": {"message": {"content": [{"text": "x"}]}}, "stopReason": "malformed_model_output"},
        {"output": {"message": {"content": [{"toolUse": {"name": "f"}}]}}, "stopReason": "tool_use"},
    ],
)
def test_malformed_converse_responses_are_upstream_errors(payload: dict[str, Any]) -> None:
    with pytest.raises(UpstreamError) as caught:
        from_converse_response(payload)

    assert caught.value.status == 502


@pytest.mark.parametrize(
    ("model", "configured", "expected"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", None, "anthropic"),
        ("us-gov.meta.llama3-8b-instruct-v1:0", None, "meta"),
        ("apac.amazon.nova-lite-v1:0", None, "amazon"),
        ("arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123", "qwen", "qwen"),
        ("arn:aws:bedrock:us-east-1::foundation-model/cohere.command-r-v1:0", None, "cohere"),
        ("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc", None, None),
    ],
)
def test_base_model_provider_from_id_or_config(
    model: str, configured: str | None, expected: str | None
) -> None:
    spec = ModelSpec(id="x", provider="bedrock", model=model, base_model_provider=configured)

    assert base_model_provider(spec) == expected


# --- the client class against the wire fake ---------------------------------------------------


@pytest.fixture
def clients(bedrock: FakeBedrockRuntime) -> AwsClients:
    return AwsClients()


def test_converse_call_reaches_bedrock_with_the_model_id_as_configured(
    bedrock: FakeBedrockRuntime, clients: AwsClients
) -> None:
    arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/p0o9i8"
    spec = ModelSpec(
        id="app", provider="bedrock", model=arn, region="us-east-1", base_model_provider="anthropic"
    )

    result = BedrockModel(spec, clients).chat(
        _request({"model": "app", "messages": [{"role": "user", "content": "hi"}]})
    )

    (sent,) = bedrock.requests
    assert (sent.operation, sent.target) == ("Converse", arn)
    assert sent.json["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]
    assert result.content == "echo: hi"


def test_invoke_model_api_sends_the_native_body(bedrock: FakeBedrockRuntime, clients: AwsClients) -> None:
    arn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/q9w8e7r6t5y4"
    spec = ModelSpec(
        id="imported",
        provider="bedrock",
        model=arn,
        region="us-east-1",
        base_model_provider="meta",
        api="invoke_model",
    )

    result = BedrockModel(spec, clients).chat(
        _request({"model": "imported", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20})
    )

    (sent,) = bedrock.requests
    assert (sent.operation, sent.target) == ("InvokeModel", arn)
    assert sent.json["max_gen_len"] == 20
    assert sent.json["prompt"].endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert (result.content, result.usage.prompt_tokens, result.usage.completion_tokens) == (
        "llama says hi",
        9,
        3,
    )


def test_titan_embeddings_one_call_per_input(bedrock: FakeBedrockRuntime, clients: AwsClients) -> None:
    spec = ModelSpec(id="e", provider="bedrock", model="amazon.titan-embed-text-v2:0", task="embedding")
    request = EmbeddingRequest(model="e", input=("one two", "three"), dimensions=256)

    result = BedrockModel(spec, clients).embed(request)

    # The calls go out concurrently: compare them in any order.
    assert sorted((r.json for r in bedrock.requests), key=lambda b: b["inputText"]) == [
        {"inputText": "one two", "dimensions": 256},
        {"inputText": "three", "dimensions": 256},
    ]
    assert [len(v) for v in result.vectors] == [256, 256]
    assert result.prompt_tokens == 3


def test_cohere_embeddings_batch_the_inputs_and_count_tokens_from_headers(
    bedrock: FakeBedrockRuntime, clients: AwsClients
) -> None:
    spec = ModelSpec(
        id="e",
        provider="bedrock",
        model="cohere.embed-multilingual-v3",
        task="embedding",
        model_kwargs={"input_type": "search_query"},
    )
    texts = tuple(f"text {i}" for i in range(100))

    result = BedrockModel(spec, clients).embed(EmbeddingRequest(model="e", input=texts))

    # Batches go out concurrently: compare them as a set, and the answer in order.
    batches = sorted((r.json["texts"] for r in bedrock.requests), key=len, reverse=True)
    assert batches == [list(texts[:96]), list(texts[96:])]
    assert {r.json["input_type"] for r in bedrock.requests} == {"search_query"}
    assert len(result.vectors) == 100
    assert result.prompt_tokens == 200


def test_invoke_model_body_that_is_not_json_is_a_502(
    bedrock: FakeBedrockRuntime, clients: AwsClients
) -> None:
    spec = ModelSpec(id="e", provider="bedrock", model="amazon.titan-embed-text-v2:0", task="embedding")
    bedrock.script("amazon.titan-embed-text-v2:0", bedrock_runtime.NOT_JSON)

    with pytest.raises(UpstreamError):
        BedrockModel(spec, clients).embed(EmbeddingRequest(model="e", input="x"))


def test_a_botocore_without_a_newer_converse_field_is_a_clear_501(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from lambda_src.adapters.bedrock import _known_to
    from lambda_src.exceptions import ProviderNotSupportedError

    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    members = client.meta.service_model.operation_model("Converse").input_shape.members
    spec = ModelSpec(id="claude", provider="bedrock", model="anthropic.claude-sonnet-4-6")
    _known_to(
        client, "converse", {"serviceTier": {"type": "flex"}, "outputConfig": {}}, spec
    )  # the pinned one has both

    monkeypatch.delitem(members, "serviceTier")  # as botocore releases before service tiers were
    with pytest.raises(ProviderNotSupportedError) as caught:
        _known_to(client, "converse", {"serviceTier": {"type": "flex"}}, spec)

    assert caught.value.status == 501
    assert "does not know Converse's serviceTier, which service_tier needs" in caught.value.message
