"""SigV4 signing for httpx, so any httpx-based client (the OpenAI SDK included) can call the Function URL.

    import httpx, openai
    from operator_tools.sigv4 import SigV4Auth

    client = openai.OpenAI(
        base_url=f"{function_url}/v1",
        api_key="unused",  # the SDK insists on one; the Authorization header is replaced by the signature
        http_client=httpx.Client(auth=SigV4Auth(region="us-east-1")),
    )

``admin_identity=True`` also sends the admin identity that runtime overrides require: an STS
``GetCallerIdentity`` request presigned with the same credentials for the Function URL's region,
valid for a minute, in ``x-llm-api-admin-identity`` (see the README's security model).

Credentials come from the default boto3 chain (environment, profile, SSO, instance role) unless given,
and refreshable credentials are re-read for every request, so long-lived clients keep working.
``Httpx2SigV4Auth`` is the same for ``httpx2.Client``, the type the OpenAI SDK 3.x declares for
``http_client`` (it accepts an ``httpx.Client`` too).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Generator
from typing import Any

import boto3
import httpx
from botocore.auth import SigV4Auth as _BotocoreSigV4
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

from lambda_src.identity_header import AUDIENCE_HEADER, HEADER, STS_VERSION, sts_host

__all__ = ["SigV4Auth", "SigV4Error", "presign_identity", "region_from_function_url"]

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_SERVICE = re.compile(r"^[a-z0-9-]{1,64}$")
_FUNCTION_URL_HOST = re.compile(r"^[a-z0-9]+\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws$")
# Headers the signature covers besides host and the x-amz-* ones botocore adds. Everything else
# (user-agent, accept-encoding, the SDK's retry counters) may change without breaking the signature.
_SIGNED_EXTRA = ("content-type",)
_SET_BY_SIGNING = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


class SigV4Error(Exception):
    """Signing is impossible: no credentials, or a bad region or service name."""


def region_from_function_url(url: str) -> str | None:
    """``https://<id>.lambda-url.<region>.on.aws/`` -> ``<region>``; None for any other host."""
    host = httpx.URL(url).host
    m = _FUNCTION_URL_HOST.match(host)
    return m.group("region") if m else None


IDENTITY_SECONDS = 60


def presign_identity(
    credentials: ReadOnlyCredentials | Credentials,
    region: str,
    audience: str,
    *,
    expires: int = IDENTITY_SECONDS,
) -> str:
    """A presigned STS ``GetCallerIdentity`` URL for ``region``, bound to ``audience`` (the host
    name of the API being called): the value of the admin identity header."""
    url = f"https://{sts_host(region)}/?Action=GetCallerIdentity&Version={STS_VERSION}"
    request = AWSRequest(method="GET", url=url, headers={AUDIENCE_HEADER: audience})
    SigV4QueryAuth(credentials, "sts", region, expires=expires).add_auth(request)
    return str(request.url)


class _Signer:
    """The signing itself, for any request object with ``method``, ``url``, ``headers`` and ``content``."""

    def __init__(
        self,
        region: str,
        service: str,
        credentials: Credentials | None,
        session: Any,
        admin_identity: bool = False,
    ) -> None:
        if not isinstance(region, str) or not _REGION.match(region):
            raise SigV4Error(f"region {region!r} is not an AWS region name (e.g. 'us-east-1')")
        if not isinstance(service, str) or not _SERVICE.match(service):
            raise SigV4Error(f"service {service!r} is not a SigV4 service name (e.g. 'lambda')")
        if credentials is None:
            credentials = (session or boto3.Session()).get_credentials()
        if credentials is None:
            raise SigV4Error(
                "no AWS credentials found: set AWS_PROFILE, run 'aws sso login' or 'aws configure', "
                "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)"
            )
        self.region = region
        self.service = service
        self.credentials = credentials
        self.admin_identity = admin_identity

    def sign(self, request: Any) -> None:
        body: bytes = request.content
        frozen: ReadOnlyCredentials = self.credentials.get_frozen_credentials()
        if self.admin_identity:
            request.headers[HEADER] = presign_identity(frozen, self.region, request.url.host)
        headers = {
            "host": request.headers.get("host") or request.url.netloc.decode("ascii"),
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        }
        for name in _SIGNED_EXTRA:
            if name in request.headers:
                headers[name] = request.headers[name]
        aws_request = AWSRequest(method=request.method, url=str(request.url), data=body, headers=headers)
        _BotocoreSigV4(frozen, self.service, self.region).add_auth(aws_request)
        for name in _SET_BY_SIGNING:
            value = aws_request.headers.get(name)
            if value:
                request.headers[name] = value
            elif name in request.headers:
                del request.headers[name]  # a stale token from an earlier signature


class SigV4Auth(httpx.Auth):
    """An httpx auth that signs each request (method, URL, body and the headers it needs) with SigV4.

    ``credentials``: botocore credentials (refreshable ones are re-read per request); by default those
    of ``session``, or of a new default ``boto3.Session()``. ``admin_identity``: also send the
    presigned identity runtime overrides require.
    """

    requires_request_body = True

    def __init__(
        self,
        region: str,
        service: str = "lambda",
        credentials: Credentials | None = None,
        *,
        session: boto3.Session | None = None,
        admin_identity: bool = False,
    ) -> None:
        self._signer = _Signer(region, service, credentials, session, admin_identity)
        self.region = region
        self.service = service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request) -> None:
        """Add Authorization, X-Amz-Date, X-Amz-Content-Sha256 (and the session token) to ``request``."""
        self._signer.sign(request)


try:
    import httpx2
except ImportError:  # only the OpenAI SDK 3.x brings httpx2
    pass
else:

    class Httpx2SigV4Auth(httpx2.Auth):
        """The same auth for ``httpx2`` clients, the OpenAI SDK 3.x's own HTTP client."""

        requires_request_body = True

        def __init__(
            self,
            region: str,
            service: str = "lambda",
            credentials: Credentials | None = None,
            *,
            session: boto3.Session | None = None,
            admin_identity: bool = False,
        ) -> None:
            self._signer = _Signer(region, service, credentials, session, admin_identity)

        def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
            self._signer.sign(request)
            yield request

    __all__ += ["Httpx2SigV4Auth"]
