"""Which Bedrock model takes what, from its id (the dated table in bedrock_features)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.adapters.bedrock_features import claude_version, features
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import InvalidRequestError
from lambda_src.inventory import ModelSpec

SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    ("base_id", "version"),
    [
        ("anthropic.claude-3-7-sonnet-20250219-v1:0", (3, 7)),
        ("anthropic.claude-sonnet-4-20250514-v1:0", (4, 0)),
        ("anthropic.claude-opus-4-1-20250805-v1:0", (4, 1)),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", (4, 5)),
        ("anthropic.claude-opus-4-6-v1", (4, 6)),
        ("anthropic.claude-sonnet-4-6", (4, 6)),
        ("anthropic.claude-opus-5", (5, 0)),
        ("anthropic.claude-mythos-preview", (5, 0)),
        ("anthropic.claude-3-haiku-20240307-v1:0", (3, 0)),
        ("amazon.nova-pro-v1:0", None),
    ],
)
def test_claude_versions_are_read_from_the_id(base_id: str, version: tuple[int, int] | None) -> None:
    assert claude_version(base_id) == version


def _features(model: str, **body: Any) -> Any:
    spec = ModelSpec(id="m", provider="bedrock", model=model)
    # Strict models take JSON, as the route gives them.
    request = ChatCompletionRequest.model_validate_json(
        json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}], **body})
    )
    return features(spec, request)


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}


@pytest.mark.parametrize(
    ("model", "native"),
    [
        ("us.anthropic.claude-haiku-4-5-20251001-v1:0", True),
        ("global.anthropic.claude-opus-4-7", True),
        ("anthropic.claude-sonnet-4-20250514-v1:0", False),
        ("amazon.nova-pro-v1:0", False),
        ("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc", False),
    ],
)
def test_native_structured_output_where_the_model_has_it(model: str, native: bool) -> None:
    found = _features(model, response_format=_json_schema(SCHEMA))

    assert (found.output_config is not None) == native
    assert (found.answer_tool == "a") == (not native)


def test_budget_thinking_on_older_claude_and_adaptive_on_newer() -> None:
    old = _features("anthropic.claude-3-7-sonnet-20250219-v1:0", reasoning_effort="minimal")
    new = _features("anthropic.claude-sonnet-4-6", reasoning_effort="minimal")

    assert old.additional_fields == {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert new.additional_fields == {"thinking": {"type": "adaptive"}} and new.output_config == {
        "effort": "low"
    }


@pytest.mark.parametrize(
    ("model", "body", "param"),
    [
        (
            "anthropic.claude-sonnet-4-6",
            {
                "reasoning_effort": "low",
                "tool_choice": "required",
                "tools": [{"type": "function", "function": {"name": "f"}}],
            },
            "tool_choice",
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"reasoning_effort": "low", "response_format": {"type": "json_object"}},
            "reasoning_effort",
        ),
        (
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            {"reasoning_effort": "low", "max_tokens": 1024},
            "max_tokens",
        ),
        ("meta.llama3-70b-instruct-v1:0", {"reasoning_effort": "low"}, "reasoning_effort"),
    ],
)
def test_combinations_the_model_refuses_are_400s(model: str, body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        _features(model, **body)

    assert caught.value.param == param
