"""``response_format`` through the real handler: each provider family asked its way, every answer
checked against the schema, streamed and not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes import bedrock_runtime
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import CLAUDE, MODELS, Invoke, WriteInventory, chunks_of, ok_body

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "amazon.nova-micro-v1:0"
MORE_MODELS = [
    {"id": "sonnet", "provider": "bedrock", "model": SONNET_45},
    {"id": "nova", "provider": "bedrock", "model": NOVA},
    {
        "id": "falcon",
        "provider": "sagemaker",
        "model": "falcon-endpoint",
        "api": "tgi-generate",
        "prompt_format": "falcon",
    },
]
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "pets": {"type": "array", "items": {"$ref": "#/$defs/pet"}},
    },
    "required": ["name", "age", "pets"],
    "additionalProperties": False,
    "$defs": {
        "pet": {"type": "object", "properties": {"kind": {"enum": ["cat", "dog"]}}, "required": ["kind"]}
    },
}
AS_PERSON = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}}


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory([*MODELS, *MORE_MODELS])


def _chat(invoke: Invoke, **body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "Tell me about Ada"}])
    return invoke("POST", "/v1/chat/completions", body)


def _text(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))


def test_claude_4_5_gets_converses_native_output_format(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = ok_body(_chat(invoke, model="sonnet", response_format=AS_PERSON))

    person = json.loads(body["choices"][0]["message"]["content"])
    assert set(person) == {"name", "age", "pets"} and person["pets"][0]["kind"] in ("cat", "dog")
    assert body["choices"][0]["finish_reason"] == "stop"
    (sent,) = bedrock.requests
    fmt = sent.json["outputConfig"]["textFormat"]
    assert fmt["type"] == "json_schema"
    assert fmt["structure"]["jsonSchema"]["name"] == "person"
    assert (
        json.loads(fmt["structure"]["jsonSchema"]["schema"]) == PERSON
    )  # a JSON string, as Converse takes it
    assert "toolConfig" not in sent.json


@pytest.mark.parametrize("model", ["claude", "nova"])
def test_other_models_answer_through_a_forced_tool_returned_as_content(
    invoke: Invoke, bedrock: FakeBedrockRuntime, model: str
) -> None:
    body = ok_body(_chat(invoke, model=model, response_format=AS_PERSON))

    message = body["choices"][0]["message"]
    assert "tool_calls" not in message and body["choices"][0]["finish_reason"] == "stop"
    assert set(json.loads(message["content"])) == {"name", "age", "pets"}
    config = bedrock.requests[0].json["toolConfig"]
    assert config["toolChoice"] == {"tool": {"name": "person"}}
    assert config["tools"][0]["toolSpec"]["inputSchema"]["json"] == PERSON
    assert "outputConfig" not in bedrock.requests[0].json


def test_a_forced_tool_answer_streams_as_content(invoke: Invoke) -> None:
    chunks = chunks_of(_chat(invoke, model="claude", response_format=AS_PERSON, stream=True))

    assert set(json.loads(_text(chunks))) == {"name", "age", "pets"}
    assert not any("tool_calls" in c["choices"][0]["delta"] for c in chunks if c["choices"])
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"


def test_json_object_is_any_object_through_a_tool(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = ok_body(_chat(invoke, model="sonnet", response_format={"type": "json_object"}))

    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)
    assert bedrock.requests[0].json["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] == {
        "type": "object"
    }


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ({"name": "Ada", "age": "36", "pets": []}, "$.age: expected integer, got string"),
        ({"name": "Ada", "age": 36}, "the required property 'pets' is missing"),
        ({"name": "Ada", "age": 36, "pets": [{"kind": "fish"}]}, "$.pets[0].kind: not one of the 2 allowed"),
        ({"name": "Ada", "age": 36, "pets": [], "extra": 1}, "the property 'extra' is not allowed"),
        ("Ada is 36", "the answer is not JSON"),
    ],
)
def test_an_answer_that_does_not_match_is_a_clear_error(
    invoke: Invoke, bedrock: FakeBedrockRuntime, answer: Any, where: str
) -> None:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    bedrock.script(SONNET_45, bedrock_runtime.converse_reply(text))

    response = _chat(invoke, model="sonnet", response_format=AS_PERSON)

    assert response["statusCode"] == 502
    error = json.loads(response["body"])["error"]
    assert error["code"] == "response_format_mismatch"
    assert where in error["message"] and "'person'" in error["message"]
    assert "Ada" not in error["message"]  # where the answer departs, never the answer


def test_a_mismatch_in_a_stream_ends_it_with_an_error_event(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    answer = bedrock_runtime.converse_body(json.dumps({"name": "Ada"}))
    bedrock.script(SONNET_45, bedrock_runtime.converse_stream(answer))

    chunks = chunks_of(_chat(invoke, model="sonnet", response_format=AS_PERSON, stream=True))

    assert json.loads(_text(chunks[:-1])) == {"name": "Ada"}  # the text went out as it came
    assert chunks[-1]["error"]["code"] == "response_format_mismatch"
    assert not any(c["choices"][0]["finish_reason"] for c in chunks[:-1] if c.get("choices"))


def test_an_answer_cut_at_max_tokens_says_so(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    bedrock.script(SONNET_45, bedrock_runtime.converse_reply('{"name": "A', stop="max_tokens"))

    response = _chat(invoke, model="sonnet", response_format=AS_PERSON)

    assert response["statusCode"] == 502
    assert "cut off at max_tokens" in json.loads(response["body"])["error"]["message"]


def test_tgi_messages_get_tgis_grammar(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    body = ok_body(_chat(invoke, model="tgi", response_format=AS_PERSON))

    assert set(json.loads(body["choices"][0]["message"]["content"])) == {"name", "age", "pets"}
    assert sagemaker.requests[0].json["response_format"] == {"type": "json", "value": PERSON}


def test_tgi_messages_stream_structured_output(invoke: Invoke) -> None:
    chunks = chunks_of(_chat(invoke, model="tgi", response_format={"type": "json_object"}, stream=True))

    assert isinstance(json.loads(_text(chunks)), dict)


def test_tgi_generate_gets_the_grammar_parameter(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    chunks = chunks_of(_chat(invoke, model="falcon", response_format=AS_PERSON, stream=True))

    assert set(json.loads(_text(chunks))) == {"name", "age", "pets"}
    assert sagemaker.requests[0].json["parameters"]["grammar"] == {"type": "json", "value": PERSON}


def test_containers_without_a_grammar_refuse_it(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    response = _chat(invoke, model="jumpstart", response_format={"type": "json_object"})

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["param"] == "response_format"
    assert sagemaker.requests == []


def test_response_format_text_changes_nothing(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    body = ok_body(_chat(invoke, model="claude", response_format={"type": "text"}))

    assert body["choices"][0]["message"]["content"] == "echo: Tell me about Ada"
    assert "outputConfig" not in bedrock.requests[0].json and "toolConfig" not in bedrock.requests[0].json


def test_the_schema_sent_is_the_one_the_request_gave(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    ok_body(_chat(invoke, model="claude", response_format=AS_PERSON))

    assert bedrock.requests_for(CLAUDE)[0].json["toolConfig"]["tools"][0]["toolSpec"]["name"] == "person"


def test_a_forced_tool_answer_cut_at_max_tokens_says_so(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    answer = bedrock_runtime.converse_body("")
    use = {"toolUseId": "t1", "name": "person", "input": {"name": "A"}}
    answer["output"]["message"]["content"] = [{"toolUse": use}]
    bedrock.script(CLAUDE, bedrock_runtime.Reply(200, {**answer, "stopReason": "max_tokens"}))

    response = _chat(invoke, model="claude", response_format=AS_PERSON)

    assert response["statusCode"] == 502
    assert "cut off at max_tokens" in json.loads(response["body"])["error"]["message"]
