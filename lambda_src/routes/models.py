"""``GET /v1/models``: the inventory (and Azure OpenAI deployments) in the OpenAI model-list format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambda_src.inventory import Inventory, ModelSpec, owned_by
from lambda_src.inventory_loader import load_inventory
from lambda_src.model_lookup import azure_models
from lambda_src.responses import json_response
from lambda_src.settings import get_settings
from lambda_src.upstream import run_upstream

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


def _model_list() -> dict[str, Any]:
    settings = get_settings()
    inventory = load_inventory(settings)
    return to_model_list(inventory, azure_models(inventory, settings))


async def list_models(_: Request) -> Response:
    return json_response(await run_upstream(_model_list))
