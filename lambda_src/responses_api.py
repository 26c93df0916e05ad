"""The Responses API as a translation of the chat path: a ``POST /v1/responses`` body becomes a
chat completion request, and the adapters' answer (one :class:`ChatResult`, or its deltas as they
stream) becomes a ``response`` object or the Responses API's typed server-sent events.

Nothing here does I/O, and nothing is kept: every id is new, and a request carries the whole
conversation (see :mod:`lambda_src.responses_types`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from lambda_src.api_types import ChatCompletionRequest
from lambda_src.chat import (
    ChatResult,
    Delta,
    FinishDelta,
    FinishReason,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageDelta,
)
from lambda_src.exceptions import ApiError, InvalidRequestError
from lambda_src.request_body import describe_validation_error
from lambda_src.responses_types import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    InputText,
    MessageItem,
    OutputText,
    Refusal,
    ResponseCreateRequest,
)

Status = Literal["completed", "incomplete"]
# Why an answer is incomplete, in the Responses API's words.
_INCOMPLETE: dict[FinishReason, str] = {"length": "max_output_tokens", "content_filter": "content_filter"}


# --- request: Responses -> Chat Completions -----------------------------------------------------


def chat_extras(request: ResponseCreateRequest) -> dict[str, Any]:
    """The chat request's fields for ``text.format`` (``response_format``) and
    ``reasoning.effort`` (``reasoning_effort``): the one place that maps them."""
    extras: dict[str, Any] = {}
    text_format = request.text.format if request.text else None
    if text_format is not None and text_format.type == "json_object":
        extras["response_format"] = {"type": "json_object"}
    elif text_format is not None and text_format.type == "json_schema":
        if text_format.name is None or text_format.schema_ is None:
            raise InvalidRequestError(
                "text.format of type 'json_schema' needs a name and a schema", param="text.format"
            )
        spec: dict[str, Any] = {"name": text_format.name, "schema": text_format.schema_}
        if text_format.description is not None:
            spec["description"] = text_format.description
        if text_format.strict is not None:
            spec["strict"] = text_format.strict
        extras["response_format"] = {"type": "json_schema", "json_schema": spec}
    effort = request.reasoning.effort if request.reasoning else None
    if effort is not None:
        extras["reasoning_effort"] = effort
    return extras


def _text(part: InputText | OutputText | Refusal) -> str:
    return part.refusal if isinstance(part, Refusal) else part.text


def _message(item: MessageItem, where: str) -> dict[str, Any]:
    if isinstance(item.content, str):
        return {"role": item.role, "content": item.content}
    parts: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, InputImage):
            if item.role != "user":
                raise InvalidRequestError(
                    f"only user messages may hold images (this one's role is {item.role!r})",
                    param=f"{where}.content",
                )
            parts.append(
                {"type": "image_url", "image_url": part.as_image_url().model_dump(exclude_none=True)}
            )
        else:
            parts.append({"type": "text", "text": _text(part)})
    return {"role": item.role, "content": parts}


def _output_text(item: FunctionCallOutputItem) -> str:
    return item.output if isinstance(item.output, str) else "".join(p.text for p in item.output)


def chat_messages(request: ResponseCreateRequest) -> list[dict[str, Any]]:
    """``instructions`` and ``input`` as chat messages; a model's function calls join the
    assistant message before them, as Chat Completions carries them."""
    messages: list[dict[str, Any]] = []
    if request.instructions:
        messages.append({"role": "system", "content": request.instructions})
    if isinstance(request.input, str):
        return [*messages, {"role": "user", "content": request.input}]
    for index, item in enumerate(request.input):
        if isinstance(item, MessageItem):
            messages.append(_message(item, f"input.{index}"))
        elif isinstance(item, FunctionCallItem):
            call = {
                "id": item.call_id,
                "type": "function",
                "function": {"name": item.name, "arguments": item.arguments},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif isinstance(item, FunctionCallOutputItem):
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": _output_text(item)})
    return messages


def to_chat_request(request: ResponseCreateRequest) -> ChatCompletionRequest:
    """The chat completion request that asks the model what ``request`` asks."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": chat_messages(request),
        **chat_extras(request),
    }
    if request.max_output_tokens is not None:
        body["max_completion_tokens"] = request.max_output_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": tool.model_dump(exclude={"type"}, exclude_none=True)}
            for tool in request.tools
        ]
    if isinstance(request.tool_choice, str):
        body["tool_choice"] = request.tool_choice
    elif request.tool_choice is not None:
        body["tool_choice"] = {"type": "function", "function": {"name": request.tool_choice.name}}
    if request.stream:
        body["stream"] = True
    try:
        return ChatCompletionRequest.model_validate_json(json.dumps(body))
    except ValidationError as err:
        # What the items validated above cannot show alone (tool_choice naming no tool, an
        # assistant message with nothing in it): said in the chat API's words.
        raise describe_validation_error(err.errors(include_url=False, include_input=False)) from None


# --- answer: Responses objects ------------------------------------------------------------------


def new_response_id() -> str:
    return f"resp_{uuid.uuid4().hex}"


def _item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [_text_part(text)] if status != "in_progress" else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def function_call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def _status(finish: FinishReason) -> Status:
    return "incomplete" if finish in _INCOMPLETE else "completed"


@dataclass(frozen=True)
class ResponseHeader:
    """What every ``response`` object of one request repeats: its id, time, model and the
    settings it was asked with."""

    id: str
    created_at: int
    model: str
    request: ResponseCreateRequest

    @classmethod
    def new(cls, request: ResponseCreateRequest, model: str) -> ResponseHeader:
        return cls(new_response_id(), int(time.time()), model, request)

    def body(
        self,
        status: str,
        output: list[dict[str, Any]],
        usage: Usage | None = None,
        finish: FinishReason | None = None,
    ) -> dict[str, Any]:
        request = self.request
        tool_choice: Any = request.tool_choice or "auto"
        if not isinstance(tool_choice, str):
            tool_choice = tool_choice.model_dump()
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "completed_at": int(time.time()) if status == "completed" else None,
            "error": None,
            "incomplete_details": {"reason": _INCOMPLETE[finish]} if finish in _INCOMPLETE else None,
            "instructions": request.instructions,
            "max_output_tokens": request.max_output_tokens,
            "max_tool_calls": request.max_tool_calls,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": request.parallel_tool_calls is not False,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "store": False,
            "temperature": request.temperature,
            "text": {"format": {"type": "text"}},
            "tool_choice": tool_choice,
            "tools": [tool.model_dump(by_alias=True) for tool in request.tools or ()],
            "top_p": request.top_p,
            "truncation": request.truncation or "disabled",
            "usage": usage_body(usage) if usage is not None else None,
            "user": request.user,
            "metadata": dict(request.metadata or {}),
        }


def response_body(result: ChatResult, header: ResponseHeader) -> dict[str, Any]:
    """A complete ``response`` object for an answer in hand."""
    status = _status(result.finish_reason)
    output: list[dict[str, Any]] = []
    if result.content:
        output.append(message_item(_item_id("msg"), result.content, status))
    output += [
        function_call_item(_item_id("fc"), call.id, call.name, call.arguments, "completed")
        for call in result.tool_calls
    ]
    return header.body(status, output, result.usage, result.finish_reason)


# --- streaming: typed events --------------------------------------------------------------------


@dataclass
class _Item:
    """An output item being streamed."""

    id: str
    kind: Literal["message", "function_call"]
    output_index: int
    call_id: str = ""
    name: str = ""
    pieces: list[str] = field(default_factory=list)
    # Set when the item is done.
    status: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def body(self, status: str) -> dict[str, Any]:
        if self.kind == "message":
            return message_item(self.id, self.text, status)
        # Deltas add to the arguments of the added item: it starts empty.
        arguments = self.text if status == "in_progress" else self.text or "{}"
        return function_call_item(self.id, self.call_id, self.name, arguments, status)


class ResponseEventEncoder:
    """Turns one answer's deltas into the Responses API's server-sent events.

    Each event is ``event: <type>`` and ``data: <json>`` with a ``sequence_number`` counted from
    0. A message item closes when a function call starts (text after it opens a new one); the
    function calls close at the end, so a fragment that comes late still has its item.
    """

    def __init__(self, header: ResponseHeader) -> None:
        self._header = header
        self._sequence = 0
        self._items: list[_Item] = []
        self._message: _Item | None = None
        self._calls: dict[int, _Item] = {}
        self._finish: FinishReason = "stop"
        self._usage = Usage()

    def _event(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return f"event: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()

    def start(self) -> Iterator[bytes]:
        response = self._header.body("in_progress", [])
        yield self._event("response.created", response=response)
        yield self._event("response.in_progress", response=response)

    def _open(self, item: _Item) -> Iterator[bytes]:
        self._items.append(item)
        yield self._event(
            "response.output_item.added", output_index=item.output_index, item=item.body("in_progress")
        )

    def _close(self, item: _Item, status: str) -> Iterator[bytes]:
        item.status = status
        where = {"item_id": item.id, "output_index": item.output_index}
        if item.kind == "message":
            part = _text_part(item.text)
            yield self._event(
                "response.output_text.done", **where, content_index=0, text=item.text, logprobs=[]
            )
            yield self._event("response.content_part.done", **where, content_index=0, part=part)
        else:
            yield self._event(
                "response.function_call_arguments.done", **where, name=item.name, arguments=item.text or "{}"
            )
        yield self._event("response.output_item.done", output_index=item.output_index, item=item.body(status))

    def encode(self, delta: Delta) -> Iterator[bytes]:
        if isinstance(delta, TextDelta):
            if not delta.text:
                return
            if self._message is None:
                self._message = _Item(_item_id("msg"), "message", len(self._items))
                yield from self._open(self._message)
                yield self._event(
                    "response.content_part.added",
                    item_id=self._message.id,
                    output_index=self._message.output_index,
                    content_index=0,
                    part=_text_part(""),
                )
            self._message.pieces.append(delta.text)
            yield self._event(
                "response.output_text.delta",
                item_id=self._message.id,
                output_index=self._message.output_index,
                content_index=0,
                delta=delta.text,
                logprobs=[],
            )
        elif isinstance(delta, ToolCallDelta):
            call = self._calls.get(delta.index)
            if call is None:
                if self._message is not None:
                    yield from self._close(self._message, "completed")
                    self._message = None
                call = _Item(
                    _item_id("fc"),
                    "function_call",
                    len(self._items),
                    call_id=delta.id or f"call_{delta.index}",
                    name=delta.name or "",
                )
                self._calls[delta.index] = call
                yield from self._open(call)
            if delta.arguments:
                call.pieces.append(delta.arguments)
                yield self._event(
                    "response.function_call_arguments.delta",
                    item_id=call.id,
                    output_index=call.output_index,
                    delta=delta.arguments,
                )
        elif isinstance(delta, FinishDelta):
            self._finish = delta.reason
        elif isinstance(delta, UsageDelta):
            self._usage = delta.usage
        # Reasoning and the serving tier have no output item here: reasoning items would have to
        # be sent back, and this API keeps no state to check them against (see the README).

    def finish(self) -> Iterator[bytes]:
        status = _status(self._finish)
        for item in self._items:
            if item.status is None:
                yield from self._close(item, status if item.kind == "message" else "completed")
        output = [item.body(item.status or status) for item in self._items]
        response = self._header.body(status, output, self._usage, self._finish)
        yield self._event(f"response.{status}", response=response)

    def error(self, err: ApiError) -> Iterator[bytes]:
        """The stream's last event when the answer fails under way."""
        yield self._event("error", code=err.code or err.type, message=err.message, param=err.param)
