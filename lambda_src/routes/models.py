"""``GET /v1/models``: the inventory (and Azure OpenAI deployments) in the OpenAI model-list format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler.router import LambdaFunctionUrlRouter

from lambda_src.inventory import Inventory, ModelSpec, owned_by
from lambda_src.inventory_loader import load_inventory
from lambda_src.model_lookup import azure_models
from lambda_src.settings import get_settings

router = LambdaFunctionUrlRouter()  # type: ignore[no-untyped-call]  # powertools leaves __init__ unannotated

# OpenAI's ``created`` is a Unix time the inventory does not record. A constant keeps the
# list byte-for-byte stable between requests and deploys (clients cache and diff it).
CREATED = 0


def to_model_list(inventory: Inventory, more: Sequence[ModelSpec] = ()) -> dict[str, Any]:
    """OpenAI's ``{"object": "list", "data": [...]}``, in inventory order, then ``more``."""
    return {
        "object": "list",
        "data": [
            {"id": spec.id, "object": "model", "created": CREATED, "owned_by": owned_by(spec)}
            for spec in (*inventory.models, *more)
        ],
    }


@router.get("/v1/models")
def list_models() -> dict[str, Any]:
    settings = get_settings()
    inventory = load_inventory(settings)
    return to_model_list(inventory, azure_models(inventory, settings))
