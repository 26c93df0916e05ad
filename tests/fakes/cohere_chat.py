"""A fake Cohere Chat API v2 (what langchain-cohere 0.6 calls): ``POST /v2/chat`` with a Bearer key.

The default answer echoes the last user text (``finish_reason`` ``COMPLETE``), or a tool call for
the first tool when tools are given and no tool result came back (``TOOL_CALL``). With
``"stream": true`` it comes as server-sent events: message-start, the tool plan, tool calls
(start, argument fragments, end) and text (start, one delta per word, end), then message-end
with the finish reason and usage. Cohere reports a failure in that last event (``stream_error``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, last_user_text, words
from tests.fakes.streaming import Frame, Streamed, fragments, pieces, sse


def stream_error(message: str) -> bytes:
    return sse(
        {"type": "message-end", "delta": {"error": message, "finish_reason": "ERROR"}}, event="message-end"
    )


STREAM_ERROR = stream_error("internal server error, this has been reported to our developers")


def sse_stream(answer: dict[str, Any]) -> Streamed:
    """A chat answer as ``/v2/chat`` streams it."""
    message = answer["message"]
    events: list[tuple[dict[str, Any], bool]] = [
        ({"type": "message-start", "id": answer["id"], "delta": {"message": {"role": "assistant"}}}, False)
    ]
    for piece in pieces(message.get("tool_plan", "")):
        events.append(({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}}, True))
    for index, call in enumerate(message.get("tool_calls", ())):
        opened = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        events.append(
            ({"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": opened}}}, True)
        )
        for part in fragments(call["function"]["arguments"]):
            delta = {"message": {"tool_calls": {"function": {"arguments": part}}}}
            events.append(({"type": "tool-call-delta", "index": index, "delta": delta}, True))
        events.append(({"type": "tool-call-end", "index": index}, False))
    for index, block in enumerate(message.get("content", ())):
        opened = {"message": {"content": {"type": "text", "text": ""}}}
        events.append(({"type": "content-start", "index": index, "delta": opened}, False))
        for piece in pieces(block["text"]):
            delta = {"message": {"content": {"text": piece}}}
            events.append(({"type": "content-delta", "index": index, "delta": delta}, True))
        events.append(({"type": "content-end", "index": index}, False))
    end = {"finish_reason": answer["finish_reason"], "usage": answer["usage"]}
    events.append(({"type": "message-end", "delta": end}, False))
    frames = [Frame(sse(e, event=e["type"]), content) for e, content in events]
    return Streamed(frames, "text/event-stream", STREAM_ERROR)


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

    def default_answer(self, request: Received) -> Answer | Streamed:
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
        answer = {
            "id": "cohere-fake",
            "finish_reason": finish,
            "message": message,
            "usage": {"billed_units": usage, "tokens": usage},
        }
        return sse_stream(answer) if body.get("stream") else Answer(200, answer)
