"""A fake sagemaker-runtime: ``POST /endpoints/{name}/invocations`` over REST-JSON.

Point boto3 at it with ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=<fake.url>``. The default answer
follows the body's shape, as the containers would:

- ``{"messages": ...}`` (TGI messages API): an OpenAI chat completion echoing the last user
  text, or a tool call when tools are given and no tool result has come back yet;
- ``{"inputs": "<prompt>"}`` (TGI generate): ``[{"generated_text", "details"}]``;
- ``{"inputs": [[dialog]]}`` (JumpStart Llama 2 chat): ``[{"generation": {...}}]``;
- anything else: ``[{"generated_text": ...}]``.

A grammar (TGI's ``{"type": "json", "value": <schema>}``, as the messages API's
``response_format`` or generate's ``parameters.grammar``) makes the answer JSON fitting the
schema. A messages body with ``reasoning_effort`` is answered as vLLM's reasoning parsers do:
``reasoning_content`` beside the content, counted in ``completion_tokens_details``.

``POST /endpoints/{name}/invocations-response-stream`` answers in ``vnd.amazon.eventstream``
``PayloadPart`` events carrying the container's bytes. With ``"stream": true``, TGI's server-sent
events (``data:{...}``, no space, as TGI writes them): chat completion chunks then
``data:[DONE]`` for the messages API, ``{"token", "generated_text", "details"}`` events for
generate (the last carries the special end token, the whole text and the details). Other
bodies get the container's one JSON answer. Like containers, the fake cuts some parts in the
middle of an event (``split_parts``). ``stream_error`` builds the ``ModelStreamError`` events
sent mid-stream; pacing and failures go through ``fake.stream`` (see streaming.py).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tests.fakes import eventstream
from tests.fakes.aws_http import FakeAwsServer, Recorded, Reply, aws_error, words
from tests.fakes.json_instances import instance
from tests.fakes.openai_compatible import chat_chunks
from tests.fakes.streaming import Frame, Streamed, pieces, sse

NAMESPACE = "sagemaker"


def error(code: str, status: int, message: str, **fields: Any) -> Reply:
    return aws_error(code, status, message, namespace=NAMESPACE, **fields)


def model_error(original_status: int, original_message: str) -> Reply:
    return error(
        "ModelError",
        424,
        f'Received client error ({original_status}) from primary with message "{original_message}".',
        OriginalStatusCode=original_status,
        OriginalMessage=original_message,
        LogStreamArn="arn:aws:logs:us-east-1:210987654321:log-group:/aws/sagemaker/Endpoints/x",
    )


NOT_FOUND = error("ValidationError", 400, "Endpoint tgi-endpoint of account 210987654321 not found.")
UNAVAILABLE = error("ServiceUnavailable", 503, "The service is unavailable.")
NOT_READY = error("ModelNotReadyException", 429, "Model is not ready.")
THROTTLED = error("ThrottlingException", 400, "Rate exceeded")
INTERNAL = error("InternalFailure", 500, "An internal failure occurred.")
MALFORMED = Reply(200, {"no": "generated text here"})


def stream_error(message: str, error_code: str = "StreamBroken") -> bytes:
    """A ``ModelStreamError`` event (``ErrorCode`` is e.g. ``ModelInvocationTimeExceeded``)."""
    return eventstream.exception("ModelStreamError", {"Message": message, "ErrorCode": error_code})


STREAM_BROKEN = stream_error("The model stream broke while reading the container's response.")
STREAM_TIMEOUT = stream_error("The model took too long to respond.", "ModelInvocationTimeExceeded")
INTERNAL_STREAM_FAILURE = eventstream.exception(
    "InternalStreamFailure", {"Message": "The stream processing failed because of an internal error."}
)
GENERATED_TEXT = "generated says hi"


def payload_stream(events: list[tuple[bytes, bool]], content_type: str, *, split: bool = True) -> Streamed:
    """Container output as ``PayloadPart`` events: (bytes, is content) pieces, some cut mid-event.

    A part counts as content when it completes a content piece."""
    data = b"".join(piece for piece, _ in events)
    content_ends, cuts, start = [], [], 0
    for index, (piece, content) in enumerate(events):
        end = start + len(piece)
        if content:
            content_ends.append(end)
        middle = split and len(piece) > 1 and (index % 3 == 1 or len(events) == 1)
        cuts.append(start + len(piece) // 2 if middle else end)
        start = end
    cuts.append(len(data))
    frames, begin = [], 0
    for cut in cuts:
        if cut > begin:
            part = eventstream.event("PayloadPart", data[begin:cut], "application/octet-stream")
            frames.append(Frame(part, any(begin < end <= cut for end in content_ends)))
            begin = cut
    headers = {
        "X-Amzn-SageMaker-Content-Type": content_type,
        "x-Amzn-Invoked-Production-Variant": "AllTraffic",
    }
    return Streamed(frames, "application/vnd.amazon.eventstream", STREAM_BROKEN, headers)


def generate_events(text: str) -> list[tuple[bytes, bool]]:
    """TGI generate_stream's events for ``text``: one per word, then the end token with the totals."""
    tokens = pieces(text)
    events = []
    for index, token in enumerate([*tokens, "</s>"], start=1):
        last = index > len(tokens)
        event = {
            "index": index,
            "token": {"id": 2 if last else 1000 + index, "text": token, "logprob": -0.25, "special": last},
            "generated_text": text if last else None,
            "details": (
                {"finish_reason": "eos_token", "generated_tokens": index, "seed": None} if last else None
            ),
        }
        events.append((sse(event, space=False), not last))
    return events


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


class FakeSageMakerRuntime(FakeAwsServer):
    def __init__(self, *, split_parts: bool = True) -> None:
        super().__init__()
        self.split_parts = split_parts

    def route(self, method: str, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        operation = {
            "invocations": "InvokeEndpoint",
            "invocations-response-stream": "InvokeEndpointWithResponseStream",
        }
        if method == "POST" and len(parts) == 4 and parts[1] == "endpoints" and parts[3] in operation:
            return operation[parts[3]], unquote(parts[2])
        return None

    def default_reply(self, request: Recorded) -> Reply | Streamed:
        if request.operation == "InvokeEndpointWithResponseStream":
            return self._stream(request.body)
        return self._answer(request.body)

    def _stream(self, raw: bytes) -> Streamed:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        streams = isinstance(body, dict) and body.get("stream") is True
        if streams and "messages" in body:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = chat_chunks(self._chat(body), include_usage=include_usage, role_in_every_delta=True)
            events = [(sse(c, space=False), content) for c, content in chunks]
            events.append((sse("[DONE]", space=False), False))
            return payload_stream(events, "text/event-stream", split=self.split_parts)
        if streams and isinstance(body.get("inputs"), str):
            events = generate_events(_generated(body))
            return payload_stream(events, "text/event-stream", split=self.split_parts)
        # A container that does not stream this request answers once; its bytes still come in parts.
        reply = self._answer(raw)
        return payload_stream([(reply.encoded(), True)], "application/json", split=self.split_parts)

    def _answer(self, raw: bytes) -> Reply:
        try:
            body = json.loads(raw)
        except ValueError:
            return Reply(200, [{"generated_text": "plain says hi"}])
        if isinstance(body, dict) and "messages" in body:
            return Reply(200, self._chat(body))
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if isinstance(inputs, str):
            text = _generated(body)
            details = {"finish_reason": "eos_token", "generated_tokens": words(text), "prefill": []}
            return Reply(200, [{"generated_text": text, "details": details}])
        if isinstance(inputs, list):
            dialog = inputs[0]
            text = "echo: " + dialog[-1]["content"]
            return Reply(200, [{"generation": {"role": "assistant", "content": text}}])
        return Reply(200, [{"generated_text": "handler says hi"}])

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body["messages"]
        has_result = bool(messages) and messages[-1].get("role") == "tool"
        if body.get("tools") and not has_result:
            name = body["tools"][0]["function"]["name"]
            # TGI sends arguments as an object rather than a string.
            call = {"id": "0", "type": "function", "function": {"name": name, "arguments": {"query": "x"}}}
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
            finish = "tool_calls"
        elif has_result:
            message = {"role": "assistant", "content": "tool said: " + str(messages[-1].get("content"))}
            finish = "stop"
        else:
            message = {"role": "assistant", "content": "echo: " + _last_user_text(messages)}
            finish = "eos_token"
        if _grammar_schema(body.get("response_format")) is not None and not message.get("tool_calls"):
            message["content"] = json.dumps(instance(_grammar_schema(body["response_format"])))
        prompt = sum(words(str(m.get("content") or "")) for m in messages)
        completion = words(str(message.get("content") or ""))
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion}
        if body.get("reasoning_effort"):
            message["reasoning_content"] = "Thinking about " + _last_user_text(messages)
            reasoning = words(message["reasoning_content"])
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion + reasoning,
                "completion_tokens_details": {"reasoning_tokens": reasoning},
            }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {
            "object": "chat.completion",
            "id": "",
            "created": 0,
            "model": "tgi",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": usage,
        }


def _grammar_schema(grammar: Any) -> Any:
    """The schema of TGI's grammar (``json_object`` is its alias of ``json``), or None."""
    if isinstance(grammar, dict) and grammar.get("type") in ("json", "json_object"):
        return grammar.get("value", {"type": "object"})
    return None


def _generated(body: dict[str, Any]) -> str:
    schema = _grammar_schema((body.get("parameters") or {}).get("grammar"))
    return GENERATED_TEXT if schema is None else json.dumps(instance(schema))
