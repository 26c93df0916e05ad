"""Lambda Function URL events (payload format 2.0, AWS_IAM auth) and a LambdaContext, as AWS sends them.

Shape: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ACCOUNT_ID = "123456789012"
CALLER_ACCOUNT_ID = "111122223333"
URL_ID = "abcdefghijklmnopqrstuvwxyz0123456"  # 32 chars in real URLs; any opaque string works
REGION = "us-east-1"
DEFAULT_CALLER_ARN = (
    f"arn:aws:sts::{CALLER_ACCOUNT_ID}:assumed-role/app-team-role/botocore-session-1700000000"
)


def _iam_authorizer(caller_arn: str) -> dict[str, Any]:
    """``requestContext.authorizer.iam`` for a SigV4-signed caller (user or assumed role)."""
    account = caller_arn.split(":")[4]
    if ":assumed-role/" in caller_arn:
        # Roles: callerId/userId are "<role id>:<session name>", keys are temporary (ASIA...).
        session = caller_arn.rsplit("/", 1)[1]
        caller_id = f"AROAEXAMPLEROLEID1234:{session}"
        access_key = "ASIAEXAMPLEACCESSKEY"
    else:
        caller_id = "AIDAEXAMPLEUSERID1234"
        access_key = "AKIAEXAMPLEACCESSKEY"
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": account,
            "callerId": caller_id,
            "cognitoIdentity": None,
            "principalOrgId": "o-exampleorgid",
            "userArn": caller_arn,
            "userId": caller_id,
        }
    }


def make_event(
    method: str,
    path: str,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    caller_arn: str = DEFAULT_CALLER_ARN,
    is_base64: bool = False,
) -> dict[str, Any]:
    """A Function URL event for ``method path`` (``path`` may carry a ``?query``).

    ``body``: a dict/list is sent as JSON; bytes are base64-encoded (as AWS does for binary
    bodies); ``is_base64`` base64-encodes a text body too.
    """
    split = urlsplit(path)
    raw_path, raw_query = split.path or "/", split.query
    now = time.time()
    request_id = str(uuid.uuid4())

    all_headers = {
        "host": f"{URL_ID}.lambda-url.{REGION}.on.aws",
        "user-agent": "python-requests/2.32.3",
        "accept": "application/json",
        "accept-encoding": "gzip, deflate",
        "x-amz-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)),
        "x-amz-security-token": "FwoGZXIvYXdzEXAMPLETOKEN",
        "x-amzn-trace-id": f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }

    encoded: str | None = None
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
        encoded = base64.b64encode(body).decode("ascii") if is_base64 else body.decode()
    elif isinstance(body, bytes):
        encoded, is_base64 = base64.b64encode(body).decode("ascii"), True
    if body is not None:
        all_headers["content-type"] = "application/json"
        all_headers["content-length"] = str(len(body))
    # AWS lower-cases header names.
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": URL_ID,
            "authentication": None,
            "authorizer": _iam_authorizer(caller_arn),
            "domainName": all_headers["host"],
            "domainPrefix": URL_ID,
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": all_headers["x-forwarded-for"],
                "userAgent": all_headers["user-agent"],
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "pathParameters": None,
        "isBase64Encoded": is_base64,
        "stageVariables": None,
    }
    # AWS omits these keys entirely (rather than sending null) when there is nothing to send.
    if raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if "cookie" in all_headers:
        event["cookies"] = [c.strip() for c in all_headers.pop("cookie").split(";")]
    if encoded is not None:
        event["body"] = encoded
    return event


@dataclass
class FakeLambdaContext:
    """The attributes of ``LambdaContext`` that powertools reads."""

    function_name: str = "llm-inference"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/llm-inference"
    log_stream_name: str = "2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
    timeout_ms: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms
