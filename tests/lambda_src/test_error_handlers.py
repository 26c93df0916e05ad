"""The error handling and request scope on an app of their own, with routes that fail in the
ways the API's will."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from lambda_src import request_context
from lambda_src.error_handlers import RequestScope, api_error, http_error_handler
from lambda_src.exceptions import AccessDeniedError, ApiError
from lambda_src.responses import json_response
from tests.fakes.function_url import adapter_headers
from tests.lambda_src.support import ReadLogs

SECRET = "secret-key-material"


async def items(_: Request) -> Response:
    return json_response({"ok": True})


async def denied(_: Request) -> Response:
    raise AccessDeniedError("access to this model was denied")


async def teapot(_: Request) -> Response:
    raise HTTPException(418, "no coffee here")


async def crash(_: Request) -> Response:
    raise KeyError(SECRET)


async def who(_: Request) -> Response:
    context = request_context.current()
    assert context is not None
    return json_response({"caller": context.caller_arn, "request_id": context.request_id})


async def crash_mid_stream(_: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"
        raise KeyError(SECRET)

    return StreamingResponse(body(), media_type="text/event-stream")


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = Starlette(
        routes=[
            Route("/items", items, methods=["GET", "POST"]),
            Route("/denied", denied),
            Route("/teapot", teapot),
            Route("/crash", crash),
            Route("/who", who),
            Route("/crash-mid-stream", crash_mid_stream),
        ],
        middleware=[Middleware(RequestScope)],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error_handler({"/items": ("GET", "POST")}),
        },
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.text)
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "code", "param"}
    return dict(body["error"])


def test_api_errors_keep_their_status_and_shape(client: TestClient) -> None:
    error = _error(client.get("/denied"), 403)
    assert error == {
        "message": "access to this model was denied",
        "type": "permission_error",
        "code": "access_denied",
        "param": None,
    }


def test_known_path_with_another_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/items")
    error = _error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET, POST"


def test_unknown_path_is_openais_invalid_url(client: TestClient) -> None:
    assert _error(client.get("/v2/nothing"), 404)["message"] == "Invalid URL (GET /v2/nothing)"


def test_other_http_errors_keep_their_status(client: TestClient) -> None:
    error = _error(client.get("/teapot"), 418)
    assert error["type"] == "invalid_request_error" and error["message"] == "no coffee here"


def test_unexpected_exception_is_500_without_message_or_traceback(
    client: TestClient, read_logs: ReadLogs
) -> None:
    response = client.get("/crash")
    error = _error(response, 500)
    assert error["message"] == "The server had an error processing your request."
    assert SECRET not in response.text
    logged = read_logs()
    [line] = [entry for entry in logged if entry["message"] == "unhandled exception"]
    assert line["error_type"] == "KeyError" and "where" in line
    assert SECRET not in json.dumps(logged) and "Traceback" not in json.dumps(logged)


def test_a_crash_after_the_first_byte_ends_the_stream_and_is_logged(
    client: TestClient, read_logs: ReadLogs
) -> None:
    response = client.get("/crash-mid-stream")
    assert response.status_code == 200
    assert response.text == "data: {}\n\n"
    assert any(entry["message"] == "unhandled exception" for entry in read_logs())


def test_the_adapters_context_gives_caller_and_request_id(client: TestClient, read_logs: ReadLogs) -> None:
    caller = "arn:aws:sts::111122223333:assumed-role/app/session"
    headers = adapter_headers(caller, request_id="req-123")
    assert client.get("/who", headers=headers).json() == {"caller": caller, "request_id": "req-123"}
    assert client.get("/who").json()["caller"] is None  # no context: no caller, as with auth NONE
    _error(client.get("/denied", headers=headers), 403)
    # every line of the request carries its request id and caller
    [line] = [entry for entry in read_logs() if entry["message"] == "access to this model was denied"] or [
        None
    ]
    assert line is None  # 4xx are not logged as errors
    client.get("/crash", headers=headers)
    [crash_line] = [entry for entry in read_logs() if entry["message"] == "unhandled exception"]
    assert crash_line["correlation_id"] == "req-123" and crash_line["caller"] == caller


@pytest.mark.parametrize("name", ["x-amzn-request-context", "x-amzn-lambda-context"])
def test_a_context_header_sent_twice_is_refused(client: TestClient, name: str) -> None:
    forged = json.dumps({"authorizer": {"iam": {"userArn": "arn:aws:iam::111122223333:role/Admin"}}})
    real = adapter_headers("arn:aws:iam::111122223333:user/alice")[name]
    response = client.get("/who", headers=[(name, forged), (name, real)])
    error = _error(response, 400)
    assert name in error["message"] and "once" in error["message"]


@pytest.mark.parametrize("value", ["not json", "[1, 2]", "x" * 20_000])
def test_a_malformed_context_header_is_refused(client: TestClient, value: str) -> None:
    error = _error(client.get("/who", headers={"x-amzn-request-context": value}), 400)
    assert "x-amzn-request-context" in error["message"]
