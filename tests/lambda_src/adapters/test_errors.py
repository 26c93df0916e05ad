from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from lambda_src.adapters.errors import map_aws_error, scrub
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

BEDROCK = ModelSpec(
    id="claude", provider="bedrock", model="anthropic.claude-3-haiku-20240307-v1:0", region="eu-west-3"
)
SAGEMAKER = ModelSpec(id="tgi", provider="sagemaker", model="endpoint")


def _client_error(
    code: str, status: int, message: str = "msg", operation: str = "Converse", **extra: Any
) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("err", "spec", "expected"),
    [
        (_client_error("AccessDeniedException", 403), BEDROCK, AccessDeniedError),
        (_client_error("UnrecognizedClientException", 403), BEDROCK, AccessDeniedError),
        (_client_error("AccessDenied", 403, operation="AssumeRole"), SAGEMAKER, AccessDeniedError),
        (_client_error("ThrottlingException", 429), BEDROCK, RateLimitError),
        (_client_error("ThrottlingException", 400, operation="InvokeEndpoint"), SAGEMAKER, RateLimitError),
        (_client_error("ServiceQuotaExceededException", 400), BEDROCK, RateLimitError),
        (_client_error("ValidationException", 400), BEDROCK, InvalidRequestError),
        (
            _client_error("ValidationError", 400, "Endpoint x of account 123456789012 not found."),
            SAGEMAKER,
            ServiceUnavailableError,
        ),
        (_client_error("ValidationError", 400, "Input is too long"), SAGEMAKER, InvalidRequestError),
        (_client_error("ResourceNotFoundException", 404), BEDROCK, ModelNotFoundError),
        (_client_error("ModelNotReadyException", 429), BEDROCK, ServiceUnavailableError),
        (_client_error("ServiceUnavailableException", 503), BEDROCK, ServiceUnavailableError),
        (
            _client_error("ServiceUnavailable", 503, operation="InvokeEndpoint"),
            SAGEMAKER,
            ServiceUnavailableError,
        ),
        (_client_error("ModelTimeoutException", 408), BEDROCK, UpstreamTimeoutError),
        (_client_error("ModelErrorException", 424), BEDROCK, UpstreamError),
        (_client_error("ModelError", 424, OriginalStatusCode=500), SAGEMAKER, UpstreamError),
        (
            _client_error("ModelError", 424, OriginalStatusCode=422, OriginalMessage="too long"),
            SAGEMAKER,
            InvalidRequestError,
        ),
        (_client_error("InternalServerException", 500), BEDROCK, UpstreamError),
        (
            _client_error("InternalDependencyException", 530, operation="InvokeEndpoint"),
            SAGEMAKER,
            UpstreamError,
        ),
        (_client_error("SomethingNew", 418), BEDROCK, UpstreamError),
        (ReadTimeoutError(endpoint_url="http://x"), BEDROCK, UpstreamTimeoutError),
        (ConnectTimeoutError(endpoint_url="http://x"), BEDROCK, UpstreamTimeoutError),
        (EndpointConnectionError(endpoint_url="http://x"), BEDROCK, UpstreamError),
        (ResponseParserError("bad"), BEDROCK, UpstreamError),
        (
            ParamValidationError(report="Invalid length for parameter messages[0].content, value: 0"),
            BEDROCK,
            InvalidRequestError,
        ),
        (NoCredentialsError(), BEDROCK, ConfigurationError),
    ],
)
def test_each_aws_failure_maps_to_its_api_error(
    err: Exception, spec: ModelSpec, expected: type[ApiError]
) -> None:
    mapped = map_aws_error(err, spec)

    assert type(mapped) is expected
    assert mapped.reason


def test_access_denied_on_bedrock_states_the_access_prerequisites() -> None:
    err = _client_error(
        "AccessDeniedException", 403, "User: arn:aws:sts::123456789012:assumed-role/fn is not authorized"
    )

    mapped = map_aws_error(err, BEDROCK)

    assert "Marketplace" in mapped.message and "first-use form" in mapped.message
    assert "eu-west-3" in mapped.message
    assert "123456789012" not in mapped.message
    assert "arn:aws" not in mapped.message


def test_validation_messages_are_echoed_without_arns_or_accounts() -> None:
    message = "Invocation of arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc failed for account 123456789012"

    mapped = map_aws_error(_client_error("ValidationException", 400, message), BEDROCK)

    assert mapped.message.endswith("Invocation of <arn> failed for account <account>")


def test_param_validation_names_params_but_not_values() -> None:
    err = ParamValidationError(
        report="Invalid type for parameter messages[0].content[0].text, value: SECRET-PROMPT"
    )

    mapped = map_aws_error(err, BEDROCK)

    assert "messages[0].content[0].text" in mapped.message
    assert "SECRET-PROMPT" not in mapped.message


def test_scrub_bounds_the_length() -> None:
    assert len(scrub("x" * 5000)) == 500
