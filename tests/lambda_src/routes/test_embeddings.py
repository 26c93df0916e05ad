from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, Invoke, WriteInventory


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory(MODELS)


def _embed(invoke: Invoke, **body: Any) -> dict[str, Any]:
    response = invoke("POST", "/v1/embeddings", body)
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def test_titan_embeddings(invoke: Invoke) -> None:
    body = _embed(invoke, model="titan-embed", input=["hello world", "bye"], dimensions=4)

    assert body["object"] == "list"
    assert body["model"] == "titan-embed"
    assert [(d["object"], d["index"], len(d["embedding"])) for d in body["data"]] == [
        ("embedding", 0, 4),
        ("embedding", 1, 4),
    ]
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}


def test_cohere_embeddings_in_one_call(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _embed(invoke, model="cohere-embed", input="one text")

    assert len(body["data"]) == 1
    assert [r.json["texts"] for r in bedrock.requests] == [["one text"]]


def test_base64_encoding_is_little_endian_float32(invoke: Invoke) -> None:
    floats = _embed(invoke, model="titan-embed", input="abc")["data"][0]["embedding"]
    encoded = _embed(invoke, model="titan-embed", input="abc", encoding_format="base64")["data"][0][
        "embedding"
    ]

    raw = base64.b64decode(encoded)
    assert struct.unpack(f"<{len(raw) // 4}f", raw) == pytest.approx(floats, abs=1e-6)


@pytest.mark.parametrize(("model", "status"), [("claude", 400), ("tgi", 400), ("nope", 404)])
def test_non_embedding_models(invoke: Invoke, bedrock: FakeBedrockRuntime, model: str, status: int) -> None:
    response = invoke("POST", "/v1/embeddings", {"model": model, "input": "x"})

    assert response["statusCode"] == status
    assert bedrock.requests == []


def test_one_call_per_input_runs_concurrently_and_keeps_the_order(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    texts = [f"text number {i}" for i in range(20)]
    one_by_one = [_embed(invoke, model="titan-embed", input=t)["data"][0]["embedding"] for t in texts]
    bedrock.reset()
    bedrock.default_delay = 0.2  # each call stays open a while, so overlapping calls show

    body = _embed(invoke, model="titan-embed", input=texts)

    assert [d["embedding"] for d in body["data"]] == one_by_one
    assert [d["index"] for d in body["data"]] == list(range(20))
    assert len(bedrock.requests) == 20
    assert 1 < bedrock.max_in_flight <= 8  # concurrent, and bounded
