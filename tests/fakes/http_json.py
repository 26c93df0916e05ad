"""A local JSON-over-HTTP server on 127.0.0.1, the base of the third-party provider fakes.

Subclasses say how a request is authenticated (which header carries the key) and what the
default answer is. Tests script the next answers, make one permanent, and read back every
request received (method, path, query, headers, body). A request whose key is wrong gets the
provider's 401 and is still recorded, so tests see exactly what was sent. Requests asking for a
stream get ``Streamed`` answers (server-sent events), paced and failed through ``fake.stream``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import LoopbackServer
from tests.fakes.streaming import StreamControl, Streamed


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class JsonApiFake(LoopbackServer):
    """Start with ``with Fake(...) as fake:``; ``fake.url`` is its base URL (no path)."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[Received] = []
        self.stream = StreamControl()
        self._scripted: deque[Answer | Streamed] = deque()
        self._always: Answer | Streamed | None = None
        self._lock = threading.Lock()

    # --- control ---------------------------------------------------------------------------------

    def script(self, *answers: Answer | Streamed) -> None:
        with self._lock:
            self._scripted.extend(answers)

    def always(self, answer: Answer | Streamed) -> None:
        with self._lock:
            self._always = answer

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
            self._always = None
        self.stream.release()
        self.stream = StreamControl()

    # --- for subclasses --------------------------------------------------------------------------

    def authorized(self, request: Received) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Answer:
        return Answer(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})

    def default_answer(self, request: Received) -> Answer | Streamed:
        raise NotImplementedError

    # --- serving ---------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        split = urlsplit(handler.path)
        request = Received(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self._lock:
            self.requests.append(request)
            scripted = self._scripted.popleft() if self._scripted else self._always
        answer: Answer | Streamed
        if not self.authorized(request):
            answer = self.unauthorized()
        else:
            answer = scripted or self.default_answer(request)
        if isinstance(answer, Streamed):
            self.stream.send(handler, answer)
            return
        data = answer.encoded()
        try:
            handler.send_response(answer.status)
            for key, value in {"Content-Type": "application/json", **answer.headers}.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def words(text: str) -> int:
    return len(text.split())


def last_user_text(messages: list[dict[str, Any]], role: str = "user") -> str:
    """The text of the last message of ``role`` (string content or text parts)."""
    for message in reversed(messages):
        if message.get("role") == role:
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(
                str(p.get("text", ""))
                for p in content or ()
                if isinstance(p, dict) and p.get("type") == "text"
            )
    return ""
