"""Preflight: can each configured Bedrock model be called in its region (offered, still active,
subscribed)? With ``subscribe``, complete a third-party model's one-time Marketplace subscription
with the operator's credentials, so the function's role never needs Marketplace permissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_src.bedrock_ids import parse_model_ref
from modules.config import BedrockModel, DeploymentConfig
from operator_tools.checks import BEDROCK, Aws, Check, Status, aws_failure, error_code

# What the first use of a third-party model needs today (the console's Model access page is retired).
SUBSCRIPTION_HINT = (
    "the first call to a third-party model subscribes the account through AWS Marketplace: run "
    "scripts/preflight --subscribe with credentials allowed aws-marketplace:Subscribe, Unsubscribe and "
    "ViewSubscriptions (or set bedrock.grant_marketplace_subscribe so the function's role may); the "
    "account needs a payment method, and Anthropic models need the one-time first-use form (aws "
    "bedrock put-use-case-for-model-access)"
)


def _availability_problems(
    answer: dict[str, Any], region: str, model_id: str, via_profile: bool
) -> tuple[Status, list[str], str]:
    """Status, problems and the hint of the most important one, from GetFoundationModelAvailability."""
    problems: list[tuple[str, str]] = []
    warn: list[str] = []
    if answer.get("regionAvailability") == "NOT_AVAILABLE" and not via_profile:
        problems.append(
            (
                f"not offered in {region}",
                f"call it in a region that offers it, or through a cross-region inference profile "
                f"(e.g. 'us.{model_id}')",
            )
        )
    if answer.get("authorizationStatus") == "NOT_AUTHORIZED":
        problems.append(
            (
                "the account is not authorized to use it",
                "an SCP or IAM policy denies access to this model: ask the account administrator",
            )
        )
    agreement = answer.get("agreementAvailability") or {}
    status = agreement.get("status")
    if status == "NOT_AVAILABLE":
        problems.append(("not subscribed: the model's Marketplace offer is not accepted", SUBSCRIPTION_HINT))
    elif status != "PENDING" and answer.get("entitlementAvailability") == "NOT_AVAILABLE":
        problems.append(("the account is not entitled to use it yet", SUBSCRIPTION_HINT))
    elif status == "ERROR":
        message = agreement.get("errorMessage") or "no message"
        problems.append((f"the model's agreement is in error ({message})", "contact AWS support"))
    elif status == "PENDING":
        warn.append("the model's Marketplace subscription is still being processed")
    if problems:
        return "FAIL", [p for p, _ in problems] + warn, problems[0][1]
    if warn:
        return "WARN", warn, "it completes within about 15 minutes: re-run preflight then"
    return "PASS", ["available, subscribed"], ""


def _lifecycle(bedrock: Any, region: str, base_model_id: str) -> tuple[Status, str, str]:
    """ACTIVE passes; LEGACY warns with its end-of-life date; a model Bedrock no longer knows fails."""
    try:
        details = bedrock.get_foundation_model(modelIdentifier=base_model_id)["modelDetails"]
    except ClientError as err:
        if error_code(err) in ("ResourceNotFoundException", "ValidationException"):
            return (
                "FAIL",
                f"Bedrock does not know the model {base_model_id!r} in {region}: retired or mistyped",
                f"pick an active model: aws bedrock list-foundation-models --region {region} "
                "--query \"modelSummaries[?modelLifecycle.status=='ACTIVE'].modelId\"",
            )
        return ("FAIL", *aws_failure(err, "bedrock:GetFoundationModel"))
    lifecycle = details.get("modelLifecycle") or {}
    if lifecycle.get("status") == "LEGACY":
        end = lifecycle.get("endOfLifeTime")
        when = "end of life " + (end.date().isoformat() if isinstance(end, datetime) else "announced")
        return (
            "WARN",
            f"LEGACY ({when})",
            "move to an active model before then (Bedrock's model lifecycle page lists replacements)",
        )
    return "PASS", "", ""


def _subscribe(bedrock: Any, base_model_id: str) -> str:
    """Accept the model's public offer with the operator's credentials; returns what was done."""
    offers = bedrock.list_foundation_model_agreement_offers(modelId=base_model_id, offerType="PUBLIC")
    tokens = [o["offerToken"] for o in offers.get("offers", []) if o.get("offerToken")]
    if not tokens:
        return "no public offer to accept"
    bedrock.create_foundation_model_agreement(modelId=base_model_id, offerToken=tokens[0])
    return "subscription requested (offer accepted)"


def _availability(
    aws: Aws, region: str, base_model_id: str, via_profile: bool, subscribe: bool
) -> tuple[Status, str, str]:
    bedrock = aws.client("bedrock", region)
    life_status, life_detail, life_hint = _lifecycle(bedrock, region, base_model_id)
    if life_status == "FAIL":
        return life_status, life_detail, life_hint
    try:
        answer = bedrock.get_foundation_model_availability(modelId=base_model_id)
    except ClientError as err:
        if error_code(err) in ("ResourceNotFoundException", "ValidationException"):
            return (
                "FAIL",
                f"Bedrock does not know the model {base_model_id!r} in {region}",
                f"check the id: aws bedrock list-foundation-models --region {region}",
            )
        detail, hint = aws_failure(err, "bedrock:GetFoundationModelAvailability")
        return "FAIL", detail, hint
    done = ""
    unsubscribed = (answer.get("agreementAvailability") or {}).get("status") == "NOT_AVAILABLE"
    if subscribe and unsubscribed:
        try:
            done = _subscribe(bedrock, base_model_id)
            answer = bedrock.get_foundation_model_availability(modelId=base_model_id)
        except ClientError as err:
            action = "aws-marketplace:Subscribe (through bedrock:CreateFoundationModelAgreement)"
            detail, hint = aws_failure(err, action)
            return "FAIL", f"cannot subscribe: {detail}", hint or SUBSCRIPTION_HINT
    status, problems, hint = _availability_problems(answer, region, base_model_id, via_profile)
    if done:
        problems.insert(0, done)
    if life_detail:
        problems.append(life_detail)
        if status == "PASS":
            status, hint = life_status, life_hint
    return status, "; ".join(problems), hint


# Custom, provisioned and imported models: operation, identifier parameter, status field, good values.
_OWNED_MODELS: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    "custom-model": ("get_custom_model", "modelIdentifier", "modelStatus", ("Active",)),
    "custom-model-deployment": (
        "get_custom_model_deployment",
        "customModelDeploymentIdentifier",
        "status",
        ("Active",),
    ),
    "provisioned-model": ("get_provisioned_model_throughput", "provisionedModelId", "status", ("InService",)),
    "imported-model": ("get_imported_model", "modelIdentifier", None, ()),
    "application-inference-profile": (
        "get_inference_profile",
        "inferenceProfileIdentifier",
        "status",
        ("ACTIVE",),
    ),
}


def check_bedrock_model(
    aws: Aws, config: DeploymentConfig, model: BedrockModel, *, subscribe: bool = False
) -> Check:
    region = config.bedrock_region_of(model)
    ref = parse_model_ref(model.model_id)
    target = model.public_id
    via = f" (through {model.role_arn})" if model.role_arn else ""

    def row(status: Status, detail: str, hint: str = "") -> Check:
        return Check(BEDROCK, target, status, detail + via, hint, region)

    if ref.kind in ("foundation-model", "inference-profile"):
        assert ref.base_model_id is not None
        if ref.kind == "inference-profile":
            try:
                aws.client("bedrock", region).get_inference_profile(inferenceProfileIdentifier=ref.raw)
            except ClientError as err:
                if error_code(err) in ("ResourceNotFoundException", "ValidationException"):
                    return row(
                        "FAIL",
                        f"inference profile {ref.raw!r} is not offered in {region}",
                        f"see what is offered: aws bedrock list-inference-profiles --region {region}",
                    )
                return row("FAIL", *aws_failure(err, "bedrock:GetInferenceProfile"))
            except BotoCoreError as err:
                return row("FAIL", *aws_failure(err, "bedrock:GetInferenceProfile"))
        try:
            status, detail, hint = _availability(
                aws, region, ref.base_model_id, ref.kind == "inference-profile", subscribe
            )
        except BotoCoreError as err:
            return row("FAIL", *aws_failure(err, "bedrock:GetFoundationModelAvailability"))
        return row(status, detail, hint)

    operation, param, field, good = _OWNED_MODELS[ref.kind]
    action = "bedrock:" + "".join(part.title() for part in operation.split("_"))
    try:
        answer = getattr(aws.client("bedrock", region), operation)(**{param: ref.raw})
    except ClientError as err:
        if error_code(err) in ("ResourceNotFoundException", "ValidationException"):
            return row(
                "FAIL",
                f"no {ref.kind} {ref.raw!r} in {region} for this account",
                "check the ARN (account, region, id) and that the model was not deleted",
            )
        return row("FAIL", *aws_failure(err, action))
    except BotoCoreError as err:
        return row("FAIL", *aws_failure(err, action))
    state = answer.get(field) if field else None
    if field and state is not None and state not in good:
        return row(
            "FAIL",
            f"{ref.kind} is {state}, not {' or '.join(good)}",
            "wait for it to finish, or fix the failure shown in the Bedrock console",
        )
    return row("PASS", f"{ref.kind} exists" + (f" ({state})" if state else ""))
