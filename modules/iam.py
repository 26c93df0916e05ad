"""IAM building blocks shared by the constructs: statements and service execution roles."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct

from modules.grants import Grant


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    condition: list[DataAwsIamPolicyDocumentStatementCondition] | None = None,
) -> DataAwsIamPolicyDocumentStatement:
    return DataAwsIamPolicyDocumentStatement(
        sid=sid, effect="Allow", actions=list(actions), resources=list(resources), condition=condition
    )


def policy_document(
    scope: Construct, id_: str, *, logical_id: str, grants: Sequence[Grant]
) -> DataAwsIamPolicyDocument:
    """A policy-document data source of ``grants`` (``data.aws_iam_policy_document.<logical_id>``).

    The provider renders it as compact as ``modules.iam_policy.render`` or more (a single action or
    resource becomes a string), so the size checked at synth is an upper bound of what IAM gets;
    and checkov reads the statements of a data source, not of a policy string.
    """
    statements = [
        allow(
            g.sid,
            g.actions,
            g.concrete_resources(),
            [
                DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))
                for test, variable, values in g.conditions
            ]
            or None,
        )
        for g in grants
    ]
    document = DataAwsIamPolicyDocument(scope, id_, statement=statements)
    document.override_logical_id(logical_id)
    return document


def service_role(
    scope: Construct,
    *,
    logical_id: str,
    service: str,
    name: str,
    description: str,
    condition: list[DataAwsIamPolicyDocumentStatementCondition] | None = None,
) -> IamRole:
    """A role that ``service`` (e.g. "lambda.amazonaws.com") may assume; Terraform names
    ``aws_iam_role.<logical_id>`` and ``data.aws_iam_policy_document.<logical_id>_assume_role``."""
    trust = DataAwsIamPolicyDocument(
        scope,
        f"{logical_id}-trust",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])
                ],
                condition=condition,
            )
        ],
    )
    trust.override_logical_id(f"{logical_id}_assume_role")
    role = IamRole(
        scope, f"{logical_id}-role", name=name, description=description, assume_role_policy=trust.json
    )
    role.override_logical_id(logical_id)
    return role
