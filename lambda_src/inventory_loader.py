"""Load the model inventory from its SSM parameter, cached per container for ``max_age`` seconds.

Where ``INVENTORY_FILE`` is set (the file the function package carries, or ``scripts/serve``'s),
the inventory is read from that file instead, and read again whenever the file changes. A file
inside the function package (under ``LAMBDA_TASK_ROOT``, which Lambda mounts read-only) cannot
change during the execution environment's life: it is read once, with no per-request check.

An inventory that cannot be read or parsed after a good one was served does not take the API
down: the last good inventory keeps serving, and the failure is logged and counted
(``InventoryErrors``) until the inventory is fixed.
"""

from __future__ import annotations

import functools
import os

from pydantic import ValidationError

from lambda_src import cached_parameters
from lambda_src.aws_clients import get_clients
from lambda_src.exceptions import ConfigurationError
from lambda_src.inventory import Inventory
from lambda_src.settings import Settings

_MAX_REASONS = 5


_last_good: list[Inventory] = []
# Inventories read from the function package, by path: read once (see the module docstring).
_packaged: dict[str, Inventory] = {}


def forget() -> None:
    """Drop the last good inventory and the package's (tests; a new container starts without)."""
    _last_good.clear()
    _packaged.clear()
    _in_package.cache_clear()


def load_inventory(settings: Settings) -> Inventory:
    """The deployment's inventory; a missing or invalid one is a :class:`ConfigurationError`
    unless a good one was served before, which then keeps serving.

    Error messages name the parameter but never quote its value; ``reason`` (logged, not
    returned) says what went wrong.
    """
    try:
        inventory = _load(settings)
    except ConfigurationError as err:
        if not _last_good:
            raise
        _report(err)
        return _last_good[0]
    if not _last_good or _last_good[0] is not inventory:
        _last_good[:] = [inventory]
    return inventory


def _report(err: ConfigurationError) -> None:
    # Imported here: telemetry reads the service name when imported, and this module is
    # imported early (by the settings' users) in tests.
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    from lambda_src.telemetry import NAMESPACE, logger

    logger.error(
        "model inventory unusable, serving the last good one",
        extra={"problem": err.message, "reason": err.reason},
    )
    with single_metric(name="InventoryErrors", unit=MetricUnit.Count, value=1, namespace=NAMESPACE):
        pass


def _load(settings: Settings) -> Inventory:
    if settings.inventory_file:
        return _load_file(settings.inventory_file)
    name = settings.inventory_parameter_name
    try:
        raw = ssm_provider(settings.upstream_timeout_seconds).get(
            name, max_age=settings.inventory_max_age_seconds
        )
    except cached_parameters.fetch_error() as err:
        raise ConfigurationError(
            f"the model inventory parameter {name!r} could not be read",
            reason=cached_parameters.fetch_reason(err),
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


@functools.cache
def ssm_provider(read_timeout: float) -> cached_parameters.SSMProvider:
    """Powertools' SSM provider (with its max_age cache) on the container's shared botocore session:
    a session of its own would load botocore's data files a second time on a cold start."""
    return cached_parameters.ssm_provider(get_clients(read_timeout).get("ssm"))


def _load_file(path: str) -> Inventory:
    packaged = _packaged.get(path)
    if packaged is not None:
        return packaged
    inventory = _read_inventory_file(path)
    if _in_package(path, os.environ.get("LAMBDA_TASK_ROOT")):
        _packaged[path] = inventory
    return inventory


@functools.lru_cache(maxsize=8)
def _in_package(path: str, root: str | None) -> bool:
    # Cached: a file outside the package (scripts/serve's) is looked at on every request, and
    # resolving both paths would cost more file-system calls than the one check it keeps.
    if not root:
        return False
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


def _read_inventory_file(path: str) -> Inventory:
    try:
        stat = os.stat(path)
        raw = _read_file(path, stat.st_mtime_ns, stat.st_size)
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(
            f"the model inventory file {path!r} could not be read", reason=type(err).__name__
        ) from err
    try:
        return _parse(raw)
    except ValidationError as err:
        raise ConfigurationError(
            f"the model inventory file {path!r} is not a valid inventory", reason=_validation_reason(err)
        ) from err


@functools.lru_cache(maxsize=1)
def _read_file(path: str, mtime_ns: int, size: int) -> str:
    # Keyed by modification time and size: an edited file is read again, an unchanged one is not.
    with open(path, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=1)
def _parse(raw: str) -> Inventory:
    # Inventory is frozen, so handing the same instance to every request is safe.
    return Inventory.from_json(raw)


def _validation_reason(err: ValidationError) -> str:
    # include_input=False: the reason must not copy the parameter's content into the logs.
    errors = err.errors(include_url=False, include_input=False, include_context=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']} [{e['type']}]" for e in errors]
    more = f"; and {len(parts) - _MAX_REASONS} more" if len(parts) > _MAX_REASONS else ""
    return f"{err.error_count()} validation error(s): " + "; ".join(parts[:_MAX_REASONS]) + more
