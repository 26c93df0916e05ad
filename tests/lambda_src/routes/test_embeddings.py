from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, Invoke, WriteInventory

# cl100k_base ids, as tiktoken encodes these texts (LangChain's OpenAIEmbeddings sends them so).
HELLO_WORLD = [9906, 1917, 0]  # "Hello world!"


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
    body = _embed(invoke, model="titan-embed", input=["hello world", "bye"], dimensions=256)

    assert body["object"] == "list"
    assert body["model"] == "titan-embed"
    assert [(d["object"], d["index"], len(d["embedding"])) for d in body["data"]] == [
        ("embedding", 0, 256),
        ("embedding", 1, 256),
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


def _error(invoke: Invoke, **body: Any) -> tuple[int, dict[str, Any]]:
    response = invoke("POST", "/v1/embeddings", body)
    return response["statusCode"], json.loads(response["body"])["error"]


def test_a_token_array_is_embedded_as_the_text_it_encodes(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    as_text = _embed(invoke, model="titan-embed", input="Hello world!")
    bedrock.reset()

    as_tokens = _embed(invoke, model="titan-embed", input=HELLO_WORLD)

    assert [r.json["inputText"] for r in bedrock.requests] == ["Hello world!"]
    assert as_tokens["data"] == as_text["data"]


def test_batched_token_arrays_keep_their_order(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = _embed(invoke, model="cohere-embed", input=[HELLO_WORLD, [15339], HELLO_WORLD[:2]])

    assert [r.json["texts"] for r in bedrock.requests] == [["Hello world!", "hello", "Hello world"]]
    assert [d["index"] for d in body["data"]] == [0, 1, 2]


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        ([9906, 100256], "input[1]"),
        ([[15339], [9906, 2**31 - 1]], "input[1][1]"),
        ([[1], [100261]], "input[1][0]"),
    ],
)
def test_an_id_that_is_no_token_is_refused_with_its_place(
    invoke: Invoke, bedrock: FakeBedrockRuntime, sent: list[Any], where: str
) -> None:
    status, error = _error(invoke, model="titan-embed", input=sent)

    assert status == 400
    assert error["message"].startswith(f"{where} is ")
    assert "not a token of the cl100k_base encoding" in error["message"]
    assert bedrock.requests == []


@pytest.mark.parametrize(
    "sent",
    [[1, "two"], [[1], "two"], [-1], [[]], [True, 2], [1.5], {"tokens": [1]}, [[1], [2, [3]]]],
)
def test_malformed_inputs_get_one_400_naming_input(invoke: Invoke, sent: Any) -> None:
    status, error = _error(invoke, model="titan-embed", input=sent)

    assert status == 400
    assert error["param"].startswith("input"), error
    assert "Traceback" not in error["message"]


def test_a_token_array_longer_than_openais_limit_is_refused(invoke: Invoke) -> None:
    status, error = _error(invoke, model="titan-embed", input=[15339] * 8193)

    assert status == 400
    assert "8192" in error["message"]


def test_dimensions_outside_the_models_sizes_name_the_sizes(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    status, error = _error(invoke, model="titan-embed", input="x", dimensions=300)

    assert status == 400
    assert error["param"] == "dimensions"
    assert "256, 512, 1024" in error["message"]
    assert bedrock.requests == []


def test_a_model_of_one_size_refuses_dimensions(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    status, error = _error(invoke, model="cohere-embed", input="x", dimensions=256)

    assert status == 400
    assert "does not take dimensions" in error["message"]
    assert bedrock.requests == []


def test_cohere_embed_v4_takes_its_output_dimensions(
    invoke: Invoke, write_inventory: WriteInventory, bedrock: FakeBedrockRuntime
) -> None:
    v4 = {"id": "cohere-v4", "provider": "bedrock", "model": "us.cohere.embed-v4:0", "task": "embedding"}
    write_inventory([*MODELS, v4])

    body = _embed(invoke, model="cohere-v4", input=["a", "b"], dimensions=1536)

    assert [len(d["embedding"]) for d in body["data"]] == [1536, 1536]
    assert [r.json["output_dimension"] for r in bedrock.requests] == [1536]
    assert _error(invoke, model="cohere-v4", input="a", dimensions=2048)[0] == 400
