from __future__ import annotations

import json

import pytest

from lambda_src import request_context
from lambda_src.exceptions import (
    AccessDeniedError,
    ApiError,
    ConfigurationError,
    InvalidRequestError,
    MethodNotAllowedError,
    ModelNotFoundError,
    NotImplementedRouteError,
    UnknownRouteError,
)
from lambda_src.responses import error_response


@pytest.mark.parametrize(
    ("cls", "status", "type_", "code"),
    [
        (InvalidRequestError, 400, "invalid_request_error", None),
        (AccessDeniedError, 403, "permission_error", "access_denied"),
        (ModelNotFoundError, 404, "invalid_request_error", "model_not_found"),
        (UnknownRouteError, 404, "invalid_request_error", "unknown_url"),
        (MethodNotAllowedError, 405, "invalid_request_error", "method_not_allowed"),
        (NotImplementedRouteError, 501, "server_error", "not_implemented"),
    ],
)
def test_each_error_maps_to_its_openai_error(
    cls: type[ApiError], status: int, type_: str, code: str | None
) -> None:
    response = error_response(cls("something went wrong", param="messages"))

    assert issubclass(cls, ApiError)
    assert response.status_code == status
    assert response.media_type == "application/json"
    assert json.loads(response.body) == {
        "error": {"message": "something went wrong", "type": type_, "code": code, "param": "messages"}
    }


def test_subclasses_do_not_change_the_base() -> None:
    assert (ApiError.status, ApiError.type, ApiError.code) == (500, "server_error", None)


def test_a_subclass_without_keywords_inherits_its_mapping() -> None:
    class GuardrailDenied(AccessDeniedError): ...

    class Throttled(ApiError, status=429, type="rate_limit_error", code="rate_limit_exceeded"): ...

    assert (GuardrailDenied.status, GuardrailDenied.type, GuardrailDenied.code) == (
        403,
        "permission_error",
        "access_denied",
    )
    assert (Throttled.status, Throttled.code, Throttled.should_retry) == (429, "rate_limit_exceeded", None)
    assert (AccessDeniedError.status, ApiError.status) == (403, 500)


def test_a_configuration_error_tells_callers_only_where_the_details_are() -> None:
    request_context.bind(request_context.RequestContext("req-1234", None, deadline=0.0))
    try:
        response = error_response(ConfigurationError("secret arn:aws:secretsmanager:x is broken", param="p"))
    finally:
        request_context.bind(None)

    assert response.status_code == 500
    error = json.loads(response.body)["error"]
    assert (error["type"], error["code"]) == ("server_error", "configuration_error")
    assert "request id req-1234" in error["message"] and "arn:" not in error["message"]


def test_reason_stays_out_of_the_response() -> None:
    err = ConfigurationError("public message", reason="ParameterNotFound")

    response = error_response(err)

    assert err.reason == "ParameterNotFound"
    assert "ParameterNotFound" not in str(response.body)


def test_should_retry_header_only_where_declared() -> None:
    assert error_response(NotImplementedRouteError("x")).headers.get("x-should-retry") == "false"
    assert "x-should-retry" not in error_response(ConfigurationError("x")).headers
