"""Provider adapters, one module per provider family, found through a registry keyed by provider.

The SageMaker and third-party adapters are imported when a model of theirs is first called, so
a deployment serving Bedrock models does not load them on a cold start; the third-party adapter
imports LangChain (from the provider layer) only then too.

Adding a provider is one entry here and one module; nothing else chooses by provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lambda_src.adapters.base import ChatModel, EmbeddingModel
from lambda_src.adapters.bedrock import BedrockModel
from lambda_src.aws_clients import AwsClients
from lambda_src.exceptions import InvalidRequestError, ProviderNotSupportedError
from lambda_src.inventory import THIRD_PARTY, ModelSpec
from lambda_src.retired_providers import RETIRED
from lambda_src.structured_output import CheckedModel

if TYPE_CHECKING:
    from lambda_src.adapters.sagemaker import SageMakerModel
    from lambda_src.adapters.third_party import ThirdPartyModel


def _sagemaker(spec: ModelSpec, clients: AwsClients) -> SageMakerModel:
    from lambda_src.adapters.sagemaker import SageMakerModel

    return SageMakerModel(spec, clients)


def _third_party(spec: ModelSpec, clients: AwsClients) -> ThirdPartyModel:
    from lambda_src.adapters.third_party import ThirdPartyModel

    return ThirdPartyModel(spec, clients)


CHAT_ADAPTERS: dict[str, Callable[[ModelSpec, AwsClients], ChatModel]] = {
    "bedrock": BedrockModel,
    "sagemaker": _sagemaker,
    **dict.fromkeys(THIRD_PARTY, _third_party),
}
EMBEDDING_ADAPTERS: dict[str, Callable[[ModelSpec, AwsClients], EmbeddingModel]] = {
    "bedrock": BedrockModel,
    # Text Embeddings Inference endpoints (task "embedding", api "tei-embed").
    "sagemaker": _sagemaker,
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
