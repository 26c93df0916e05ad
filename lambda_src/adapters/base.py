"""What an adapter offers the routes: a chat call, a streamed chat call, and (for embedding
models) an embed call."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.chat import ChatResult, Delta, EmbeddingResult, deltas_of


class DeltaStream:
    """An upstream answer arriving as deltas.

    ``next`` blocks (run it in a worker thread); ``cancel`` may be called from any thread: it
    closes the upstream connection (``close``), which also wakes a ``next`` blocked on a read,
    and makes every later ``next`` end the stream.
    """

    def __init__(self, deltas: Iterator[Delta], close: Callable[[], None] | None = None) -> None:
        self._deltas = deltas
        self._close = close
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    @classmethod
    def of(cls, result: ChatResult) -> DeltaStream:
        """An answer already in hand (a model that cannot stream), as one content delta."""
        return cls(deltas_of(result))

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def next(self) -> Delta | None:
        """The next delta, or None at the end (also once cancelled)."""
        if self._cancelled.is_set():
            self._release()
            return None
        try:
            delta = next(self._deltas)
        except StopIteration:
            return None
        except Exception:
            if self._cancelled.is_set():
                self._release()
                return None  # the read failed because the stream was closed on purpose
            raise
        if self._cancelled.is_set():
            # Cancelled while this thread waited: nobody takes this delta; close the upstream here.
            self._release()
            return None
        return delta

    def _release(self) -> None:
        # Only from the thread that runs ``next``: a generator cannot be closed while it runs.
        with contextlib.suppress(Exception):
            close = getattr(self._deltas, "close", None)
            if close is not None:
                close()

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
        if self._close is not None:
            # Closing a connection that is already gone may fail: it is closed either way.
            with contextlib.suppress(Exception):
                self._close()


def response_closer(raw: Any) -> Callable[[], None]:
    """How to close a streamed HTTP response (urllib3's) from another thread: shut the socket
    down first, which wakes a read blocked on it (a plain close would wait for that read)."""

    def close() -> None:
        with contextlib.suppress(Exception):
            if hasattr(raw, "shutdown"):  # urllib3 2.3 and later
                raw.shutdown()
            else:
                sock = getattr(getattr(raw, "connection", None), "sock", None) or getattr(
                    getattr(raw, "_connection", None), "sock", None
                )
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            raw.close()

    return close


class ChatModel(Protocol):
    def chat(self, request: ChatCompletionRequest) -> ChatResult: ...

    def stream(self, request: ChatCompletionRequest) -> DeltaStream:
        """Open the upstream stream: errors before the first delta are raised here."""
        ...


class EmbeddingModel(Protocol):
    def embed(self, request: EmbeddingRequest) -> EmbeddingResult: ...
