"""A fake bedrock-runtime: Converse and InvokeModel over REST-JSON, as botocore calls them.

Point boto3 at it with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<fake.url>``. Default answers are a
small deterministic "model":

- Converse: ``echo: <last user text>``; with tools configured (and no tool result yet) a call
  of the first (or the chosen) tool; after a tool result, ``tool said: <result>``. maxTokens
  cuts the answer (stopReason ``max_tokens``); usage counts words.
- InvokeModel: Titan and Cohere embedding bodies, and the native chat bodies (Anthropic
  messages, Llama, Mistral, Titan text, completion-style).
- ConverseStream: the Converse answer in ``vnd.amazon.eventstream`` events (``converse_stream``):
  one text delta per word, tool input in JSON fragments.
- InvokeModelWithResponseStream: ``chunk`` events holding the native stream's JSON, base64-encoded,
  for Anthropic messages and Llama bodies.

Streams are paced, held and failed through ``fake.stream`` (see streaming.py); ``stream_error``
builds the exception events Bedrock sends mid-stream.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote

from tests.fakes import anthropic_messages, eventstream
from tests.fakes.aws_http import FakeAwsServer, Recorded, Reply, aws_error, vector, words
from tests.fakes.streaming import Frame, Streamed, fragments, pieces

NAMESPACE = "bedrock"


def error(code: str, status: int, message: str, **fields: Any) -> Reply:
    return aws_error(code, status, message, namespace=NAMESPACE, **fields)


# The faults Bedrock answers with, in its wire shape.
ACCESS_DENIED = error(
    "AccessDeniedException", 403, "You don't have access to the model with the specified model ID."
)
THROTTLED = error("ThrottlingException", 429, "Too many requests, please wait before trying again.")
VALIDATION = error("ValidationException", 400, "The model returned the following errors: Input is too long.")
NOT_READY = error("ModelNotReadyException", 429, "Model is not ready for inference. Wait and try again.")
UNAVAILABLE = error("ServiceUnavailableException", 503, "The service is unavailable. Try again later.")
MODEL_ERROR = error(
    "ModelErrorException",
    424,
    "The request failed due to an error while processing the model.",
    originalStatusCode=500,
)
NOT_FOUND = error("ResourceNotFoundException", 404, "Model not found.")
TIMEOUT = error("ModelTimeoutException", 408, "Model timed out.")
MALFORMED = Reply(200, {"unexpected": "shape"})
NOT_JSON = Reply(200, b"<html>gateway error</html>", {"Content-Type": "text/html"})
LLAMA_TEXT = "llama says hi"


def stream_error(exception_type: str, message: str, **fields: Any) -> bytes:
    """An exception event, named as the stream's union names it (``throttlingException``)."""
    return eventstream.exception(exception_type, {"message": message, **fields})


# The exceptions ConverseStream and InvokeModelWithResponseStream send after the first byte.
STREAM_MODEL_ERROR = stream_error(
    "modelStreamErrorException",
    "The model stream failed.",
    originalStatusCode=500,
    originalMessage="generation aborted",
)
STREAM_THROTTLED = stream_error("throttlingException", "Too many tokens, please wait before trying again.")
STREAM_UNAVAILABLE = stream_error("serviceUnavailableException", "The service is unavailable.")
STREAM_INTERNAL = stream_error("internalServerException", "The server encountered an internal error.")
STREAM_VALIDATION = stream_error("validationException", "The output exceeded the model's limits.")
# Only InvokeModelWithResponseStream declares this one; ConverseStream's union does not.
STREAM_TIMEOUT = stream_error("modelTimeoutException", "Model timed out.")

# Bedrock pads every event with a "p" field so sizes do not give tokens away; parsers ignore it.
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _event(event_type: str, body: dict[str, Any], *, content: bool = False) -> Frame:
    padded = {**body, "p": _PADDING[: 1 + len(json.dumps(body)) % len(_PADDING)]}
    return Frame(eventstream.json_event(event_type, padded), content)


def converse_body(
    text: str, *, stop: str = "end_turn", input_tokens: int = 3, output_tokens: int | None = None
) -> dict[str, Any]:
    output = words(text) if output_tokens is None else output_tokens
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": input_tokens, "outputTokens": output, "totalTokens": input_tokens + output},
        "metrics": {"latencyMs": 5},
    }


def converse_reply(
    text: str, *, stop: str = "end_turn", input_tokens: int = 3, output_tokens: int | None = None
) -> Reply:
    return Reply(200, converse_body(text, stop=stop, input_tokens=input_tokens, output_tokens=output_tokens))


def converse_stream(answer: dict[str, Any]) -> Streamed:
    """A Converse answer as ConverseStream sends it.

    Text blocks get no contentBlockStart (Bedrock sends none), one delta per word; tool uses get a
    start with id and name, then their input as JSON fragments; reasoning blocks stream their
    text, then their signature. Script one with ``fake.script(model, converse_stream(body))``.
    """
    message = answer["output"]["message"]
    frames = [_event("messageStart", {"role": message["role"]})]
    for index, block in enumerate(message["content"]):
        deltas: list[dict[str, Any]] = []
        if "text" in block:
            deltas = [{"text": piece} for piece in pieces(block["text"])]
        elif "toolUse" in block:
            use = block["toolUse"]
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            frames.append(
                _event("contentBlockStart", {"start": start, "contentBlockIndex": index}, content=True)
            )
            deltas = [{"toolUse": {"input": part}} for part in fragments(json.dumps(use["input"]))]
        elif "reasoningContent" in block:
            reasoning = block["reasoningContent"]["reasoningText"]
            deltas = [{"reasoningContent": {"text": piece}} for piece in pieces(reasoning["text"])]
            if "signature" in reasoning:
                deltas.append({"reasoningContent": {"signature": reasoning["signature"]}})
        for delta in deltas:
            frames.append(
                _event("contentBlockDelta", {"delta": delta, "contentBlockIndex": index}, content=True)
            )
        frames.append(_event("contentBlockStop", {"contentBlockIndex": index}))
    frames.append(_event("messageStop", {"stopReason": answer["stopReason"]}))
    frames.append(_event("metadata", {"usage": answer["usage"], "metrics": answer["metrics"]}))
    return Streamed(frames, "application/vnd.amazon.eventstream", STREAM_MODEL_ERROR)


def invoke_stream(chunks: list[tuple[dict[str, Any], bool]]) -> Streamed:
    """Native stream events as InvokeModelWithResponseStream sends them: (event, is content) pairs."""
    frames = [
        _event("chunk", {"bytes": base64.b64encode(json.dumps(body).encode()).decode()}, content=content)
        for body, content in chunks
    ]
    return Streamed(
        frames,
        "application/vnd.amazon.eventstream",
        STREAM_MODEL_ERROR,
        {"X-Amzn-Bedrock-Content-Type": "application/json"},
    )


def _texts(blocks: list[dict[str, Any]]) -> str:
    return " ".join(b["text"] for b in blocks if "text" in b)


class FakeBedrockRuntime(FakeAwsServer):
    def route(self, method: str, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        # /model/{modelId}/{operation}; the id is one percent-encoded segment (ARNs hold "/").
        if method == "POST" and len(parts) == 4 and parts[1] == "model":
            operation = {
                "converse": "Converse",
                "invoke": "InvokeModel",
                "converse-stream": "ConverseStream",
                "invoke-with-response-stream": "InvokeModelWithResponseStream",
            }.get(parts[3])
            if operation:
                return operation, unquote(parts[2])
        return None

    def default_reply(self, request: Recorded) -> Reply | Streamed:
        if request.operation == "Converse":
            return Reply(200, self._converse(request.json))
        if request.operation == "ConverseStream":
            return converse_stream(self._converse(request.json))
        if request.operation == "InvokeModelWithResponseStream":
            return self._invoke_stream(request.target, request.json)
        return self._invoke(request.target, request.json)

    def _converse(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        last = messages[-1]["content"] if messages else []
        prompt_words = sum(words(_texts(m["content"])) for m in messages) + sum(
            words(b.get("text", "")) for b in body.get("system", [])
        )
        tool_results = [b["toolResult"] for b in last if "toolResult" in b]
        tools = (body.get("toolConfig") or {}).get("tools") or []
        if tools and not tool_results:
            choice = (body["toolConfig"].get("toolChoice") or {}).get("tool")
            name = choice["name"] if choice else tools[0]["toolSpec"]["name"]
            use = {"toolUseId": f"tooluse_{len(messages)}", "name": name, "input": {"query": _texts(last)}}
            return {
                "output": {"message": {"role": "assistant", "content": [{"toolUse": use}]}},
                "stopReason": "tool_use",
                "usage": {"inputTokens": prompt_words, "outputTokens": 5, "totalTokens": prompt_words + 5},
                "metrics": {"latencyMs": 5},
            }
        if tool_results:
            text = "tool said: " + " ".join(_texts(r["content"]) for r in tool_results)
        else:
            text = "echo: " + _texts(last)
        stop = "end_turn"
        limit = (body.get("inferenceConfig") or {}).get("maxTokens")
        if limit is not None and words(text) > limit:
            text, stop = " ".join(text.split()[:limit]), "max_tokens"
        return converse_body(text, stop=stop, input_tokens=prompt_words)

    def _invoke(self, model_id: str, body: dict[str, Any]) -> Reply:
        counts = {"X-Amzn-Bedrock-Input-Token-Count": "4", "X-Amzn-Bedrock-Output-Token-Count": "2"}
        if "texts" in body:  # Cohere Embed
            size = body.get("output_dimension", 8)
            vectors = [vector(t, size) for t in body["texts"]]
            counts["X-Amzn-Bedrock-Input-Token-Count"] = str(sum(words(t) for t in body["texts"]))
            return Reply(
                200, {"id": "e1", "embeddings": vectors, "response_type": "embeddings_floats"}, counts
            )
        if "inputText" in body and "embed" in model_id:  # Titan Embeddings
            text = body["inputText"]
            return Reply(
                200,
                {"embedding": vector(text, body.get("dimensions", 8)), "inputTextTokenCount": words(text)},
            )
        if "anthropic_version" in body:
            return Reply(200, _anthropic(body))
        if "inputText" in body:  # Titan text
            return Reply(
                200,
                {
                    "inputTextTokenCount": words(body["inputText"]),
                    "results": [
                        {"tokenCount": 2, "outputText": "titan says hi", "completionReason": "FINISH"}
                    ],
                },
            )
        if _is_llama(model_id, body):
            return Reply(
                200,
                {
                    "generation": LLAMA_TEXT,
                    "prompt_token_count": 9,
                    "generation_token_count": 3,
                    "stop_reason": "stop",
                },
            )
        if "mistral" in model_id:
            return Reply(200, {"outputs": [{"text": "mistral says hi", "stop_reason": "stop"}]}, counts)
        return Reply(200, {"choices": [{"text": "completion says hi", "stop_reason": "length"}]}, counts)

    def _invoke_stream(self, model_id: str, body: dict[str, Any]) -> Reply | Streamed:
        if "anthropic_version" in body:
            answer = _anthropic(body)
            message = {"id": "msg_bdrk_fake", "type": "message", "role": "assistant", "model": model_id}
            events = anthropic_messages.stream_events({**message, **answer, "stop_sequence": None})
            # Bedrock adds its own counts to the last event.
            events[-1][0]["amazon-bedrock-invocationMetrics"] = _metrics(
                answer["usage"]["input_tokens"], answer["usage"]["output_tokens"]
            )
            return invoke_stream(events)
        if _is_llama(model_id, body):
            tokens = pieces(LLAMA_TEXT)
            chunks = []
            for count, token in enumerate(tokens, start=1):
                chunk = {
                    "generation": token,
                    "prompt_token_count": 9 if count == 1 else None,
                    "generation_token_count": count,
                    "stop_reason": None,
                }
                if count == len(tokens):
                    chunk |= {"stop_reason": "stop", "amazon-bedrock-invocationMetrics": _metrics(9, count)}
                chunks.append((chunk, True))
            return invoke_stream(chunks)
        return error(
            "ValidationException", 400, "This fake streams Anthropic messages and Llama bodies only."
        )


def _is_llama(model_id: str, body: dict[str, Any]) -> bool:
    return "max_gen_len" in body or "meta" in model_id


def _anthropic(body: dict[str, Any]) -> dict[str, Any]:
    text = "echo: " + _texts(body["messages"][-1]["content"])
    return {
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 7, "output_tokens": words(text)},
    }


def _metrics(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "inputTokenCount": input_tokens,
        "outputTokenCount": output_tokens,
        "invocationLatency": 5,
        "firstByteLatency": 2,
    }
