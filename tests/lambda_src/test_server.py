"""The start-up policy of ``lambda_src.server``: no garbage collection until the first API request
starts its answer (the readiness check does not count), then the collector on, with everything
that existed by then frozen out of its reach."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_src.server import READINESS_PATH, collect_after_first_request, hold_collector


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
