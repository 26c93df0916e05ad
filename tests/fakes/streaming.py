"""Streamed answers for the loopback fakes: frames sent as HTTP/1.1 chunks, paced, held, failed on cue.

A fake answers a streaming call with a ``Streamed`` reply: frames already encoded in the
provider's wire format (eventstream messages, SSE events), one HTTP chunk each, so a client
sees each frame as soon as it is written. Frames that carry generated output (text, tool-call
pieces) are marked ``content``; the controls count those.

Every fake has one ``StreamControl`` as ``fake.stream``; it applies to every stream the fake
sends until ``fake.reset()``, which releases held streams and gives the fake a fresh control (so
a stream left over from one test never touches the next one's flags):

- ``open_delay``: seconds before the response starts (a model slow to begin its answer);
- ``delay``: seconds between frames, on a fixed schedule from the first frame (frame N is due
  N x ``delay`` after it), as a model emits at its own pace: time the fake itself loses to a
  busy machine does not add up from frame to frame. A hold starts the schedule afresh;
- ``hold_after = N``: after the N-th content frame, send nothing more until the test calls
  ``release()``. ``holding`` is set as that frame goes out. If ``hold_timeout`` passes first,
  ``timed_out`` is set and the stream ends with the failure frame, so a client that buffers the
  whole answer makes its test fail instead of hang;
- ``fail_after = N``: after N content frames, send ``failure`` (or the reply's own error frame)
  instead of the rest. ``CUT`` as the failure drops the connection mid-body instead;
- ``client_closed`` is set when the client closes the connection before the stream ended (a
  write fails, or the socket reads EOF while the fake waits); ``outcomes`` lists how each stream
  ended: ``complete``, ``failed``, ``timed_out`` or ``client_closed``; ``ended`` is set then, and
  ``outcome()`` waits for it.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

# The failure that sends no error frame: the connection drops before the body's last chunk.
CUT = b""
_POLL = 0.01


@dataclass(frozen=True)
class Frame:
    data: bytes
    # True when the frame carries generated output; hold_after and fail_after count these.
    content: bool = False


@dataclass(frozen=True)
class Streamed:
    """A streamed 200 answer: ``frames`` in order, ``failure`` when the stream must fail."""

    frames: Sequence[Frame]
    content_type: str
    failure: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _ClientGone(Exception):
    pass


class StreamControl:
    """How a fake sends its streams, and what it saw while sending them (see the module doc)."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.open_delay = 0.0
        self.hold_after: int | None = None
        self.hold_timeout = 10.0
        self.fail_after: int | None = None
        self.failure: bytes | None = None
        self.gate = threading.Event()
        self.holding = threading.Event()
        self.timed_out = threading.Event()
        self.client_closed = threading.Event()
        self.ended = threading.Event()
        self.outcomes: list[str] = []

    def release(self) -> None:
        """Let held streams go on."""
        self.gate.set()

    def outcome(self, timeout: float = 5.0) -> str | None:
        """How the latest stream ended, once one has (the client may see the end first)."""
        return self.outcomes[-1] if self.ended.wait(timeout) else None

    # --- serving ---------------------------------------------------------------------------------

    def send(
        self, handler: BaseHTTPRequestHandler, reply: Streamed, headers: dict[str, str] | None = None
    ) -> None:
        """Write ``reply`` as a chunked 200 response, following the current settings."""
        sock = handler.connection
        failure = reply.failure if self.failure is None else self.failure
        outcome = "complete"
        try:
            if self.open_delay:
                self._wait(sock, None, self.open_delay)
            handler.send_response(200)
            all_headers = {"Content-Type": reply.content_type, **reply.headers, **(headers or {})}
            for key, value in all_headers.items():
                handler.send_header(key, value)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            sent = 0
            due = time.monotonic()
            for index, frame in enumerate(reply.frames):
                if self.fail_after is not None and sent >= self.fail_after:
                    outcome = "failed"
                    break
                if index and self.delay:
                    due += self.delay
                    self._wait(sock, None, due - time.monotonic())
                if _eof(sock):
                    raise _ClientGone
                sent += frame.content
                hold = frame.content and sent == self.hold_after
                if hold:
                    self.holding.set()  # before the write: a client seeing the frame sees this too
                _write(handler, frame.data)
                if hold:
                    if not self._wait(sock, self.gate, self.hold_timeout):
                        self.timed_out.set()
                        outcome = "timed_out"
                        break
                    due = time.monotonic()
            if outcome != "complete" and failure == CUT:
                handler.close_connection = True
                sock.shutdown(socket.SHUT_RDWR)
            else:
                if outcome != "complete":
                    _write(handler, failure)
                handler.wfile.write(b"0\r\n\r\n")
        except (_ClientGone, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            outcome = "client_closed"
            handler.close_connection = True
            self.client_closed.set()
        self.outcomes.append(outcome)
        self.ended.set()

    def _wait(self, sock: socket.socket, gate: threading.Event | None, seconds: float) -> bool:
        """Wait ``seconds``, or until ``gate`` is set (then True); raise if the client leaves."""
        deadline = time.monotonic() + seconds
        while gate is None or not gate.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return gate is None
            readable, _, _ = select.select([sock], [], [], min(_POLL, remaining))
            if readable:
                if _eof(sock):
                    raise _ClientGone
                time.sleep(_POLL)  # the client sent something unexpected; keep waiting
        return True


def _write(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    assert data, "an empty chunk would end the body"
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def _eof(sock: socket.socket) -> bool:
    """True when the peer has closed (its request was read whole, so any readable byte is EOF)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def sse(data: Any, *, event: str | None = None, space: bool = True) -> bytes:
    """One server-sent event, data other than text as compact JSON (as servers send it);
    ``space=False`` writes ``data:x`` as TGI's server does."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    sep = ": " if space else ":"
    head = f"event{sep}{event}\n" if event else ""
    return f"{head}data{sep}{text}\n\n".encode()


def pieces(text: str) -> list[str]:
    """``text`` cut before each run of whitespace (one piece per word), losing nothing."""
    cuts = [0] + [i for i in range(1, len(text)) if text[i].isspace() and not text[i - 1].isspace()]
    return [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)] if text else []


def fragments(data: str, size: int = 7) -> list[str]:
    """``data`` in pieces of ``size`` characters, as tool-call arguments arrive."""
    return [data[i : i + size] for i in range(0, len(data), size)] or [""]
