"""Structured output, reasoning_effort and service_tier for third-party models: passed through
where the provider's API takes them, refused by name where it does not, answers still checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.http_json import Answer
from tests.fakes.openai_compatible import completion
from tests.lambda_src.support import (
    Invoke,
    Providers,
)

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
AS_CITY = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "strict": True}}


pytestmark = pytest.mark.usefixtures("third_party_deployment")


def _chat(invoke: Invoke, model: str, **body: Any) -> dict[str, Any]:
    return invoke(
        "POST",
        "/v1/chat/completions",
        {"model": model, "messages": [{"role": "user", "content": "hi"}], **body},
    )


@pytest.mark.parametrize(
    ("model", "fake"), [("gpt-4o", "openai"), ("llama-fast", "compat"), ("mistral-large", "mistral")]
)
def test_response_format_is_passed_through(
    invoke: Invoke, providers: Providers, model: str, fake: str
) -> None:
    response = _chat(invoke, model, response_format=AS_CITY)

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(json.loads(response["body"])["choices"][0]["message"]["content"]) == {"city": "x"}
    assert getattr(providers, fake).requests[0].json["response_format"] == AS_CITY


def test_a_provider_answer_that_does_not_match_is_refused(invoke: Invoke, providers: Providers) -> None:
    wrong = completion({"role": "assistant", "content": '{"town": "Paris"}'}, "stop", 1)
    providers.openai.script(Answer(200, wrong))

    response = _chat(invoke, "gpt-4o", response_format=AS_CITY)

    assert response["statusCode"] == 502
    assert "the required property 'city' is missing" in json.loads(response["body"])["error"]["message"]


def test_openai_gets_reasoning_effort_and_service_tier_and_reports_reasoning_tokens(
    invoke: Invoke, providers: Providers
) -> None:
    response = _chat(invoke, "gpt-4o", reasoning_effort="low", service_tier="flex")

    body = json.loads(response["body"])
    sent = providers.openai.requests[0].json
    assert (sent["reasoning_effort"], sent["service_tier"]) == ("low", "flex")
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 4}
    assert body["service_tier"] == "flex"


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("claude-direct", "response_format", {"type": "json_object"}),
        ("command-r", "reasoning_effort", "low"),
        ("mistral-large", "service_tier", "priority"),
    ],
)
def test_what_a_provider_is_not_given_is_refused_by_name(
    invoke: Invoke, model: str, field: str, value: Any
) -> None:
    response = _chat(invoke, model, **{field: value})

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["param"] == field
