"""Who is calling, which invocation this is, and until when it may run.

In Lambda the AWS Lambda Web Adapter forwards the Function URL's request context (the caller's
IAM identity) as the JSON header ``x-amzn-request-context`` and the invocation's Lambda context
(request id, deadline in epoch milliseconds, trace id) as ``x-amzn-lambda-context``. The
adapter *replaces* any copy a client sent: its ``fetch_response`` sets both with
``HeaderMap::insert``, which drops every earlier value (aws/aws-lambda-web-adapter, src/lib.rs,
since pull request #286 / v0.7.2, read 2026-11-29), so a single copy comes from the adapter;
two copies mean something appended a client's header, and the request is refused.
``scripts/serve`` strips client copies and sets its own.

One :class:`RequestContext` per request, in a context variable that worker threads inherit.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

from lambda_src import identity_header
from lambda_src.exceptions import InvalidRequestError

REQUEST_CONTEXT_HEADER = "x-amzn-request-context"
LAMBDA_CONTEXT_HEADER = "x-amzn-lambda-context"
TRACE_HEADER = "x-amzn-trace-id"
CONTEXT_HEADERS = (REQUEST_CONTEXT_HEADER, LAMBDA_CONTEXT_HEADER)
# A context header larger than this is not one the adapter wrote.
MAX_CONTEXT_HEADER_BYTES = 16 * 1024


class RequestContext(NamedTuple):
    request_id: str
    # ``requestContext.authorizer.iam.userArn``: the SigV4 signer; None without IAM auth.
    caller_arn: str | None
    # time.monotonic() value by which the answer must be complete.
    deadline: float
    trace_header: str | None = None
    # ``requestContext.domainName``: the host name the client called.
    domain_name: str | None = None
    # The caller's presigned identity (:mod:`lambda_src.admin_identity`), sent for overrides.
    admin_identity: str | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def current() -> RequestContext | None:
    return _current.get()


def bind(context: RequestContext | None) -> None:
    """Set for the current task (and the threads it starts); each request's task sets its own."""
    _current.set(context)


_READ = frozenset(
    n.encode() for n in (REQUEST_CONTEXT_HEADER, LAMBDA_CONTEXT_HEADER, TRACE_HEADER, identity_header.HEADER)
)


def _read(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, list[bytes]]:
    """The values of the headers this module reads, by name, in one pass over the request's."""
    found: dict[str, list[bytes]] = {}
    for key, value in headers:
        key = key.lower()
        if key in _READ:
            found.setdefault(key.decode("latin-1"), []).append(value)
    return found


def _single(headers: Mapping[str, list[bytes]], name: str) -> str | None:
    values = headers.get(name, ())
    if len(values) > 1:
        raise InvalidRequestError(f"the {name} header may appear once; it is set by the platform")
    if not values:
        return None
    if len(values[0]) > MAX_CONTEXT_HEADER_BYTES:
        raise InvalidRequestError(f"the {name} header is too large")
    return values[0].decode("latin-1")


def _object(raw: str | None, name: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"the {name} header is not a JSON object")
    return value


def _caller(request_context: Mapping[str, Any]) -> str | None:
    authorizer = request_context.get("authorizer")
    iam = authorizer.get("iam") if isinstance(authorizer, Mapping) else None
    arn = iam.get("userArn") if isinstance(iam, Mapping) else None
    return arn if isinstance(arn, str) and arn else None


def from_headers(
    headers: Iterable[tuple[bytes, bytes]], *, default_timeout: float, now: float | None = None
) -> RequestContext:
    """The context of one request; ``default_timeout`` seconds from now when no Lambda context
    gives a deadline."""
    found = _read(headers)
    request_context = _object(_single(found, REQUEST_CONTEXT_HEADER), REQUEST_CONTEXT_HEADER)
    lambda_context = _object(_single(found, LAMBDA_CONTEXT_HEADER), LAMBDA_CONTEXT_HEADER)
    monotonic = time.monotonic()
    wall = time.time() if now is None else now
    deadline = monotonic + default_timeout
    deadline_ms = lambda_context.get("deadline")
    if isinstance(deadline_ms, int | float) and not isinstance(deadline_ms, bool):
        deadline = monotonic + (deadline_ms / 1000 - wall)
    request_id = lambda_context.get("request_id") or request_context.get("requestId")
    trace = lambda_context.get("xray_trace_id")
    if not isinstance(trace, str) or not trace:
        trace = _single(found, TRACE_HEADER)
    return RequestContext(
        request_id=request_id if isinstance(request_id, str) and request_id else str(uuid.uuid4()),
        caller_arn=_caller(request_context),
        deadline=deadline,
        trace_header=trace,
        domain_name=_text(request_context.get("domainName")),
        admin_identity=_single(found, identity_header.HEADER),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
