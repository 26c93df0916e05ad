"""An independent SigV4 verifier, written from the AWS Signature Version 4 specification.

It shares no code with botocore, so a request that passes here was signed correctly, not merely
signed the way botocore would have signed it. Used by the loopback servers that stand in for a
Function URL.

Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
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

    canonical_headers = "".join(f"{h}:{' '.join(lower[h].split())}\n" for h in signed)
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    scope = f"{m.group('date')}/{m.group('region')}/{m.group('service')}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{secret}".encode(), m.group("date"))
    for part in (m.group("region"), m.group("service"), "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, m.group("sig")):
        raise SignatureMismatch("the signature does not match the request")
    return Verified(m.group("key"), m.group("region"), m.group("service"), signed)
