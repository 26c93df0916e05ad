"""A fake sagemaker-runtime: ``POST /endpoints/{name}/invocations`` over REST-JSON.

Point boto3 at it with ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=<fake.url>``. The default answer
follows the body's shape, as the containers would:

- ``{"messages": ...}`` (TGI messages API): an OpenAI chat completion echoing the last user
  text, or a tool call when tools are given and no tool result has come back yet;
- ``{"inputs": "<prompt>"}`` (TGI generate): ``[{"generated_text", "details"}]``;
- ``{"inputs": [[dialog]]}`` (JumpStart Llama 2 chat): ``[{"generation": {...}}]``;
- anything else: ``[{"generated_text": ...}]``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tests.fakes.aws_http import FakeAwsServer, Recorded, Reply, aws_error, words

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


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


class FakeSageMakerRuntime(FakeAwsServer):
    def route(self, method: str, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        if method == "POST" and len(parts) == 4 and parts[1] == "endpoints" and parts[3] == "invocations":
            return "InvokeEndpoint", unquote(parts[2])
        return None

    def default_reply(self, request: Recorded) -> Reply:
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(200, [{"generated_text": "plain says hi"}])
        if isinstance(body, dict) and "messages" in body:
            return self._messages(body)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if isinstance(inputs, str):
            text = "generated says hi"
            details = {"finish_reason": "eos_token", "generated_tokens": words(text), "prefill": []}
            return Reply(200, [{"generated_text": text, "details": details}])
        if isinstance(inputs, list):
            dialog = inputs[0]
            text = "echo: " + dialog[-1]["content"]
            return Reply(200, [{"generation": {"role": "assistant", "content": text}}])
        return Reply(200, [{"generated_text": "handler says hi"}])

    def _messages(self, body: dict[str, Any]) -> Reply:
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
        prompt = sum(words(str(m.get("content") or "")) for m in messages)
        completion = words(str(message.get("content") or ""))
        return Reply(
            200,
            {
                "object": "chat.completion",
                "id": "",
                "created": 0,
                "model": "tgi",
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            },
        )
