"""One deadline per request, from the Lambda context: it bounds every upstream call in total, and
a stream whose model goes silent ends with an error event; the upstream stream is closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from lambda_src.settings import get_settings
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.function_url import adapter_headers
from tests.lambda_src.support import MODELS, WriteInventory

CHAT = {"model": "claude", "messages": [{"role": "user", "content": "one two three four five"}]}


@pytest.fixture
def client(write_inventory: WriteInventory, bedrock: FakeBedrockRuntime) -> Iterator[TestClient]:
    from lambda_src.app import app

    write_inventory(MODELS)
    with TestClient(app) as test_client:
        yield test_client


def _events(text: str) -> list[Any]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]


def test_no_time_left_is_a_504_before_any_upstream_call(
    client: TestClient, bedrock: FakeBedrockRuntime
) -> None:
    # Half a second left: less than the margin the answer itself needs.
    response = client.post("/v1/chat/completions", json=CHAT, headers=adapter_headers(timeout_ms=500))

    assert response.status_code == 504
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("server_error", "upstream_timeout")
    assert response.headers["x-should-retry"] == "false"
    assert bedrock.requests == []


def test_a_silent_stream_ends_with_an_error_event_and_closes_upstream(
    client: TestClient, bedrock: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAM_IDLE_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    bedrock.stream.hold_after = 1  # one piece, then silence

    response = client.post("/v1/chat/completions", json={**CHAT, "stream": True}, headers=adapter_headers())

    assert response.status_code == 200
    events = _events(response.text)
    assert events[1]["choices"][0]["delta"]["content"]  # the piece that came
    error = events[-1]["error"]
    assert error["code"] == "upstream_timeout" and "sent nothing for 1 seconds" in error["message"]
    assert "[DONE]" not in response.text
    assert bedrock.stream.outcome() == "client_closed"  # the API hung up on the silent model
    bedrock.stream.release()


def test_the_deadline_ends_a_stream_that_would_run_past_it(
    client: TestClient, bedrock: FakeBedrockRuntime
) -> None:
    bedrock.stream.hold_after = 1
    # 2.5 s left, 1 s of it kept for the answer: the held stream outlives the deadline.
    response = client.post(
        "/v1/chat/completions", json={**CHAT, "stream": True}, headers=adapter_headers(timeout_ms=2500)
    )

    error = _events(response.text)[-1]["error"]
    assert error["code"] == "upstream_timeout"
    assert "within the request's time limit" in error["message"]
    assert bedrock.stream.outcome() == "client_closed"
    bedrock.stream.release()


def test_a_stream_that_opens_after_the_deadline_is_a_504_and_is_closed_when_it_opens(
    client: TestClient, bedrock: FakeBedrockRuntime
) -> None:
    bedrock.stream.open_delay = 2.5  # the answer starts after the request's time is up
    bedrock.stream.delay = 0.2
    # 2.5 s left, 1 s of it kept for the answer.
    response = client.post(
        "/v1/chat/completions", json={**CHAT, "stream": True}, headers=adapter_headers(timeout_ms=2500)
    )

    # An ordinary HTTP error: nothing of the stream had been sent.
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"
    # The stream, once it opened, was closed rather than read by nobody.
    assert bedrock.stream.outcome(timeout=10) == "client_closed"


def test_a_call_still_running_at_the_deadline_is_abandoned_with_a_504(
    client: TestClient, bedrock: FakeBedrockRuntime
) -> None:
    bedrock.default_delay = 3.0  # Converse answers after the request's time is up
    # 2.5 s left, 1 s of it kept for the answer.
    response = client.post("/v1/chat/completions", json=CHAT, headers=adapter_headers(timeout_ms=2500))

    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "upstream_timeout"
    assert "did not answer within the request's time limit" in error["message"]
    assert len(bedrock.requests) == 1  # it was called, and not called again


def test_a_timeout_error_of_the_call_itself_is_not_taken_for_the_deadline() -> None:
    import asyncio

    from lambda_src.upstream import run_upstream

    def call() -> None:
        raise TimeoutError("the SDK's own")

    with pytest.raises(TimeoutError, match="the SDK's own"):
        asyncio.run(run_upstream(call))
