"""Load the model inventory from its SSM parameter, cached per container for ``max_age`` seconds."""

from __future__ import annotations

import functools

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError
from pydantic import ValidationError

from lambda_src.exceptions import ConfigurationError
from lambda_src.inventory import Inventory
from lambda_src.settings import Settings

_MAX_REASONS = 5


def load_inventory(settings: Settings) -> Inventory:
    """The deployment's inventory; a missing or invalid parameter is a :class:`ConfigurationError`.

    Error messages name the parameter but never quote its value; ``reason`` (logged, not
    returned) says what went wrong.
    """
    name = settings.inventory_parameter_name
    try:
        raw = parameters.get_parameter(name, max_age=settings.inventory_max_age_seconds)
    except parameters.exceptions.GetParameterError as err:
        raise ConfigurationError(
            f"the model inventory parameter {name!r} could not be read",
            reason=_fetch_reason(err),
        ) from err
    if not isinstance(raw, str):  # only a transform would give anything else
        raise ConfigurationError(f"the model inventory parameter {name!r} is not a string")
    try:
        return _parse(raw)
    except ValidationError as err:
        raise ConfigurationError(
            f"the model inventory parameter {name!r} is not a valid inventory",
            reason=_validation_reason(err),
        ) from err


@functools.lru_cache(maxsize=1)
def _parse(raw: str) -> Inventory:
    # Inventory is frozen, so handing the same instance to every request is safe.
    return Inventory.from_json(raw)


def _fetch_reason(err: parameters.exceptions.GetParameterError) -> str:
    # Powertools raises GetParameterError without ``from``: the SDK error is the context.
    cause = err.__cause__ or err.__context__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "ClientError"))
    return type(cause or err).__name__


def _validation_reason(err: ValidationError) -> str:
    # include_input=False: the reason must not copy the parameter's content into the logs.
    errors = err.errors(include_url=False, include_input=False, include_context=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']} [{e['type']}]" for e in errors]
    more = f"; and {len(parts) - _MAX_REASONS} more" if len(parts) > _MAX_REASONS else ""
    return f"{err.error_count()} validation error(s): " + "; ".join(parts[:_MAX_REASONS]) + more
