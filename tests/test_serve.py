"""serve.py: HTTP requests become Function URL events, handler responses become HTTP responses."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent

import serve


def test_json_request_is_a_text_event() -> None:
    event = serve.to_event(
        "post",
        "/v1/chat/completions?x=1&x=2",
        [("Content-Type", "application/json"), ("X-Trace", "a"), ("X-Trace", "b"), ("Cookie", "c=1; d=2")],
        b'{"model": "m"}',
    )

    parsed = LambdaFunctionUrlEvent(event)
    assert (parsed.http_method, parsed.path, parsed.raw_query_string) == (
        "POST",
        "/v1/chat/completions",
        "x=1&x=2",
    )
    assert parsed.query_string_parameters == {"x": "1,2"}
    assert parsed.headers["x-trace"] == "a,b"
    assert event["cookies"] == ["c=1", "d=2"]
    assert parsed.is_base64_encoded is False
    assert parsed.json_body == {"model": "m"}
    assert parsed.request_context.request_id


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/octet-stream", b"\x00\x01"), ("application/json", b"\xff\xfe not utf-8"), ("", b"abc")],
)
def test_binary_or_undeclared_bodies_are_base64(content_type: str, body: bytes) -> None:
    event = serve.to_event("POST", "/x", [("Content-Type", content_type)] if content_type else [], body)

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_no_body_no_key() -> None:
    event = serve.to_event("GET", "/health", [], b"")

    assert "body" not in event and "queryStringParameters" not in event


def test_response_conversion() -> None:
    status, headers, body = serve.from_response(
        {"statusCode": 429, "headers": {"Retry-After": "2"}, "cookies": ["a=1"], "body": '{"e": 1}'}
    )
    binary = serve.from_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00").decode(), "isBase64Encoded": True}
    )

    assert (status, headers, body) == (429, [("Retry-After", "2"), ("Set-Cookie", "a=1")], b'{"e": 1}')
    assert binary == (200, [], b"\x00")


def test_serve_does_not_import_cdktf() -> None:
    # serve imports the config schema, never the CDK bindings (12 s and 1.3 GB to import).
    code = "import serve, sys; print(any(m.split('.')[0] in ('cdktf', 'jsii', 'constructs') for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ}
    )
    assert out.stdout.strip() == "False"


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"prefix": "x"}))

    assert serve.main(["--config", str(config), "--port", "0"]) == 2
    assert "invalid deployment config" in capsys.readouterr().err
