"""Turn botocore's exceptions from a model call into the API's errors.

Upstream messages are echoed only where they describe the request (validation errors), with ARNs
and account ids masked; everything else gets a message of ours. ``reason`` (logged, never sent)
names the service's error code and HTTP status.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

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

# Everything a botocore call raises for a failed call (the parser's error is no BotoCoreError).
# RecursionError: a body nested deeper than a parser can follow (json, botocore's parsers).
UPSTREAM_EXCEPTIONS = (BotoCoreError, ClientError, ResponseParserError, RecursionError)

_ARN = re.compile(r"arn:aws[a-z-]*:[^\s\"',;)]+")
_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_MAX_ECHO = 500
_THROTTLED = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceQuotaExceededException"}
)
_DENIED = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    }
)
_NOT_READY = frozenset({"ModelNotReadyException", "ServiceUnavailableException", "ServiceUnavailable"})
_SERVER = frozenset({"InternalServerException", "InternalFailure", "InternalDependencyException"})
_NOT_IN_SERVICE = re.compile(r"Endpoint .* (not found|is not in service|status)", re.IGNORECASE)
_PARAM = re.compile(r"parameter ([A-Za-z0-9_.\[\]]+)")


def scrub(message: str) -> str:
    """An upstream message fit to show a client: no ARNs, no account ids, bounded length."""
    cleaned = _ACCOUNT.sub("<account>", _ARN.sub("<arn>", message)).strip()
    return cleaned if len(cleaned) <= _MAX_ECHO else cleaned[: _MAX_ECHO - 3] + "..."


def _where(spec: ModelSpec) -> str:
    return f" in region {spec.region}" if spec.region else ""


def map_aws_error(err: Exception, spec: ModelSpec) -> ApiError:
    """The API error for ``err``, raised by the call to ``spec``'s service."""
    if isinstance(err, ClientError):
        return _client_error(err, spec)
    kind = type(err).__name__
    if isinstance(err, ReadTimeoutError | ConnectTimeoutError):
        return UpstreamTimeoutError(f"model {spec.id!r} did not answer in time", reason=kind)
    if isinstance(err, ParamValidationError):
        params = sorted(set(_PARAM.findall(str(err))))
        shown = f" ({', '.join(params[:5])})" if params else ""
        return InvalidRequestError(
            f"the request cannot be sent to model {spec.id!r}: invalid parameter{shown}", reason=kind
        )
    if isinstance(err, ResponseParserError | RecursionError):
        return UpstreamError(f"model {spec.id!r} returned a response that cannot be parsed", reason=kind)
    if isinstance(err, EndpointConnectionError):
        return UpstreamError(f"the service of model {spec.id!r} cannot be reached", reason=kind)
    if isinstance(err, NoCredentialsError | PartialCredentialsError | NoRegionError):
        return ConfigurationError(
            "the function has no AWS credentials or region to call models with", reason=kind
        )
    if isinstance(err, BotoCoreError):
        return UpstreamError(f"the call to model {spec.id!r} failed", reason=kind)
    return UpstreamError(f"the call to model {spec.id!r} failed", reason=kind)


def _client_error(err: ClientError, spec: ModelSpec) -> ApiError:
    response: dict[str, Any] = err.response or {}
    error = response.get("Error", {}) or {}
    code = str(error.get("Code") or "Unknown")
    # Exception events in a response stream name their type in lower camel case
    # (throttlingException, modelStreamErrorException): compare them as the API's own codes.
    code = code[:1].upper() + code[1:]
    message = str(error.get("Message") or "")
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    reason = f"{err.operation_name} {code} (HTTP {status})"

    if err.operation_name == "AssumeRole":
        if code in _THROTTLED:
            return RateLimitError(
                f"the role of model {spec.id!r} cannot be assumed right now (STS throttled); retry shortly",
                reason=reason,
            )
        if status >= 500 or code in _SERVER or code in _NOT_READY:
            return _with_retry_after(
                ServiceUnavailableError(
                    f"the role of model {spec.id!r} cannot be assumed right now (STS failed); retry later",
                    reason=reason,
                )
            )
        return AccessDeniedError(
            f"the role configured for model {spec.id!r} cannot be assumed; check its trust policy, "
            "the external id and the function's sts:AssumeRole permission",
            reason=reason,
        )
    if code in _THROTTLED:
        return RateLimitError(
            f"model {spec.id!r} is receiving too many requests; retry after a short wait", reason=reason
        )
    if code in _DENIED or status == 403:
        return AccessDeniedError(_denied_message(spec), reason=reason)
    if code == "ResourceNotFoundException":
        return ModelNotFoundError(
            f"model {spec.id!r} is not available from {spec.provider}{_where(spec)}; "
            "check its identifier in the deployment config",
            reason=reason,
        )
    if code in ("ValidationException", "ValidationError"):
        if spec.provider == "sagemaker" and _NOT_IN_SERVICE.search(message):
            return ServiceUnavailableError(
                f"the SageMaker endpoint of model {spec.id!r} is not in service "
                "(missing, creating or updating)",
                reason=reason,
            )
        return InvalidRequestError(
            f"model {spec.id!r} rejected the request: {scrub(message) or 'invalid request'}", reason=reason
        )
    if code in _NOT_READY or status == 503:
        return ServiceUnavailableError(f"model {spec.id!r} is not ready to serve; retry later", reason=reason)
    if code == "ModelTimeoutException" or status in (408, 504):
        return UpstreamTimeoutError(f"model {spec.id!r} did not answer in time", reason=reason)
    if code in ("ModelErrorException", "ModelError"):
        return _model_error(err, spec, reason)
    if code in _SERVER or status >= 500:
        return UpstreamError(f"the service of model {spec.id!r} failed; retry later", reason=reason)
    return UpstreamError(f"the call to model {spec.id!r} failed", reason=reason)


def _model_error(err: ClientError, spec: ModelSpec, reason: str) -> ApiError:
    # The model's own container answered with an error; its 4xx describe the request.
    response: dict[str, Any] = err.response or {}
    original = response.get("OriginalStatusCode") or response.get("originalStatusCode")
    text = response.get("OriginalMessage") or response.get("Error", {}).get("Message") or ""
    try:
        original_status = int(original) if original is not None else 0
    except (TypeError, ValueError):
        original_status = 0
    if original_status == 429:
        # The container is overloaded (TGI answers 429 when its queue is full).
        return RateLimitError(f"model {spec.id!r} is overloaded; retry after a short wait", reason=reason)
    if original_status == 503:
        return _with_retry_after(
            ServiceUnavailableError(f"model {spec.id!r} is not ready to serve; retry later", reason=reason)
        )
    if 400 <= original_status < 500:
        return InvalidRequestError(
            f"model {spec.id!r} rejected the request: {scrub(str(text)) or 'invalid request'}",
            reason=f"{reason} original status {original_status}",
        )
    return UpstreamError(
        f"model {spec.id!r} failed while processing the request",
        reason=f"{reason} original status {original_status or 'unknown'}",
    )


def _with_retry_after(err: ApiError, seconds: int = 2) -> ApiError:
    err.retry_after = seconds
    return err


def _denied_message(spec: ModelSpec) -> str:
    if spec.provider == "bedrock":
        return (
            f"access to model {spec.id!r} in region {spec.region or 'of the function'} was denied. The "
            "function's role must be allowed to invoke it and no SCP may deny it. A third-party model's "
            "first use subscribes the account through AWS Marketplace, which needs a payment method on "
            "the account, Anthropic's one-time first-use form, and either an operator's one-time "
            "subscription (scripts/preflight --subscribe) or bedrock.grant_marketplace_subscribe for the "
            "function's role; after a fix, allow a few minutes"
        )
    return f"access to model {spec.id!r} was denied; check the function's role and the model's permissions"
