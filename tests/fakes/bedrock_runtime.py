"""A fake bedrock-runtime: Converse and InvokeModel over REST-JSON, as botocore calls them.

Point boto3 at it with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<fake.url>``. Default answers are a
small deterministic "model":

- Converse: ``echo: <last user text>``; with tools configured (and no tool result yet) a call
  of the first (or the chosen) tool; after a tool result, ``tool said: <result>``. maxTokens
  cuts the answer (stopReason ``max_tokens``); usage counts words.
- InvokeModel: Titan and Cohere embedding bodies, and the native chat bodies (Anthropic
  messages, Llama, Mistral, Titan text, completion-style).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests.fakes.aws_http import FakeAwsServer, Recorded, Reply, aws_error, vector, words

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


def converse_reply(
    text: str, *, stop: str = "end_turn", input_tokens: int = 3, output_tokens: int | None = None
) -> Reply:
    return Reply(
        200,
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": words(text) if output_tokens is None else output_tokens,
                "totalTokens": input_tokens + (words(text) if output_tokens is None else output_tokens),
            },
            "metrics": {"latencyMs": 5},
        },
    )


def _texts(blocks: list[dict[str, Any]]) -> str:
    return " ".join(b["text"] for b in blocks if "text" in b)


class FakeBedrockRuntime(FakeAwsServer):
    def route(self, method: str, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        # /model/{modelId}/{operation}; the id is one percent-encoded segment (ARNs hold "/").
        if method == "POST" and len(parts) == 4 and parts[1] == "model":
            operation = {"converse": "Converse", "invoke": "InvokeModel"}.get(parts[3])
            if operation:
                return operation, unquote(parts[2])
        return None

    def default_reply(self, request: Recorded) -> Reply:
        if request.operation == "Converse":
            return self._converse(request.json)
        return self._invoke(request.target, request.json)

    def _converse(self, body: dict[str, Any]) -> Reply:
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
            return Reply(
                200,
                {
                    "output": {"message": {"role": "assistant", "content": [{"toolUse": use}]}},
                    "stopReason": "tool_use",
                    "usage": {
                        "inputTokens": prompt_words,
                        "outputTokens": 5,
                        "totalTokens": prompt_words + 5,
                    },
                    "metrics": {"latencyMs": 5},
                },
            )
        if tool_results:
            text = "tool said: " + " ".join(_texts(r["content"]) for r in tool_results)
        else:
            text = "echo: " + _texts(last)
        stop = "end_turn"
        limit = (body.get("inferenceConfig") or {}).get("maxTokens")
        if limit is not None and words(text) > limit:
            text, stop = " ".join(text.split()[:limit]), "max_tokens"
        return converse_reply(text, stop=stop, input_tokens=prompt_words)

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
            text = "echo: " + _texts(body["messages"][-1]["content"])
            return Reply(
                200,
                {
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn",
                    "usage": {"input_tokens": 7, "output_tokens": words(text)},
                },
            )
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
        if "max_gen_len" in body or "meta" in model_id:
            return Reply(
                200,
                {
                    "generation": "llama says hi",
                    "prompt_token_count": 9,
                    "generation_token_count": 3,
                    "stop_reason": "stop",
                },
            )
        if "mistral" in model_id:
            return Reply(200, {"outputs": [{"text": "mistral says hi", "stop_reason": "stop"}]}, counts)
        return Reply(200, {"choices": [{"text": "completion says hi", "stop_reason": "length"}]}, counts)
