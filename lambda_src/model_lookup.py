"""Find the inventory entry a request names."""

from __future__ import annotations

import re

from lambda_src.exceptions import InvalidRequestError, ModelNotFoundError
from lambda_src.inventory import ModelSpec, Task
from lambda_src.inventory_loader import load_inventory
from lambda_src.settings import Settings

# Only names that could be public ids are repeated back to the client.
_SHOWABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}\Z")
_OTHER_ROUTE = {"chat": "/v1/embeddings", "embedding": "/v1/chat/completions"}


def find_model(model_id: str, task: Task, settings: Settings) -> ModelSpec:
    spec = load_inventory(settings).get(model_id)
    if spec is None:
        shown = f"The model '{model_id}'" if _SHOWABLE.match(model_id) else "The requested model"
        raise ModelNotFoundError(
            f"{shown} does not exist or you do not have access to it; GET /v1/models lists the models",
            param="model",
        )
    if spec.task != task:
        raise InvalidRequestError(
            f"model {spec.id!r} is a{'n' if spec.task == 'embedding' else ''} {spec.task} model; "
            f"use {_OTHER_ROUTE[task]}",
            param="model",
        )
    return spec
