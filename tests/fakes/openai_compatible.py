"""An OpenAI-compatible chat-completions API: OpenAI, Mistral, openai_compatible providers, and Azure
OpenAI deployments.

- ``FakeChatCompletions(key, prefix="/v1")``: ``POST {prefix}/chat/completions`` with
  ``Authorization: Bearer <key>`` (OpenAI and Mistral ``/v1``, Groq-like ``/openai/v1``, Azure's
  v1 API ``/openai/v1``).
- ``FakeAzureOpenAI({deployment: key})``: ``POST /openai/deployments/{deployment}/chat/completions
  ?api-version=...`` with an ``api-key`` header holding that deployment's key.

The default answer echoes the last user text (``echo: ...``), or calls the first tool when tools
are given and no tool result has come back yet, with word counts as token usage. With
``"stream": true`` it comes as server-sent ``chat.completion.chunk`` events (``chat_chunks``,
which the SageMaker fake reuses for TGI): the role, one content delta per word, the tool call's
id and name then its arguments in fragments, the finish reason, the usage when
``stream_options.include_usage`` asks for it, and ``data: [DONE]``. Azure first sends a chunk
with no choices (its prompt filter results), as the real service does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.http_json import Answer, JsonApiFake, Received, last_user_text, words
from tests.fakes.json_instances import instance
from tests.fakes.streaming import Frame, Streamed, fragments, pieces, sse

SSE = "text/event-stream; charset=utf-8"


def stream_error(message: str, kind: str = "server_error", code: str | None = None) -> bytes:
    """An error event after the stream started (the OpenAI SDK raises APIError on it)."""
    return sse({"error": {"message": message, "type": kind, "param": None, "code": code}})


STREAM_ERROR = stream_error("The server had an error while processing your request.")

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


def chat_chunks(
    answer: dict[str, Any], *, include_usage: bool = False, role_in_every_delta: bool = False
) -> list[tuple[dict[str, Any], bool]]:
    """A chat completion as ``chat.completion.chunk`` events: (chunk, carries content) pairs.

    ``role_in_every_delta`` sends no role-only chunk and repeats the role in each delta (TGI)."""
    choice = answer["choices"][0]
    message = choice["message"]
    head = {"id": answer["id"], "object": "chat.completion.chunk"}
    head |= {"created": answer["created"], "model": answer["model"]}
    if include_usage:
        head["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        if role_in_every_delta:
            delta = {"role": "assistant", **delta}
        return head | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    chunks: list[tuple[dict[str, Any], bool]] = []
    if not role_in_every_delta:
        chunks.append((chunk({"role": "assistant", "content": ""}), False))
    # vLLM's reasoning parsers stream the thinking first, as ``reasoning_content``.
    chunks += [
        (chunk({"reasoning_content": p}), True) for p in pieces(message.get("reasoning_content") or "")
    ]
    chunks += [(chunk({"content": piece}), True) for piece in pieces(message.get("content") or "")]
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call["function"]
        arguments = function["arguments"]
        if not isinstance(arguments, str):  # TGI answers with an object; its stream sends text
            arguments = json.dumps(arguments)
        opened = {"index": index, "id": call["id"], "type": "function"}
        opened["function"] = {"name": function["name"], "arguments": ""}
        chunks.append((chunk({"tool_calls": [opened]}), True))
        chunks += [
            (chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]}), True)
            for part in fragments(arguments)
        ]
    chunks.append((chunk({}, choice["finish_reason"]), False))
    if include_usage:
        chunks.append((head | {"choices": [], "usage": answer["usage"]}, False))
    return chunks


def sse_stream(
    answer: dict[str, Any], body: dict[str, Any], *, preamble: dict[str, Any] | None = None
) -> Streamed:
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    chunks = chat_chunks(answer, include_usage=include_usage)
    if preamble is not None:
        chunks.insert(0, (preamble, False))
    frames = [Frame(sse(c), content) for c, content in chunks]
    frames.append(Frame(sse("[DONE]")))
    return Streamed(frames, SSE, STREAM_ERROR)


def chat_completion(body: dict[str, Any]) -> dict[str, Any]:
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
        return completion(message, "tool_calls", prompt, str(body.get("model")))
    if has_result:
        text = "tool said: " + str(messages[-1].get("content"))
    else:
        text = "echo: " + last_user_text(messages)
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":  # OpenAI's structured outputs
        text = json.dumps(instance(response_format["json_schema"]["schema"]))
    elif response_format.get("type") == "json_object":
        text = json.dumps({"echo": text})
    message = {"role": "assistant", "content": text}
    answer = completion(message, "stop", prompt, str(body.get("model")))
    if body.get("reasoning_effort"):
        # OpenAI keeps the thinking to itself and counts it.
        usage = answer["usage"]
        usage["completion_tokens"] += 4
        usage["total_tokens"] += 4
        usage["completion_tokens_details"] = {"reasoning_tokens": 4}
    if body.get("service_tier"):
        answer["service_tier"] = "default" if body["service_tier"] == "auto" else body["service_tier"]
    return answer


class FakeChatCompletions(JsonApiFake):
    def __init__(self, api_key: str, prefix: str = "/v1") -> None:
        super().__init__(api_key)
        self.prefix = prefix

    def authorized(self, request: Received) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def default_answer(self, request: Received) -> Answer | Streamed:
        if request.method != "POST" or request.path != f"{self.prefix}/chat/completions":
            return Answer(
                404, {"error": {"message": f"no route {request.path}", "type": "invalid_request_error"}}
            )
        body = request.json
        answer = chat_completion(body)
        return sse_stream(answer, body) if body.get("stream") else Answer(200, answer)


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

    def default_answer(self, request: Received) -> Answer | Streamed:
        if "api-version" not in request.query:
            return Answer(404, {"error": {"code": "404", "message": "Resource not found"}})
        body = request.json
        answer = chat_completion(body) | {"model": f"azure:{self.deployment(request)}"}
        if not body.get("stream"):
            return Answer(200, answer)
        filters = {"prompt_index": 0, "content_filter_results": {}}
        preamble = {"id": "", "object": "", "created": 0, "model": "", "choices": []}
        return sse_stream(answer, body, preamble=preamble | {"prompt_filter_results": [filters]})
