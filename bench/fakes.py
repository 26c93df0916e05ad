"""Local stand-ins the handler benchmarks call: bedrock-runtime and an OpenAI-compatible API (the
test fakes), and SSM GetParameter.

Run as a module (``python -m bench.fakes INVENTORY_JSON``) it serves both and prints one JSON
line with their URLs, so benchmark subprocesses can use them as a deployed function would use AWS.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.openai_compatible import FakeChatCompletions

PARAMETER_NAME = "/bench/model-inventory"
OPENAI_KEY = "sk-bench"


class FakeSsm:
    """Just enough of SSM's JSON protocol for GetParameter."""

    def __init__(self, value: str) -> None:
        self.value = value
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeSsm:
        value = self.value

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps(
                    {"Parameter": {"Name": PARAMETER_NAME, "Type": "String", "Value": value, "Version": 1}}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def main() -> None:
    inventory = sys.argv[1]
    bedrock = FakeBedrockRuntime().start()
    ssm = FakeSsm(inventory).start()
    openai = FakeChatCompletions(OPENAI_KEY).__enter__()
    print(json.dumps({"bedrock": bedrock.url, "ssm": ssm.url, "openai": openai.url}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    main()
