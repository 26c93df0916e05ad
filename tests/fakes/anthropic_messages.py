"""A fake Anthropic Messages API: ``POST /v1/messages`` with ``anthropic-version`` and the key in
``x-api-key`` or ``Authorization: Bearer`` (the anthropic SDK 2.x sends the latter).

The default answer echoes the last user text in a text block (``stop_reason`` ``end_turn``), or
a ``tool_use`` block for the first tool when tools are given and no ``tool_result`` came back.
With ``"stream": true`` the same message comes as server-sent events (``stream_events``, which
the Bedrock fake reuses for InvokeModelWithResponseStream): text in one delta per word, tool
input in JSON fragments.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, words
from tests.fakes.streaming import Frame, Streamed, fragments, pieces, sse


def stream_error(kind: str, message: str) -> bytes:
    """An ``error`` event, as the API sends one after the stream started."""
    return sse({"type": "error", "error": {"type": kind, "message": message}}, event="error")


STREAM_OVERLOADED = stream_error("overloaded_error", "Overloaded")


def stream_events(message: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """A finished message as the Messages API streams it: (event, carries content) pairs."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {"input_tokens": usage["input_tokens"], "output_tokens": 1}
    events: list[tuple[dict[str, Any], bool]] = [({"type": "message_start", "message": start}, False)]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            opened = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": part}
                for part in fragments(json.dumps(block["input"]))
            ]
        else:
            opened = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces(block["text"])]
        events.append(
            (
                {"type": "content_block_start", "index": index, "content_block": opened},
                block["type"] == "tool_use",
            )
        )
        events += [({"type": "content_block_delta", "index": index, "delta": d}, True) for d in deltas]
        events.append(({"type": "content_block_stop", "index": index}, False))
    stop = {"stop_reason": message["stop_reason"], "stop_sequence": message.get("stop_sequence")}
    events.append(
        ({"type": "message_delta", "delta": stop, "usage": {"output_tokens": usage["output_tokens"]}}, False)
    )
    events.append(({"type": "message_stop"}, False))
    return events


def sse_stream(message: dict[str, Any]) -> Streamed:
    events = stream_events(message)
    frames = [Frame(sse(e, event=e["type"]), content) for e, content in events]
    # The API pings once after message_start; clients must skip it.
    frames.insert(1, Frame(sse({"type": "ping"}, event="ping")))
    return Streamed(frames, "text/event-stream; charset=utf-8", STREAM_OVERLOADED)


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

    def default_answer(self, request: Received) -> Answer | Streamed:
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
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": output},
        }
        return sse_stream(message) if body.get("stream") else Answer(200, message)
