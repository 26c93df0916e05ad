"""Reasoning models and service tiers through the real handler: thinking out as
``reasoning_content``, back in as the provider needs it, ``reasoning_effort`` and ``service_tier``
mapped per model family."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes import bedrock_runtime
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, Invoke, WriteInventory, chunks_of, ok_body

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
OPUS_47 = "global.anthropic.claude-opus-4-7"
GPT_OSS = "openai.gpt-oss-120b-1:0"
REASONING_MODELS = [
    {"id": "sonnet", "provider": "bedrock", "model": SONNET_45},
    {"id": "opus", "provider": "bedrock", "model": OPUS_47},
    {"id": "gpt-oss", "provider": "bedrock", "model": GPT_OSS},
    {"id": "r1", "provider": "bedrock", "model": "us.deepseek.r1-v1:0"},
    {"id": "nova2", "provider": "bedrock", "model": "us.amazon.nova-2-lite-v1:0"},
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
QUESTION = [{"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory([*MODELS, *REASONING_MODELS])


def _chat(invoke: Invoke, **body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "why is the sky blue"}])
    return invoke("POST", "/v1/chat/completions", body)


def _assembled(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The assistant message a streaming client puts together from the deltas."""
    message: dict[str, Any] = {"role": "assistant", "content": "", "reasoning_content": ""}
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for choice in chunk.get("choices", []):
            delta = choice["delta"]
            message["content"] += delta.get("content") or ""
            message["reasoning_content"] += delta.get("reasoning_content") or ""
            if "reasoning_signature" in delta:
                message["reasoning_signature"] = delta["reasoning_signature"]
            for call in delta.get("tool_calls", []):
                entry = calls.setdefault(call["index"], {"type": "function", "function": {"arguments": ""}})
                entry["id"] = call.get("id", entry.get("id"))
                entry["function"]["name"] = call["function"].get("name", entry["function"].get("name"))
                entry["function"]["arguments"] += call["function"].get("arguments", "")
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def test_claude_thinking_with_a_budget_comes_back_as_reasoning_content(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    body = ok_body(_chat(invoke, model="sonnet", reasoning_effort="medium"))

    message = body["choices"][0]["message"]
    assert message["reasoning_content"] == "Thinking about why is the sky blue."
    assert message["reasoning_signature"].startswith("rs1.")
    assert message["content"] == "echo: why is the sky blue"
    sent = bedrock.requests[0].json
    assert sent["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert sent["inferenceConfig"]["maxTokens"] > 8192


def test_the_newest_claude_gets_adaptive_thinking_and_effort(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    body = ok_body(_chat(invoke, model="opus", reasoning_effort="xhigh"))

    assert body["choices"][0]["message"]["reasoning_content"]
    sent = bedrock.requests[0].json
    assert sent["additionalModelRequestFields"]["thinking"] == {"type": "adaptive"}
    assert sent["outputConfig"] == {"effort": "xhigh"}
    assert "budget_tokens" not in json.dumps(sent)


def test_a_budget_fitting_a_small_max_tokens(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    ok_body(_chat(invoke, model="sonnet", reasoning_effort="high", max_tokens=3000))

    sent = bedrock.requests[0].json
    assert sent["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 2999
    assert sent["inferenceConfig"]["maxTokens"] == 3000


def test_thinking_streams_as_reasoning_content_deltas_then_its_signature(invoke: Invoke) -> None:
    chunks = chunks_of(_chat(invoke, model="sonnet", reasoning_effort="low", stream=True))

    deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
    thinking = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    assert len(thinking) > 1 and "".join(thinking) == "Thinking about why is the sky blue."
    kinds = [
        next(k for k, v in d.items() if v and k not in ("role", "refusal"))
        for d in deltas
        if any(d.get(k) for k in ("reasoning_content", "content", "reasoning_signature"))
    ]
    # Thinking first, then the answer; the signature once, at the end (it covers every block).
    assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "reasoning_content")
    assert kinds.count("reasoning_signature") == 1 and kinds[-1] == "reasoning_signature"
    assert (
        _assembled(chunks)["reasoning_signature"]
        == ok_body(_chat(invoke, model="sonnet", reasoning_effort="low"))["choices"][0]["message"][
            "reasoning_signature"
        ]
    )


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_tool_turn_and_the_turn_after_it_keep_their_thinking(
    invoke: Invoke, bedrock: FakeBedrockRuntime, stream: bool
) -> None:
    first = _chat(
        invoke, model="sonnet", messages=QUESTION, tools=[WEATHER], reasoning_effort="low", stream=stream
    )
    message = _assembled(chunks_of(first)) if stream else ok_body(first)["choices"][0]["message"]
    assert message["reasoning_content"] == "Thinking about Weather in Paris?."
    (call,) = message["tool_calls"]

    followup = [*QUESTION, message, {"role": "tool", "tool_call_id": call["id"], "content": "18 C"}]
    second = _chat(
        invoke, model="sonnet", messages=followup, tools=[WEATHER], reasoning_effort="low", stream=stream
    )
    answer = _assembled(chunks_of(second)) if stream else ok_body(second)["choices"][0]["message"]

    assert answer["content"] == "tool said: 18 C"
    assert answer["reasoning_content"] == "Thinking about the tool result."
    # The assistant turn went back to Claude starting with its signed thinking block, unchanged.
    sent_turn = bedrock.requests[1].json["messages"][1]["content"]
    assert sent_turn[0] == {
        "reasoningContent": {
            "reasoningText": {
                "text": "Thinking about Weather in Paris?.",
                "signature": bedrock_runtime.sign("Thinking about Weather in Paris?."),
            }
        }
    }
    assert "toolUse" in sent_turn[-1]


def test_redacted_thinking_goes_back_as_it_came(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    question = [{"role": "user", "content": f"Weather? {bedrock_runtime.REDACTED_TRIGGER}"}]
    first = ok_body(_chat(invoke, model="sonnet", messages=question, tools=[WEATHER], reasoning_effort="low"))
    message = first["choices"][0]["message"]
    (call,) = message["tool_calls"]

    followup = [*question, message, {"role": "tool", "tool_call_id": call["id"], "content": "rain"}]
    ok_body(_chat(invoke, model="sonnet", messages=followup, tools=[WEATHER], reasoning_effort="low"))

    sent_turn = bedrock.requests[1].json["messages"][1]["content"]
    redacted = sent_turn[1]["reasoningContent"]["redactedContent"]
    assert redacted == bedrock_runtime.base64.b64encode(bedrock_runtime.REDACTED_DATA).decode()


def test_a_tool_turn_sent_back_without_its_thinking_is_answered_without_thinking(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    first = ok_body(_chat(invoke, model="sonnet", messages=QUESTION, tools=[WEATHER], reasoning_effort="low"))
    message = first["choices"][0]["message"]
    # What a client that drops unknown fields (LangChain's ChatOpenAI) sends back.
    plain = {"role": "assistant", "content": message["content"], "tool_calls": message["tool_calls"]}
    followup = [
        *QUESTION,
        plain,
        {"role": "tool", "tool_call_id": message["tool_calls"][0]["id"], "content": "18 C"},
    ]

    second = ok_body(
        _chat(invoke, model="sonnet", messages=followup, tools=[WEATHER], reasoning_effort="low")
    )

    assert second["choices"][0]["message"]["content"] == "tool said: 18 C"
    assert "thinking" not in bedrock.requests[1].json.get("additionalModelRequestFields", {})


def test_claude_refuses_a_temperature_while_thinking(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    response = _chat(invoke, model="sonnet", reasoning_effort="low", temperature=0.2)

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["param"] == "reasoning_effort"
    assert bedrock.requests == []


def test_reasoning_effort_none_sends_no_thinking(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = ok_body(_chat(invoke, model="sonnet", reasoning_effort="none", temperature=0.2))

    assert "reasoning_content" not in body["choices"][0]["message"]
    assert "additionalModelRequestFields" not in bedrock.requests[0].json


def test_gpt_oss_gets_its_reasoning_effort_and_its_thinking_is_not_sent_back(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    first = ok_body(_chat(invoke, model="gpt-oss", messages=QUESTION, reasoning_effort="xhigh"))
    message = first["choices"][0]["message"]
    assert message["reasoning_content"] and "reasoning_signature" not in message
    assert bedrock.requests[0].json["additionalModelRequestFields"] == {"reasoning_effort": "high"}

    ok_body(_chat(invoke, model="gpt-oss", messages=[*QUESTION, message, *QUESTION]))

    assert "reasoningContent" not in json.dumps(bedrock.requests[1].json["messages"])


def test_nova_2_gets_its_reasoning_config(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    ok_body(_chat(invoke, model="nova2", reasoning_effort="minimal"))

    fields = bedrock.requests[0].json["additionalModelRequestFields"]
    assert fields == {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}


def test_deepseek_r1_always_reasons(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = ok_body(_chat(invoke, model="r1", reasoning_effort="high"))

    assert body["choices"][0]["message"]["reasoning_content"]
    assert "additionalModelRequestFields" not in bedrock.requests[0].json


@pytest.mark.parametrize(
    ("tier", "sent"), [("priority", {"type": "priority"}), ("flex", {"type": "flex"}), ("auto", None)]
)
def test_service_tier_maps_to_bedrocks(
    invoke: Invoke, bedrock: FakeBedrockRuntime, tier: str, sent: Any
) -> None:
    body = ok_body(_chat(invoke, model="claude", service_tier=tier))

    assert bedrock.requests[0].json.get("serviceTier") == sent
    assert body.get("service_tier") == (sent["type"] if sent else None)


def test_a_streamed_answer_names_its_service_tier(invoke: Invoke) -> None:
    chunks = chunks_of(_chat(invoke, model="claude", service_tier="flex", stream=True))

    assert chunks[-1]["service_tier"] == "flex"


def test_tgi_messages_pass_reasoning_effort_and_report_reasoning_tokens(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime
) -> None:
    body = ok_body(_chat(invoke, model="tgi", reasoning_effort="high"))

    assert sagemaker.requests[0].json["reasoning_effort"] == "high"
    assert body["choices"][0]["message"]["reasoning_content"] == "Thinking about why is the sky blue"
    # The fake counts words: 7 of thinking, 6 of answer.
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 7}
    assert body["usage"]["completion_tokens"] == 7 + 6


def test_tgi_messages_stream_reasoning(invoke: Invoke) -> None:
    chunks = chunks_of(
        _chat(
            invoke, model="tgi", reasoning_effort="low", stream=True, stream_options={"include_usage": True}
        )
    )

    assert _assembled(chunks)["reasoning_content"] == "Thinking about why is the sky blue"
    assert chunks[-1]["usage"]["completion_tokens_details"] == {"reasoning_tokens": 7}
