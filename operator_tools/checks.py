"""The preflight checks: each turns AWS answers (or AWS errors) into rows with a status and a fix-it hint.

This module holds the row type, the AWS error mapping, and the credential, quota and role checks;
``bedrock_checks`` and ``secret_checks`` hold the others. Nothing here prints.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from modules.config import DeploymentConfig
from modules.sagemaker_config import ExistingEndpoint

Status = Literal["PASS", "FAIL", "WARN", "SKIP"]

CREDENTIALS = "credentials"
QUOTA = "sagemaker quota"
BEDROCK = "bedrock model"
API_KEYS = "api-keys secret"
HF_TOKEN = "hf-token secret"  # noqa: S105 (a check name, not a token)
ROLE = "assume role"

CREDENTIALS_HINT = (
    "configure AWS credentials for the deployment account: AWS_PROFILE=<profile> (after 'aws sso login'), "
    "or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
)
_ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=20)


@dataclass(frozen=True)
class Check:
    check: str
    target: str
    status: Status
    detail: str
    hint: str = ""
    region: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Aws:
    """One credential source and its clients, created once per (service, region)."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, config=_CLIENT_CONFIG)
        return self._clients[key]


def aws_failure(err: Exception, action: str) -> tuple[str, str]:
    """(detail, hint) for an AWS error met while running a check that needs the IAM ``action``."""
    if isinstance(err, NoCredentialsError):
        return "no AWS credentials found", CREDENTIALS_HINT
    if isinstance(err, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"cannot reach AWS: {err}", "check the network (proxy, VPC endpoints) and the region"
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "Unknown")
        message = err.response.get("Error", {}).get("Message", "")
        if code in _ACCESS_DENIED:
            return (
                f"cannot check: access denied to {action}" + (f" ({message})" if message else ""),
                f"allow {action} for the principal running preflight (read-only)",
            )
        if code in _BAD_CREDENTIALS:
            return f"the credentials were rejected ({code})", CREDENTIALS_HINT
        return f"{code}: {message}" if message else code, ""
    if isinstance(err, BotoCoreError):
        return str(err), ""
    raise err


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# --- credentials -------------------------------------------------------------------------------------


def check_credentials(aws: Aws, region: str) -> tuple[Check, str | None]:
    """Who runs the checks; without working credentials nothing else can run."""
    try:
        ident = aws.client("sts", region).get_caller_identity()
    except (ClientError, BotoCoreError) as err:
        detail, hint = aws_failure(err, "sts:GetCallerIdentity")
        return Check(CREDENTIALS, "caller", "FAIL", detail, hint or CREDENTIALS_HINT, region), None
    return Check(CREDENTIALS, ident["Arn"], "PASS", f"account {ident['Account']}", "", region), ident["Arn"]


# --- SageMaker endpoint quotas -------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceNeed:
    instance_type: str
    peak: int  # instances when every endpoint of the type runs at its maximum
    update: int  # while an update runs the new fleet beside the old one
    endpoints: tuple[tuple[str, int], ...]


def instance_needs(config: DeploymentConfig) -> list[InstanceNeed]:
    by_type: dict[str, list[tuple[str, int, int]]] = {}
    for ep in config.hosted_endpoints:
        peak = max(ep.instance_count, ep.autoscaling.max_instances if ep.autoscaling else 0)
        by_type.setdefault(ep.instance_type, []).append((ep.name, peak, ep.instance_count))
    return [
        InstanceNeed(
            instance_type=itype,
            peak=sum(p for _, p, _ in eps),
            update=sum(p + initial for _, p, initial in eps),
            endpoints=tuple((name, p) for name, p, _ in eps),
        )
        for itype, eps in sorted(by_type.items())
    ]


def _list_quotas(aws: Aws, region: str, operation: str) -> dict[str, dict[str, Any]]:
    paginator = aws.client("service-quotas", region).get_paginator(operation)
    quotas: dict[str, dict[str, Any]] = {}
    for page in paginator.paginate(ServiceCode="sagemaker", PaginationConfig={"PageSize": 100}):
        for quota in page.get("Quotas", []):
            quotas[str(quota.get("QuotaName", "")).lower()] = quota
    return quotas


def _count(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_quotas(aws: Aws, config: DeploymentConfig) -> list[Check]:
    needs = instance_needs(config)
    region = config.region
    if not needs:
        return []
    try:
        applied = _list_quotas(aws, region, "list_service_quotas")
        defaults: dict[str, dict[str, Any]] | None = None
        found: dict[str, dict[str, Any] | None] = {}
        for need in needs:
            name = f"{need.instance_type} for endpoint usage".lower()
            if name not in applied and defaults is None:
                # Applied values are listed once set; a quota never changed may only have its default.
                defaults = _list_quotas(aws, region, "list_aws_default_service_quotas")
            found[need.instance_type] = applied.get(name) or (defaults or {}).get(name)
    except (ClientError, BotoCoreError) as err:
        detail, hint = aws_failure(
            err, "servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas"
        )
        return [Check(QUOTA, need.instance_type, "FAIL", detail, hint, region) for need in needs]
    return [_quota_row(need, found[need.instance_type], region) for need in needs]


def _quota_row(need: InstanceNeed, quota: dict[str, Any] | None, region: str) -> Check:
    users = ", ".join(f"{name} {count}" for name, count in need.endpoints)
    if quota is None:
        return Check(
            QUOTA,
            need.instance_type,
            "WARN",
            f"no quota named '{need.instance_type} for endpoint usage' in Service Quotas; config needs "
            f"{need.peak} ({users})",
            f"look the type up in the Service Quotas console (SageMaker) of {region}; it may not be "
            "offered for endpoints there",
            region,
        )
    value = float(quota.get("Value", 0))
    code = quota.get("QuotaCode", "<quota code>")
    have = f"quota {_count(value)}, config needs {need.peak} ({users})"
    request = (
        f"aws service-quotas request-service-quota-increase --region {region} --service-code sagemaker "
        f"--quota-code {code} --desired-value {{n}}"
    )
    if value < need.peak:
        hint = (
            f"raise the quota to at least {need.peak}: {request.format(n=need.peak)}"
            if quota.get("Adjustable", True)
            else "the quota is not adjustable: use fewer instances or another instance type"
        )
        return Check(QUOTA, need.instance_type, "FAIL", have, hint, region)
    if value < need.update:
        return Check(
            QUOTA,
            need.instance_type,
            "WARN",
            f"{have}; an update that replaces the endpoint configuration runs the new instances beside "
            f"the old ones (up to {need.update})",
            f"raise it to {need.update} to update without downtime: {request.format(n=need.update)}",
            region,
        )
    return Check(
        QUOTA,
        need.instance_type,
        "PASS",
        f"{have}; endpoints already running in the account count against it too",
        "",
        region,
    )


# --- cross-account roles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleUse:
    role_arn: str
    external_id: str | None
    users: tuple[str, ...]


def role_uses(config: DeploymentConfig) -> list[RoleUse]:
    """Each (role, external id) the function assumes, with the models that need it, in config order."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for m in config.bedrock.models:
        if m.role_arn:
            found.setdefault((m.role_arn, m.external_id), []).append(m.public_id)
    for ep in config.sagemaker.endpoints:
        if isinstance(ep, ExistingEndpoint) and ep.role_arn:
            found.setdefault((ep.role_arn, ep.external_id), []).append(ep.public_id)
    return [RoleUse(arn, ext, tuple(users)) for (arn, ext), users in found.items()]


def trust_principal(caller: str | None) -> str:
    """The IAM principal a trust policy names for ``caller``: a session's role, not the session."""
    if caller is None:
        return "your principal"
    m = re.match(r"^arn:(?P<partition>[\w-]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/", caller)
    if m is None:
        return caller
    return (
        f"arn:{m['partition']}:iam::{m['account']}:role/{m['role']} (the role of your session, with its path)"
    )


def check_role(
    aws: Aws, config: DeploymentConfig, use: RoleUse, caller: str | None
) -> tuple[Check, Aws | None]:
    region = config.region
    kwargs: dict[str, Any] = {
        "RoleArn": use.role_arn,
        "RoleSessionName": "llm-preflight",
        "DurationSeconds": 900,
    }
    if use.external_id:
        kwargs["ExternalId"] = use.external_id
    users = ", ".join(use.users)
    try:
        creds = aws.client("sts", region).assume_role(**kwargs)["Credentials"]
    except (ClientError, BotoCoreError) as err:
        if isinstance(err, ClientError) and error_code(err) == "AccessDenied":
            message = err.response.get("Error", {}).get("Message", "")
            external = f" with sts:ExternalId {use.external_id!r}" if use.external_id else ""
            hint = (
                f"in the role's account, its trust policy must let {trust_principal(caller)} (for this "
                f"check) and the function's role {config.names['role'].value} assume it{external}; the "
                f"{config.prefix}-model-access stack sets this up (cross_account_role.trusted_role_arns)"
            )
            return Check(
                ROLE, use.role_arn, "FAIL", f"cannot be assumed: {message or 'AccessDenied'}", hint, region
            ), None
        detail, hint = aws_failure(err, "sts:AssumeRole")
        return Check(ROLE, use.role_arn, "FAIL", detail, hint, region), None
    core = botocore.session.Session()
    # Reuse the caller's loaded service models and endpoint data: parsing them again costs ~0.2 s per role.
    core.register_component("data_loader", aws.session._session.get_component("data_loader"))
    core.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    session = boto3.Session(botocore_session=core)
    detail = f"assumed; used by {users}"
    return Check(ROLE, use.role_arn, "PASS", detail, "", region), Aws(session)
