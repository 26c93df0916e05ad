"""Exactly which Bedrock resources a configured model needs ``bedrock:InvokeModel`` on.

A system cross-region inference profile needs the profile ARN in the calling region plus the
foundation model in every region the profile routes to; a global profile also needs the
region-less foundation-model ARN. An application inference profile needs its own ARN plus the
foundation models it was created from. :func:`invoke_resources` lists all of these.

:func:`invoke_grants` writes the same permissions compactly, as the Bedrock user guide documents
("Prerequisites for inference profiles", "Geographic cross-Region inference", checked
2026-11-29): the foundation model a profile routes to is granted once, with a region wildcard,
only for requests made through an inference profile (condition ``bedrock:InferenceProfileArn``).
A system-defined profile routes only to its own model, and the profile itself must still be
granted by ARN, so a role can reach exactly the configured profiles and their models; what
shrinks is the policy (one ARN per model instead of one per destination region, which lets 500
models fit IAM's limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_src.bedrock_ids import BedrockModelRef
from modules.grants import Grant, Values
from modules.lambda_contract import BEDROCK_INVOKE
from modules.regions import partition_of

# Regions each geographic profile prefix routes to. Pinned from the Bedrock user guide's
# cross-region inference tables; a config can narrow or extend a model's list with
# ``profile_regions`` where a model's profile differs.
GEO_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": (
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ),
    "apac": (
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}
GLOBAL_GEO = "global"
INVOKE_ACTIONS = BEDROCK_INVOKE
PROFILE_CONDITION_KEY = "bedrock:InferenceProfileArn"
DIRECT_SID = "InvokeBedrockModels"
THROUGH_PROFILES_SID = "InvokeBedrockModelsThroughProfiles"
# The first call to a third-party model subscribes the account through AWS Marketplace, with the
# caller's permissions. Marketplace has no resource-level permissions ("*" is the only resource);
# Subscribe and Unsubscribe take the product id as a condition, ViewSubscriptions takes none
# (IAM service authorization reference for aws-marketplace, checked 2026-11-29).
MARKETPLACE_SUBSCRIBE = ("aws-marketplace:Subscribe", "aws-marketplace:Unsubscribe")
MARKETPLACE_VIEW = ("aws-marketplace:ViewSubscriptions",)


def marketplace_grants(product_ids: tuple[str, ...]) -> list[Grant]:
    """Statements that let the function's first call subscribe to exactly these products."""
    return [
        Grant(
            "SubscribeToConfiguredModels",
            MARKETPLACE_SUBSCRIBE,
            ("*",),
            (("ForAnyValue:StringEquals", "aws-marketplace:ProductId", product_ids),),
        ),
        Grant("ViewMarketplaceSubscriptions", MARKETPLACE_VIEW, ("*",)),
    ]


def profile_regions(ref: BedrockModelRef, override: tuple[str, ...] | None) -> tuple[str, ...]:
    """Destination regions of a geographic profile (not for ``global``)."""
    if override:
        return override
    assert ref.geo is not None
    try:
        return GEO_REGIONS[ref.geo]
    except KeyError:
        raise ValueError(
            f"no pinned region list for inference profile prefix {ref.geo!r} "
            f"(known: {', '.join(sorted([*GEO_REGIONS, GLOBAL_GEO]))}); "
            "list the regions it routes to in profile_regions"
        ) from None


def check_profile_region(ref: BedrockModelRef, region: str, override: tuple[str, ...] | None) -> None:
    """A geographic profile can only be called from a region of its geography."""
    if ref.kind != "inference-profile" or ref.geo == GLOBAL_GEO:
        return
    regions = profile_regions(ref, override)
    if region not in regions:
        raise ValueError(
            f"inference profile {ref.raw!r} is served from {', '.join(regions)}; "
            f"it cannot be called from {region!r}"
        )


def invoke_resources(
    ref: BedrockModelRef,
    *,
    region: str,
    account: str,
    profile_regions_override: tuple[str, ...] | None = None,
    foundation_model_arns: tuple[str, ...] = (),
) -> list[str]:
    """ARNs to grant invoke on. ``account`` may be a Terraform expression."""
    if ref.is_arn:
        region = ref.region or region
        account = ref.account or account
    partition = partition_of(region)

    def fm(model_region: str) -> str:
        return f"arn:{partition}:bedrock:{model_region}::foundation-model/{ref.base_model_id}"

    if ref.kind == "foundation-model":
        return [ref.raw if ref.is_arn else fm(region)]
    if ref.kind == "inference-profile":
        profile_id = ref.raw.rsplit("/", 1)[-1]
        arns = [f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{profile_id}"]
        if ref.geo == GLOBAL_GEO:
            arns += [fm(region), f"arn:{partition}:bedrock:::foundation-model/{ref.base_model_id}"]
        else:
            arns += [fm(r) for r in profile_regions(ref, profile_regions_override)]
        return arns
    if ref.kind == "application-inference-profile":
        return [ref.raw, *foundation_model_arns]
    # custom-model, custom-model-deployment, provisioned-model, imported-model: the ARN itself.
    return [ref.raw]


@dataclass(frozen=True)
class InvokeTarget:
    """A configured model as IAM sees it: its reference and the region and account it is called in."""

    ref: BedrockModelRef
    region: str
    account: str  # may be a Terraform expression
    foundation_model_arns: tuple[str, ...] = ()


def invoke_grants(targets: list[InvokeTarget]) -> list[Grant]:
    """The compact form of :func:`invoke_resources` for all targets (see the module docstring)."""
    direct: dict[str, None] = {}
    through: dict[str, None] = {}
    profiles: dict[str, None] = {}
    for target in targets:
        ref = target.ref
        region = (ref.region if ref.is_arn else None) or target.region
        account = ref.account or target.account
        partition = partition_of(region)
        if ref.kind == "inference-profile":
            profile_id = ref.raw.rsplit("/", 1)[-1]
            direct[f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{profile_id}"] = None
            through[f"arn:{partition}:bedrock:*::foundation-model/{ref.base_model_id}"] = None
            if ref.geo == GLOBAL_GEO:
                through[f"arn:{partition}:bedrock:::foundation-model/{ref.base_model_id}"] = None
            profiles[f"arn:{partition}:bedrock:{region}:{account}:inference-profile/*"] = None
        else:
            direct.update(
                dict.fromkeys(
                    invoke_resources(
                        ref,
                        region=region,
                        account=account,
                        foundation_model_arns=target.foundation_model_arns,
                    )
                )
            )
    return invoke_statements(tuple(direct), tuple(through), tuple(profiles))


def invoke_statements(direct: Values, through_profiles: Values, profile_arns: Values) -> list[Grant]:
    """The two Bedrock statements by name and shape (shared with the exported modules, whose
    values are Terraform lists); an empty tuple leaves its statement out."""
    grants = []
    if direct:
        grants.append(Grant(DIRECT_SID, INVOKE_ACTIONS, direct))
    if through_profiles:
        grants.append(
            Grant(
                THROUGH_PROFILES_SID,
                INVOKE_ACTIONS,
                through_profiles,
                (("ArnLike", PROFILE_CONDITION_KEY, profile_arns),),
            )
        )
    return grants
