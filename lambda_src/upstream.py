"""Upstream calls under the request's one deadline.

The SDKs block. Where several requests may be in flight (``scripts/serve``, tests), each call
runs in a worker thread while the event loop keeps the deadline: a call (with all its retries
and fan-out) that has not finished when the request's time is up is abandoned and answered with
504, a margin before Lambda would stop the function.

In Lambda an execution environment serves one request at a time, so there the function calls
:func:`call_on_loop_thread` at start-up: a call then runs on the event loop's own thread, and a
real-time timer (``SIGALRM``) set to the deadline interrupts it there, wherever it blocks (a
socket read, a retry's back-off), with the same 504. This spares every request the two thread
switches of a hand-off (0.2 to 0.4 ms here), and a call past the deadline is stopped rather than
left running in a thread.

A stream is opened and read by one thread of its own in both cases (the loop must stay free to
see the client leave); it may run as long as deltas keep coming within the deadline; one that
stays silent for the idle timeout ends with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar, cast

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


# Worker threads for blocking upstream calls, made as needed. As many as anyio's default limit:
# a call abandoned at the deadline keeps its thread until the SDK's own timeout ends it.
_WORKERS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="upstream")


class _DeadlineAlarm(BaseException):
    """Raised by the timer's signal handler into a call on the loop's thread. A BaseException, so
    that the SDKs' ``except Exception`` handlers (retries, error mapping) let it through."""


# After the deadline the timer fires again at this interval until the call has ended: a signal
# handled while a finalizer or garbage-collection callback runs has its exception printed and
# dropped by Python, so one signal alone may not stop the call.
_REPEAT_SECONDS = 0.05


_on_loop_thread = False
_armed = False


def _alarm(signum: int, frame: object) -> None:
    if _armed:  # a late signal, after the call it was set for has ended, is ignored
        raise _DeadlineAlarm


def call_on_loop_thread() -> None:
    """Run non-streamed upstream calls on the event loop's thread, each interrupted by a timer
    signal at the deadline. Only for a process that serves one request at a time (a call blocks
    the loop) and runs its loop on the main thread (signals are handled there); Lambda's."""
    global _on_loop_thread
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("upstream calls can run on the loop's thread only when it is the main thread")
    signal.signal(signal.SIGALRM, _alarm)
    _on_loop_thread = True


def _call_by_alarm(call: Callable[[], T], left: float) -> T:
    try:
        return _under_alarm(call, left)
    except _DeadlineAlarm:
        pass
    # Outside the handler: by now the timer is off, and no signal can interrupt the 504 itself.
    raise _timed_out("answer")


def _under_alarm(call: Callable[[], T], left: float) -> T:
    global _armed
    _armed = True
    try:
        signal.setitimer(signal.ITIMER_REAL, left, _REPEAT_SECONDS)
        return contextvars.copy_context().run(call)
    finally:
        # First, before anything that could let a signal in: from here on it is ignored.
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


async def run_upstream(call: Callable[[], T]) -> T:
    """``call()`` bounded by the request's deadline, with the request's context variables: on
    the loop's thread under a timer (see :func:`call_on_loop_thread`), or in a worker thread,
    abandoned if still running at the deadline.

    asyncio's own executor and timeout, not anyio's: anyio's event-loop backend would be imported
    by the first call, about 20 ms of a cold start spent on nothing else.
    """
    left = _left_to_answer()
    if _on_loop_thread and threading.get_ident() == threading.main_thread().ident:
        return _call_by_alarm(call, left)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_WORKERS, contextvars.copy_context().run, call)
    return await _by_deadline(future, left)


def _left_to_answer() -> float:
    """Seconds left for an upstream call; a 504 when none are."""
    left = budget()
    if left <= 0:
        raise _timed_out("answer")
    return left


async def _by_deadline(waited: Awaitable[T], left: float) -> T:
    """``waited``, or a 504 once ``left`` seconds have passed."""
    deadline = asyncio.timeout(left)
    try:
        async with deadline:
            return await waited
    except TimeoutError:
        if not deadline.expired():
            raise  # the call's own TimeoutError, not the deadline
        raise _timed_out("answer") from None


class _Failed(NamedTuple):
    error: BaseException


class _Opened(NamedTuple):
    stream: DeltaStream


_END = object()


class Deltas:
    """An open upstream stream's deltas, as they come (``async for``), each within the idle
    timeout and the request's deadline. ``cancel`` closes the upstream stream (a client that left,
    an error, the end); it is safe to call more than once."""

    def __init__(self, stream: DeltaStream, queue: asyncio.Queue[object], idle_seconds: float) -> None:
        self._stream = stream
        self._queue = queue
        self._idle_seconds = idle_seconds

    def cancel(self) -> None:
        self._stream.cancel()

    async def __aiter__(self) -> AsyncIterator[Delta]:
        idle_seconds = self._idle_seconds
        try:
            while True:
                left = budget()
                wait = min(idle_seconds, left)
                if wait <= 0:
                    raise _timed_out("finish its answer")
                try:
                    # A timeout scope, not wait_for: no task per delta.
                    async with asyncio.timeout(wait):
                        item = await self._queue.get()
                except TimeoutError:
                    if wait >= left:
                        raise _timed_out("finish its answer") from None
                    raise UpstreamTimeoutError(
                        f"the model sent nothing for {idle_seconds:g} seconds", reason="stream idle timeout"
                    ) from None
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield cast(Delta, item)
        finally:
            self.cancel()


async def open_deltas(open_stream: Callable[[], DeltaStream], idle_seconds: float) -> Deltas:
    """Opens an upstream stream and returns its deltas once it is open; what opening raises is
    raised here, before anything has been sent to the client.

    One thread opens the stream and then reads it, handing each delta to the event loop as it
    arrives (one wake-up per delta). Opening is bounded by the request's deadline like any
    upstream call: a stream that opens after the deadline has passed is closed at once.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    lock = threading.Lock()
    opened: list[DeltaStream] = []
    abandoned = False

    def hand_over(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits for it
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            stream = open_stream()
        except Exception as err:
            hand_over(_Failed(err))
            return
        with lock:
            opened.append(stream)
            late = abandoned
        if late:
            stream.cancel()
        hand_over(_Opened(stream))
        try:
            while (delta := stream.next()) is not None:
                hand_over(delta)
            hand_over(_END)
        except Exception as err:
            hand_over(_Failed(err))

    def abandon() -> None:
        nonlocal abandoned
        with lock:
            abandoned = True
            streams = list(opened)
        for stream in streams:
            stream.cancel()

    left = _left_to_answer()
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(pump,), name="upstream-stream", daemon=True).start()
    try:
        first = await _by_deadline(queue.get(), left)
    except BaseException:  # the deadline, or the request cancelled
        abandon()
        raise
    if isinstance(first, _Failed):
        raise first.error
    return Deltas(cast(_Opened, first).stream, queue, idle_seconds)
