"""A fake Cohere Chat API v2 (what langchain-cohere 0.6 calls): ``POST /v2/chat`` with a Bearer key.

The default answer echoes the last user text (``finish_reason`` ``COMPLETE``), or a tool call for
the first tool when tools are given and no tool result came back (``TOOL_CALL``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, last_user_text, words


def _content_text(content: Any) -> str:
    """Text parts, and the ``output`` of document parts (how langchain-cohere sends tool results)."""
    if isinstance(content, str):
        return content
    texts = []
    for part in content or ():
        if part.get("type") == "document":
            texts.append(str(part.get("document", {}).get("data", {}).get("output", "")))
        else:
            texts.append(str(part.get("text", "")))
    return " ".join(texts)


class FakeCohere(JsonApiFake):
    def authorized(self, request: Received) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def unauthorized(self) -> Answer:
        return Answer(401, {"message": "invalid api token"})

    def default_answer(self, request: Received) -> Answer:
        if request.path != "/v2/chat":
            return Answer(404, {"message": f"no route {request.path}"})
        body = request.json
        messages = body.get("messages") or []
        prompt = sum(words(_content_text(m.get("content"))) for m in messages)
        last = messages[-1] if messages else {}
        if body.get("tools") and last.get("role") != "tool" and body.get("tool_choice") != "NONE":
            name = body["tools"][0]["function"]["name"]
            message: dict[str, Any] = {
                "role": "assistant",
                "tool_plan": "I will look it up.",
                "tool_calls": [
                    {
                        "id": "tc_1",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps({"city": "Paris"})},
                    }
                ],
            }
            finish, output = "TOOL_CALL", 5
        else:
            text = (
                "tool said: " + _content_text(last.get("content"))
                if last.get("role") == "tool"
                else "echo: " + last_user_text(messages)
            )
            message = {"role": "assistant", "content": [{"type": "text", "text": text}]}
            finish, output = "COMPLETE", words(text)
        usage = {"input_tokens": prompt, "output_tokens": output}
        return Answer(
            200,
            {
                "id": "cohere-fake",
                "finish_reason": finish,
                "message": message,
                "usage": {"billed_units": usage, "tokens": usage},
            },
        )
