"""serve.py: the app behind a local stand-in for the Lambda Web Adapter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import serve
from modules.config import DeploymentConfig
from tests.fakes.asgi import call_app
from tests.fakes.control_plane import FakeSts


async def _echo_context(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that answers with the context headers it was given."""
    found = [[k.decode(), v.decode()] for k, v in scope["headers"] if k.startswith(b"x-amzn-")]
    body = json.dumps(found).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


def _context_through(adapter: serve.LocalAdapter, headers: dict[str, str]) -> dict[str, list[Any]]:
    status, _, body = call_app(adapter, "GET", "/v1/models", headers=headers)
    assert status == 200
    seen: dict[str, list[Any]] = {}
    for name, value in json.loads(body):
        seen.setdefault(name, []).append(json.loads(value))
    return seen


def test_the_local_adapter_replaces_client_context_headers_with_its_own() -> None:
    caller = "arn:aws:sts::111122223333:assumed-role/app/bob"
    adapter = serve.LocalAdapter(_echo_context, caller_arn=caller, timeout_seconds=30, function_arn="arn:f")
    forged = {"authorizer": {"iam": {"userArn": "arn:aws:iam::111122223333:role/Admin"}}}

    seen = _context_through(
        adapter,
        {"x-amzn-request-context": json.dumps(forged), "X-Amzn-Lambda-Context": json.dumps({"deadline": 1})},
    )

    [context] = seen["x-amzn-request-context"]
    assert context["authorizer"]["iam"]["userArn"] == caller
    assert context["authorizer"]["iam"]["accountId"] == "111122223333"
    [lambda_context] = seen["x-amzn-lambda-context"]
    assert lambda_context["request_id"] == context["requestId"]
    assert lambda_context["deadline"] > (time.time() + 20) * 1000  # the config's timeout, not the client's


SAFE = serve.LocalAdapter(_echo_context, caller_arn=None, timeout_seconds=30, function_arn="arn:f", port=8123)


@pytest.mark.parametrize(
    ("headers", "status", "why"),
    [
        ({"host": "evil.example:8123"}, 400, "Host"),  # DNS rebinding
        ({"host": "127.0.0.1:9999"}, 400, "Host"),
        ({}, 400, "Host"),
        ({"host": "127.0.0.1:8123", "origin": "https://evil.example"}, 403, "other sites"),
        ({"host": "localhost:8123", "origin": "null"}, 403, "other sites"),
        (
            {
                "host": "127.0.0.1:8123",
                "content-type": "application/x-www-form-urlencoded",
                "content-length": "5",
            },
            415,
            "application/json",
        ),
        (
            {"host": "127.0.0.1:8123", "content-type": "text/plain", "content-length": "5"},
            415,
            "application/json",
        ),
        (
            {"host": "127.0.0.1:8123", "content-type": "application/json", "content-length": "-40"},
            400,
            "Content-Length",
        ),
        (
            {"host": "127.0.0.1:8123", "content-type": "application/json", "content-length": "1e9"},
            400,
            "Content-Length",
        ),
    ],
)
def test_the_local_server_refuses_what_a_web_page_could_send(
    headers: dict[str, str], status: int, why: str
) -> None:
    # call_app adds its own Content-Length; these checks read the headers sent, so they are built here.
    scope_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    import asyncio

    asyncio.run(
        SAFE(
            {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": scope_headers},
            receive,
            send,
        )
    )
    assert sent[0]["status"] == status
    error = json.loads(sent[1]["body"])["error"]
    assert why in error["message"]


def test_the_local_server_serves_its_own_pages() -> None:
    ok = {"host": "127.0.0.1:8123", "origin": "http://127.0.0.1:8123", "content-type": "application/json"}
    status, _, _ = call_app(SAFE, "POST", "/v1/chat/completions", b"{}", ok)
    assert status == 200
    status, _, _ = call_app(SAFE, "GET", "/v1/models", headers={"host": "localhost:8123"})
    assert status == 200


def test_without_a_caller_the_context_has_no_authorizer() -> None:
    adapter = serve.LocalAdapter(_echo_context, caller_arn=None, timeout_seconds=30, function_arn="arn:f")
    [context] = _context_through(adapter, {})["x-amzn-request-context"]
    assert "authorizer" not in context


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
