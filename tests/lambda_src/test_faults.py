"""Every upstream failure class, injected in the wire fakes, seen through the handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.fakes import bedrock_runtime as br
from tests.fakes import sagemaker_runtime as sm
from tests.fakes.aws_http import Reply
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import CLAUDE, MODELS, Invoke, ReadLogs, WriteInventory


@pytest.fixture(autouse=True)
def _models(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, sagemaker: FakeSageMakerRuntime
) -> None:
    write_inventory(MODELS)


def _chat(invoke: Invoke, model: str) -> dict[str, Any]:
    return invoke(
        "POST", "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    )


def _error(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert "Traceback" not in response["body"]
    assert "210987654321" not in response["body"]  # the upstream account in the fakes' messages
    return body["error"]


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (br.VALIDATION, 400, None),
        (br.ACCESS_DENIED, 403, "access_denied"),
        (br.NOT_FOUND, 404, "model_not_found"),
        (br.MODEL_ERROR, 502, "upstream_error"),
        (br.MALFORMED, 502, "upstream_error"),
        (br.NOT_JSON, 502, "upstream_error"),
        (br.NOT_READY, 503, "service_unavailable"),
        (br.UNAVAILABLE, 503, "service_unavailable"),
        (br.TIMEOUT, 504, "upstream_timeout"),
    ],
)
def test_bedrock_faults(
    invoke: Invoke,
    bedrock: FakeBedrockRuntime,
    read_logs: ReadLogs,
    reply: Reply,
    status: int,
    code: str | None,
) -> None:
    bedrock.always(CLAUDE, reply)

    error = _error(_chat(invoke, "claude"), status)

    assert error["code"] == code
    logged = json.dumps(read_logs())
    assert "Traceback" not in logged
    (warning,) = [line for line in read_logs() if line["message"] == "upstream call failed"]
    assert (warning["model"], warning["status"]) == ("claude", status)


def test_validation_message_reaches_the_client(invoke: Invoke, bedrock: FakeBedrockRuntime) -> None:
    bedrock.always(CLAUDE, br.VALIDATION)

    error = _error(_chat(invoke, "claude"), 400)

    assert error["type"] == "invalid_request_error"
    assert "Input is too long" in error["message"]


def test_access_denied_states_todays_bedrock_access_prerequisites(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    bedrock.always(CLAUDE, br.ACCESS_DENIED)

    error = _error(_chat(invoke, "claude"), 403)

    message = error["message"]
    assert "us-east-1" in message
    for prerequisite in ("Marketplace", "payment method", "first-use form", "preflight --subscribe"):
        assert prerequisite in message
    # the console's Model access page is retired: never send anyone there
    assert "Model access" not in message and "console" not in message


def test_throttling_is_retried_then_429_with_retry_after(
    invoke: Invoke, bedrock: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    bedrock.always(CLAUDE, br.THROTTLED)

    response = _chat(invoke, "claude")

    error = _error(response, 429)
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert response["headers"]["Retry-After"] == "2"
    assert len(bedrock.requests) == 2


def test_throttling_that_clears_within_the_retries_succeeds(
    invoke: Invoke, bedrock: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    bedrock.script(CLAUDE, br.THROTTLED)

    response = _chat(invoke, "claude")

    assert response["statusCode"] == 200
    assert len(bedrock.requests) == 2


def test_slow_upstream_is_a_504(
    invoke: Invoke, bedrock: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", "0.2")
    bedrock.script(CLAUDE, Reply(200, b"{}", delay=1.0))

    response = _chat(invoke, "claude")

    error = _error(response, 504)
    assert error["code"] == "upstream_timeout"
    # Our retries are spent: the SDKs should not multiply the wait.
    assert response["headers"]["x-should-retry"] == "false"


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (sm.NOT_FOUND, 503, "service_unavailable"),
        (sm.UNAVAILABLE, 503, "service_unavailable"),
        (sm.NOT_READY, 503, "service_unavailable"),
        (sm.THROTTLED, 429, "rate_limit_exceeded"),
        (sm.INTERNAL, 502, "upstream_error"),
        (sm.MALFORMED, 502, "upstream_error"),
        (sm.model_error(500, "CUDA out of memory"), 502, "upstream_error"),
        (sm.model_error(422, "Input validation error: inputs must have less than 4096 tokens"), 400, None),
        # The container's own overload answers (TGI: queue full, model loading).
        (sm.model_error(429, "Model is overloaded"), 429, "rate_limit_exceeded"),
        (sm.model_error(503, "Model is overloaded"), 503, "service_unavailable"),
    ],
)
def test_sagemaker_faults(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, reply: Reply, status: int, code: str | None
) -> None:
    sagemaker.always("tgi-endpoint", reply)

    error = _error(_chat(invoke, "tgi"), status)

    assert error["code"] == code


@pytest.mark.parametrize("original", [429, 503])
def test_an_overloaded_container_tells_when_to_retry(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, original: int
) -> None:
    sagemaker.always("tgi-endpoint", sm.model_error(original, "Model is overloaded"))

    response = _chat(invoke, "tgi")

    _error(response, original)
    assert response["headers"]["Retry-After"] == "2"


NESTED = ("[" * 100_000 + "]" * 100_000).encode()


def test_a_body_nested_past_any_parser_is_a_502(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    sagemaker.always("tgi-endpoint", Reply(200, NESTED))

    error = _error(_chat(invoke, "tgi"), 502)

    assert error["code"] == "upstream_error"


def test_a_bedrock_answer_nested_past_the_parser_is_a_502(
    invoke: Invoke, bedrock: FakeBedrockRuntime
) -> None:
    bedrock.always(CLAUDE, Reply(200, b'{"output": ' + NESTED + b"}"))

    assert _error(_chat(invoke, "claude"), 502)["code"] == "upstream_error"


def test_absurd_usage_numbers_do_not_break_the_answer_or_the_metrics(
    invoke: Invoke, bedrock: FakeBedrockRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock.always(CLAUDE, br.converse_reply("hi", input_tokens=10**400, output_tokens=-5))
    capsys.readouterr()

    response = _chat(invoke, "claude")

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["usage"] == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
    }
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert any("InputTokens" in b for b in blobs)


def test_container_validation_message_reaches_the_client(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime
) -> None:
    sagemaker.always("tgi-endpoint", sm.model_error(422, "inputs must have less than 4096 tokens"))

    error = _error(_chat(invoke, "tgi"), 400)

    assert "less than 4096 tokens" in error["message"]


def test_errors_are_counted_by_type(
    invoke: Invoke, bedrock: FakeBedrockRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock.always(CLAUDE, br.ACCESS_DENIED)
    capsys.readouterr()

    _chat(invoke, "claude")

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    (errors,) = [b for b in blobs if "UpstreamErrors" in b]
    assert (errors["model"], errors["provider"], errors["error_type"]) == (
        "claude",
        "bedrock",
        "access_denied",
    )


# --- cross-account ------------------------------------------------------------------------------


@pytest.fixture
def sts() -> Iterator[str]:
    """moto's STS; yields the access key id of the function's own credentials."""
    with mock_aws():
        yield boto3.Session().get_credentials().access_key


def test_cross_account_bedrock_call_uses_the_assumed_role(
    invoke: Invoke, bedrock: FakeBedrockRuntime, sts: str
) -> None:
    assert _chat(invoke, "claude")["statusCode"] == 200
    assert _chat(invoke, "cross-account")["statusCode"] == 200
    assert _chat(invoke, "cross-account")["statusCode"] == 200

    own, assumed, again = (r.access_key_id for r in bedrock.requests)
    assert own == sts
    assert assumed is not None and assumed.startswith("ASIA") and assumed != own
    assert again == assumed  # cached, not assumed again


@pytest.mark.parametrize(
    ("failing", "status"),
    [((400, "Throttling", "Rate exceeded"), 429), ((503, "ServiceUnavailable", "STS is down"), 503)],
)
def test_sts_throttling_or_failure_is_not_a_403(
    invoke: Invoke,
    bedrock: FakeBedrockRuntime,
    monkeypatch: pytest.MonkeyPatch,
    failing: tuple[int, str, str],
    status: int,
) -> None:
    from tests.fakes.control_plane import FakeSts

    with FakeSts() as sts:
        sts.failing = failing
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)

        error = _error(_chat(invoke, "cross-account"), status)

    assert error["code"] == ("rate_limit_exceeded" if status == 429 else "service_unavailable")
    assert bedrock.requests == []


def test_cross_account_sagemaker_call_uses_the_assumed_role(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, sts: str
) -> None:
    assert _chat(invoke, "partner-endpoint")["statusCode"] == 200

    (sent,) = sagemaker.requests
    assert sent.access_key_id is not None and sent.access_key_id.startswith("ASIA")
    assert sent.access_key_id != sts
