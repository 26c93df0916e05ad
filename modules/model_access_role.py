"""A role in a model-hosting account that the inference API's execution role may assume, allowed
to invoke SageMaker endpoints and Bedrock models of that account (all of them, or named ones)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules import aws_limits, iam_policy
from modules.grants import Grant
from modules.iam import policy_document


@dataclass(frozen=True)
class ModelAccessRoleProps:
    role_name: str
    trusted_role_arns: tuple[str, ...]
    external_id: str | None
    max_session_duration_seconds: int
    # What the role may invoke (SageMaker endpoints, Bedrock models).
    grants: tuple[Grant, ...]
    expression_lengths: Mapping[str, int] = field(default_factory=dict)
    trust_policy_max: int = aws_limits.TRUST_POLICY_MAX


def trust_document(props: ModelAccessRoleProps) -> str:
    """The trust policy as IAM receives it (for its size; the data source renders the same)."""
    statement: dict[str, object] = {
        "Sid": "TrustInferenceApi",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": list(props.trusted_role_arns)},
    }
    if props.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": props.external_id}}
    return json.dumps({"Version": iam_policy.VERSION, "Statement": [statement]}, separators=(",", ":"))


class ModelAccessRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: ModelAccessRoleProps) -> None:
        super().__init__(scope, id_)
        conditions = (
            [
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringEquals", variable="sts:ExternalId", values=[props.external_id]
                )
            ]
            if props.external_id
            else None
        )
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="TrustInferenceApi",
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS", identifiers=list(props.trusted_role_arns)
                        )
                    ],
                    condition=conditions,
                )
            ],
        )
        trust.override_logical_id("model_access_trust")
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description="Assumed by the inference API to invoke this account's models.",
            assume_role_policy=trust.json,
            max_session_duration=props.max_session_duration_seconds,
        )
        self.role.override_logical_id("model_access")

        field_ = "cross_account_role"
        iam_policy.check_trust(
            trust_document(props),
            expressions=props.expression_lengths,
            limit=props.trust_policy_max,
            field=f"{field_}.trusted_role_arns",
            role="model-access",
        )
        iam_policy.check_inline(
            props.grants, expressions=props.expression_lengths, field=field_, role="model-access"
        )
        access = policy_document(self, "access", logical_id="model_access", grants=props.grants)
        policy = IamRolePolicy(
            self, "policy", name=f"{props.role_name}-invoke", role=self.role.id, policy=access.json
        )
        policy.override_logical_id("model_access")
        out = TerraformOutput(
            self,
            "model_access_role_arn",
            value=self.role.arn,
            description="Give this ARN as role_arn of the models the inference API reaches through it.",
        )
        out.override_logical_id("model_access_role_arn")
