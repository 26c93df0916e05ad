"""Find the model a request names: an inventory entry, or an Azure OpenAI deployment of the keys secret.

Azure OpenAI deployments are not in the inventory: they are listed in the API-keys secret
(:mod:`lambda_src.azure_deployments`) when ``azure_openai`` is enabled, and their public id is
the listed name. An inventory id wins over a deployment of the same name.
"""

from __future__ import annotations

import re

from lambda_src.exceptions import (
    ConfigurationError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderNotSupportedError,
)
from lambda_src.inventory import THIRD_PARTY, Inventory, ModelSpec, Task
from lambda_src.inventory_loader import load_inventory
from lambda_src.settings import Settings
from lambda_src.telemetry import logger

# Only names that could be public ids are repeated back to the client.
_SHOWABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}\Z")
_OTHER_ROUTE = {"chat": "/v1/embeddings", "embedding": "/v1/chat/completions"}


def find_model(model_id: str, task: Task, settings: Settings) -> ModelSpec:
    inventory = load_inventory(settings)
    spec = inventory.get(model_id) or _azure_spec(model_id, inventory, settings)
    if spec is None:
        shown = f"The model '{model_id}'" if _SHOWABLE.match(model_id) else "The requested model"
        raise ModelNotFoundError(
            f"{shown} does not exist or you do not have access to it; GET /v1/models lists the models",
            param="model",
        )
    check_provider_enabled(spec, inventory)
    if spec.task != task:
        raise InvalidRequestError(
            f"model {spec.id!r} is a{'n' if spec.task == 'embedding' else ''} {spec.task} model; "
            f"use {_OTHER_ROUTE[task]}",
            param="model",
        )
    return spec


def check_provider_enabled(spec: ModelSpec, inventory: Inventory) -> None:
    """Third-party models need their provider enabled in the deployment (which adds its layer)."""
    if spec.provider in THIRD_PARTY and spec.provider not in inventory.third_party_providers:
        raise ProviderNotSupportedError(
            f"model {spec.id!r}: provider {spec.provider!r} is not enabled in this deployment; "
            f"enable third_party.{spec.provider} in the deployment config (it also adds the provider layer)"
        )


def _azure_spec(model_id: str, inventory: Inventory, settings: Settings) -> ModelSpec | None:
    if "azure_openai" not in inventory.third_party_providers:
        return None
    # Here, not at the top: a deployment without Azure OpenAI never loads the keys and their parsing.
    from lambda_src.api_keys import load_keys
    from lambda_src.azure_deployments import AzureDeployment, parse_deployments

    try:
        keys = load_keys(settings)
    except ConfigurationError as err:
        # An unreadable keys secret breaks the providers that need it, not every other answer.
        logger.warning(
            "Azure OpenAI models cannot be looked up", extra={"problem": err.message, "reason": err.reason}
        )
        return None
    found = parse_deployments(keys).get(model_id)
    if found is None:
        return None
    if not isinstance(found, AzureDeployment):
        raise ConfigurationError(f"{found.message} in {keys.source}")
    return azure_model_spec(found.name)


def azure_model_spec(name: str) -> ModelSpec:
    # ``model`` names the deployment's entry in the secret; the adapter resolves it there.
    return ModelSpec(id=name, provider="azure_openai", model=name)


def azure_models(inventory: Inventory, settings: Settings) -> list[ModelSpec]:
    """The complete Azure OpenAI deployments, for ``GET /v1/models``; problems are logged (key
    names only) and the model is left out, so one bad entry does not hide the others."""
    if "azure_openai" not in inventory.third_party_providers:
        return []
    from lambda_src.api_keys import load_keys
    from lambda_src.azure_deployments import parse_deployments

    try:
        keys = load_keys(settings)
    except ConfigurationError as err:
        logger.warning(
            "Azure OpenAI models are not listed", extra={"problem": err.message, "reason": err.reason}
        )
        return []
    parsed = parse_deployments(keys)
    for problem in parsed.problems:
        logger.warning(
            "Azure OpenAI model not listed", extra={"model": problem.name, "problem": problem.message}
        )
    specs = []
    for deployment in parsed.deployments:
        if inventory.get(deployment.name) is not None:
            logger.warning(
                "Azure OpenAI model not listed",
                extra={"model": deployment.name, "problem": "an inventory model has the same id"},
            )
            continue
        specs.append(azure_model_spec(deployment.name))
    return specs
