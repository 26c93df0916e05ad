"""A corpus of malformed and hostile requests: each one gets a 4xx with an OpenAI-shaped error,
never a 5xx or a traceback, never reaches a model, and never has its content echoed back."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, Invoke, ReadLogs, WriteInventory

SECRET = "sk-live-7f3a9c-do-not-echo"
USER = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "claude", "messages": USER, **fields}


def json_schema(schema: dict[str, Any], name: str = "answer") -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def raw(text: str) -> dict[str, Any]:
    return {"body": text}


# (id, path, request): request is a JSON body, or {"body": <text>} / {"bytes": ...} / {"b64": ...}.
CHAT = "/v1/chat/completions"


def with_tool_call_arguments(arguments: str) -> dict[str, Any]:
    """A chat whose earlier assistant turn called a tool with ``arguments``, and its result."""
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    return chat(
        messages=[
            *USER,
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ]
    )


EMBED = "/v1/embeddings"
CORPUS: list[tuple[str, str, Any, int]] = [
    # --- not JSON, or not an object
    ("truncated-json", CHAT, raw('{"model": "claude", "messages": ['), 400),
    ("not-json", CHAT, raw(f"model=claude&secret={SECRET}"), 400),
    ("json-null", CHAT, raw("null"), 400),
    ("json-array", CHAT, raw("[]"), 400),
    ("json-string", CHAT, raw(f'"{SECRET}"'), 400),
    ("json-number", CHAT, raw("42"), 400),
    ("empty-body", CHAT, raw(""), 400),
    ("no-body", CHAT, None, 400),
    (
        "nan-literal",
        CHAT,
        raw('{"model": "claude", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}'),
        400,
    ),
    (
        "lone-surrogate",
        CHAT,
        raw('{"model": "claude", "messages": [{"role": "user", "content": "\\ud800"}]}'),
        400,
    ),
    ("deep-nesting", CHAT, raw('{"model": "claude", "messages": ' + "[" * 5000 + "]" * 5000 + "}"), 400),
    (
        "non-utf8",
        CHAT,
        {"bytes": b'{"model": "claude", "messages": [{"role": "user", "content": "\xff\xfe"}]}'},
        400,
    ),
    (
        "latin1",
        CHAT,
        {
            "bytes": '{"model": "claude", "messages": [{"role": "user", "content": "caf\u00e9"}]}'.encode(
                "latin-1"
            )
        },
        400,
    ),
    ("bad-base64", CHAT, {"b64": "this is %%% not base64"}, 400),
    ("base64-of-garbage", CHAT, {"b64": base64.b64encode(b"\x00\x01\x02 garbage").decode()}, 400),
    (
        "oversized",
        CHAT,
        raw(json.dumps(chat(messages=[{"role": "user", "content": "x" * (7 * 1024 * 1024)}]))),
        413,
    ),
    ("oversized-base64", CHAT, {"b64": base64.b64encode(b"x" * (7 * 1024 * 1024)).decode()}, 413),
    # --- required fields and types
    ("no-model", CHAT, {"messages": USER}, 400),
    ("no-messages", CHAT, {"model": "claude"}, 400),
    ("model-number", CHAT, {"model": 5, "messages": USER}, 400),
    ("model-empty", CHAT, {"model": "", "messages": USER}, 400),
    ("model-huge", CHAT, {"model": "m" * 10000, "messages": USER}, 400),
    ("messages-empty", CHAT, chat(messages=[]), 400),
    ("messages-string", CHAT, chat(messages=SECRET), 400),
    ("message-string", CHAT, chat(messages=[SECRET]), 400),
    ("too-many-messages", CHAT, chat(messages=USER * 5000), 400),
    # --- roles and content
    ("unknown-role", CHAT, chat(messages=[{"role": "wizard", "content": SECRET}]), 400),
    ("function-role", CHAT, chat(messages=[{"role": "function", "name": "f", "content": SECRET}]), 400),
    ("no-role", CHAT, chat(messages=[{"content": SECRET}]), 400),
    ("role-number", CHAT, chat(messages=[{"role": 1, "content": SECRET}]), 400),
    ("content-number", CHAT, chat(messages=[{"role": "user", "content": 42}]), 400),
    ("content-null", CHAT, chat(messages=[{"role": "user", "content": None}]), 400),
    ("content-empty-list", CHAT, chat(messages=[{"role": "user", "content": []}]), 400),
    ("content-empty-string", CHAT, chat(messages=[{"role": "user", "content": ""}]), 400),
    (
        "part-audio",
        CHAT,
        chat(messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]),
        400,
    ),
    (
        "part-text-number",
        CHAT,
        chat(messages=[{"role": "user", "content": [{"type": "text", "text": 1}]}]),
        400,
    ),
    (
        "image-remote-url",
        CHAT,
        chat(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image_url",
                            "image_url": {"url": "http://169.254.169.254/latest/meta-data/"},
                        }
                    ],
                }
            ]
        ),
        400,
    ),
    (
        "image-not-an-image",
        CHAT,
        chat(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:text/html;base64,PGgxPg=="}}
                    ],
                }
            ]
        ),
        400,
    ),
    (
        "image-bad-base64",
        CHAT,
        chat(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,!!!"}}],
                }
            ]
        ),
        400,
    ),
    ("only-system", CHAT, chat(messages=[{"role": "system", "content": SECRET}]), 400),
    ("assistant-empty", CHAT, chat(messages=[*USER, {"role": "assistant", "content": None}]), 400),
    ("tool-without-id", CHAT, chat(messages=[*USER, {"role": "tool", "content": SECRET}]), 400),
    (
        "tool-arguments-not-object",
        CHAT,
        chat(
            messages=[
                *USER,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": "1", "type": "function", "function": {"name": "f", "arguments": SECRET}}
                    ],
                },
                {"role": "tool", "tool_call_id": "1", "content": "r"},
            ],
            tools=[TOOL],
        ),
        400,
    ),
    # --- generation settings
    ("max-tokens-negative", CHAT, chat(max_tokens=-1), 400),
    ("max-tokens-zero", CHAT, chat(max_tokens=0), 400),
    ("max-tokens-huge", CHAT, chat(max_tokens=10**40), 400),
    ("max-tokens-string", CHAT, chat(max_tokens="100"), 400),
    ("max-tokens-float", CHAT, chat(max_tokens=1.5), 400),
    ("max-tokens-over-model-limit", CHAT, chat(model="provisioned", max_tokens=501), 400),
    ("max-tokens-disagree", CHAT, chat(max_tokens=10, max_completion_tokens=20), 400),
    ("temperature-negative", CHAT, chat(temperature=-0.1), 400),
    ("temperature-high", CHAT, chat(temperature=3), 400),
    ("temperature-string", CHAT, chat(temperature=SECRET), 400),
    ("top-p-high", CHAT, chat(top_p=1.5), 400),
    ("stream-string", CHAT, chat(stream="yes"), 400),
    ("stop-too-many", CHAT, chat(stop=["a", "b", "c", "d", "e"]), 400),
    ("stop-number", CHAT, chat(stop=123), 400),
    ("n-two", CHAT, chat(n=2), 400),
    ("logprobs", CHAT, chat(logprobs=True), 400),
    # --- structured output, reasoning, service tiers
    ("response-format-unknown-type", CHAT, chat(response_format={"type": "xml"}), 400),
    (
        "response-format-no-schema",
        CHAT,
        chat(response_format={"type": "json_schema", "json_schema": {"name": "a"}}),
        400,
    ),
    (
        "response-format-bad-name",
        CHAT,
        chat(response_format=json_schema({"type": "object"}, name="an answer")),
        400,
    ),
    ("response-format-bad-type", CHAT, chat(response_format=json_schema({"type": "integr"})), 400),
    (
        "response-format-remote-ref",
        CHAT,
        chat(response_format=json_schema({"$ref": "https://x.test/s"})),
        400,
    ),
    ("response-format-dangling-ref", CHAT, chat(response_format=json_schema({"$ref": "#/$defs/none"})), 400),
    ("response-format-required-not-list", CHAT, chat(response_format=json_schema({"required": "a"})), 400),
    (
        "response-format-schema-nan",
        CHAT,
        raw(
            '{"model": "claude", "messages": [{"role": "user", "content": "hi"}], "response_format": '
            '{"type": "json_schema", "json_schema": {"name": "a", "schema": {"maximum": NaN}}}}'
        ),
        400,
    ),
    # claude here is Claude 3 Haiku: structured output through a forced tool, whose input is an object
    ("response-format-array-through-a-tool", CHAT, chat(response_format=json_schema({"type": "array"})), 400),
    (
        "response-format-with-tools-through-a-tool",
        CHAT,
        chat(tools=[TOOL], response_format={"type": "json_object"}),
        400,
    ),
    ("reasoning-effort-unknown", CHAT, chat(reasoning_effort="extreme"), 400),
    ("reasoning-effort-model-without", CHAT, chat(reasoning_effort="high"), 400),
    ("service-tier-unknown", CHAT, chat(service_tier="gold"), 400),
    ("service-tier-scale-on-bedrock", CHAT, chat(service_tier="scale"), 400),
    ("service-tier-on-sagemaker", CHAT, chat(model="tgi", service_tier="priority"), 400),
    (
        "reasoning-signature-tampered",
        CHAT,
        chat(
            messages=[
                *USER,
                {
                    "role": "assistant",
                    "content": "a",
                    "reasoning_content": "changed",
                    "reasoning_signature": "x",
                },
                *USER,
            ]
        ),
        400,
    ),
    ("unknown-field", CHAT, chat(secret_field=SECRET), 400),
    ("unknown-field-hostile-name", CHAT, {**chat(), f"{SECRET}<script>": 1}, 400),
    # --- tools
    ("tool-choice-without-tools", CHAT, chat(tool_choice="auto"), 400),
    ("tools-not-list", CHAT, chat(tools=SECRET), 400),
    ("tool-name-spaces", CHAT, chat(tools=[{"type": "function", "function": {"name": "get weather"}}]), 400),
    (
        "tool-choice-unknown-function",
        CHAT,
        chat(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "g"}}),
        400,
    ),
    ("tool-choice-bad-mode", CHAT, chat(tools=[TOOL], tool_choice="always"), 400),
    ("tools-duplicate-names", CHAT, chat(tools=[TOOL, TOOL]), 400),
    # --- model names: unknown and injection attempts
    ("model-unknown", CHAT, chat(model="gpt-5"), 404),
    ("model-trailing-newline", CHAT, chat(model="claude\n"), 404),
    ("model-nul", CHAT, chat(model="claude\u0000"), 404),
    ("model-path-traversal", CHAT, chat(model="../../../etc/passwd"), 404),
    ("model-sql", CHAT, chat(model="claude'; DROP TABLE models;--"), 404),
    ("model-raw-bedrock-id", CHAT, chat(model="us.anthropic.claude-3-haiku-20240307-v1:0"), 404),
    (
        "model-foundation-arn",
        CHAT,
        chat(model="arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"),
        404,
    ),
    ("model-endpoint-name", CHAT, chat(model="tgi-endpoint"), 404),
    ("model-case", CHAT, chat(model="CLAUDE"), 404),
    (
        "model-spec-object",
        CHAT,
        chat(model={"id": "x", "provider": "bedrock", "model": "anthropic.claude-v2"}),
        400,
    ),
    ("embedding-model-for-chat", CHAT, chat(model="titan-embed"), 400),
    # --- embeddings
    ("embed-no-input", EMBED, {"model": "titan-embed"}, 400),
    ("embed-empty-list", EMBED, {"model": "titan-embed", "input": []}, 400),
    ("embed-empty-string", EMBED, {"model": "titan-embed", "input": ""}, 400),
    ("embed-negative-token", EMBED, {"model": "titan-embed", "input": [1, -2, 3]}, 400),
    ("embed-unknown-token", EMBED, {"model": "titan-embed", "input": [[1, 100256]]}, 400),
    ("embed-empty-token-list", EMBED, {"model": "titan-embed", "input": [[1], []]}, 400),
    ("embed-mixed", EMBED, {"model": "titan-embed", "input": ["a", 5]}, 400),
    ("embed-object", EMBED, {"model": "titan-embed", "input": {"text": SECRET}}, 400),
    ("embed-too-many", EMBED, {"model": "titan-embed", "input": ["x"] * 3000}, 400),
    ("embed-format", EMBED, {"model": "titan-embed", "input": "x", "encoding_format": "hex"}, 400),
    ("embed-dimensions-zero", EMBED, {"model": "titan-embed", "input": "x", "dimensions": 0}, 400),
    ("embed-chat-model", EMBED, {"model": "claude", "input": "x"}, 400),
    ("embed-unknown-model", EMBED, {"model": "text-embedding-3-large", "input": "x"}, 404),
    ("embed-not-json", EMBED, raw("input=hello"), 400),
    # --- JSON passed on to models: no NaN / Infinity, no nesting past the limit
    (
        "tool-schema-nan",
        CHAT,
        raw(
            '{"model": "claude", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": '
            '"function", "function": {"name": "f", "parameters": {"type": "number", "maximum": NaN}}}]}'
        ),
        400,
    ),
    (
        "tool-schema-deep",
        CHAT,
        chat(
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": json.loads('{"a":' * 80 + "{}" + "}" * 80),
                    },
                }
            ]
        ),
        400,
    ),
    (
        "tool-arguments-deep",
        CHAT,
        with_tool_call_arguments("[" * 5000 + "]" * 5000),
        400,
    ),
    (
        "tool-arguments-infinity",
        CHAT,
        with_tool_call_arguments('{"x": Infinity}'),
        400,
    ),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.fixture(autouse=True)
def _models(write_inventory: WriteInventory) -> None:
    write_inventory(MODELS)


def _send(invoke: Invoke, path: str, request: Any) -> dict[str, Any]:
    if request is None:
        return invoke("POST", path)
    if isinstance(request, dict) and set(request) == {"body"}:
        return invoke("POST", path, request["body"])
    if isinstance(request, dict) and set(request) == {"bytes"}:
        return invoke("POST", path, request["bytes"])
    if isinstance(request, dict) and set(request) == {"b64"}:
        # The Function URL base64-encodes binary bodies and the adapter decodes them: the app
        # gets the bytes (text that is not base64 at all arrives as it is).
        try:
            raw = base64.b64decode(request["b64"], validate=True)
        except ValueError:
            raw = request["b64"].encode()
        return invoke("POST", path, raw)
    return invoke("POST", path, request)


@pytest.mark.parametrize(("path", "request_", "status"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_bad_request_is_a_4xx_openai_error(
    invoke: Invoke,
    bedrock: FakeBedrockRuntime,
    sagemaker: FakeSageMakerRuntime,
    read_logs: ReadLogs,
    path: str,
    request_: Any,
    status: int,
) -> None:
    response = _send(invoke, path, request_)

    assert response["statusCode"] == status, response["body"][:300]
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] == "invalid_request_error"
    assert "Traceback" not in response["body"]
    assert SECRET not in response["body"]
    assert bedrock.requests == [] and sagemaker.requests == []
    logged = json.dumps(read_logs())
    assert "Traceback" not in logged
    assert SECRET not in logged
