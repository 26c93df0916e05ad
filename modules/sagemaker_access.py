"""What a SageMaker endpoint's execution role may do, and how its container gets the Hugging Face
token: one source for the cdktf stack and the exported ``sagemaker-endpoint`` module (free of
cdktf, like the module export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modules.grants import Grant, Values

_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repo>[^:@]+)"
)
ECR_PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
ENDPOINT_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
METRIC_NAMESPACES = ("/aws/sagemaker/Endpoints", "AWS/SageMaker")
NETWORK_DESCRIBE = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)
NETWORK_MANAGE = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
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


def endpoint_log_group_arn(partition: str, region: str, account: str, endpoint_name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"


# Statement by statement; values are tuples (the stack) or Terraform lists (the module).


def ecr_auth_statement() -> Grant:
    # GetAuthorizationToken has no resource-level permission: "*" is its only resource.
    return Grant("EcrAuth", ("ecr:GetAuthorizationToken",), ("*",))


def ecr_pull_statement(repositories: Values) -> Grant:
    return Grant("EcrPullImages", ECR_PULL, repositories)


def model_data_read_statement(objects: Values) -> Grant:
    return Grant("ReadModelData", ("s3:GetObject",), objects)


def model_data_list_statement(sid: str, bucket_arn: Values, prefixes: Values) -> Grant:
    return Grant(sid, ("s3:ListBucket",), bucket_arn, (("StringLike", "s3:prefix", prefixes),))


def log_group_statement(log_groups: Values) -> Grant:
    return Grant("CreateEndpointLogGroups", ("logs:CreateLogGroup",), log_groups)


def log_stream_statement(log_streams: Values) -> Grant:
    return Grant("WriteEndpointLogs", ENDPOINT_LOG_ACTIONS, log_streams)


def metrics_statement() -> Grant:
    # PutMetricData has no resource-level permission; the namespace condition bounds it.
    return Grant(
        "PutEndpointMetrics",
        ("cloudwatch:PutMetricData",),
        ("*",),
        (("StringLike", "cloudwatch:namespace", METRIC_NAMESPACES),),
    )


def network_statements(account: str) -> list[Grant]:
    """Elastic network interfaces for endpoints in a VPC. The describe calls have no
    resource-level permission; the create/delete calls are bounded to this account."""
    return [
        Grant("DescribeEndpointNetwork", NETWORK_DESCRIBE, ("*",)),
        Grant(
            "ManageEndpointNetworkInterfaces",
            NETWORK_MANAGE,
            ("*",),
            (("StringEquals", "aws:ResourceAccount", (account,)),),
        ),
    ]


@dataclass(frozen=True)
class ExecutionRoleInputs:
    partition: str
    region: str
    account: str  # may be a Terraform expression
    images: tuple[str, ...]
    model_data_uris: tuple[str, ...]
    endpoint_names: tuple[str, ...]
    uses_vpc: bool


def execution_grants(p: ExecutionRoleInputs) -> list[Grant]:
    """The execution role of a stack's endpoints: pull their images, read their model data, write
    their logs and metrics, and manage network interfaces in a VPC; nothing else."""
    grants = [
        ecr_auth_statement(),
        ecr_pull_statement(tuple(sorted({ecr_repository_arn(image, p.partition) for image in p.images}))),
    ]
    objects: dict[str, None] = {}
    listings: dict[str, list[str]] = {}
    for uri in p.model_data_uris:
        bucket_arn, object_arn, prefix = s3_read_grants(uri, p.partition)
        objects[object_arn] = None
        if prefix is not None:
            listings.setdefault(bucket_arn, []).append(f"{prefix}*")
    if objects:
        grants.append(model_data_read_statement(tuple(objects)))
    for i, (bucket_arn, prefixes) in enumerate(sorted(listings.items())):
        grants.append(
            model_data_list_statement(f"ListModelData{i}", (bucket_arn,), tuple(sorted(set(prefixes))))
        )
    log_groups = tuple(endpoint_log_group_arn(p.partition, p.region, p.account, n) for n in p.endpoint_names)
    grants += [
        log_group_statement(log_groups),
        log_stream_statement(tuple(f"{arn}:*" for arn in log_groups)),
        metrics_statement(),
    ]
    if p.uses_vpc:
        grants += network_statements(p.account)
    return grants


def huggingface_token_expression(secret_string: str, json_key: str) -> str:
    """A Terraform expression (without ``${}``) of the token held by a secret as plain text or as
    a JSON object; ``secret_string`` and ``json_key`` are expressions too (a key literal quoted)."""
    return f"can(jsondecode({secret_string})) ? jsondecode({secret_string})[{json_key}] : {secret_string}"


def huggingface_token_format_expression(secret_string: str, json_key: str) -> str:
    """Which of the two forms was found, for an output that never reveals the token."""
    return (
        f'nonsensitive(can(jsondecode({secret_string})) ? "JSON object, key ${{{json_key}}}" : "plain text")'
    )
