"""The SageMaker execution role shared by a stack's endpoints: pull their images, read their model
data, write their logs and metrics, and nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatementCondition,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.iam import allow, service_role

_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repo>[^:@]+)"
)


def ecr_repository_arn(image: str, partition: str) -> str:
    m = _IMAGE.match(image)
    if not m:
        raise ValueError(f"{image!r} is not an ECR image URI")
    return f"arn:{partition}:ecr:{m['region']}:{m['account']}:repository/{m['repo']}"


def s3_read_grants(s3_uri: str, partition: str) -> tuple[str, str, str | None]:
    """(bucket ARN, object ARN pattern, list prefix or None) for an object or a prefix."""
    bucket, _, key = s3_uri.removeprefix("s3://").partition("/")
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    if key.endswith("/") or not key:
        return bucket_arn, f"{bucket_arn}/{key}*", key
    return bucket_arn, f"{bucket_arn}/{key}", None


@dataclass(frozen=True)
class SageMakerRoleProps:
    role_name: str
    partition: str
    region: str
    account: str  # may be a Terraform expression
    images: tuple[str, ...]
    model_data_uris: tuple[str, ...]
    endpoint_names: tuple[str, ...]
    uses_vpc: bool


class SageMakerExecutionRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: SageMakerRoleProps) -> None:
        super().__init__(scope, id_)
        p = props
        self.role = service_role(
            self,
            logical_id="sagemaker",
            service="sagemaker.amazonaws.com",
            name=p.role_name,
            description="Execution role of the inference API's SageMaker endpoints.",
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringEquals", variable="aws:SourceAccount", values=[p.account]
                )
            ],
        )

        repos = sorted({ecr_repository_arn(image, p.partition) for image in p.images})
        statements = [
            # GetAuthorizationToken has no resource-level permission: "*" is its only resource.
            allow("EcrAuth", ["ecr:GetAuthorizationToken"], ["*"]),
            allow(
                "EcrPullImages",
                ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                repos,
            ),
        ]
        objects: list[str] = []
        listings: dict[str, list[str]] = {}
        for uri in p.model_data_uris:
            bucket_arn, object_arn, prefix = s3_read_grants(uri, p.partition)
            if object_arn not in objects:
                objects.append(object_arn)
            if prefix is not None:
                listings.setdefault(bucket_arn, []).append(f"{prefix}*")
        if objects:
            statements.append(allow("ReadModelData", ["s3:GetObject"], objects))
        for i, (bucket_arn, prefixes) in enumerate(sorted(listings.items())):
            statements.append(
                allow(
                    f"ListModelData{i}",
                    ["s3:ListBucket"],
                    [bucket_arn],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringLike", variable="s3:prefix", values=sorted(set(prefixes))
                        )
                    ],
                )
            )
        log_groups = [
            f"arn:{p.partition}:logs:{p.region}:{p.account}:log-group:/aws/sagemaker/Endpoints/{name}"
            for name in p.endpoint_names
        ]
        statements += [
            allow("CreateEndpointLogGroups", ["logs:CreateLogGroup"], log_groups),
            allow(
                "WriteEndpointLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [f"{arn}:*" for arn in log_groups],
            ),
            # PutMetricData has no resource-level permission; the namespace condition bounds it.
            allow(
                "PutEndpointMetrics",
                ["cloudwatch:PutMetricData"],
                ["*"],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringLike",
                        variable="cloudwatch:namespace",
                        values=["/aws/sagemaker/Endpoints", "AWS/SageMaker"],
                    )
                ],
            ),
        ]
        if p.uses_vpc:
            # Elastic network interfaces for endpoints in a VPC. The describe calls have no
            # resource-level permission; the create/delete calls are bounded to this account.
            statements += [
                allow(
                    "DescribeEndpointNetwork",
                    [
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    ["*"],
                ),
                allow(
                    "ManageEndpointNetworkInterfaces",
                    [
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                    ],
                    ["*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:ResourceAccount", values=[p.account]
                        )
                    ],
                ),
            ]
        access = DataAwsIamPolicyDocument(self, "access", statement=statements)
        access.override_logical_id("sagemaker")
        policy = IamRolePolicy(
            self, "policy", name=f"{p.role_name}-access", role=self.role.id, policy=access.json
        )
        policy.override_logical_id("sagemaker")
        self.policy = policy
