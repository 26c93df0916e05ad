"""One deadline per request, from the Lambda context: it bounds every upstream call in total, and
a stream whose model goes silent ends with an error event; the upstream stream is closed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
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
    # It was called (the abandoned call goes on in its thread: a pause of the process, such as a
    # long garbage collection, may have held it back past the deadline), and not called again.
    for _ in range(100):
        if bedrock.requests:
            break
        time.sleep(0.1)
    assert len(bedrock.requests) == 1


def test_a_timeout_error_of_the_call_itself_is_not_taken_for_the_deadline() -> None:

    from lambda_src.upstream import run_upstream

    def call() -> None:
        raise TimeoutError("the SDK's own")

    with pytest.raises(TimeoutError, match="the SDK's own"):
        asyncio.run(run_upstream(call))


# --- Lambda: one request at a time, the call on the loop's thread under a timer -----------------


@pytest.fixture
def on_loop_thread() -> Iterator[None]:

    from lambda_src import upstream

    handler = signal.getsignal(signal.SIGALRM)
    upstream.call_on_loop_thread()
    yield
    upstream._on_loop_thread = False
    signal.signal(signal.SIGALRM, handler)


def _post(body: dict[str, Any], timeout_ms: int = 30_000) -> tuple[int, dict[str, Any]]:
    from lambda_src.app import app
    from tests.fakes.asgi import call_app

    headers = {"content-type": "application/json", **adapter_headers(timeout_ms=timeout_ms)}
    status, _, raw = call_app(app, "POST", "/v1/chat/completions", json.dumps(body).encode(), headers)
    return status, json.loads(raw)


def test_on_the_loop_thread_the_call_runs_there_and_leaves_no_timer_behind(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, on_loop_thread: None
) -> None:

    from lambda_src.adapters.bedrock import BedrockModel

    write_inventory(MODELS)
    threads: list[str] = []
    chat = BedrockModel.chat

    def recording(self: Any, request: Any) -> Any:
        threads.append(threading.current_thread().name)
        return chat(self, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BedrockModel, "chat", recording)
        status, body = _post(CHAT)

    assert status == 200 and body["choices"][0]["message"]["content"]
    assert threads == ["MainThread"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_on_the_loop_thread_a_call_past_the_deadline_is_interrupted_with_a_504(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, on_loop_thread: None
) -> None:

    write_inventory(MODELS)
    # Converse would answer (200) after 20 s; 2.5 s are left, 1 s of them kept for the answer.
    bedrock.default_delay = 20.0

    status, body = _post(CHAT, timeout_ms=2500)

    assert status == 504
    assert body["error"]["code"] == "upstream_timeout"
    assert "did not answer within the request's time limit" in body["error"]["message"]
    assert len(bedrock.requests) == 1  # interrupted, not retried
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # and the timer is off again


def test_on_the_loop_thread_a_timeout_error_of_the_call_itself_is_not_the_deadline(
    on_loop_thread: None,
) -> None:

    from lambda_src.upstream import run_upstream

    def call() -> None:
        raise TimeoutError("the SDK's own")

    with pytest.raises(TimeoutError, match="the SDK's own"):
        asyncio.run(run_upstream(call))


def test_a_timer_signal_after_the_call_has_ended_is_ignored(on_loop_thread: None) -> None:

    from lambda_src.upstream import run_upstream

    assert asyncio.run(run_upstream(lambda: 42)) == 42
    os.kill(os.getpid(), signal.SIGALRM)  # as if the timer had fired just as the call ended

    assert asyncio.run(run_upstream(lambda: 43)) == 43


def test_calls_from_other_threads_still_go_to_a_worker(on_loop_thread: None) -> None:

    from lambda_src.upstream import run_upstream

    names: list[str] = []

    def serve_elsewhere() -> None:
        asyncio.run(run_upstream(lambda: names.append(threading.current_thread().name)))

    thread = threading.Thread(target=serve_elsewhere)
    thread.start()
    thread.join()

    assert len(names) == 1 and names[0].startswith("upstream")


def test_only_the_main_thread_can_run_calls_on_its_loop() -> None:

    from lambda_src.upstream import call_on_loop_thread

    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            call_on_loop_thread()
        except RuntimeError as err:
            errors.append(err)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()

    assert len(errors) == 1 and "main thread" in str(errors[0])


def test_on_the_loop_thread_a_dropped_timer_signal_is_repeated_until_the_call_stops(
    on_loop_thread: None,
) -> None:
    """Python drops an exception raised into a finalizer or a garbage-collection callback; a call
    that swallows the first signal's exception so is stopped by the next one."""

    from lambda_src import request_context
    from lambda_src.exceptions import UpstreamTimeoutError
    from lambda_src.request_context import RequestContext
    from lambda_src.upstream import MARGIN_SECONDS, run_upstream

    swallowed: list[str] = []

    def call() -> str:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                time.sleep(0.5)
            except BaseException as err:
                if swallowed:
                    raise
                swallowed.append(type(err).__name__)  # as a finalizer would: dropped
        return "ran to its end"

    async def within_deadline() -> str:
        # 0.2 s left for the call once the margin is kept.
        request_context.bind(RequestContext("req-1", None, time.monotonic() + MARGIN_SECONDS + 0.2))
        return await run_upstream(call)

    with pytest.raises(UpstreamTimeoutError):
        asyncio.run(within_deadline())
    assert swallowed == ["_DeadlineAlarm"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
