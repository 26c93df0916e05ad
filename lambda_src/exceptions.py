"""Errors the API answers with, each mapped to one OpenAI-shaped JSON error response.

::

    ApiError                        (status, type, code: what the client sees)
    ├── InvalidRequestError         400 invalid_request_error
    ├── AccessDeniedError           403 permission_error / access_denied
    ├── ModelNotFoundError          404 invalid_request_error / model_not_found
    ├── UnknownRouteError           404 invalid_request_error / unknown_url
    ├── MethodNotAllowedError       405 invalid_request_error / method_not_allowed
    ├── RequestTooLargeError        413 invalid_request_error / request_too_large
    ├── RateLimitError              429 rate_limit_error / rate_limit_exceeded (+ Retry-After)
    ├── ConfigurationError          500 server_error / configuration_error
    ├── NotImplementedRouteError    501 server_error / not_implemented
    │   └── ProviderNotSupportedError   501 server_error / provider_not_supported
    ├── UpstreamError               502 server_error / upstream_error
    │   └── AnswerFormatError           502 server_error / response_format_mismatch
    ├── ServiceUnavailableError     503 server_error / service_unavailable
    └── UpstreamTimeoutError        504 server_error / upstream_timeout

``message`` goes into the response body, so it must never contain a secret or a stored
configuration value; ``reason`` is for the log line only (same rule on secrets).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """An error the client receives as ``status`` and an OpenAI error of ``type`` and ``code``."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"
    code: ClassVar[str | None] = None
    # Sent as ``x-should-retry`` (honoured by the OpenAI SDKs) when not None.
    should_retry: ClassVar[bool | None] = None
    # Sent as ``Retry-After`` (seconds) when not None.
    retry_after: int | None = None

    def __init_subclass__(
        cls,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        should_retry: bool | None = None,
        **kwargs: Any,
    ) -> None:
        # Class keywords keep each error to one line; what a subclass omits it inherits.
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if type is not None:
            cls.type = type
        if code is not None:
            cls.code = code
        if should_retry is not None:
            cls.should_retry = should_retry

    def __init__(self, message: str, *, param: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.reason = reason


class InvalidRequestError(ApiError, status=400, type="invalid_request_error"):
    """The request is malformed or names something invalid."""


class AccessDeniedError(ApiError, status=403, type="permission_error", code="access_denied"):
    """The caller, or this deployment, may not use what was asked for."""


class ModelNotFoundError(ApiError, status=404, type="invalid_request_error", code="model_not_found"):
    """The requested model is not in the inventory."""


class UnknownRouteError(ApiError, status=404, type="invalid_request_error", code="unknown_url"):
    """No route has this path."""


class MethodNotAllowedError(ApiError, status=405, type="invalid_request_error", code="method_not_allowed"):
    """The path exists, but not with this method."""


class NotImplementedRouteError(
    ApiError, status=501, type="server_error", code="not_implemented", should_retry=False
):
    """The route is part of the API but not served by this version."""


class ConfigurationError(ApiError, status=500, type="server_error", code="configuration_error"):
    """The deployment is misconfigured (environment, inventory parameter, secrets)."""


class RequestTooLargeError(ApiError, status=413, type="invalid_request_error", code="request_too_large"):
    """The request body is larger than the API accepts."""


class RateLimitError(ApiError, status=429, type="rate_limit_error", code="rate_limit_exceeded"):
    """The upstream service throttled the call, and the retries allowed are spent."""

    retry_after = 2


class ProviderNotSupportedError(NotImplementedRouteError, code="provider_not_supported"):
    """The model's provider is valid in the inventory but not served by this version."""


class UpstreamError(ApiError, status=502, type="server_error", code="upstream_error"):
    """The model's service failed or answered with something that cannot be understood."""


class AnswerFormatError(UpstreamError, code="response_format_mismatch", should_retry=False):
    """The model's answer is not what ``response_format`` asked for."""


class ServiceUnavailableError(ApiError, status=503, type="server_error", code="service_unavailable"):
    """The model or its endpoint is not ready to serve (not in service, scaling, starting)."""


class UpstreamTimeoutError(
    ApiError, status=504, type="server_error", code="upstream_timeout", should_retry=False
):
    """The model's service did not answer in time (after the retries allowed)."""
