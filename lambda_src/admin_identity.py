"""A caller's identity the function verifies itself, required for runtime overrides.

The request context names the caller, but anyone allowed ``lambda:InvokeFunction`` on the
function without the ``lambda:InvokedViaFunctionUrl`` condition can hand-build that context.
So an admin also sends, in ``x-llm-api-admin-identity``, an STS ``GetCallerIdentity`` request
presigned with their own credentials (the scheme of Vault's and EKS's IAM authenticators).
The function replays it to STS and accepts the override only when the ARN STS answers is
exactly the caller in the request context.

What the token may be is fixed here, so the function is no relay for arbitrary requests:
``GET https://sts.<the function's region>.<partition suffix>/`` with only the parameters of a
presigned ``GetCallerIdentity`` (``Action``, ``Version`` and the ``X-Amz-*`` signature
parameters), valid for at most :data:`MAX_EXPIRES_SECONDS`, whose signature covers ``host``
and :data:`AUDIENCE_HEADER`, the host name the client called (the Function URL's domain), so a
token made for another deployment or service fails STS's signature check here. Verified tokens
are cached per token (bounded in entries and until they expire); failures are not cached.
``AWS_ENDPOINT_URL_STS`` (the SDKs' endpoint override) changes where the request is sent, not
the host it is signed for.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from lambda_src.exceptions import AccessDeniedError, RateLimitError, ServiceUnavailableError
from lambda_src.identity_header import AUDIENCE_HEADER, HEADER, MAX_EXPIRES_SECONDS, STS_VERSION, sts_host
from lambda_src.lru import Lru
from lambda_src.telemetry import logger

MAX_TOKEN_CHARS = 4096
# Clock skew tolerated on X-Amz-Date, as STS itself allows.
SKEW_SECONDS = 300
STS_TIMEOUT_SECONDS = 5.0
MAX_STS_RESPONSE_BYTES = 64 * 1024
CACHE_ENTRIES = 256
ENDPOINT_OVERRIDE = "AWS_ENDPOINT_URL_STS"

_DATE = "%Y%m%dT%H%M%SZ"
_FIXED = {"Action": "GetCallerIdentity", "Version": STS_VERSION, "X-Amz-Algorithm": "AWS4-HMAC-SHA256"}
_SIGNATURE = ("X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
_OPTIONAL = ("X-Amz-Security-Token",)
HOW = (
    f"send a presigned sts:GetCallerIdentity in the {HEADER} header "
    "(scripts/invoke --admin-identity, or SigV4Auth(..., admin_identity=True))"
)


@dataclass(frozen=True)
class Token:
    query: str
    expires_at: float  # epoch seconds


def _deny(
    reason: str, caller: str | None, message: str = f"runtime overrides need a verified identity: {HOW}"
) -> NoReturn:
    logger.warning("admin identity refused", extra={"caller": caller, "reason": reason})
    raise AccessDeniedError(message, param=HEADER)


def parse(token: str, host: str, *, now: float, caller: str | None = None) -> Token:
    """The token's query string, checked to be a live presigned GetCallerIdentity for ``host``."""
    if len(token) > MAX_TOKEN_CHARS:
        _deny("token too long", caller)
    try:
        url = urlsplit(token)
        pairs = parse_qsl(url.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        _deny("token is not a URL with a query", caller)
    if url.scheme != "https" or url.netloc != host or url.path not in ("", "/") or url.fragment:
        _deny("token is not for this region's STS endpoint", caller)
    params = dict(pairs)
    allowed = {*_FIXED, *_SIGNATURE, *_OPTIONAL}
    if len(params) != len(pairs) or not set(params) <= allowed or not {*_FIXED, *_SIGNATURE} <= set(params):
        _deny("token parameters are not those of a presigned GetCallerIdentity", caller)
    if any(params[k] != v for k, v in _FIXED.items()):
        _deny("token is not a GetCallerIdentity request", caller)
    signed = params["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed or AUDIENCE_HEADER not in signed:
        _deny(f"token does not sign host and {AUDIENCE_HEADER}", caller)
    expires = params["X-Amz-Expires"]
    if not expires.isdigit() or not 1 <= int(expires) <= MAX_EXPIRES_SECONDS:
        _deny(
            "token lifetime out of range",
            caller,
            f"the {HEADER} token may be valid for 1 to {MAX_EXPIRES_SECONDS} seconds",
        )
    try:
        signed_at = datetime.strptime(params["X-Amz-Date"], _DATE).replace(tzinfo=UTC).timestamp()
    except ValueError:
        _deny("token date malformed", caller)
    if signed_at > now + SKEW_SECONDS:
        _deny("token signed in the future", caller)
    expires_at = signed_at + int(expires)
    if expires_at <= now:
        _deny("token expired", caller, f"the {HEADER} token has expired: presign a new one for each request")
    return Token(url.query, expires_at)


# Token digest -> (ARN, epoch expiry).
VERIFIED: Lru[str, tuple[str, float]] = Lru(CACHE_ENTRIES)


def verify(token: str | None, *, caller: str, audience: str | None, region: str, timeout: float) -> str:
    """The caller's ARN as STS confirms it; raises 403 (no, bad or someone else's token), 429 (STS
    throttled) or 503 (STS unreachable or failing)."""
    if not token:
        _deny("no token", caller)
    if not audience:
        _deny("request has no host name to bind the token to", caller)
    try:
        host = sts_host(region)
    except ValueError:
        _deny(f"function region {region!r} unsupported", caller)
    now = time.time()
    parsed = parse(token, host, now=now, caller=caller)
    key = hashlib.sha256(f"{audience}\n{token}".encode()).hexdigest()
    cached = VERIFIED.get(key)
    if cached is not None and cached[1] > now:
        arn = cached[0]
    else:
        arn = _ask_sts(parsed.query, host, audience, min(timeout, STS_TIMEOUT_SECONDS), caller)
        VERIFIED.put(key, (arn, parsed.expires_at))
    if arn != caller:
        logger.warning(
            "admin identity refused",
            extra={"caller": caller, "reason": "token signed by another principal", "verified_arn": arn},
        )
        raise AccessDeniedError(
            f"the identity in {HEADER} is not the principal that signed the request", param=HEADER
        )
    return arn


def _connection(host: str, timeout: float) -> http.client.HTTPConnection:
    override = os.environ.get(ENDPOINT_OVERRIDE, "").strip()
    if not override:
        return http.client.HTTPSConnection(host, timeout=timeout, context=ssl.create_default_context())
    target = urlsplit(override)
    if target.scheme == "http" and target.hostname:
        return http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)
    if target.scheme == "https" and target.hostname:
        return http.client.HTTPSConnection(
            target.hostname, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    raise ServiceUnavailableError(
        f"{ENDPOINT_OVERRIDE} is not an http(s) URL", reason="bad STS endpoint override"
    )


def _ask_sts(query: str, host: str, audience: str, timeout: float, caller: str) -> str:
    unavailable = "the admin identity cannot be verified now (STS did not answer); retry later"
    if timeout <= 0:
        raise ServiceUnavailableError(unavailable, reason="no time left to call STS")
    connection = _connection(host, timeout)
    try:
        connection.request("GET", f"/?{query}", headers={"Host": host, AUDIENCE_HEADER: audience})
        response = connection.getresponse()
        body = response.read(MAX_STS_RESPONSE_BYTES + 1)
        status = response.status
    except (OSError, http.client.HTTPException) as err:
        raise ServiceUnavailableError(unavailable, reason=f"STS: {type(err).__name__}") from None
    finally:
        connection.close()
    if len(body) > MAX_STS_RESPONSE_BYTES:
        raise ServiceUnavailableError(unavailable, reason="STS answer too large")
    fields = _fields(body)
    if status == 200 and fields.get("Arn"):
        return fields["Arn"]
    code = fields.get("Code", "")
    reason = f"STS GetCallerIdentity: HTTP {status} {code}".strip()
    if code in ("Throttling", "ThrottlingException", "RequestLimitExceeded") or status == 429:
        raise RateLimitError(
            "the admin identity cannot be verified now (STS throttled); retry later", reason=reason
        )
    if status >= 500 or status == 200:
        raise ServiceUnavailableError(unavailable, reason=reason)
    _deny(
        reason, caller, f"STS refused the identity in {HEADER} (invalid, expired or not signed for this URL)"
    )


def _fields(body: bytes) -> dict[str, str]:
    """The leaf elements of an STS XML answer by local name (Arn, Code, ...); {} if not XML."""
    try:
        # From the STS host only, at most 64 KiB; expat resolves no external entities and (2.4.1+)
        # bounds entity expansion, so defusedxml would add a dependency for nothing here.
        root = ElementTree.fromstring(body)  # noqa: S314
    except ElementTree.ParseError:
        return {}
    return {el.tag.rsplit("}", 1)[-1]: (el.text or "").strip() for el in root.iter() if len(el) == 0}
