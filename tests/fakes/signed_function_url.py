"""A loopback stand-in for a Function URL with AWS_IAM auth, serving the OpenAI-compatible routes.

Every request's SigV4 signature is verified independently (``tests.fakes.sigv4_verifier``); a bad
or missing one gets the 403 the real Function URL sends. Good requests to ``/v1/chat/completions``
get a chat completion echoing the last user message; ``/v1/models`` lists ``models``; a reply can
be scripted per path for error cases.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.loopback import LoopbackServer
from tests.fakes.sigv4_verifier import SignatureMismatch, Verified, verify


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: Verified | None
    problem: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeSignedFunctionUrl(LoopbackServer):
    def __init__(
        self, secrets: dict[str, str], *, models: tuple[str, ...] = ("claude", "mistral-7b")
    ) -> None:
        self.secrets = secrets
        self.models = models
        self.received: list[Received] = []
        self._scripted: dict[str, deque[tuple[int, Any]]] = {}
        self._lock = threading.Lock()

    def script(self, path: str, status: int, body: Any) -> None:
        with self._lock:
            self._scripted.setdefault(path, deque()).append((status, body))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            verified: Verified | None = verify(
                handler.command, split.path, split.query, headers, body, self.secrets
            )
            problem = None
        except SignatureMismatch as err:
            verified, problem = None, str(err)
        with self._lock:
            self.received.append(Received(handler.command, split.path, headers, body, verified, problem))
            queue = self._scripted.get(split.path)
            scripted = queue.popleft() if queue else None
        if problem is not None:
            # What Lambda sends for a rejected signature.
            status, reply = 403, {"message": "Forbidden. The request signature we calculated does not match."}
        elif scripted is not None:
            status, reply = scripted
        else:
            status, reply = self._answer(handler.command, split.path, body)
        data = json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.models]
            return 200, {"object": "list", "data": data}
        if method == "POST" and path == "/v1/chat/completions":
            request = json.loads(body)
            if request.get("model") not in self.models:
                return 404, {
                    "error": {
                        "message": f"model {request.get('model')!r} does not exist",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                        "param": "model",
                    }
                }
            prompt = request["messages"][-1]["content"]
            return 200, {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": f"echo: {prompt}"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            }
        return 404, {"error": {"message": f"no route {method} {path}", "type": "not_found", "code": None}}
