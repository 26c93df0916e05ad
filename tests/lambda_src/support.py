"""Names shared by the lambda_src tests and their conftest (tests must not import conftest)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARAMETER_NAME = "/llm-inference/test/inventory"

# invoke(method, path, body=None, **make_event_kwargs) -> Function URL response
Invoke = Callable[..., dict[str, Any]]
# read_logs() -> the log lines emitted so far, parsed from powertools' JSON
ReadLogs = Callable[[], list[dict[str, Any]]]
# write_inventory(models, third_party_providers=()) -> serve these ModelSpec dicts from an inventory file
WriteInventory = Callable[..., None]


def ok_body(response: dict[str, Any]) -> Any:
    """The JSON body of a 200 Function URL response."""
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def chunks_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a 200 server-sent event response, without the closing ``[DONE]``."""
    assert response["statusCode"] == 200, response["body"]
    events = [e[6:] for e in response["body"].split("\n\n") if e]
    return [json.loads(e) for e in events if e != "[DONE]"]


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


# --- third-party providers (tests.fakes, keys from the keys secret) -----------------------------

# put_keys(value) -> store ``value`` (dict as JSON, str as is) in the keys secret; returns its ARN
PutKeys = Callable[[str | dict[str, Any]], str]

OPENAI_KEY = "sk-test-openai-0f3c9a"
# An openai_compatible provider (a Groq-like API at /openai/v1) and an Azure deployment on the v1 API.
COMPAT_KEY = "gsk-test-7d2b11"
COMPAT_KEY_NAME = "GROQ_API_KEY"
COMPAT_HEADERS = {"X-Team": "search"}
AZURE_V1_KEY = "azure-key-v1-3333"
MISTRAL_KEY = "mistral-test-51aa09"
ANTHROPIC_KEY = "sk-ant-test-93be2c"
COHERE_KEY = "cohere-test-c41d77"
# Two Azure OpenAI deployments, each on its own key (one fake resource serves both).
AZURE_DEPLOYMENT_KEYS = {"gpt4o-deployment": "azure-key-one-1111", "mini-deployment": "azure-key-two-2222"}
THIRD_PARTY_PROVIDERS = ("openai", "azure_openai", "cohere", "anthropic", "mistral", "openai_compatible")
THIRD_PARTY_MODELS: list[dict[str, Any]] = [
    {"id": "gpt-4o", "provider": "openai", "model": "gpt-4o"},
    {"id": "mistral-large", "provider": "mistral", "model": "mistral-large-latest"},
    {
        "id": "claude-direct",
        "provider": "anthropic",
        "model": "claude-lab-1",
        "limits": {"max_tokens": 1000},
    },
    {"id": "command-r", "provider": "cohere", "model": "command-r-plus"},
]


@dataclass(frozen=True)
class Providers:
    openai: Any
    compat: Any
    mistral: Any
    azure: Any
    anthropic: Any
    cohere: Any
    azure_v1: Any

    def all(self) -> tuple[Any, ...]:
        return (
            self.openai,
            self.compat,
            self.mistral,
            self.azure,
            self.anthropic,
            self.cohere,
            self.azure_v1,
        )

    def compat_connection(self) -> dict[str, Any]:
        return {
            "name": "groq",
            "base_url": f"{self.compat.url}/openai/v1",
            "api_key_name": COMPAT_KEY_NAME,
            "headers": COMPAT_HEADERS,
        }

    def models(self) -> list[dict[str, Any]]:
        """THIRD_PARTY_MODELS and an openai_compatible model served by the compat fake."""
        compat = {"id": "llama-fast", "provider": "openai_compatible", "model": "llama-3.3-70b-versatile"}
        return [*THIRD_PARTY_MODELS, compat | {"connection": self.compat_connection()}]

    def keys(self) -> dict[str, str]:
        """A keys secret for every provider, base URLs pointing at the fakes."""
        keys = {
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_BASE_URL": f"{self.openai.url}/v1",
            COMPAT_KEY_NAME: COMPAT_KEY,
            "MISTRAL_API_KEY": MISTRAL_KEY,
            "MISTRAL_BASE_URL": f"{self.mistral.url}/v1",
            "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
            "ANTHROPIC_BASE_URL": self.anthropic.url,
            "COHERE_API_KEY": COHERE_KEY,
            "COHERE_BASE_URL": self.cohere.url,
            "AZURE_OPENAI_MODELS": "Model1, Model2, Model3",
            # Azure's v1 API: no api-version, the key as a bearer token.
            "AZURE_OPENAI_API_TYPE__Model3": "azure",
            "AZURE_OPENAI_API_BASE__Model3": self.azure_v1.url,
            "AZURE_OPENAI_API_KEY__Model3": AZURE_V1_KEY,
            "AZURE_OPENAI_API_DEPLOYMENT_NAME__Model3": "v1-deployment",
        }
        for name, deployment, version in (
            ("Model1", "gpt4o-deployment", "2024-06-01"),
            ("Model2", "mini-deployment", "2024-10-21"),
        ):
            keys |= {
                f"AZURE_OPENAI_API_TYPE__{name}": "azure",
                f"AZURE_OPENAI_API_VERSION__{name}": version,
                f"AZURE_OPENAI_API_BASE__{name}": self.azure.url + "/",
                f"AZURE_OPENAI_API_KEY__{name}": AZURE_DEPLOYMENT_KEYS[deployment],
                f"AZURE_OPENAI_API_DEPLOYMENT_NAME__{name}": deployment,
            }
        return keys


def misconfigured(response: dict[str, Any], read_logs: ReadLogs) -> dict[str, Any]:
    """A configuration error as the caller sees it (a generic 500 naming the request id, no ARN,
    account id or name) and the request's one ERROR log line, which has the details: returned."""
    import json
    import re

    assert response["statusCode"] == 500, response["body"]
    error = json.loads(response["body"])["error"]
    assert (error["type"], error["code"]) == ("server_error", "configuration_error")
    m = re.fullmatch(
        r"The deployment is misconfigured; its operators can find the cause in the function's logs "
        r"under request id (?P<id>[0-9a-f-]{36})\.",
        error["message"],
    )
    assert m, error["message"]
    # The request id is a UUID, whose last group can be twelve digits: not an account id.
    assert not re.search(r"arn:|\d{12}", response["body"].replace(m.group("id"), "<request id>"))
    (line,) = [
        line
        for line in read_logs()
        if line["level"] == "ERROR" and line.get("correlation_id") == m.group("id")
    ]
    return line
