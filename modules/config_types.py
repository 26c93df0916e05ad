"""Field types shared by the config schemas: each validator says what is wrong and what is allowed."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from modules.regions import check_region

Region = Annotated[str, AfterValidator(check_region)]

_IAM_PRINCIPAL = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")
_ROLE = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_SECRET = re.compile(
    r"^arn:aws(-cn|-us-gov)?:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$"
)
_KMS_KEY = re.compile(
    r"^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:(key|alias)/[A-Za-z0-9/_-]{1,256}$"
)
_FM_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:bedrock:[a-z]{2}(-gov)?-[a-z]+-\d::foundation-model/[a-z0-9-]+\.[a-z0-9._:-]+$"
)
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def _principal_arn(value: str) -> str:
    if not _IAM_PRINCIPAL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an IAM role or user ARN "
            "(arn:aws:iam::<12-digit account>:role/<name> or :user/<name>)"
        )
    return value


def _foundation_model_arn(value: str) -> str:
    if not _FM_ARN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a foundation-model ARN "
            "(arn:aws:bedrock:<region>::foundation-model/<provider>.<model>)"
        )
    return value


def _origin(value: str) -> str:
    if value != "*" and not _ORIGIN.fullmatch(value):
        raise ValueError(f"{value!r} is not an origin (https://host[:port], or '*')")
    return value


PrincipalArn = Annotated[str, AfterValidator(_principal_arn)]
FoundationModelArn = Annotated[str, AfterValidator(_foundation_model_arn)]
Origin = Annotated[str, AfterValidator(_origin)]
_PREFIX = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _prefix(value: str) -> str:
    if len(value) < 2 or not _PREFIX.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid prefix: use at least 2 lower-case letters, digits and single "
            "hyphens, starting with a letter and not ending with a hyphen (e.g. 'llm' or 'team-llm')"
        )
    return value


Prefix = Annotated[str, AfterValidator(_prefix)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w .:/=+@-]+$")]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w .:/=+@-]*$")]


def _role_arn(value: str) -> str:
    if not _ROLE.fullmatch(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
    return value


def _secret_arn(value: str) -> str:
    if not _SECRET.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 characters>)"
        )
    return value


def _kms_key_arn(value: str) -> str:
    if not _KMS_KEY.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>)"
        )
    return value


RoleArn = Annotated[str, AfterValidator(_role_arn)]
SecretArn = Annotated[str, AfterValidator(_secret_arn)]
KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
ExternalId = Annotated[str, StringConstraints(min_length=2, max_length=1224, pattern=r"^[\w+=,.@:/-]+$")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
