"""Parse the forms in which a Bedrock model is named.

- a base model id: ``amazon.nova-micro-v1:0``
- a cross-region inference profile id: ``<geo>.<base model id>`` (``us.``, ``eu.``, ``apac.``,
  ``us-gov.``, ``global.``, ``jp.``, ``au.``, ...)
- an ARN: ``foundation-model``, ``inference-profile``, ``application-inference-profile``,
  ``custom-model``, ``custom-model-deployment``, ``provisioned-model``, ``imported-model``

Pure functions: both the synth (IAM resources) and the runtime (provider family) use them.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple, get_args

from lambda_src.inventory import BaseModelProvider

RefKind = Literal[
    "foundation-model",
    "inference-profile",
    "application-inference-profile",
    "custom-model",
    "custom-model-deployment",
    "provisioned-model",
    "imported-model",
]
ARN_RESOURCE_TYPES: tuple[str, ...] = get_args(RefKind)
KNOWN_PROVIDERS: frozenset[str] = frozenset(get_args(BaseModelProvider))

# \Z, not $: $ also matches before a trailing newline, which would then reach IAM and Converse.
_BASE_ID = re.compile(r"^(?P<provider>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<name>[a-z0-9][a-z0-9._:-]{0,127})\Z")
_GEO = re.compile(r"^[a-z]{2,6}(?:-[a-z]{2,6})?\Z")
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):bedrock:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):"
    r"(?P<account>\d{12})?:(?P<type>[a-z-]+)/(?P<resource>[A-Za-z0-9._:/-]{1,256})\Z"
)
_ACCOUNT_OPTIONAL = frozenset({"foundation-model"})


class ModelIdError(ValueError):
    """A Bedrock model id, profile id or ARN that does not parse."""


class BedrockModelRef(NamedTuple):
    kind: RefKind
    # The identifier as written (what Converse's modelId takes).
    raw: str
    # Base model id inside a profile id or foundation-model ARN; None for opaque ARNs.
    base_model_id: str | None = None
    # Model family from the id itself; None where the id does not say (most ARNs).
    provider: str | None = None
    # Geographic prefix of a cross-region inference profile.
    geo: str | None = None
    # From ARNs only.
    partition: str | None = None
    region: str | None = None
    account: str | None = None

    @property
    def is_arn(self) -> bool:
        return self.partition is not None


def _split_profile(model_id: str) -> tuple[str | None, str]:
    """``us.anthropic.x`` -> (``us``, ``anthropic.x``); a base model id -> (None, id)."""
    head, _, rest = model_id.partition(".")
    if head in KNOWN_PROVIDERS or not rest:
        return None, model_id
    m = _BASE_ID.match(rest)
    if m and _GEO.match(head) and m.group("provider") in KNOWN_PROVIDERS:
        return head, rest
    return None, model_id


def _parse_plain_id(model_id: str) -> BedrockModelRef:
    geo, base = _split_profile(model_id)
    m = _BASE_ID.match(base)
    if not m:
        raise ModelIdError(
            f"{model_id!r} is not a Bedrock model id (provider.model-name, e.g. "
            "'anthropic.claude-haiku-4-5-20251001-v1:0'), an inference profile id "
            "(geo.provider.model-name, e.g. 'us.anthropic.claude-haiku-4-5-20251001-v1:0') or an ARN"
        )
    provider = m.group("provider")
    if geo is None and provider not in KNOWN_PROVIDERS:
        raise ModelIdError(
            f"{model_id!r}: unknown model provider {provider!r}; known: " + ", ".join(sorted(KNOWN_PROVIDERS))
        )
    kind: RefKind = "inference-profile" if geo else "foundation-model"
    return BedrockModelRef(kind=kind, raw=model_id, base_model_id=base, provider=provider, geo=geo)


def _parse_arn(arn: str) -> BedrockModelRef:
    m = _ARN.match(arn)
    if not m:
        raise ModelIdError(
            f"{arn!r} is not a Bedrock model ARN "
            "(arn:<partition>:bedrock:<region>:<account>:<resource-type>/<id>)"
        )
    rtype, resource, account = m.group("type"), m.group("resource"), m.group("account")
    if rtype not in ARN_RESOURCE_TYPES:
        raise ModelIdError(
            f"{arn!r}: resource type {rtype!r} cannot be invoked; allowed: " + ", ".join(ARN_RESOURCE_TYPES)
        )
    if account is None and rtype not in _ACCOUNT_OPTIONAL:
        raise ModelIdError(f"{arn!r}: a {rtype} ARN must contain the 12-digit account id")
    common = {
        "raw": arn,
        "partition": m.group("partition"),
        "region": m.group("region"),
        "account": account,
    }
    if rtype in ("foundation-model", "inference-profile"):
        inner = _parse_plain_id(resource)
        if (rtype == "inference-profile") != (inner.geo is not None):
            raise ModelIdError(
                f"{arn!r}: a {rtype} ARN must name "
                + ("a geo-prefixed profile id" if rtype == "inference-profile" else "a base model id")
            )
        return BedrockModelRef(
            kind=inner.kind,
            base_model_id=inner.base_model_id,
            provider=inner.provider,
            geo=inner.geo,
            **common,
        )
    return BedrockModelRef(kind=rtype, **common)  # type: ignore[arg-type]


def parse_model_ref(model_id: str) -> BedrockModelRef:
    """Parse any Bedrock model identifier; raises :class:`ModelIdError` with the reason."""
    if not isinstance(model_id, str) or not model_id:
        raise ModelIdError("a Bedrock model id must be a non-empty string")
    if model_id.startswith("arn:"):
        return _parse_arn(model_id)
    return _parse_plain_id(model_id)
