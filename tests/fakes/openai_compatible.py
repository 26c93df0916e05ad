"""An OpenAI-compatible chat-completions API: OpenAI, AI21 and Mistral, and Azure OpenAI deployments.

- ``FakeChatCompletions(key, prefix="/v1")``: ``POST {prefix}/chat/completions`` with
  ``Authorization: Bearer <key>`` (OpenAI ``/v1``, AI21 ``/studio/v1``, Mistral ``/v1``).
- ``FakeAzureOpenAI({deployment: key})``: ``POST /openai/deployments/{deployment}/chat/completions
  ?api-version=...`` with an ``api-key`` header holding that deployment's key.

The default answer echoes the last user text (``echo: ...``), or calls the first tool when tools
are given and no tool result has come back yet, with word counts as token usage.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, last_user_text, words

_AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")


def completion(
    message: dict[str, Any], finish: str, prompt_tokens: int, model: str = "fake"
) -> dict[str, Any]:
    completion_tokens = words(str(message.get("content") or ""))
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chat_answer(body: dict[str, Any]) -> Answer:
    messages = body.get("messages") or []
    has_result = bool(messages) and messages[-1].get("role") == "tool"
    prompt = sum(words(str(m.get("content") or "")) for m in messages)
    tools = body.get("tools")
    if tools and not has_result and body.get("tool_choice") != "none":
        name = tools[0]["function"]["name"]
        call = {
            "id": "call0ABCD",
            "type": "function",
            "function": {"name": name, "arguments": '{"city": "Paris"}'},
        }
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        return Answer(200, completion(message, "tool_calls", prompt, str(body.get("model"))))
    if has_result:
        text = "tool said: " + str(messages[-1].get("content"))
    else:
        text = "echo: " + last_user_text(messages)
    message = {"role": "assistant", "content": text}
    return Answer(200, completion(message, "stop", prompt, str(body.get("model"))))


class FakeChatCompletions(JsonApiFake):
    def __init__(self, api_key: str, prefix: str = "/v1") -> None:
        super().__init__(api_key)
        self.prefix = prefix

    def authorized(self, request: Received) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def default_answer(self, request: Received) -> Answer:
        if request.method != "POST" or request.path != f"{self.prefix}/chat/completions":
            return Answer(
                404, {"error": {"message": f"no route {request.path}", "type": "invalid_request_error"}}
            )
        return chat_answer(request.json)


class FakeAzureOpenAI(JsonApiFake):
    def __init__(self, deployments: dict[str, str]) -> None:
        super().__init__("")
        self.deployments = deployments

    def deployment(self, request: Received) -> str | None:
        m = _AZURE_PATH.match(request.path)
        return m.group(1) if m else None

    def authorized(self, request: Received) -> bool:
        name = self.deployment(request)
        return name is not None and request.headers.get("api-key") == self.deployments.get(name)

    def unauthorized(self) -> Answer:
        return Answer(
            401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}
        )

    def default_answer(self, request: Received) -> Answer:
        if "api-version" not in request.query:
            return Answer(404, {"error": {"code": "404", "message": "Resource not found"}})
        body = request.json
        answer = chat_answer(body)
        payload = json.loads(answer.encoded())
        payload["model"] = f"azure:{self.deployment(request)}"
        return Answer(answer.status, payload)
