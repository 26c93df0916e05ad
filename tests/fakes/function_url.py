"""What the Lambda Web Adapter forwards with each Function URL request: the request context
(payload 2.0, AWS_IAM auth) and the invocation's Lambda context, as JSON headers.

Shapes: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads and the
adapter's ``x-amzn-lambda-context`` (lambda_runtime's Context, serialized).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

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


def request_context(caller_arn: str | None, *, request_id: str | None = None) -> dict[str, Any]:
    """The Function URL's ``requestContext`` (payload 2.0), as the Lambda Web Adapter forwards it
    in ``x-amzn-request-context``; without ``caller_arn``, as for auth ``NONE``."""
    now = time.time()
    host = f"{URL_ID}.lambda-url.{REGION}.on.aws"
    context: dict[str, Any] = {
        "routeKey": "$default",
        "accountId": ACCOUNT_ID,
        "stage": "$default",
        "requestId": request_id or str(uuid.uuid4()),
        "apiId": URL_ID,
        "domainName": host,
        "domainPrefix": URL_ID,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
        "http": {
            "method": "POST",
            "path": "/",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": "python-requests/2.32.3",
        },
    }
    if caller_arn:
        context["authorizer"] = _iam_authorizer(caller_arn)
    return context


def lambda_context(*, timeout_ms: int = 30_000, request_id: str | None = None) -> dict[str, Any]:
    """The invocation's Lambda context as the adapter forwards it in ``x-amzn-lambda-context``."""
    function = "llm-inference"
    return {
        "request_id": request_id or str(uuid.uuid4()),
        "deadline": int(time.time() * 1000) + timeout_ms,
        "invoked_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function}",
        "xray_trace_id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent=53995c3f42cd8ad8;Sampled=1",
        "client_context": None,
        "identity": None,
        "env_config": {
            "function_name": function,
            "memory": 1024,
            "version": "$LATEST",
            "log_stream": "2026/11/29/[$LATEST]0123456789abcdef0123456789abcdef",
            "log_group": f"/aws/lambda/{function}",
        },
    }


def adapter_headers(
    caller_arn: str | None = DEFAULT_CALLER_ARN, *, timeout_ms: int = 30_000, request_id: str | None = None
) -> dict[str, str]:
    """The headers the Lambda Web Adapter adds to a Function URL request (replacing any copy the
    client sent)."""
    request_id = request_id or str(uuid.uuid4())
    return {
        "x-amzn-request-context": json.dumps(request_context(caller_arn, request_id=request_id)),
        "x-amzn-lambda-context": json.dumps(lambda_context(timeout_ms=timeout_ms, request_id=request_id)),
    }
