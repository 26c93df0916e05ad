"""Field types shared by the config schemas: each validator says what is wrong and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from modules.regions import check_region

_PARTITION = r"arn:aws(-cn|-us-gov)?"
_REGION = r"[a-z]{2}(-gov)?-[a-z]+-\d"


def _matching(pattern: str, what: str, *, also: tuple[str, ...] = ()) -> Callable[[str], str]:
    """A validator accepting values that match ``pattern`` (or are in ``also``); the error names
    the value and shows ``what`` a valid one looks like."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if value not in also and not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


Region = Annotated[str, AfterValidator(check_region)]
PrincipalArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:iam::\d{{12}}:(role|user)/[A-Za-z0-9+=,.@_/-]{{1,512}}",
            "an IAM role or user ARN (arn:aws:iam::<12-digit account>:role/<name> or :user/<name>)",
        )
    ),
]
CallerPrincipal = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"\d{{12}}|{_PARTITION}:iam::\d{{12}}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]{{1,512}})",
            "an AWS account id (12 digits) or an IAM principal ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>, :user/<name> or :root)",
        )
    ),
]
LayerArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:lambda:{_REGION}:\d{{12}}:layer:[A-Za-z0-9_-]{{1,140}}:\d{{1,8}}",
            "a Lambda layer version ARN (arn:aws:lambda:<region>:<12-digit account>:layer:<name>:<version>)",
        )
    ),
]
RoleArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:iam::\d{{12}}:role/[A-Za-z0-9+=,.@_/-]{{1,512}}",
            "an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
        )
    ),
]
SecretArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:secretsmanager:{_REGION}:\d{{12}}:secret:[A-Za-z0-9/_+=.@-]{{1,512}}",
            "a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 characters>)",
        )
    ),
]
KmsKeyArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:kms:{_REGION}:\d{{12}}:(key|alias)/[A-Za-z0-9/_-]{{1,256}}",
            "a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>)",
        )
    ),
]
FoundationModelArn = Annotated[
    str,
    AfterValidator(
        _matching(
            rf"{_PARTITION}:bedrock:{_REGION}::foundation-model/[a-z0-9-]+\.[a-z0-9._:-]+",
            "a foundation-model ARN (arn:aws:bedrock:<region>::foundation-model/<provider>.<model>)",
        )
    ),
]
Origin = Annotated[
    str,
    AfterValidator(
        _matching(
            r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?",
            "an origin (https://host[:port], or '*')",
            also=("*",),
        )
    ),
]
Prefix = Annotated[
    str,
    AfterValidator(
        _matching(
            r"[a-z][a-z0-9]*(-[a-z0-9]+)+|[a-z][a-z0-9]+",
            "a valid prefix: use at least 2 lower-case letters, digits and single hyphens, starting with "
            "a letter and not ending with a hyphen (e.g. 'llm' or 'team-llm')",
        )
    ),
]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w .:/=+@-]+$")]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w .:/=+@-]*$")]
ExternalId = Annotated[str, StringConstraints(min_length=2, max_length=1224, pattern=r"^[\w+=,.@:/-]+$")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
