from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

from lambda_src.routes import ALLOWED_METHODS
from tests.lambda_src.support import PARAMETER_NAME, Invoke, ReadLogs, misconfigured

INVENTORY: dict[str, Any] = {
    "version": 1,
    "models": [
        {
            "id": "claude-3-haiku",
            "provider": "bedrock",
            "model": "us.anthropic.claude-3-haiku-20240307-v1:0",
            "region": "us-east-1",
        },
        {
            "id": "my-finetune",
            "provider": "bedrock",
            "model": "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123",
            "base_model_provider": "meta",
        },
        {
            "id": "mistral-7b-tgi",
            "provider": "sagemaker",
            "model": "hf-tgi-mistral-7b",
            "api": "tgi-messages",
        },
        {"id": "gpt-4o-mini", "provider": "openai", "model": "gpt-4o-mini"},
        {"id": "azure-gpt-4o", "provider": "azure_openai", "model": "gpt-4o"},
        {
            "id": "titan-embed",
            "provider": "bedrock",
            "model": "amazon.titan-embed-text-v2:0",
            "task": "embedding",
        },
    ],
}
SENTINEL = "do-not-leak-7f3a9c"


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def _header(response: dict[str, Any], name: str) -> str | None:
    headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
    return headers.get(name.lower())


def _assert_openai_error(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status
    assert _header(response, "content-type") == "application/json"
    body = _body(response)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["type"], str)
    assert error["code"] is None or isinstance(error["code"], str)
    assert error["param"] is None
    assert "Traceback" not in response["body"]
    return error


def _model_ids(response: dict[str, Any]) -> list[str]:
    assert response["statusCode"] == 200, response["body"]
    return [m["id"] for m in _body(response)["data"]]


def _forbid_ssm(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> Any:
        raise AssertionError("SSM must not be called")

    monkeypatch.setattr(parameters, "get_parameter", boom)
    monkeypatch.setattr(parameters.SSMProvider, "get", boom)


# --- /health ------------------------------------------------------------------------------------


def test_health_is_ok_without_settings_or_ssm(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_PARAMETER_NAME")
    _forbid_ssm(monkeypatch)

    response = invoke("GET", "/health")

    assert response["statusCode"] == 200
    assert _body(response) == {"status": "ok"}
    assert _header(response, "content-type") == "application/json"


# --- GET /v1/models -----------------------------------------------------------------------------


def test_models_lists_the_inventory_in_order(invoke: Invoke, put_inventory: Any) -> None:
    put_inventory(INVENTORY)

    response = invoke("GET", "/v1/models")

    assert response["statusCode"] == 200
    assert _header(response, "content-type") == "application/json"
    assert _body(response) == {
        "object": "list",
        "data": [
            {"id": "claude-3-haiku", "object": "model", "created": 0, "owned_by": "bedrock"},
            {"id": "my-finetune", "object": "model", "created": 0, "owned_by": "meta"},
            {"id": "mistral-7b-tgi", "object": "model", "created": 0, "owned_by": "sagemaker"},
            {"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "openai"},
            {"id": "azure-gpt-4o", "object": "model", "created": 0, "owned_by": "azure-openai"},
            {"id": "titan-embed", "object": "model", "created": 0, "owned_by": "bedrock"},
        ],
    }


def test_models_with_an_empty_inventory_is_an_empty_list(invoke: Invoke, put_inventory: Any) -> None:
    put_inventory({"version": 1, "models": []})

    assert _body(invoke("GET", "/v1/models")) == {"object": "list", "data": []}


def test_models_ignores_the_query_string(invoke: Invoke, put_inventory: Any) -> None:
    put_inventory(INVENTORY)

    assert _model_ids(invoke("GET", "/v1/models?limit=1")) == [m["id"] for m in INVENTORY["models"]]


def test_inventory_is_cached_for_max_age(invoke: Invoke, put_inventory: Any) -> None:
    # INVENTORY_MAX_AGE_SECONDS is unset: the 300 s default applies.
    put_inventory({"models": [{"id": "first", "provider": "openai", "model": "gpt-4o"}]})
    assert _model_ids(invoke("GET", "/v1/models")) == ["first"]

    put_inventory({"models": [{"id": "second", "provider": "openai", "model": "gpt-4o"}]})

    assert _model_ids(invoke("GET", "/v1/models")) == ["first"]


def test_inventory_is_refetched_once_max_age_has_passed(
    invoke: Invoke, put_inventory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_MAX_AGE_SECONDS", "0")
    put_inventory({"models": [{"id": "first", "provider": "openai", "model": "gpt-4o"}]})
    assert _model_ids(invoke("GET", "/v1/models")) == ["first"]

    put_inventory({"models": [{"id": "second", "provider": "openai", "model": "gpt-4o"}]})

    assert _model_ids(invoke("GET", "/v1/models")) == ["second"]


def test_a_broken_inventory_update_keeps_the_last_good_one_serving(
    invoke: Invoke,
    put_inventory: Any,
    monkeypatch: pytest.MonkeyPatch,
    read_logs: ReadLogs,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INVENTORY_MAX_AGE_SECONDS", "0")
    put_inventory({"models": [{"id": "first", "provider": "openai", "model": "gpt-4o"}]})
    assert _model_ids(invoke("GET", "/v1/models")) == ["first"]
    put_inventory('{"models": [{"id": "broken"')  # a bad update
    capsys.readouterr()

    assert _model_ids(invoke("GET", "/v1/models")) == ["first"]

    [line] = [line for line in read_logs() if line["message"].startswith("model inventory unusable")]
    assert line["level"] == "ERROR" and "not a valid inventory" in line["problem"]
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert any(b.get("InventoryErrors") == [1.0] for b in blobs)
    # Once fixed, the new inventory serves.
    put_inventory({"models": [{"id": "second", "provider": "openai", "model": "gpt-4o"}]})
    assert _model_ids(invoke("GET", "/v1/models")) == ["second"]


def test_missing_inventory_parameter_is_a_500_whose_log_names_it(
    invoke: Invoke, ssm: Any, read_logs: ReadLogs
) -> None:
    response = invoke("GET", "/v1/models")

    _assert_openai_error(response, 500)
    logged = misconfigured(response, read_logs)
    assert PARAMETER_NAME in logged["message"] and PARAMETER_NAME not in response["body"]
    assert logged["reason"] == "ParameterNotFound"


@pytest.mark.parametrize(
    ("value", "reason_part"),  # reason_part: what the log line must say
    [
        pytest.param(
            f'{{"models": [{{"id": "{SENTINEL}"', "<root>: Invalid JSON: EOF while parsing", id="not-json"
        ),
        pytest.param(f"plain text {SENTINEL}", "[json_invalid]", id="plain-text"),
        pytest.param(
            {"models": [{"id": "x", "provider": SENTINEL, "model": "m"}]},
            "models.0.provider: Input should be",
            id="bad-provider",
        ),
        pytest.param(
            {"models": [{"id": "x", "provider": "openai", "model": "m", "api_key": SENTINEL}]},
            "models.0.api_key: Extra inputs are not permitted [extra_forbidden]",
            id="unknown-field",
        ),
        pytest.param(
            {"version": 2, "models": []}, "version: Input should be 1 [literal_error]", id="future-version"
        ),
    ],
)
def test_invalid_inventory_is_a_500_that_does_not_leak_its_content(
    invoke: Invoke, put_inventory: Any, read_logs: ReadLogs, value: Any, reason_part: str
) -> None:
    put_inventory(value)

    response = invoke("GET", "/v1/models")

    _assert_openai_error(response, 500)
    logged = misconfigured(response, read_logs)
    assert PARAMETER_NAME in logged["message"]
    assert SENTINEL not in response["body"]
    assert reason_part in logged["reason"]
    assert SENTINEL not in json.dumps(read_logs())


def test_missing_parameter_name_env_is_a_500_at_request_time(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, read_logs: ReadLogs
) -> None:
    monkeypatch.delenv("INVENTORY_PARAMETER_NAME")
    _forbid_ssm(monkeypatch)

    response = invoke("GET", "/v1/models")

    _assert_openai_error(response, 500)
    assert "INVENTORY_PARAMETER_NAME" in misconfigured(response, read_logs)["message"]


def test_unexpected_exception_is_a_generic_500_logged_by_type_only(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, read_logs: ReadLogs
) -> None:
    from lambda_src.routes import models

    def broken(_: Any) -> Any:
        raise RuntimeError(f"token={SENTINEL}")

    monkeypatch.setattr(models, "load_inventory", broken)

    response = invoke("GET", "/v1/models")

    error = _assert_openai_error(response, 500)
    assert error["type"] == "server_error"
    assert SENTINEL not in response["body"]
    errors = [line for line in read_logs() if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["error_type"] == "RuntimeError"
    assert "in broken" in errors[0]["where"]
    assert SENTINEL not in json.dumps(errors)
    assert "Traceback" not in json.dumps(errors)


# --- routes not implemented ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/completions"])
def test_pending_routes_answer_501(invoke: Invoke, path: str, read_logs: ReadLogs) -> None:
    body = {"model": "claude-3-haiku", "messages": [{"role": "user", "content": "hi"}], "input": "hi"}

    response = invoke("POST", path, body)

    error = _assert_openai_error(response, 501)
    assert f"POST {path}" in error["message"]
    assert "not implemented" in error["message"]
    assert (error["type"], error["code"]) == ("server_error", "not_implemented")
    # The OpenAI SDKs retry 5xx unless told not to; retrying a 501 cannot help.
    assert _header(response, "x-should-retry") == "false"
    assert [line for line in read_logs() if line["level"] == "ERROR"] == []


def test_pending_route_with_a_binary_body_answers_501(invoke: Invoke) -> None:
    # The adapter hands the body over as bytes, whatever its encoding on the way in.
    response = invoke("POST", "/v1/completions", b'{"model": "m", "prompt": "\xff"}')

    _assert_openai_error(response, 501)


# --- unknown paths and methods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v1"),
        ("GET", "/v1/model"),
        ("GET", "/v2/models"),
        ("GET", "/health/"),
        ("POST", "/v1/chat/completions/extra"),
        ("GET", "/V1/MODELS"),
    ],
)
def test_unknown_path_is_a_404(invoke: Invoke, method: str, path: str) -> None:
    error = _assert_openai_error(invoke(method, path), 404)

    assert error["message"] == f"Invalid URL ({method} {path})"
    assert (error["type"], error["code"]) == ("invalid_request_error", "unknown_url")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/health", "GET"),
        ("DELETE", "/v1/models", "GET"),
        ("PUT", "/v1/models", "GET"),
        ("GET", "/v1/chat/completions", "POST"),
        ("GET", "/v1/embeddings", "POST"),
        ("PATCH", "/v1/completions", "POST"),
    ],
)
def test_wrong_method_on_a_known_path_is_a_405(invoke: Invoke, method: str, path: str, allow: str) -> None:
    response = invoke(method, path)

    error = _assert_openai_error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert _header(response, "allow") == allow


@pytest.mark.parametrize(("path", "method"), [(p, m) for p, ms in ALLOWED_METHODS.items() for m in ms])
def test_every_allowed_method_is_routed(invoke: Invoke, put_inventory: Any, path: str, method: str) -> None:
    # ALLOWED_METHODS is written by hand: a drift would turn real routes into 405s.
    put_inventory(INVENTORY)

    assert invoke(method, path)["statusCode"] not in (404, 405)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/health", None),
        ("GET", "/v1/models", None),
        ("POST", "/v1/chat/completions", {"model": "x", "messages": []}),
        ("POST", "/v1/embeddings", "not json at all"),
        ("GET", "/nope", None),
        ("DELETE", "/v1/models", None),
        ("POST", "/v1/completions", b"\x00\xff binary"),
    ],
)
def test_every_response_is_json_without_traceback(
    invoke: Invoke, put_inventory: Any, method: str, path: str, body: Any
) -> None:
    put_inventory(INVENTORY)

    response = invoke(method, path, body)

    assert _header(response, "content-type") == "application/json"
    json.loads(response["body"])
    assert "Traceback" not in response["body"]


# --- the request scope ---------------------------------------------------------------------------


def test_log_lines_carry_the_lambda_request_id_as_correlation_id(ssm: Any, read_logs: ReadLogs) -> None:
    from starlette.testclient import TestClient

    from lambda_src.app import app
    from tests.fakes.function_url import DEFAULT_CALLER_ARN, adapter_headers

    with TestClient(app) as client:
        # No inventory parameter in SSM: a configuration error, logged once.
        response = client.get("/v1/models", headers=adapter_headers(request_id="9f2c1a7e-request"))

    assert response.status_code == 500
    (line,) = [line for line in read_logs() if line["level"] == "ERROR"]
    assert line["correlation_id"] == "9f2c1a7e-request"
    assert line["caller"] == DEFAULT_CALLER_ARN
