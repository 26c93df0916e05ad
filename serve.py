#!/usr/bin/env python3
"""Run the inference API's real Lambda handler on 127.0.0.1, for local development.

    ./scripts/serve [--config FILE] [--port N] [--keys-file FILE | --keys-secret-arn ARN]
                    [--caller-arn ARN|self]

Each HTTP request becomes a Lambda Function URL event (payload format 2.0) for
``lambda_src.app.lambda_handler``, one at a time, as one warm Lambda container would take them.
The model inventory comes from the deployment config (written to a local file the handler
reads through ``INVENTORY_FILE``), not from SSM. Models are called with your own AWS
credentials (the usual chain: environment, profile, SSO), and ``AWS_ENDPOINT_URL_*`` variables
redirect them (the tests point them at local fakes). Only 127.0.0.1 is bound.

Third-party API keys come from a local JSON file (``--keys-file``, read again when it changes)
or a real keys secret (``--keys-secret-arn``). ``--caller-arn`` puts an IAM caller into every
event, as the Function URL's IAM authorizer does (``self``: the ARN of your own credentials,
from STS GetCallerIdentity); without it events carry no caller, as with auth ``NONE``, and
runtime overrides are refused. The config's stage, admin principals and override roles apply
as in the deployed function.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from modules.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config

HOST = "127.0.0.1"
# A Function URL refuses invocation payloads above 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
)


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith(("+json", "+xml"))


def to_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    account_id: str = "000000000000",
    caller_arn: str | None = None,
) -> dict[str, Any]:
    """The Function URL event (payload 2.0) for one HTTP request, as AWS builds it for auth NONE,
    or for AWS_IAM with ``caller_arn`` as the signer."""
    split = urlsplit(target)
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    cookies = merged.pop("cookie", None)
    now = time.time()
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": split.path or "/",
        "rawQueryString": split.query,
        "headers": merged,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": merged.get("host", HOST),
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": split.path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": HOST,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if caller_arn:
        event["requestContext"]["authorizer"] = {"iam": _iam_authorizer(caller_arn)}
    if split.query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = [c.strip() for c in cookies.split(";")]
    if body:
        text = None
        if _is_text(merged.get("content-type", "")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
        else:
            event["body"] = text
    return event


def _iam_authorizer(caller_arn: str) -> dict[str, Any]:
    parts = caller_arn.split(":")
    return {
        "accessKey": "ASIALOCALSERVE",
        "accountId": parts[4] if len(parts) > 4 else "",
        "callerId": "local",
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": caller_arn,
        "userId": "local",
    }


def from_response(response: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) from a Function URL response dict."""
    status = int(response.get("statusCode", 200))
    headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
    headers += [("Set-Cookie", c) for c in response.get("cookies") or ()]
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    return status, headers, body


@dataclass
class LocalContext:
    """The LambdaContext attributes powertools reads."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    region: str
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def configure_environment(
    config: DeploymentConfig,
    inventory_file: Path,
    *,
    keys_file: Path | None = None,
    keys_secret_arn: str | None = None,
) -> None:
    """The variables the deployed function gets, for this process; AWS settings you set win."""
    lam = config.lambda_
    os.environ["INVENTORY_FILE"] = str(inventory_file)
    os.environ.pop("INVENTORY_PARAMETER_NAME", None)
    os.environ["STAGE"] = config.stage
    # As the stack does: the admin list and the override roles exist in a dev stage only.
    for name in ("ADMIN_PRINCIPALS", "OVERRIDE_ROLE_ARNS", "KEYS_FILE", "KEYS_SECRET_ARN"):
        os.environ.pop(name, None)
    if config.stage == "dev":
        os.environ["ADMIN_PRINCIPALS"] = ",".join(config.admin_principals)
        os.environ["OVERRIDE_ROLE_ARNS"] = ",".join(config.overrides.allowed_role_arns)
    if keys_file is not None:
        os.environ["KEYS_FILE"] = str(keys_file.resolve())
    elif keys_secret_arn:
        os.environ["KEYS_SECRET_ARN"] = keys_secret_arn
    os.environ["LOG_PROMPTS"] = "true" if config.log_prompts else "false"
    os.environ["POWERTOOLS_SERVICE_NAME"] = config.prefix
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LlmInferenceApi")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", lam.log_level)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("AWS_REGION", config.region)
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])


def make_server(
    port: int, handler: Any, context_factory: Any, caller_arn: str | None = None
) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "llm-inference-api-local"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                self._reply(
                    413,
                    [("Content-Type", "application/json")],
                    b'{"error": {"message": "Request must be smaller than 6291456 bytes", '
                    b'"type": "invalid_request_error", "code": "request_too_large", "param": null}}',
                )
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            event = to_event(self.command, self.path, list(self.headers.items()), body, caller_arn=caller_arn)
            # One request at a time, like one Lambda container.
            with lock:
                response = handler(event, context_factory())
            self._reply(*from_response(response))

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the handler logs every request itself, as JSON

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    return server


_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(user|role|assumed-role|federated-user)/\S+$")


def _own_arn(region: str) -> str | None:
    """The ARN of the credentials this process would call AWS with."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn = boto3.client("sts", region_name=os.environ.get("AWS_REGION", region)).get_caller_identity()[
            "Arn"
        ]
    except (BotoCoreError, ClientError) as err:
        print(f"error: --caller-arn self: sts:GetCallerIdentity failed: {err}", file=sys.stderr)
        return None
    return str(arn)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="deployment config (JSON)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--keys-file", type=Path, help="third-party API keys: a local JSON object file")
    keys.add_argument(
        "--keys-secret-arn",
        help="third-party API keys: the ARN of a Secrets Manager secret holding a JSON object",
    )
    parser.add_argument(
        "--caller-arn",
        help="IAM principal put into each event as the caller (self: your credentials' ARN); "
        "without it, events have no caller and runtime overrides are refused",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.keys_file is not None and not args.keys_file.is_file():
        parser.error(f"--keys-file {args.keys_file}: no such file")
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"error: invalid deployment config\n{err}", file=sys.stderr)
        return 2
    caller = args.caller_arn
    if caller == "self":
        caller = _own_arn(config.region)
        if caller is None:
            return 1
    if caller and not _ARN.match(caller):
        parser.error("--caller-arn must be an IAM user or role ARN, an assumed-role session ARN, or 'self'")

    with tempfile.TemporaryDirectory(prefix="llm-serve-") as tmp:
        inventory = config.inventory()
        inventory_file = Path(tmp) / "inventory.json"
        inventory_file.write_text(inventory.to_json())
        configure_environment(
            config, inventory_file, keys_file=args.keys_file, keys_secret_arn=args.keys_secret_arn
        )
        from lambda_src.app import lambda_handler  # after the environment is set

        lam = config.lambda_

        def context() -> LocalContext:
            ctx = LocalContext(
                f"{config.prefix}-inference-api", lam.memory_mb, lam.timeout_seconds, config.region
            )
            ctx._deadline = time.monotonic() + lam.timeout_seconds
            return ctx

        try:
            server = make_server(args.port, lambda_handler, context, caller)
        except OSError as err:
            print(f"error: cannot listen on {HOST}:{args.port}: {err.strerror}", file=sys.stderr)
            return 1
        signal.signal(signal.SIGTERM, _stop)
        port = server.server_address[1]
        print(
            f"serving {len(inventory.models)} model(s) of {args.config} (stage {config.stage}, caller "
            f"{caller or 'none'}) on http://{HOST}:{port} (OpenAI base URL http://{HOST}:{port}/v1); "
            "Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
