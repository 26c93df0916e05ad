"""The handlers on a resolver of their own, with routes that fail in the ways the API's will."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, ServiceError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from lambda_src.error_handlers import register_error_handlers
from lambda_src.exceptions import AccessDeniedError
from tests.fakes.function_url import FakeLambdaContext, make_event


class ChatRequest(BaseModel):
    model: str
    max_tokens: int = 16


def _resolver() -> LambdaFunctionUrlResolver:
    app = LambdaFunctionUrlResolver(enable_validation=True)
    register_error_handlers(app, {"/items": ("GET", "POST")}, Logger(service="error-handlers-test"))

    @app.get("/items")
    def list_items(limit: Annotated[int, Query()] = 10) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/items")
    def create_item(request: Annotated[ChatRequest, Body()]) -> dict[str, str]:
        return {"model": request.model}

    @app.get("/denied")
    def denied() -> None:
        raise AccessDeniedError("model access is not enabled for this account")

    @app.get("/powertools-error")
    def powertools_error() -> None:
        raise BadRequestError("bad header")

    @app.get("/upstream")
    def upstream() -> None:
        raise ServiceError(502, "upstream failed")

    @app.get("/crash")
    def crash() -> None:
        raise KeyError("secret-key-material")

    return app


@pytest.fixture
def call() -> Any:
    app = _resolver()

    def call(method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        response = app.resolve(make_event(method, path, body), FakeLambdaContext())
        headers = {k.lower(): v for k, v in response["headers"].items()}
        assert headers["content-type"] == "application/json"
        return response["statusCode"], json.loads(response["body"]), headers

    return call


def test_valid_requests_pass(call: Any) -> None:
    assert call("GET", "/items?limit=3")[:2] == (200, {"limit": 3})
    assert call("POST", "/items", {"model": "m"})[:2] == (200, {"model": "m"})


@pytest.mark.parametrize(
    ("method", "path", "body", "param", "message_part"),
    [
        ("GET", "/items?limit=lots", None, "limit", "invalid value for 'limit' (int_parsing)"),
        ("POST", "/items", {"max_tokens": 5}, "model", "missing required parameter: 'model'"),
        ("POST", "/items", {"model": "m", "max_tokens": "many"}, "max_tokens", "'max_tokens' (int_parsing)"),
        ("POST", "/items", None, None, "the request body is required"),
        ("POST", "/items", "42", None, "invalid request body (model_attributes_type)"),
        ("POST", "/items", '{"model": "m"', None, "the request body is not valid JSON"),
    ],
)
def test_validation_errors_are_400_invalid_request(
    call: Any, method: str, path: str, body: Any, param: str | None, message_part: str
) -> None:
    status, body_out, _ = call(method, path, body)

    assert status == 400
    assert body_out["error"]["type"] == "invalid_request_error"
    assert body_out["error"]["param"] == param
    assert message_part in body_out["error"]["message"]


@pytest.mark.parametrize("sent", ['{"model": "secret-prompt-text"', {"model": ["secret-prompt-text"]}])
def test_validation_errors_do_not_echo_the_input(call: Any, sent: Any) -> None:
    status, body, _ = call("POST", "/items", sent)

    assert status == 400
    assert "secret-prompt-text" not in json.dumps(body)


def test_api_error_keeps_its_status(call: Any) -> None:
    status, body, _ = call("GET", "/denied")

    assert status == 403
    assert body == {
        "error": {
            "message": "model access is not enabled for this account",
            "type": "permission_error",
            "code": "access_denied",
            "param": None,
        }
    }


@pytest.mark.parametrize(
    ("path", "status", "type_"),
    [("/powertools-error", 400, "invalid_request_error"), ("/upstream", 502, "server_error")],
)
def test_powertools_service_errors_keep_their_status(call: Any, path: str, status: int, type_: str) -> None:
    got_status, body, _ = call("GET", path)

    assert got_status == status
    assert body["error"]["type"] == type_


def test_unexpected_exception_is_a_generic_500(call: Any) -> None:
    status, body, _ = call("GET", "/crash")

    assert status == 500
    assert body["error"] == {
        "message": "The server had an error processing your request.",
        "type": "server_error",
        "code": None,
        "param": None,
    }
    assert "secret-key-material" not in json.dumps(body)


def test_405_uses_the_allowed_methods_given(call: Any) -> None:
    status, body, headers = call("DELETE", "/items")

    assert status == 405
    assert headers["allow"] == "GET, POST"
    assert body["error"]["code"] == "method_not_allowed"


def test_404_for_paths_not_in_allowed_methods(call: Any) -> None:
    status, body, _ = call("POST", "/denied")

    assert status == 404
    assert body["error"]["message"] == "Invalid URL (POST /denied)"
