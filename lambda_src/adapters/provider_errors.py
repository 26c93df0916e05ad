"""Turn what a third-party SDK raises (openai, anthropic, cohere, httpx) into the API's errors.

The SDKs are not imported: errors are recognized by their HTTP status (``status_code`` on the
error or on its ``response``) and by class name for timeouts and connection failures, so this
module stays importable without the provider layer. Only a 400-class rejection of the request
echoes the provider's message, with every value of the keys secret removed (also URL-encoded,
JSON-escaped or in another letter case), ARNs and account ids masked, and the length bounded;
``reason`` (logged) has the status and class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from lambda_src.adapters.errors import scrub
from lambda_src.exceptions import (
    AccessDeniedError,
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
)
from lambda_src.inventory import ModelSpec

_TIMEOUTS = ("Timeout",)
_CONNECTION = ("ConnectionError", "ConnectError", "RequestError", "NetworkError", "RemoteProtocolError")


def status_of(err: BaseException) -> int | None:
    for holder in (err, getattr(err, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


def upstream_message(err: BaseException) -> str:
    """The provider's own error message, if it sent one."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
    message = getattr(err, "message", None)
    return message if isinstance(message, str) else ""


def _forms(secret: str) -> list[str]:
    """``secret`` as it may appear in a message: as is, URL-encoded (either way), JSON-escaped;
    longest first, so a form is replaced whole before a shorter one inside it."""
    escaped = json.dumps(secret)[1:-1]
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        escaped,
        escaped.replace("/", "\\/"),
    }
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets`` in any of their common encodings, in any letter case."""
    for secret in secrets:
        if secret:
            for form in _forms(secret):
                text = re.sub(re.escape(form), "<redacted>", text, flags=re.IGNORECASE)
    return text


def map_provider_error(err: BaseException, spec: ModelSpec, *, secrets: Iterable[str] = ()) -> ApiError:
    kind = type(err).__name__
    names = [c.__name__ for c in type(err).__mro__]
    status = status_of(err)
    reason = f"{spec.provider} {kind}" + (f" (HTTP {status})" if status else "")
    if status is None:
        if any(t in n for n in names for t in _TIMEOUTS):
            return UpstreamTimeoutError(f"model {spec.id!r} did not answer in time", reason=reason)
        if any(n in _CONNECTION or n.endswith("ConnectionError") for n in names):
            return UpstreamError(f"the service of model {spec.id!r} cannot be reached", reason=reason)
        return UpstreamError(
            f"model {spec.id!r} failed or answered something that cannot be understood", reason=reason
        )
    return _by_status(status, err, spec, reason, secrets)


def _by_status(
    status: int, err: BaseException, spec: ModelSpec, reason: str, secrets: Iterable[str]
) -> ApiError:
    if status == 401:
        return ConfigurationError(
            f"the {spec.provider} API refused the API key configured for model {spec.id!r}; "
            "check the key in the API-keys secret",
            reason=reason,
        )
    if status == 403:
        return AccessDeniedError(
            f"the {spec.provider} API denied access to model {spec.id!r}; check that the key's account "
            "may use this model",
            reason=reason,
        )
    if status == 404:
        return ModelNotFoundError(
            f"model {spec.id!r} is not available from {spec.provider}; "
            "check its name in the deployment config",
            reason=reason,
        )
    if status == 429:
        return RateLimitError(
            f"model {spec.id!r} is receiving too many requests; retry after a short wait", reason=reason
        )
    if status in (408, 504):
        return UpstreamTimeoutError(f"model {spec.id!r} did not answer in time", reason=reason)
    if 400 <= status < 500:
        detail = scrub(redact(upstream_message(err), secrets))
        return InvalidRequestError(
            f"model {spec.id!r} rejected the request: {detail or 'invalid request'}", reason=reason
        )
    if status in (503, 529):
        return ServiceUnavailableError(f"model {spec.id!r} is not ready to serve; retry later", reason=reason)
    return UpstreamError(f"the service of model {spec.id!r} failed; retry later", reason=reason)
