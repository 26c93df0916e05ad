"""The Lambda's environment, read once per container into a frozen :class:`Settings`.

A bad environment must not crash the import (the function would fail every request with an
opaque init error): :func:`get_settings` raises :class:`ConfigurationError` at request time,
and routes that need no settings (``GET /health``) keep working.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from lambda_src.exceptions import ConfigurationError

INVENTORY_PARAMETER_NAME = "INVENTORY_PARAMETER_NAME"
STAGE = "STAGE"
KEYS_SECRET_ARN = "KEYS_SECRET_ARN"  # noqa: S105 - the variable's name, not a secret
INVENTORY_MAX_AGE_SECONDS = "INVENTORY_MAX_AGE_SECONDS"
LOG_PROMPTS = "LOG_PROMPTS"
# A local inventory JSON used instead of the SSM parameter (``scripts/serve`` writes one).
INVENTORY_FILE = "INVENTORY_FILE"
UPSTREAM_TIMEOUT_SECONDS = "UPSTREAM_TIMEOUT_SECONDS"
# A stream that sends nothing for this long ends with an error event.
STREAM_IDLE_TIMEOUT_SECONDS = "STREAM_IDLE_TIMEOUT_SECONDS"
# A local JSON file of API keys used instead of the keys secret (``scripts/serve --keys-file``).
KEYS_FILE = "KEYS_FILE"
# botocore's attempts per call; the third-party SDKs get the same number of attempts.
AWS_MAX_ATTEMPTS = "AWS_MAX_ATTEMPTS"
# Set by the stack in dev stages only: who may send runtime overrides, and the roles they may name.
ADMIN_PRINCIPALS = "ADMIN_PRINCIPALS"
OVERRIDE_ROLE_ARNS = "OVERRIDE_ROLE_ARNS"
# Set by scripts/serve only, never by the stacks: openai_compatible base URLs may be plain http on
# a loopback host (a local vLLM, a test fake).
ALLOW_LOOPBACK_UPSTREAMS = "ALLOW_LOOPBACK_UPSTREAMS"

DEFAULT_INVENTORY_MAX_AGE_SECONDS = 300
DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 60.0
DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS = 30.0
MAX_UPSTREAM_TIMEOUT_SECONDS = 900.0
DEFAULT_MAX_ATTEMPTS = 3
_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]{1,1024}$")


class Settings(NamedTuple):
    inventory_parameter_name: str
    # As configured; only the exact value "dev" enables development behaviour.
    stage: str = ""
    keys_secret_arn: str | None = None
    inventory_max_age_seconds: int = DEFAULT_INVENTORY_MAX_AGE_SECONDS
    # Prompts and completions may hold personal data: logged only when explicitly enabled.
    log_prompts: bool = False
    inventory_file: str | None = None
    # Read timeout of one socket read upstream (botocore retries within AWS_MAX_ATTEMPTS); the
    # request's deadline bounds each call in total.
    upstream_timeout_seconds: float = DEFAULT_UPSTREAM_TIMEOUT_SECONDS
    stream_idle_timeout_seconds: float = DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS
    keys_file: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    # Only read in a dev stage; elsewhere runtime overrides are refused whatever these hold.
    admin_principals: tuple[str, ...] = ()
    override_role_arns: tuple[str, ...] = ()
    allow_loopback_upstreams: bool = False
    # The function's region (Lambda sets AWS_REGION): admin identity tokens are presigned for its STS.
    region: str = ""

    @property
    def is_dev(self) -> bool:
        # Fails closed: a missing, misspelt or differently cased stage is not dev.
        return self.stage == "dev"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        name = env.get(INVENTORY_PARAMETER_NAME, "").strip()
        inventory_file = env.get(INVENTORY_FILE, "").strip() or None
        if not name and not inventory_file:
            raise ConfigurationError(f"the function is misconfigured: {INVENTORY_PARAMETER_NAME} is not set")
        return cls(
            inventory_parameter_name=name,
            stage=env.get(STAGE, "").strip(),
            keys_secret_arn=env.get(KEYS_SECRET_ARN, "").strip() or None,
            inventory_max_age_seconds=_max_age(env.get(INVENTORY_MAX_AGE_SECONDS)),
            log_prompts=_flag(LOG_PROMPTS, env.get(LOG_PROMPTS)),
            inventory_file=inventory_file,
            upstream_timeout_seconds=_timeout(UPSTREAM_TIMEOUT_SECONDS, env.get(UPSTREAM_TIMEOUT_SECONDS)),
            stream_idle_timeout_seconds=_timeout(
                STREAM_IDLE_TIMEOUT_SECONDS,
                env.get(STREAM_IDLE_TIMEOUT_SECONDS),
                DEFAULT_STREAM_IDLE_TIMEOUT_SECONDS,
            ),
            keys_file=env.get(KEYS_FILE, "").strip() or None,
            max_attempts=_attempts(env.get(AWS_MAX_ATTEMPTS)),
            admin_principals=_arns(ADMIN_PRINCIPALS, env.get(ADMIN_PRINCIPALS)),
            override_role_arns=_arns(OVERRIDE_ROLE_ARNS, env.get(OVERRIDE_ROLE_ARNS)),
            allow_loopback_upstreams=_flag(ALLOW_LOOPBACK_UPSTREAMS, env.get(ALLOW_LOOPBACK_UPSTREAMS)),
            region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip(),
        )


def _max_age(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_INVENTORY_MAX_AGE_SECONDS
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigurationError(
            f"the function is misconfigured: {INVENTORY_MAX_AGE_SECONDS} must be a whole number of "
            "seconds >= 0"
        )
    return value


def _flag(variable: str, raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise ConfigurationError(f"the function is misconfigured: {variable} must be 'true' or 'false'")


def _timeout(variable: str, raw: str | None, default: float = DEFAULT_UPSTREAM_TIMEOUT_SECONDS) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    # "not (0 < x <= max)" also rejects NaN.
    if not 0 < value <= MAX_UPSTREAM_TIMEOUT_SECONDS:
        raise ConfigurationError(
            f"the function is misconfigured: {variable} must be a number of seconds "
            f"above 0 and at most {MAX_UPSTREAM_TIMEOUT_SECONDS:g}"
        )
    return value


def _attempts(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_MAX_ATTEMPTS
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(
            f"the function is misconfigured: {AWS_MAX_ATTEMPTS} must be a whole number of at least 1"
        )
    return value


def _arns(variable: str, raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of IAM/STS ARNs; the names of bad entries are not echoed."""
    values = tuple(dict.fromkeys(v.strip() for v in (raw or "").split(",") if v.strip()))
    if not all(_ARN.match(v) for v in values):
        raise ConfigurationError(
            f"the function is misconfigured: {variable} must be a comma-separated list of IAM ARNs"
        )
    return values


@functools.cache
def get_settings() -> Settings:
    """The container's settings; a failure is not cached, so it is raised on every request."""
    return Settings.from_env()
