"""Third-party providers (OpenAI, Azure OpenAI, Cohere, Anthropic, Mistral and any OpenAI-compatible
API) through LangChain.

This module decides *where* and *with which key* a model is called (:func:`resolve_connection`,
pure) and makes the call through :mod:`lambda_src.adapters.langchain_chat`, which is imported
only here, when a model is called: LangChain lives in the provider layer, which
only deployments with third-party providers have, and Bedrock and SageMaker requests never pay
for importing it.

Keys come from the API-keys secret; each provider takes an optional base URL from it too (a
proxy, a regional endpoint, or a local fake in tests):

===============  ===================  ====================  =====================================
provider         key                  base URL key          default base URL
===============  ===================  ====================  =====================================
openai           OPENAI_API_KEY       OPENAI_BASE_URL       https://api.openai.com/v1
anthropic        ANTHROPIC_API_KEY    ANTHROPIC_BASE_URL    https://api.anthropic.com
cohere           COHERE_API_KEY       COHERE_BASE_URL       https://api.cohere.com
mistral          MISTRAL_API_KEY      MISTRAL_BASE_URL      https://api.mistral.ai/v1
azure_openai     per model, see :mod:`lambda_src.azure_deployments`
openai_compatible  named by the config  the config's base_url (https; see :mod:`lambda_src.openai_compatible`)
===============  ===================  ====================  =====================================

``ai21`` is refused (:mod:`lambda_src.retired_providers`): AI21 shut its API down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lambda_src.adapters.base import DeltaStream
from lambda_src.adapters.connections import Connection
from lambda_src.api_keys import ApiKeys, load_keys
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.aws_clients import AwsClients
from lambda_src.azure_deployments import MODELS_KEY, AzureDeployment, parse_deployments
from lambda_src.chat import ChatResult
from lambda_src.exceptions import ConfigurationError, ModelNotFoundError, ProviderNotSupportedError
from lambda_src.inventory import ModelSpec
from lambda_src.openai_compatible import OpenAICompatibleConnection, base_url_problem
from lambda_src.retired_providers import RETIRED
from lambda_src.settings import Settings, get_settings

if TYPE_CHECKING:
    from types import ModuleType


@dataclass(frozen=True)
class ProviderKeys:
    label: str
    api_key: str
    base_url_key: str
    default_base_url: str


PROVIDER_KEYS: dict[str, ProviderKeys] = {
    "openai": ProviderKeys("OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "anthropic": ProviderKeys(
        "Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"
    ),
    "cohere": ProviderKeys("Cohere", "COHERE_API_KEY", "COHERE_BASE_URL", "https://api.cohere.com"),
    "mistral": ProviderKeys("Mistral", "MISTRAL_API_KEY", "MISTRAL_BASE_URL", "https://api.mistral.ai/v1"),
}


def resolve_connection(spec: ModelSpec, keys: ApiKeys, *, allow_loopback: bool = False) -> Connection:
    """Where and with which key ``spec`` is called; a :class:`ConfigurationError` naming a
    missing key (never a value). ``allow_loopback``: plain http to a loopback host for
    openai_compatible models (scripts/serve only)."""
    if spec.provider in RETIRED:
        raise ProviderNotSupportedError(f"model {spec.id!r}: {RETIRED[spec.provider]}")
    if spec.provider == "azure_openai":
        return _azure(spec, keys)
    if spec.connection is not None:
        return _openai_compatible(spec, spec.connection, keys, allow_loopback=allow_loopback)
    info = PROVIDER_KEYS.get(spec.provider)
    if info is None:
        raise ProviderNotSupportedError(f"model {spec.id!r}: provider {spec.provider!r} is not a third party")
    api_key = keys.require(info.api_key, f"{info.label} model {spec.id!r}")
    base_url = keys.get(info.base_url_key) or info.default_base_url
    return Connection(spec.provider, spec.model, base_url.rstrip("/"), api_key)


def _openai_compatible(
    spec: ModelSpec, entry: OpenAICompatibleConnection, keys: ApiKeys, *, allow_loopback: bool
) -> Connection:
    problem = base_url_problem(entry.base_url, allow_loopback=allow_loopback)
    if problem:
        raise ConfigurationError(
            f"model {spec.id!r}: the base URL of provider {entry.name!r} is refused: {problem}"
        )
    api_key = keys.require(
        entry.api_key_name, f"model {spec.id!r} (openai_compatible provider {entry.name!r})"
    )
    return Connection(
        "openai_compatible",
        spec.model,
        entry.base_url.rstrip("/"),
        api_key,
        headers=tuple(sorted(entry.headers.items())),
    )


def _azure(spec: ModelSpec, keys: ApiKeys) -> Connection:
    found = parse_deployments(keys).get(spec.model)
    if found is None:
        where = f"in {keys.source}" if keys.configured else f"({keys.source})"
        raise ModelNotFoundError(
            f"Azure OpenAI model {spec.id!r} is not listed in {MODELS_KEY} {where}", param="model"
        )
    if not isinstance(found, AzureDeployment):
        raise ConfigurationError(f"{found.message} in {keys.source}")
    endpoint = found.endpoint.rstrip("/")
    return Connection(
        "azure_openai",
        found.deployment,
        endpoint if found.api_version else f"{endpoint}/openai/v1",
        found.api_key,
        api_version=found.api_version,
        deployment=found.deployment,
    )


def _langchain() -> ModuleType:
    try:
        from lambda_src.adapters import langchain_chat
    except ImportError as err:
        raise ProviderNotSupportedError(
            "third-party providers need the provider layer (LangChain), which this function does not "
            "have; enable the provider under third_party in the deployment config and deploy again",
            reason=f"ImportError: {err.name}",
        ) from None
    return langchain_chat


class ThirdPartyModel:
    """One third-party chat model; keys are read (cached) when it is called."""

    def __init__(self, spec: ModelSpec, clients: AwsClients, settings: Settings | None = None) -> None:
        # ``clients`` is unused: keys are read through their own cached provider.
        self._spec = spec
        self._settings = settings

    def chat(self, request: ChatCompletionRequest) -> ChatResult:
        result: ChatResult = self._through_langchain("chat", request)
        return result

    def stream(self, request: ChatCompletionRequest) -> DeltaStream:
        stream: DeltaStream = self._through_langchain("stream", request)
        return stream

    def _through_langchain(self, call: str, request: ChatCompletionRequest) -> Any:
        """``langchain_chat.chat`` or ``.stream`` with the connection and the container's settings."""
        settings = self._settings or get_settings()
        keys = load_keys(settings)
        connection = replace(
            resolve_connection(self._spec, keys, allow_loopback=settings.allow_loopback_upstreams),
            secrets=tuple(keys.values.values()),
        )
        return getattr(_langchain(), call)(
            connection,
            self._spec,
            request,
            timeout=settings.upstream_timeout_seconds,
            max_retries=settings.max_attempts - 1,
        )
