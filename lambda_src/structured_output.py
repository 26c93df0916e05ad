"""Every answer to a ``response_format`` request is checked before it is passed on.

Models are asked for JSON their own way (Converse's output format or a forced tool, TGI's
grammar, the provider's own parameter); whatever they return, the text must parse as a JSON
object (``json_object``) or match the schema (``json_schema``), or the client gets an
:class:`AnswerFormatError` naming where it departs (never the answer itself): an HTTP 502, or an
error event at the end of a stream whose text has already gone out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lambda_src.adapters.base import ChatModel, DeltaStream
from lambda_src.api_types import ChatCompletionRequest, StructuredOutput
from lambda_src.chat import ChatResult, Delta, FinishDelta, FinishReason, TextDelta, ToolCallDelta
from lambda_src.exceptions import AnswerFormatError
from lambda_src.json_schema import SchemaError, mismatch


def answer_problem(text: str | None, finish: FinishReason, output: StructuredOutput) -> str | None:
    """Why ``text`` is not the answer ``output`` asked for, or None."""
    if finish == "length":
        return "the answer was cut off at max_tokens before its JSON was complete; allow more tokens"
    try:
        value: Any = json.loads(text or "")
    except (ValueError, RecursionError):
        return "the answer is not JSON"
    if output.schema is None:
        return None if isinstance(value, dict) else "the answer is not a JSON object"
    try:
        where = mismatch(value, output.schema)
    except SchemaError as err:
        return str(err)
    return f"the answer does not match the schema: {where}" if where else None


def _raise(problem: str, spec_id: str, output: StructuredOutput) -> None:
    raise AnswerFormatError(
        f"model {spec_id!r}: {problem} (response_format {output.name!r})",
        reason="structured output check failed",
    )


def checked_result(result: ChatResult, output: StructuredOutput, spec_id: str) -> ChatResult:
    if not result.tool_calls and (problem := answer_problem(result.content, result.finish_reason, output)):
        _raise(problem, spec_id, output)
    return result


def checked_deltas(deltas: Iterator[Delta], output: StructuredOutput, spec_id: str) -> Iterator[Delta]:
    """``deltas`` as they come; the text is checked once the stream has ended."""
    text: list[str] = []
    finish: FinishReason = "stop"
    calls = False
    for delta in deltas:
        if isinstance(delta, TextDelta):
            text.append(delta.text)
        elif isinstance(delta, FinishDelta):
            finish = delta.reason
        elif isinstance(delta, ToolCallDelta):
            calls = True
        yield delta
    if not calls and (problem := answer_problem("".join(text), finish, output)):
        _raise(problem, spec_id, output)


def _drain(stream: DeltaStream) -> Iterator[Delta]:
    while (delta := stream.next()) is not None:
        yield delta


class CheckedModel:
    """A chat model whose answers to structured-output requests are checked."""

    def __init__(self, model: ChatModel, spec_id: str) -> None:
        self._model = model
        self._spec_id = spec_id

    def chat(self, request: ChatCompletionRequest) -> ChatResult:
        result = self._model.chat(request)
        output = request.structured_output
        return checked_result(result, output, self._spec_id) if output else result

    def stream(self, request: ChatCompletionRequest) -> DeltaStream:
        stream = self._model.stream(request)
        output = request.structured_output
        if output is None:
            return stream
        return DeltaStream(checked_deltas(_drain(stream), output, self._spec_id), close=stream.cancel)
