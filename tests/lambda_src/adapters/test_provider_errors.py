"""Provider SDK errors -> API errors, recognized by status and class name, with secrets removed."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_src.adapters.provider_errors import map_provider_error
from lambda_src.exceptions import (
    AccessDeniedError,
    ConfigurationError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
)
from lambda_src.inventory import ModelSpec

SPEC = ModelSpec(id="gpt", provider="openai", model="gpt-4o")


class StatusError(Exception):
    def __init__(self, status: int, body: Any = None) -> None:
        super().__init__(f"Error code: {status} - {body}")
        self.status_code = status
        self.body = body


class Response:
    def __init__(self, status: int) -> None:
        self.status_code = status


class HTTPStatusError(Exception):  # httpx's shape: the status is on the response
    def __init__(self, status: int) -> None:
        super().__init__("Error response")
        self.response = Response(status)


class APITimeoutError(Exception):
    pass


class APIConnectionError(Exception):
    pass


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (StatusError(401), ConfigurationError),
        (StatusError(403), AccessDeniedError),
        (StatusError(404), ModelNotFoundError),
        (StatusError(422, {"detail": "bad"}), InvalidRequestError),
        (StatusError(429), RateLimitError),
        (StatusError(408), UpstreamTimeoutError),
        (StatusError(500), UpstreamError),
        (StatusError(503), ServiceUnavailableError),
        (StatusError(529), ServiceUnavailableError),
        (HTTPStatusError(429), RateLimitError),
        (APITimeoutError(), UpstreamTimeoutError),
        (APIConnectionError(), UpstreamError),
        (ValueError("cannot parse"), UpstreamError),
    ],
)
def test_errors_by_status_and_class(err: Exception, kind: type[Exception]) -> None:
    mapped = map_provider_error(err, SPEC)

    assert type(mapped) is kind
    assert mapped.reason is not None and "openai" in mapped.reason


def test_only_rejections_echo_the_provider_message_without_secrets() -> None:
    body = {"error": {"message": "Invalid value for 'x': sk-live-123 in arn:aws:iam::123456789012:role/r"}}

    rejected = map_provider_error(StatusError(400, body), SPEC, secrets=("sk-live-123",))
    unauthorized = map_provider_error(
        StatusError(401, {"error": {"message": "Incorrect API key sk-live-123"}}), SPEC
    )

    assert rejected.message == "model 'gpt' rejected the request: Invalid value for 'x': <redacted> in <arn>"
    assert "sk-live" not in unauthorized.message


@pytest.mark.parametrize(
    "echoed",
    [
        pytest.param("sk-ant/Key+42=", id="as-is"),
        pytest.param("SK-ANT/KEY+42=", id="upper-cased"),
        pytest.param("sk-ant%2FKey%2B42%3D", id="url-encoded"),
        pytest.param("sk-ant%2fkey%2b42%3d", id="url-encoded-lower-hex"),
        pytest.param("sk-ant\\/Key+42=", id="json-escaped-slash"),
    ],
)
def test_a_secret_is_redacted_in_its_common_encodings(echoed: str) -> None:
    # A provider quoting the request back: a key a caller pasted, encoded as it was sent.
    body = {"error": {"message": f"unknown parameter 'q={echoed}'"}}
    secrets = ("sk-ant/Key+42=", "other-provider-key")

    rejected = map_provider_error(StatusError(400, body), SPEC, secrets=secrets)

    assert rejected.message == "model 'gpt' rejected the request: unknown parameter 'q=<redacted>'"
