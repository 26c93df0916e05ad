"""The start-up policy of ``lambda_src.server``: no garbage collection until the first API request
starts its answer (the readiness check does not count), then the collector on, with everything
that existed by then frozen out of its reach."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lambda_src.server import READINESS_PATH, collect_after_first_request, hold_collector
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.function_url import adapter_headers
from tests.lambda_src.support import MODELS, WriteInventory
from tests.support import REPO_ROOT

CHAT = {"model": "claude", "messages": [{"role": "user", "content": "one two three"}]}


@pytest.fixture
def collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


class Recorder:
    """An ASGI app noting whether the collector was on when it started and once its answer had
    started (``seen``: pairs); ``fail`` makes it raise before answering."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, bool]] = []
        self.fail = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        at_start = gc.isenabled()
        if self.fail:
            raise RuntimeError("boom")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        self.seen.append((at_start, gc.isenabled()))  # e.g. while a stream goes on
        await send({"type": "http.response.body", "body": b"ok"})


def _get(app: Any, path: str) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    asyncio.run(app({"type": "http", "path": path, "method": "GET"}, receive, send))


def test_the_collector_stays_off_through_the_readiness_check_and_the_first_request(
    collector: None,
) -> None:
    recorder = Recorder()
    app = collect_after_first_request(recorder)
    hold_collector()
    frozen_before = gc.get_freeze_count()

    _get(app, READINESS_PATH)
    assert not gc.isenabled()
    _get(app, "/v1/chat/completions")

    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen_before
    _get(app, "/v1/models")  # from then on, every request runs with the collector on
    # Off through the readiness check and the first request's work; on once its answer started.
    assert recorder.seen == [(False, False), (False, True), (True, True)]


def test_a_failed_first_request_still_switches_the_collector_on(collector: None) -> None:
    recorder = Recorder()
    recorder.fail = True
    app = collect_after_first_request(recorder)
    hold_collector()

    with pytest.raises(RuntimeError):
        _get(app, "/v1/chat/completions")

    assert gc.isenabled()


@contextlib.contextmanager
def _function_process(
    stdout: int | None = subprocess.DEVNULL,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m lambda_src.server`` as the Lambda Web Adapter starts it, ready; and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "AWS_LWA_PORT": str(port), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("PYTHONUNBUFFERED", None)  # as in Lambda
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_src.server"],
        env=env,
        cwd=REPO_ROOT,
        stdout=stdout,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=30) as http:
            for _ in range(300):
                try:
                    if http.get(base + READINESS_PATH).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_function_answers_with_its_calls_on_the_loop_thread_and_keeps_the_deadline(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime
) -> None:
    """``python -m lambda_src.server``, as the Lambda Web Adapter starts it: a chat is answered;
    a call past the deadline is interrupted with a 504 (it would answer 200 after 20 s)."""
    write_inventory(MODELS)
    with _function_process() as (_, base), httpx.Client(timeout=30) as http:
        answered = http.post(base + "/v1/chat/completions", json=CHAT, headers=adapter_headers())
        bedrock.default_delay = 20.0
        late = http.post(base + "/v1/chat/completions", json=CHAT, headers=adapter_headers(timeout_ms=2500))

    assert answered.status_code == 200
    assert answered.json()["choices"][0]["message"]["content"]
    assert late.status_code == 504
    assert late.json()["error"]["code"] == "upstream_timeout"


@pytest.mark.parametrize("stream", [False, True], ids=["answer", "stream"])
def test_a_requests_log_line_and_metrics_leave_the_process_before_its_answer_ends(
    write_inventory: WriteInventory, bedrock: FakeBedrockRuntime, stream: bool
) -> None:
    """Lambda's stdout is a pipe, which Python buffers: a line left in that buffer waits for the
    next request's output, or is lost with the environment. Each request's own lines must be in
    the pipe by the time its answer has ended, with nothing more asked of the process."""
    write_inventory(MODELS)
    lines: queue.Queue[bytes] = queue.Queue()
    with _function_process(stdout=subprocess.PIPE) as (process, base):
        assert process.stdout is not None
        pipe = process.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in pipe], daemon=True).start()
        with httpx.Client(timeout=30) as http:
            answer = http.post(
                base + "/v1/chat/completions", json={**CHAT, "stream": stream}, headers=adapter_headers()
            )
        assert answer.status_code == 200
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        while not _has_log_and_metrics(seen) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                seen.append(json.loads(lines.get(timeout=0.1)))
        assert process.poll() is None  # nothing was flushed by the process ending

    assert _has_log_and_metrics(seen), seen


def _has_log_and_metrics(lines: list[dict[str, Any]]) -> bool:
    logged = any(line.get("message") == "chat completion" for line in lines)
    measured = any("UpstreamLatency" in line and "_aws" in line for line in lines)
    return logged and measured
