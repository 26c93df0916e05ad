#!/usr/bin/env python3
"""Run the inference API's ASGI app on 127.0.0.1, for local development.

    ./scripts/serve [--config FILE] [--port N] [--keys-file FILE | --keys-secret-arn ARN]
                    [--caller-arn ARN|self]

This is the app the function runs in Lambda, served by uvicorn as there, minus the Lambda Web
Adapter: a thin layer in front of it plays the adapter's part, removing any request-context
header a client sent and adding its own (the caller, a request id, the deadline of a function
with the config's timeout). The model inventory comes from the deployment config (written to a
local file the app reads through ``INVENTORY_FILE``), not from SSM. Models are called with your
own AWS credentials (the usual chain: environment, profile, SSO), and ``AWS_ENDPOINT_URL_*``
variables redirect them (the tests point them at local fakes). Only 127.0.0.1 is bound.

Third-party API keys come from a local JSON file (``--keys-file``, read again when it changes)
or a real keys secret (``--keys-secret-arn``). ``--caller-arn`` is the IAM caller of every
request, as the Function URL's IAM authorizer would name it (``self``: the ARN of your own
credentials, from STS GetCallerIdentity); without it requests have no caller, as with auth
``NONE``, and runtime overrides are refused. The config's stage, admin principals and override
roles apply as in the deployed function. Unlike a synth, the config may give an
``openai_compatible`` provider a plain-http base URL on a loopback host (a local vLLM server),
and the app is told it may call it (``ALLOW_LOOPBACK_UPSTREAMS``, which no stack sets).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from modules.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config

HOST = "127.0.0.1"
# What the Lambda Web Adapter sets on every request (and removes from what a client sent).
CONTEXT_HEADERS = (b"x-amzn-request-context", b"x-amzn-lambda-context")


def request_context(
    caller_arn: str | None, request_id: str, account_id: str = "000000000000"
) -> dict[str, Any]:
    """The Function URL's request context for one request: with ``caller_arn`` as the IAM
    authorizer's signer, or without an authorizer (auth ``NONE``)."""
    now = time.time()
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": "local",
        "domainName": HOST,
        "domainPrefix": "local",
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if caller_arn:
        parts = caller_arn.split(":")
        context["authorizer"] = {
            "iam": {
                "accessKey": "ASIALOCALSERVE",
                "accountId": parts[4] if len(parts) > 4 else "",
                "callerId": "local",
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": caller_arn,
                "userId": "local",
            }
        }
    return context


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "code": None, "param": None}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LocalAdapter:
    """ASGI middleware playing the Lambda Web Adapter: client copies of the context headers are
    dropped, and each request gets its own context (caller, request id, deadline).

    It also keeps the server safe to leave running: the models are called with the developer's
    own credentials, so only this machine may talk to it. A request whose ``Host`` is not
    127.0.0.1 or localhost with this server's port (DNS rebinding), that comes from another
    site's page (an ``Origin`` other than this server), or whose body is not declared JSON (a
    form post needs no CORS preflight) is refused before the app sees it.
    """

    def __init__(
        self,
        app: Any,
        *,
        caller_arn: str | None,
        timeout_seconds: int,
        function_arn: str,
        port: int | None = None,
    ) -> None:
        self.app = app
        self.caller_arn = caller_arn
        self.timeout_seconds = timeout_seconds
        self.function_arn = function_arn
        self.port = port

    def _refusal(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        if self.port is None:
            return None
        headers: dict[bytes, list[bytes]] = {}
        for key, value in scope["headers"]:
            headers.setdefault(key.lower(), []).append(value)
        allowed_hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        hosts = headers.get(b"host", [])
        if len(hosts) != 1 or hosts[0].decode("latin-1").lower() not in allowed_hosts:
            return 400, f"this local server answers only Host 127.0.0.1:{self.port} or localhost:{self.port}"
        origins = headers.get(b"origin", [])
        allowed_origins = {f"http://{host}" for host in allowed_hosts}
        if any(o.decode("latin-1").lower() not in allowed_origins for o in origins):
            return 403, "requests from other sites' pages are refused by this local server"
        lengths = headers.get(b"content-length", [])
        if len(lengths) > 1 or any(not v.isdigit() for v in lengths):
            return 400, "the Content-Length header must be one whole number of bytes"
        has_body = any(v != b"0" for v in lengths) or bool(headers.get(b"transfer-encoding"))
        kinds = [v.split(b";")[0].strip().lower() for v in headers.get(b"content-type", [])]
        if has_body and kinds != [b"application/json"]:
            return 415, "request bodies must be application/json"
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refused = self._refusal(scope)
            if refused is not None:
                await _refuse(send, *refused)
                return
            request_id = str(uuid.uuid4())
            lambda_context = {
                "request_id": request_id,
                "deadline": int((time.time() + self.timeout_seconds) * 1000),
                "invoked_function_arn": self.function_arn,
            }
            headers = [(k, v) for k, v in scope["headers"] if k.lower() not in CONTEXT_HEADERS]
            headers.append(
                (CONTEXT_HEADERS[0], json.dumps(request_context(self.caller_arn, request_id)).encode())
            )
            headers.append((CONTEXT_HEADERS[1], json.dumps(lambda_context).encode()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


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
    os.environ["ALLOW_LOOPBACK_UPSTREAMS"] = "true"
    os.environ["POWERTOOLS_SERVICE_NAME"] = config.prefix
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LlmInferenceApi")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", lam.log_level)
    os.environ.setdefault("AWS_REGION", config.region)
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])


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
        config = load_config(args.config, local_server=True)
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
        # After the environment is set: the app reads it when imported. With the collector held
        # until the first API request starts its answer, as in Lambda.
        from lambda_src.server import collect_after_first_request, hold_collector, listening_socket, serve

        hold_collector()
        from lambda_src.app import app

        lam = config.lambda_
        function = f"{config.prefix}-inference-api"
        try:
            sock = listening_socket(args.port)
        except OSError as err:
            print(f"error: cannot listen on {HOST}:{args.port}: {err.strerror}", file=sys.stderr)
            return 1
        port = sock.getsockname()[1]
        adapter = LocalAdapter(
            app,
            caller_arn=caller,
            timeout_seconds=lam.timeout_seconds,
            function_arn=f"arn:aws:lambda:{config.region}:000000000000:function:{function}",
            port=port,
        )
        print(
            f"serving {len(inventory.models)} model(s) of {args.config} (stage {config.stage}, caller "
            f"{caller or 'none'}) on http://{HOST}:{port} (OpenAI base URL http://{HOST}:{port}/v1); "
            "Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        try:
            # uvicorn handles SIGINT and SIGTERM: both stop it cleanly.
            serve(collect_after_first_request(adapter), sock)
        finally:
            sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
