"""Provider adapters, one module per provider family, found through a registry keyed by provider.

Third-party providers share one adapter (:mod:`lambda_src.adapters.third_party`), which
imports LangChain only when it is called.

Adding a provider is one entry here and one module; nothing else chooses by provider.
"""

from __future__ import annotations

from collections.abc import Callable

from lambda_src.adapters.base import ChatModel, EmbeddingModel
from lambda_src.adapters.bedrock import BedrockModel
from lambda_src.adapters.sagemaker import SageMakerModel
from lambda_src.adapters.third_party import THIRD_PARTY, ThirdPartyModel
from lambda_src.aws_clients import AwsClients
from lambda_src.exceptions import InvalidRequestError, ProviderNotSupportedError
from lambda_src.inventory import ModelSpec
from lambda_src.retired_providers import RETIRED
from lambda_src.structured_output import CheckedModel

CHAT_ADAPTERS: dict[str, Callable[[ModelSpec, AwsClients], ChatModel]] = {
    "bedrock": BedrockModel,
    "sagemaker": SageMakerModel,
    # LangChain is imported only when one of these is called (see adapters.third_party).
    **dict.fromkeys(THIRD_PARTY, ThirdPartyModel),
}
EMBEDDING_ADAPTERS: dict[str, Callable[[ModelSpec, AwsClients], EmbeddingModel]] = {
    "bedrock": BedrockModel,
    # Text Embeddings Inference endpoints (task "embedding", api "tei-embed").
    "sagemaker": SageMakerModel,
}


def chat_model(spec: ModelSpec, clients: AwsClients) -> ChatModel:
    factory = CHAT_ADAPTERS.get(spec.provider)
    if spec.provider in RETIRED:
        raise ProviderNotSupportedError(f"model {spec.id!r}: {RETIRED[spec.provider]}")
    if factory is None:
        raise ProviderNotSupportedError(
            f"model {spec.id!r}: provider {spec.provider!r} is not served by this version of the API"
        )
    # Answers to response_format requests are checked here, whichever adapter gave them.
    return CheckedModel(factory(spec, clients), spec.id)


def embedding_model(spec: ModelSpec, clients: AwsClients) -> EmbeddingModel:
    factory = EMBEDDING_ADAPTERS.get(spec.provider)
    if factory is None:
        raise InvalidRequestError(
            f"model {spec.id!r}: embeddings are served for Bedrock models and SageMaker TEI endpoints only",
            param="model",
        )
    return factory(spec, clients)
