"""The SageMaker execution role shared by a stack's endpoints: pull their images, read their model
data, write their logs and metrics, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatementCondition
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules import iam_policy
from modules.iam import policy_document, service_role
from modules.sagemaker_access import ExecutionRoleInputs, execution_grants


@dataclass(frozen=True)
class SageMakerRoleProps:
    role_name: str
    access: ExecutionRoleInputs
    # The longest value of each Terraform expression in ``access`` (for IAM's size limit).
    expression_lengths: Mapping[str, int] = field(default_factory=dict)


class SageMakerExecutionRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: SageMakerRoleProps) -> None:
        super().__init__(scope, id_)
        p = props
        grants = execution_grants(p.access)
        iam_policy.check_inline(
            grants, expressions=p.expression_lengths, field="sagemaker.endpoints", role="SageMaker execution"
        )
        self.role = service_role(
            self,
            logical_id="sagemaker",
            service="sagemaker.amazonaws.com",
            name=p.role_name,
            description="Execution role of the inference API's SageMaker endpoints.",
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringEquals", variable="aws:SourceAccount", values=[p.access.account]
                )
            ],
        )
        access = policy_document(self, "access", logical_id="sagemaker", grants=grants)
        policy = IamRolePolicy(
            self, "policy", name=f"{p.role_name}-access", role=self.role.id, policy=access.json
        )
        policy.override_logical_id("sagemaker")
        self.policy = policy
