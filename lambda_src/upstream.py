"""Upstream calls under the request's one deadline.

The SDKs block, so each call runs in a worker thread while the event loop keeps the deadline:
a call (with all its retries and fan-out) that has not finished when the request's time is up
is abandoned and answered with 504, a margin before Lambda would stop the function. A stream
may run as long as deltas keep coming within the deadline; one that stays silent for the idle
timeout ends with an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from lambda_src import request_context
from lambda_src.adapters.base import DeltaStream
from lambda_src.chat import Delta
from lambda_src.exceptions import UpstreamTimeoutError

T = TypeVar("T")

# Answer this long before the deadline: the 504 itself, logs and metrics must still get out.
MARGIN_SECONDS = 1.0
# Without a Lambda context (a test calling the app directly): the whole request's budget.
DEFAULT_BUDGET_SECONDS = 120.0


def budget() -> float:
    """Seconds left for upstream work in this request."""
    context = request_context.current()
    remaining = context.remaining() if context else DEFAULT_BUDGET_SECONDS
    return remaining - MARGIN_SECONDS


def _timed_out(what: str) -> UpstreamTimeoutError:
    return UpstreamTimeoutError(
        f"the model did not {what} within the request's time limit", reason=f"deadline: {what}"
    )


async def run_upstream(call: Callable[[], T]) -> T:
    """``call()`` in a worker thread, bounded by the request's deadline."""
    left = budget()
    if left <= 0:
        raise _timed_out("answer")
    with anyio.move_on_after(left) as scope:
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    # Only reached when the deadline cancelled the wait (a result or an error returns above).
    assert scope.cancelled_caught
    raise _timed_out("answer")


async def next_delta(stream: DeltaStream, idle_seconds: float) -> Delta | None:
    """The stream's next delta within the idle timeout and the deadline; the stream is cancelled
    (its upstream closed) when either runs out."""
    left = budget()
    wait = min(idle_seconds, left)
    if wait <= 0:
        stream.cancel()
        raise _timed_out("finish its answer")
    started = time.monotonic()
    with anyio.move_on_after(wait) as scope:
        return await anyio.to_thread.run_sync(stream.next, abandon_on_cancel=True)
    assert scope.cancelled_caught
    stream.cancel()
    if time.monotonic() - started >= left:
        raise _timed_out("finish its answer")
    raise UpstreamTimeoutError(
        f"the model sent nothing for {idle_seconds:g} seconds", reason="stream idle timeout"
    )
