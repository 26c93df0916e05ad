from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.adapters import bedrock_native
from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.exceptions import InvalidRequestError, UpstreamError
from lambda_src.inventory import ModelSpec

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]


def _request(**body: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate_json(json.dumps({"model": "m", "messages": MESSAGES, **body}))


def _spec(family: str | None) -> ModelSpec:
    return ModelSpec(
        id="m",
        provider="bedrock",
        model="arn:aws:bedrock:us-east-1:111122223333:imported-model/abc",
        base_model_provider=family,
        api="invoke_model",
    )


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        (
            "anthropic",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                "system": "sys",
                "temperature": 0.5,
            },
        ),
        (
            "mistral",
            {"prompt": "<s>[INST] sys\n\nhi [/INST]", "temperature": 0.5},
        ),
        (
            "amazon",
            {
                "inputText": "sys\n\nUser: hi\nBot:",
                "textGenerationConfig": {"temperature": 0.5, "stopSequences": ["\nUser:"]},
            },
        ),
        (
            "deepseek",
            {
                "prompt": "<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                "temperature": 0.5,
                "stop": ["<|im_end|>"],
            },
        ),
    ],
)
def test_native_chat_bodies(family: str, expected: dict[str, Any]) -> None:
    assert bedrock_native.to_chat_body(_spec(family), family, _request(temperature=0.5)) == expected


@pytest.mark.parametrize(
    ("family", "payload", "content", "finish", "usage"),
    [
        (
            "anthropic",
            {
                "content": [{"type": "text", "text": "A"}],
                "stop_reason": "max_tokens",
                "usage": {"input_tokens": 3, "output_tokens": 1},
            },
            "A",
            "length",
            (3, 1),
        ),
        (
            "meta",
            {"generation": "B", "prompt_token_count": 4, "generation_token_count": 2, "stop_reason": "stop"},
            "B",
            "stop",
            (4, 2),
        ),
        ("mistral", {"outputs": [{"text": "C", "stop_reason": "length"}]}, "C", "length", (6, 5)),
        (
            "amazon",
            {
                "inputTextTokenCount": 2,
                "results": [{"tokenCount": 1, "outputText": "D", "completionReason": "FINISH"}],
            },
            "D",
            "stop",
            (2, 1),
        ),
        ("cohere", {"generations": [{"text": "E", "finish_reason": "COMPLETE"}]}, "E", "stop", (6, 5)),
        ("qwen", {"choices": [{"text": "F", "stop_reason": "stop"}]}, "F", "stop", (6, 5)),
    ],
)
def test_native_chat_answers(
    family: str, payload: dict[str, Any], content: str, finish: str, usage: tuple[int, int]
) -> None:
    headers = {"x-amzn-bedrock-input-token-count": "6", "x-amzn-bedrock-output-token-count": "5"}

    result = bedrock_native.from_chat_body(family, payload, headers)

    assert (result.content, result.finish_reason) == (content, finish)
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == usage


@pytest.mark.parametrize("family", ["anthropic", "meta", "mistral", "amazon", "cohere", None])
def test_native_answers_in_another_shape_are_502(family: str | None) -> None:
    with pytest.raises(UpstreamError):
        bedrock_native.from_chat_body(family, {"completion": "legacy"}, {})


def test_native_bodies_refuse_tools() -> None:
    request = _request(tools=[{"type": "function", "function": {"name": "f"}}])

    with pytest.raises(InvalidRequestError, match="tools"):
        bedrock_native.to_chat_body(_spec("meta"), "meta", request)


def test_embedding_family_of_a_chat_family_is_a_400() -> None:
    with pytest.raises(InvalidRequestError, match="Titan and Cohere"):
        bedrock_native.embedding_family(_spec("meta"), "meta")


def test_cohere_by_type_embeddings() -> None:
    family = bedrock_native.EMBEDDING_FAMILIES["cohere"]

    vectors, tokens = family.parse(
        {"embeddings": {"float": [[1, 2]]}}, {"x-amzn-bedrock-input-token-count": "3"}
    )

    assert (vectors, tokens) == ([(1.0, 2.0)], 3)


def test_titan_bodies_do_not_change_the_request() -> None:
    spec = ModelSpec(id="e", provider="bedrock", model="amazon.titan-embed-text-v1", task="embedding")
    request = EmbeddingRequest(model="e", input="hello")

    assert list(bedrock_native.EMBEDDING_FAMILIES["amazon"].bodies(spec, request)) == [{"inputText": "hello"}]
    assert request.input == "hello"
