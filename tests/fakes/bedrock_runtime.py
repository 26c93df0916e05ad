"""A fake bedrock-runtime: Converse and InvokeModel over REST-JSON, as botocore calls them.

Point boto3 at it with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<fake.url>``. Default answers are a
small deterministic "model":

- Converse: ``echo: <last user text>``; with tools configured (and no tool result yet) a call
  of the first (or the chosen) tool; after a tool result, ``tool said: <result>``. maxTokens
  cuts the answer (stopReason ``max_tokens``); usage counts words.
- Structured output as the service does it: ``outputConfig.textFormat`` makes the answer JSON
  fitting the schema; a tool forced by name (or ``strict``) gets input fitting its schema.
- Reasoning as the models do it: Claude with ``thinking`` enabled (or adaptive) starts its
  answer with a signed ``reasoningContent`` block (a redacted one too when the prompt holds
  ``REDACTED_THINKING_TRIGGER``), and, like Claude, refuses a request whose tool-use turn comes
  back without its thinking first, a thinking block whose signature does not match, a
  temperature while thinking, a budget below 1024 or not below maxTokens, and a budget on a
  model that takes adaptive thinking only. gpt-oss (``reasoning_effort``) and DeepSeek-R1
  (always) reason unsigned, and gpt-oss refuses a signature sent back. ``serviceTier`` is
  echoed as the tier that served the request.
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
import hashlib
import json
from typing import Any
from urllib.parse import unquote

from tests.fakes import anthropic_messages, eventstream
from tests.fakes.aws_http import FakeAwsServer, Recorded, Reply, aws_error, vector, words
from tests.fakes.json_instances import instance
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


def validation(message: str) -> Reply:
    return error("ValidationException", 400, message)


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
        elif "redactedContent" in block.get("reasoningContent", {}):
            deltas = [{"reasoningContent": {"redactedContent": block["reasoningContent"]["redactedContent"]}}]
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
    metadata = {"usage": answer["usage"], "metrics": answer["metrics"]}
    if "serviceTier" in answer:
        metadata["serviceTier"] = answer["serviceTier"]
    frames.append(_event("metadata", metadata))
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


def sign(text: str) -> str:
    """The fake's thinking signature: bound to the text, as Claude's are."""
    return "sig_" + hashlib.sha256(text.encode()).hexdigest()[:32]


REDACTED_TRIGGER = "REDACTED_THINKING_TRIGGER"
REDACTED_DATA = b"\x00encrypted-thinking\xff"
# Claude models that take adaptive thinking only (a budget is a 400), as of 2026-11-29.
ADAPTIVE_ONLY = ("claude-opus-4-7", "claude-mythos", "claude-opus-5", "claude-sonnet-5", "claude-fable-5")


def _thinking(model_id: str, body: dict[str, Any]) -> str | None:
    """How the model reasons for this request: "signed" (Claude), "plain", or None."""
    fields = body.get("additionalModelRequestFields") or {}
    if "anthropic" in model_id:
        kind = (fields.get("thinking") or {}).get("type")
        return "signed" if kind in ("enabled", "adaptive") else None
    if "deepseek.r1" in model_id or fields.get("reasoning_effort") or fields.get("reasoningConfig"):
        return "plain"
    return None


def _thinking_problem(model_id: str, body: dict[str, Any], thinking: str | None) -> Reply | None:
    """Claude's (and gpt-oss's) refusals around thinking, with their messages."""
    messages = body.get("messages") or []
    sent_back = [b["reasoningContent"] for m in messages for b in m["content"] if "reasoningContent" in b]
    if "gpt-oss" in model_id and any("signature" in r.get("reasoningText", {}) for r in sent_back):
        return validation(
            "This model doesn't support the reasoningContent.reasoningText.signature field. "
            "Remove reasoningContent.reasoningText.signature and try again."
        )
    if thinking != "signed":
        return None
    thinking_config = body["additionalModelRequestFields"]["thinking"]
    inference = body.get("inferenceConfig") or {}
    if thinking_config["type"] == "enabled":
        if any(name in model_id for name in ADAPTIVE_ONLY):
            return validation(
                '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                '"output_config.effort" to control thinking behavior.'
            )
        budget = thinking_config.get("budget_tokens", 0)
        if budget < 1024 or budget >= inference.get("maxTokens", 4096):
            return validation("thinking.budget_tokens: must be at least 1024 and less than max_tokens")
    if "temperature" in inference or "topP" in inference:
        return validation("temperature may only be set to 1 when thinking is enabled.")
    for reasoning in sent_back:
        text = reasoning.get("reasoningText")
        if text is not None and text.get("signature") != sign(text["text"]):
            return validation("messages: Invalid `signature` in `thinking` block")
    last = messages[-1]["content"] if messages else []
    if any("toolResult" in b for b in last) and len(messages) >= 2:
        turn = messages[-2]["content"]
        if any("toolUse" in b for b in turn) and "reasoningContent" not in turn[0]:
            return validation(
                "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. "
                "When `thinking` is enabled, a final `assistant` message must start with a thinking block."
            )
    return None


def _reasoning_blocks(thinking: str | None, last_text: str) -> list[dict[str, Any]]:
    if thinking is None:
        return []
    text = f"Thinking about {last_text or 'the tool result'}."
    reasoning: dict[str, Any] = {"text": text}
    if thinking == "signed":
        reasoning["signature"] = sign(text)
    blocks: list[dict[str, Any]] = [{"reasoningContent": {"reasoningText": reasoning}}]
    if thinking == "signed" and REDACTED_TRIGGER in last_text:
        encoded = base64.b64encode(REDACTED_DATA).decode()
        blocks.append({"reasoningContent": {"redactedContent": encoded}})
    return blocks


def _tool_input(tool: dict[str, Any], forced: bool, last_text: str) -> Any:
    spec = tool["toolSpec"]
    if forced or spec.get("strict"):
        return instance(spec["inputSchema"]["json"])
    return {"query": last_text}


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
        if request.operation in ("Converse", "ConverseStream"):
            return self.default_converse(request.target, request.json, request.operation == "ConverseStream")
        if request.operation == "InvokeModelWithResponseStream":
            return self._invoke_stream(request.target, request.json)
        return self._invoke(request.target, request.json)

    def default_converse(self, model_id: str, body: dict[str, Any], streamed: bool) -> Reply | Streamed:
        thinking = _thinking(model_id, body)
        problem = _thinking_problem(model_id, body, thinking)
        if problem is not None:
            return problem
        answer = self._converse(body)
        content = answer["output"]["message"]["content"]
        last = body["messages"][-1]["content"] if body.get("messages") else []
        content[:0] = _reasoning_blocks(thinking, _texts(last))
        if body.get("serviceTier"):
            answer["serviceTier"] = body["serviceTier"]
        return converse_stream(answer) if streamed else Reply(200, answer)

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
            tool = next(t for t in tools if t["toolSpec"]["name"] == name)
            use = {
                "toolUseId": f"tooluse_{len(messages)}",
                "name": name,
                "input": _tool_input(tool, bool(choice), _texts(last)),
            }
            return {
                "output": {"message": {"role": "assistant", "content": [{"toolUse": use}]}},
                "stopReason": "tool_use",
                "usage": {"inputTokens": prompt_words, "outputTokens": 5, "totalTokens": prompt_words + 5},
                "metrics": {"latencyMs": 5},
            }
        text_format = (body.get("outputConfig") or {}).get("textFormat")
        if tool_results:
            text = "tool said: " + " ".join(_texts(r["content"]) for r in tool_results)
        else:
            text = "echo: " + _texts(last)
        if text_format:
            text = json.dumps(instance(json.loads(text_format["structure"]["jsonSchema"]["schema"])))
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
