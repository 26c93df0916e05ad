"""The httpx SigV4 auth, checked by an independent verifier of the signature on the received request."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import openai
import pytest
from botocore.credentials import Credentials, ReadOnlyCredentials

from operator_tools.sigv4 import SigV4Auth, SigV4Error, region_from_function_url
from tests.fakes.signed_function_url import FakeSignedFunctionUrl
from tests.fakes.sigv4_verifier import SignatureMismatch, verify
from tests.operator_tools.conftest import ACCESS_KEY, SECRET_KEY

SESSION = Credentials("ASIASESSION000000001", "session-secret", token="session-token-value")
SECRETS = {ACCESS_KEY: SECRET_KEY, "ASIASESSION000000001": "session-secret"}


def _signed(auth: SigV4Auth, method: str, url: str, **kwargs: Any) -> httpx.Request:
    request = httpx.Request(method, url, **kwargs)
    auth.sign(request)
    return request


def _verify(request: httpx.Request, body: bytes | None = None) -> Any:
    return verify(
        request.method,
        request.url.raw_path.decode().split("?")[0],
        request.url.query.decode(),
        dict(request.headers),
        request.content if body is None else body,
        SECRETS,
    )


def test_signs_body_and_headers_with_a_session_token() -> None:
    auth = SigV4Auth(region="eu-west-1", credentials=SESSION)
    request = _signed(
        auth, "POST", "https://abc.lambda-url.eu-west-1.on.aws/v1/chat/completions", json={"a": 1}
    )
    verified = _verify(request)
    assert (verified.region, verified.service) == ("eu-west-1", "lambda")
    assert request.headers["x-amz-security-token"] == "session-token-value"
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(request.content).hexdigest()
    assert {"host", "content-type", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"} <= set(
        verified.signed_headers
    )


def test_a_changed_body_or_header_breaks_the_signature() -> None:
    auth = SigV4Auth(region="us-east-1", credentials=SESSION)
    request = _signed(
        auth, "POST", "https://abc.lambda-url.us-east-1.on.aws/v1/chat/completions", json={"a": 1}
    )
    with pytest.raises(SignatureMismatch, match="x-amz-content-sha256 does not match"):
        _verify(request, body=b'{"a": 2}')
    request.headers["content-type"] = "text/plain"
    with pytest.raises(SignatureMismatch, match="signature does not match"):
        _verify(request)


def test_query_strings_and_encoded_paths_are_canonicalized() -> None:
    auth = SigV4Auth(region="us-east-1", credentials=Credentials(ACCESS_KEY, SECRET_KEY))
    request = _signed(auth, "GET", "https://abc.lambda-url.us-east-1.on.aws/v1/models/a b?z=1&a=x y&a=%2F")
    assert "x-amz-security-token" not in request.headers
    assert _verify(request).access_key_id == ACCESS_KEY


def test_credentials_are_reread_for_every_request() -> None:
    class Rotating(Credentials):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(ACCESS_KEY, SECRET_KEY)
            self.keys = iter(
                [(ACCESS_KEY, SECRET_KEY, None), ("ASIASESSION000000001", "session-secret", "t2")]
            )

        def get_frozen_credentials(self) -> ReadOnlyCredentials:
            return ReadOnlyCredentials(*next(self.keys))

    auth = SigV4Auth(region="us-east-1", credentials=Rotating())
    first = _signed(auth, "GET", "https://abc.lambda-url.us-east-1.on.aws/health")
    second = _signed(auth, "GET", "https://abc.lambda-url.us-east-1.on.aws/health")
    assert [_verify(r).access_key_id for r in (first, second)] == [ACCESS_KEY, "ASIASESSION000000001"]


def test_default_credentials_come_from_the_boto3_chain(aws_env: dict[str, str]) -> None:
    request = _signed(SigV4Auth(region="us-east-1"), "GET", "https://abc.lambda-url.us-east-1.on.aws/health")
    assert _verify(request).access_key_id == ACCESS_KEY


def test_refuses_bad_input_and_missing_credentials(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SigV4Error, match="'us_east_1' is not an AWS region"):
        SigV4Auth(region="us_east_1", credentials=SESSION)
    with pytest.raises(SigV4Error, match="service 'Lambda Service'"):
        SigV4Auth(region="us-east-1", service="Lambda Service", credentials=SESSION)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    with pytest.raises(SigV4Error, match="no AWS credentials found"):
        SigV4Auth(region="us-east-1")


def test_region_from_function_url() -> None:
    assert region_from_function_url("https://x1y2z3.lambda-url.ap-southeast-2.on.aws/") == "ap-southeast-2"
    assert region_from_function_url("https://api.example.com/") is None


def test_openai_sdk_sends_signed_requests_through_the_auth() -> None:
    with FakeSignedFunctionUrl(SECRETS) as server:
        client = openai.OpenAI(
            base_url=f"{server.url}/v1",
            api_key="unused",
            max_retries=0,
            http_client=httpx.Client(auth=SigV4Auth(region="us-east-1", credentials=SESSION)),  # type: ignore[arg-type]
        )
        completion = client.chat.completions.create(
            model="claude", messages=[{"role": "user", "content": "hello there"}]
        )
        models = [m.id for m in client.models.list()]
    assert completion.choices[0].message.content == "echo: hello there"
    assert models == ["claude", "mistral-7b"]
    assert [r.problem for r in server.received] == [None, None]
    first = server.received[0]
    assert first.verified is not None and first.verified.service == "lambda"
    assert first.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")  # the SDK's Bearer header is gone
    assert first.json["messages"] == [{"role": "user", "content": "hello there"}]


def test_async_openai_client_is_signed_too() -> None:
    async def call(url: str) -> str | None:
        async with httpx.AsyncClient(auth=SigV4Auth(region="us-east-1", credentials=SESSION)) as http:
            client = openai.AsyncOpenAI(
                base_url=f"{url}/v1",
                api_key="unused",
                max_retries=0,
                http_client=http,  # type: ignore[arg-type]  # accepted at run time, typed as httpx2
            )
            done = await client.chat.completions.create(
                model="claude", messages=[{"role": "user", "content": "hi"}]
            )
            return done.choices[0].message.content

    with FakeSignedFunctionUrl(SECRETS) as server:
        assert asyncio.run(call(server.url)) == "echo: hi"
    assert server.received[0].verified is not None


def test_a_server_with_other_keys_rejects_the_signature() -> None:
    with FakeSignedFunctionUrl({"ASIASESSION000000001": "another-secret"}) as server:
        client = openai.OpenAI(
            base_url=f"{server.url}/v1",
            api_key="unused",
            max_retries=0,
            http_client=httpx.Client(auth=SigV4Auth(region="us-east-1", credentials=SESSION)),  # type: ignore[arg-type]
        )
        with pytest.raises(openai.PermissionDeniedError):
            client.models.list()
    assert server.received[0].problem == "the signature does not match the request"


def test_httpx2_client_the_sdks_own_type_is_signed_too() -> None:
    import httpx2

    from operator_tools.sigv4 import Httpx2SigV4Auth

    with FakeSignedFunctionUrl(SECRETS) as server:
        client = openai.OpenAI(
            base_url=f"{server.url}/v1",
            api_key="unused",
            max_retries=0,
            http_client=httpx2.Client(auth=Httpx2SigV4Auth(region="us-east-1", credentials=SESSION)),
        )
        done = client.chat.completions.create(model="claude", messages=[{"role": "user", "content": "hi"}])
    assert done.choices[0].message.content == "echo: hi"
    assert server.received[0].verified is not None
