"""serve.py: HTTP requests become Function URL events, handler responses become HTTP responses."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent

import serve
from modules.config import DeploymentConfig
from tests.fakes.control_plane import FakeSts


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


ADMIN = "arn:aws:iam::111122223333:role/Admin"
ROLE = "arn:aws:iam::444455556666:role/experiments"


def test_a_caller_arn_becomes_the_iam_authorizer_of_each_event() -> None:
    caller = "arn:aws:sts::111122223333:assumed-role/Admin/alice"

    event = serve.to_event("GET", "/v1/models", [], b"", caller_arn=caller)

    assert event["requestContext"]["authorizer"]["iam"]["userArn"] == caller
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == "111122223333"
    assert "authorizer" not in serve.to_event("GET", "/v1/models", [], b"")["requestContext"]


def _config(stage: str, **extra: Any) -> DeploymentConfig:
    document = {"prefix": "xx", "region": "us-east-1", "stage": stage, "admin_principals": [ADMIN], **extra}
    return DeploymentConfig.model_validate_json(json.dumps(document))


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure_environment writes os.environ: give it a copy the test restores."""
    monkeypatch.setattr(os, "environ", dict(os.environ))


@pytest.mark.usefixtures("environ")
def test_overrides_reach_the_handler_in_dev_only(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    serve.configure_environment(
        _config("dev", overrides={"allowed_role_arns": [ROLE]}), tmp_path / "i.json", keys_file=keys
    )
    assert (os.environ["STAGE"], os.environ["ADMIN_PRINCIPALS"], os.environ["OVERRIDE_ROLE_ARNS"]) == (
        "dev",
        ADMIN,
        ROLE,
    )
    assert os.environ["KEYS_FILE"] == str(keys.resolve())

    serve.configure_environment(
        _config("prod"), tmp_path / "i.json", keys_secret_arn="arn:aws:secretsmanager:x"
    )

    assert os.environ["STAGE"] == "prod"
    assert "ADMIN_PRINCIPALS" not in os.environ and "OVERRIDE_ROLE_ARNS" not in os.environ
    assert "KEYS_FILE" not in os.environ and os.environ["KEYS_SECRET_ARN"] == "arn:aws:secretsmanager:x"


def test_caller_self_is_the_arn_of_your_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSts(caller_arn="arn:aws:sts::111122223333:assumed-role/Admin/me") as sts:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSERVE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
        monkeypatch.delenv("AWS_PROFILE", raising=False)

        assert serve._own_arn("us-east-1") == "arn:aws:sts::111122223333:assumed-role/Admin/me"


@pytest.mark.parametrize(
    "args",
    [["--caller-arn", "alice"], ["--keys-file", "/nonexistent/keys.json"]],
    ids=["bad-caller", "no-keys-file"],
)
def test_bad_flags_exit_2(tmp_path: Path, args: list[str]) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"prefix": "xx", "region": "us-east-1"}))

    with pytest.raises(SystemExit) as caught:
        serve.main(["--config", str(config), "--port", "0", *args])

    assert caught.value.code == 2
