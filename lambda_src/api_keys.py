"""Third-party API keys: one JSON object in a Secrets Manager secret, cached per container.

The secret (``KEYS_SECRET_ARN``) holds ``{"OPENAI_API_KEY": "...", ...}``; ``{}`` means no
keys. It is read through Powertools' parameters cache and read again after
``INVENTORY_MAX_AGE_SECONDS``, so a rotated key is picked up without a deploy. ``KEYS_FILE``
(``scripts/serve --keys-file``) reads a local file of the same shape instead.

Values never leave this module's objects: no message, ``reason`` or log line carries one, and
:class:`ApiKeys` does not show them in its ``repr``. Messages name keys and the secret only.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lambda_src import cached_parameters
from lambda_src.aws_clients import get_clients
from lambda_src.exceptions import ConfigurationError
from lambda_src.settings import Settings

# A key name is shown in messages only when it looks like a variable name.
_SHOWABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_REGION = re.compile(r"^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):")
FIX = "set its value to {} or a JSON object of keys"


def showable(name: str) -> str:
    return name if _SHOWABLE.match(name) else "<a key with an unusual name>"


@dataclass(frozen=True)
class ApiKeys:
    """The keys of the secret; ``source`` names where they came from (for messages)."""

    values: Mapping[str, str] = field(repr=False)
    source: str = "the API-keys secret"
    # False when the function has no keys secret at all.
    configured: bool = True

    def get(self, name: str) -> str | None:
        """The value of ``name`` with surrounding blanks removed; None when absent or blank."""
        value = self.values.get(name, "").strip()
        return value or None

    def require(self, name: str, needed_for: str) -> str:
        """The value of ``name``; a :class:`ConfigurationError` naming the key otherwise."""
        value = self.get(name)
        if value is None:
            if not self.configured:
                raise ConfigurationError(f"{needed_for} needs {name}, but {self.source}")
            raise ConfigurationError(
                f"{needed_for} needs {name} in {self.source}, which does not have it; "
                "add it to the secret's JSON object"
            )
        return value


NO_KEYS = ApiKeys(
    MappingProxyType({}), "the function has no API-keys secret (KEYS_SECRET_ARN is not set)", False
)


def load_keys(settings: Settings) -> ApiKeys:
    """The keys, from ``KEYS_FILE`` or the secret; :data:`NO_KEYS` when neither is configured."""
    if settings.keys_file:
        return _load_file(settings.keys_file)
    arn = settings.keys_secret_arn
    if not arn:
        return NO_KEYS
    match = _REGION.match(arn)
    provider = secrets_provider(settings.upstream_timeout_seconds, match.group(1) if match else None)
    try:
        raw = provider.get(arn, max_age=settings.inventory_max_age_seconds)
    except cached_parameters.fetch_error() as err:
        raise ConfigurationError(
            f"the API-keys secret {arn!r} could not be read", reason=cached_parameters.fetch_reason(err)
        ) from err
    if not isinstance(raw, str | bytes):  # only a transform would give anything else
        raise ConfigurationError(f"the API-keys secret {arn!r} is not a string")
    return parse_keys(raw, f"the API-keys secret {arn!r}")


@functools.cache
def secrets_provider(read_timeout: float, region: str | None) -> cached_parameters.SecretsProvider:
    """Powertools' Secrets Manager provider (max_age cache) on the container's shared session."""
    return cached_parameters.secrets_provider(get_clients(read_timeout).get("secretsmanager", region))


def _load_file(path: str) -> ApiKeys:
    try:
        stat = os.stat(path)
        raw = _read_file(path, stat.st_mtime_ns, stat.st_size)
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(
            f"the API-keys file {path!r} could not be read", reason=type(err).__name__
        ) from err
    return parse_keys(raw, f"the API-keys file {path!r}")


@functools.lru_cache(maxsize=1)
def _read_file(path: str, mtime_ns: int, size: int) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=4)
def parse_keys(raw: str | bytes, source: str) -> ApiKeys:
    """``raw`` as a JSON object of string values; errors describe its shape, never its content."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_an_object(source, "binary data that is not UTF-8 text") from None
    if not raw.strip():
        raise _not_an_object(source, "an empty string")
    try:
        document = json.loads(raw)
    except ValueError:
        raise _not_an_object(source, "text that is not valid JSON") from None
    if not isinstance(document, dict):
        kind = {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean"}.get(
            type(document), "a JSON number" if isinstance(document, int | float) else "JSON null"
        )
        raise _not_an_object(source, kind)
    bad = sorted(showable(k) for k, v in document.items() if not isinstance(v, str))
    if bad:
        raise ConfigurationError(
            f"{source} must map key names to strings; not a string: {', '.join(bad[:10])}"
        )
    return ApiKeys(MappingProxyType(dict(document)), source)


def _not_an_object(source: str, found: str) -> ConfigurationError:
    return ConfigurationError(f"{source} does not hold a JSON object (it holds {found}); {FIX}")
