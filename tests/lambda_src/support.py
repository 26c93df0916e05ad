"""Names shared by the lambda_src tests and their conftest (tests must not import conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PARAMETER_NAME = "/llm-inference/test/inventory"

# invoke(method, path, body=None, **make_event_kwargs) -> Function URL response
Invoke = Callable[..., dict[str, Any]]
# read_logs() -> the log lines emitted so far, parsed from powertools' JSON
ReadLogs = Callable[[], list[dict[str, Any]]]
# write_inventory(models) -> serve these ModelSpec dicts from an inventory file
WriteInventory = Callable[[list[dict[str, Any]]], None]

# A deployment's models as the handler tests serve them (through INVENTORY_FILE).
CLAUDE = "us.anthropic.claude-3-haiku-20240307-v1:0"
MODELS: list[dict[str, Any]] = [
    {"id": "claude", "provider": "bedrock", "model": CLAUDE, "region": "us-east-1"},
    {
        "id": "provisioned",
        "provider": "bedrock",
        "model": "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/x1y2z3a4b5c6",
        "base_model_provider": "anthropic",
        "region": "us-east-1",
        "limits": {"max_tokens": 500},
    },
    {
        "id": "cross-account",
        "provider": "bedrock",
        "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::210987654321:role/bedrock-invoker",
        "external_id": "ext-42",
    },
    {
        "id": "titan-embed",
        "provider": "bedrock",
        "model": "amazon.titan-embed-text-v2:0",
        "task": "embedding",
    },
    {"id": "cohere-embed", "provider": "bedrock", "model": "cohere.embed-english-v3", "task": "embedding"},
    {
        "id": "tgi",
        "provider": "sagemaker",
        "model": "tgi-endpoint",
        "api": "tgi-messages",
        "region": "us-east-1",
    },
    {
        "id": "tgi-llama2",
        "provider": "sagemaker",
        "model": "tgi-llama2-endpoint",
        "api": "tgi-generate",
        "prompt_format": "llama2-chat",
        "region": "us-east-1",
    },
    {
        "id": "jumpstart",
        "provider": "sagemaker",
        "model": "js-llama2-endpoint",
        "api": "jumpstart-llama2-chat",
        "region": "us-east-1",
    },
    {
        "id": "partner-endpoint",
        "provider": "sagemaker",
        "model": "partner-tgi",
        "api": "tgi-messages",
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::444455556666:role/sagemaker-invoker",
    },
    {"id": "gpt-4o", "provider": "openai", "model": "gpt-4o"},
]
