"""A fake Anthropic Messages API: ``POST /v1/messages`` with ``anthropic-version`` and the key in
``x-api-key`` or ``Authorization: Bearer`` (the anthropic SDK 2.x sends the latter).

The default answer echoes the last user text in a text block (``stop_reason`` ``end_turn``), or
a ``tool_use`` block for the first tool when tools are given and no ``tool_result`` came back.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, words


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(str(b.get("text", "")) for b in content or () if b.get("type") == "text")


def _has_tool_result(messages: list[dict[str, Any]]) -> str | None:
    last = messages[-1] if messages else {}
    content = last.get("content")
    if last.get("role") == "user" and isinstance(content, list):
        for block in content:
            if block.get("type") == "tool_result":
                return _text(block.get("content"))
    return None


class FakeAnthropic(JsonApiFake):
    def authorized(self, request: Received) -> bool:
        keys = {
            request.headers.get("x-api-key"),
            request.headers.get("authorization", "").removeprefix("Bearer "),
        }
        return self.api_key in keys and "anthropic-version" in request.headers

    def unauthorized(self) -> Answer:
        return Answer(
            401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
        )

    def default_answer(self, request: Received) -> Answer:
        if request.path != "/v1/messages":
            return Answer(
                404, {"type": "error", "error": {"type": "not_found_error", "message": "Not found"}}
            )
        body = request.json
        messages = body.get("messages") or []
        prompt = sum(words(_text(m.get("content"))) for m in messages) + words(str(body.get("system") or ""))
        result = _has_tool_result(messages)
        tools = body.get("tools")
        if tools and result is None and (body.get("tool_choice") or {}).get("type") != "none":
            content: list[dict[str, Any]] = [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_01", "name": tools[0]["name"], "input": {"city": "Paris"}},
            ]
            stop = "tool_use"
        else:
            text = f"tool said: {result}" if result is not None else "echo: " + _text(messages[-1]["content"])
            content, stop = [{"type": "text", "text": text}], "end_turn"
        output = sum(words(str(b.get("text", ""))) for b in content)
        return Answer(
            200,
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": prompt, "output_tokens": output},
            },
        )
