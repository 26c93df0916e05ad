"""An independent SigV4 verifier, written from the AWS Signature Version 4 specification.

It shares no code with botocore, so a request that passes here was signed correctly, not merely
signed the way botocore would have signed it. Used by the loopback servers that stand in for a
Function URL.

Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<sig>[0-9a-f]{64})$"
)


class SignatureMismatch(Exception):
    """The request's signature is missing, malformed or wrong; ``str()`` says which."""


@dataclass(frozen=True)
class Verified:
    access_key_id: str
    region: str
    service: str
    signed_headers: tuple[str, ...]


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_uri(path: str) -> str:
    # Non-S3 services: each segment URI-encoded twice (the wire path is encoded once already).
    segments = [_uri_encode(_uri_encode(unquote(s))) for s in (path or "/").split("/")]
    return "/".join(segments) or "/"


def canonical_query(query: str) -> str:
    pairs = sorted((_uri_encode(k), _uri_encode(v)) for k, v in parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], signed: tuple[str, ...], payload_hash: str
) -> str:
    canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )


def _signature(secret: str, credential: re.Match[str], amz_date: str, canonical_request: str) -> str:
    date, region, service = credential.group("date", "region", "service")
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    *,
    require: tuple[str, ...] = ("host", "x-amz-date", "x-amz-content-sha256"),
) -> Verified:
    """Check the request's SigV4 signature; ``secrets`` maps access key ids to secret keys."""
    lower = {k.lower(): v for k, v in headers.items()}
    m = _AUTH.match(lower.get("authorization", ""))
    if not m:
        raise SignatureMismatch("missing or malformed Authorization header")
    signed = tuple(m.group("signed").split(";"))
    missing = [h for h in require if h not in signed]
    if "x-amz-security-token" in lower:
        missing += [] if "x-amz-security-token" in signed else ["x-amz-security-token"]
    if missing:
        raise SignatureMismatch(f"headers not signed: {', '.join(missing)}")
    if any(h not in lower for h in signed):
        raise SignatureMismatch("a signed header is absent from the request")
    payload_hash = hashlib.sha256(body).hexdigest()
    if lower.get("x-amz-content-sha256", payload_hash) != payload_hash:
        raise SignatureMismatch("x-amz-content-sha256 does not match the body")
    amz_date = lower.get("x-amz-date", "")
    if amz_date[:8] != m.group("date"):
        raise SignatureMismatch("credential scope date differs from x-amz-date")
    secret = secrets.get(m.group("key"))
    if secret is None:
        raise SignatureMismatch(f"unknown access key id {m.group('key')}")

    canonical_request = _canonical_request(method, path, query, lower, signed, payload_hash)
    expected = _signature(secret, m, amz_date, canonical_request)
    if not hmac.compare_digest(expected, m.group("sig")):
        raise SignatureMismatch("the signature does not match the request")
    return Verified(m.group("key"), m.group("region"), m.group("service"), signed)


_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_CREDENTIAL = re.compile(
    r"^(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request$"
)


def verify_presigned(
    method: str, path: str, query: str, headers: Mapping[str, str], secrets: Mapping[str, str], *, now: float
) -> Verified:
    """Check a presigned (query-string) SigV4 request, as STS checks a presigned GetCallerIdentity:
    the signature, the signed headers' presence, and that ``now`` (epoch seconds) is within
    X-Amz-Date + X-Amz-Expires."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise SignatureMismatch("missing or unknown X-Amz-Algorithm")
    m = _CREDENTIAL.match(params.get("X-Amz-Credential", ""))
    if not m:
        raise SignatureMismatch("missing or malformed X-Amz-Credential")
    amz_date = params.get("X-Amz-Date", "")
    if amz_date[:8] != m.group("date"):
        raise SignatureMismatch("credential scope date differs from X-Amz-Date")
    signed = tuple(params.get("X-Amz-SignedHeaders", "").split(";"))
    lower = {k.lower(): v for k, v in headers.items()}
    if "host" not in signed or any(h not in lower for h in signed):
        raise SignatureMismatch("host is not signed, or a signed header is absent from the request")
    secret = secrets.get(m.group("key"))
    if secret is None:
        raise SignatureMismatch(f"unknown access key id {m.group('key')}")
    signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    if now > signed_at + int(params.get("X-Amz-Expires", "0")):
        raise SignatureMismatch("expired")
    unsigned_query = "&".join(part for part in query.split("&") if not part.startswith("X-Amz-Signature="))
    canonical_request = _canonical_request(method, path, unsigned_query, lower, signed, _EMPTY_SHA256)
    expected = _signature(secret, m, amz_date, canonical_request)
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        raise SignatureMismatch("the signature does not match the request")
    return Verified(m.group("key"), m.group("region"), m.group("service"), signed)
