"""A role in a model-hosting account that the inference API's execution role may assume, allowed
to invoke SageMaker endpoints and Bedrock models of that account (all of them, or named ones)."""

from __future__ import annotations

from dataclasses import dataclass

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

from modules.lambda_contract import BEDROCK_INVOKE, SAGEMAKER_INVOKE


@dataclass(frozen=True)
class ModelAccessRoleProps:
    role_name: str
    trusted_role_arns: tuple[str, ...]
    external_id: str | None
    max_session_duration_seconds: int
    sagemaker_endpoint_arns: tuple[str, ...]
    bedrock_arns: tuple[str, ...]


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

        statements = []
        if props.sagemaker_endpoint_arns:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="InvokeSageMakerEndpoints",
                    effect="Allow",
                    actions=list(SAGEMAKER_INVOKE),
                    resources=list(props.sagemaker_endpoint_arns),
                )
            )
        if props.bedrock_arns:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="InvokeBedrockModels",
                    effect="Allow",
                    actions=list(BEDROCK_INVOKE),
                    resources=list(props.bedrock_arns),
                )
            )
        access = DataAwsIamPolicyDocument(self, "access", statement=statements)
        access.override_logical_id("model_access")
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
