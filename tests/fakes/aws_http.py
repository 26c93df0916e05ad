"""A local HTTP server speaking an AWS REST-JSON protocol, for botocore to call on 127.0.0.1.

Subclasses decide the default answer for each request; tests can script the next answers for
one target (a model id, an endpoint name), make one answer permanent, and read back every request
received, including the access key id it was signed with. Errors use AWS's wire shape: the
status, an ``x-amzn-ErrorType`` header and a JSON body with the message. Streaming operations
answer with ``Streamed`` replies, paced and failed through ``fake.stream`` (see streaming.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer
from tests.fakes.streaming import StreamControl, Streamed

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
REQUEST_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    operation: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def access_key_id(self) -> str | None:
        m = _CREDENTIAL.search(self.headers.get("authorization", ""))
        return m.group(1) if m else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (for client timeouts).
    delay: float = 0.0

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def aws_error(code: str, status: int, message: str, *, namespace: str = "aws", **fields: Any) -> Reply:
    """An error as AWS REST-JSON services send it."""
    return Reply(
        status=status,
        body={"message": message, **fields},
        headers={
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.{namespace}/",
            "Content-Type": "application/json",
        },
    )


class FakeAwsServer(LoopbackServer):
    """Start with ``with FakeX() as fake:`` (or start()/stop()); ``fake.url`` is its endpoint."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.stream = StreamControl()
        # Seconds every default (unscripted) answer waits; with it, ``max_in_flight`` shows how
        # many requests a client had open at once.
        self.default_delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._scripted: dict[str, deque[Reply | Streamed]] = {}
        self._always: dict[str, Reply | Streamed] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` pointed at this server: one attempt, a 10 s read timeout."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=10),
        )

    # --- control ---------------------------------------------------------------------------------

    def script(self, target: str, *replies: Reply | Streamed) -> None:
        """Answer the next requests for ``target`` with ``replies``, in order."""
        with self._lock:
            self._scripted.setdefault(target, deque()).extend(replies)

    def always(self, target: str, reply: Reply | Streamed) -> None:
        """Answer every request for ``target`` with ``reply``."""
        with self._lock:
            self._always[target] = reply

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
            self._always.clear()
            self.default_delay = 0.0
            self.max_in_flight = 0
        self.stream.release()
        self.stream = StreamControl()

    def requests_for(self, target: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.target == target]

    # --- serving ---------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, str] | None:
        """(operation, target) for a request path; None for an unknown path."""
        raise NotImplementedError

    def default_reply(self, request: Recorded) -> Reply | Streamed:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        routed = self.route(handler.command, path)
        reply: Reply | Streamed | None
        if routed is None:
            reply = aws_error("UnknownOperationException", 404, f"no route for {handler.command} {path}")
        else:
            operation, target = routed
            recorded = Recorded(
                method=handler.command,
                path=path,
                operation=operation,
                target=target,
                headers={k.lower(): v for k, v in handler.headers.items()},
                body=body,
            )
            with self._lock:
                self.requests.append(recorded)
                queue = self._scripted.get(target)
                reply = queue.popleft() if queue else self._always.get(target)
            if reply is None:
                reply = self.default_reply(recorded)
                if self.default_delay and isinstance(reply, Reply):
                    reply = Reply(reply.status, reply.body, reply.headers, self.default_delay)
        if isinstance(reply, Streamed):
            self.stream.send(handler, reply, {"x-amzn-RequestId": REQUEST_ID})
            return
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply.delay:
                time.sleep(reply.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        data = reply.encoded()
        try:
            handler.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("x-amzn-RequestId", REQUEST_ID)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def words(text: str) -> int:
    """A stand-in token count."""
    return len(text.split())


def vector(text: str, size: int) -> list[float]:
    """A deterministic, text-dependent embedding."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(text)) or 1
    return [round(((seed * (k + 7)) % 1000) / 1000 - 0.5, 3) for k in range(size)]
