"""What a config gives the function: its IAM statements (split to fit IAM), its environment and the
limits both must respect. Pure Python, so ``main.py`` checks all of it before writing anything,
and the stack builds its resources from the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_src import settings
from lambda_src.bedrock_ids import parse_model_ref
from modules import aws_limits, bedrock_iam, iam_policy
from modules.config import DeploymentConfig
from modules.grants import Grant
from modules.lambda_contract import (
    INVENTORY_PATH,
    assume_model_roles_statement,
    assume_override_roles_statement,
    base_statements,
    dev_environment,
    function_environment,
    sagemaker_statement,
)
from modules.regions import partition_of
from modules.sagemaker_config import ExistingEndpoint

# Terraform expressions the stack's policies and environment contain.
ACCOUNT = "${data.aws_caller_identity.current.account_id}"
LOG_GROUP_ARN = "${aws_cloudwatch_log_group.lambda.arn}"
KEYS_SECRET_ARN = "${aws_secretsmanager_secret.api_keys.arn}"  # noqa: S105 -- an address
ACCOUNT_ID_LENGTH = 12
# Secrets Manager appends "-" and 6 random characters to a secret's name in its ARN.
SECRET_ARN_SUFFIX = 7
PERMISSIONS_FIELD = "bedrock.models, sagemaker.endpoints, overrides.allowed_role_arns"


def endpoint_arn(partition: str, region: str, account: str, name: str) -> str:
    # SageMaker reports endpoint ARNs in lower case, and IAM compares them as written.
    return f"arn:{partition}:sagemaker:{region}:{account}:endpoint/{name.lower()}"


def override_roles(config: DeploymentConfig) -> tuple[str, ...]:
    return config.overrides.allowed_role_arns if config.stage == "dev" else ()


def model_grants(config: DeploymentConfig, account: str = ACCOUNT) -> list[Grant]:
    """Everything the function may call beyond its own resources, each resource named exactly."""
    grants: list[Grant] = []
    assume_roles: dict[str, None] = {}
    targets = []
    for model in config.bedrock.models:
        if model.role_arn:
            assume_roles[model.role_arn] = None
            continue
        targets.append(
            bedrock_iam.InvokeTarget(
                ref=parse_model_ref(model.model_id),
                region=config.bedrock_region_of(model),
                account=account,
                foundation_model_arns=model.foundation_model_arns,
            )
        )
    grants += bedrock_iam.invoke_grants(targets)
    if config.bedrock.grant_marketplace_subscribe and (products := config.marketplace_product_ids()):
        grants += bedrock_iam.marketplace_grants(products)

    partition = partition_of(config.region)
    endpoints = {
        endpoint_arn(partition, config.region, account, config.endpoint_name(ep)): None
        for ep in config.hosted_endpoints
    }
    for ep in config.sagemaker.endpoints:
        if not isinstance(ep, ExistingEndpoint):
            continue
        if ep.role_arn:
            assume_roles[ep.role_arn] = None
        else:
            region = ep.region or config.region
            arn = endpoint_arn(partition_of(region), region, ep.account_id or account, ep.endpoint_name)
            endpoints[arn] = None
    if endpoints:
        grants.append(sagemaker_statement(tuple(endpoints)))
    if assume_roles:
        grants.append(assume_model_roles_statement(tuple(assume_roles)))
    if roles := override_roles(config):
        grants.append(assume_override_roles_statement(tuple(dict.fromkeys(roles))))
    return grants


def expression_lengths(config: DeploymentConfig) -> dict[str, int]:
    """The longest value of each Terraform expression in the function's policies and environment."""
    partition = partition_of(config.region)
    account = "0" * ACCOUNT_ID_LENGTH
    names = config.names
    return {
        ACCOUNT: ACCOUNT_ID_LENGTH,
        LOG_GROUP_ARN: len(
            f"arn:{partition}:logs:{config.region}:{account}:log-group:{names['log_group'].value}"
        ),
        KEYS_SECRET_ARN: len(
            f"arn:{partition}:secretsmanager:{config.region}:{account}:secret:{names['secret'].value}"
        )
        + SECRET_ARN_SUFFIX,
    }


@dataclass(frozen=True)
class FunctionAccess:
    policies: iam_policy.PolicySet
    environment: dict[str, str]
    environment_bytes: int
    expression_lengths: dict[str, int]

    @property
    def policy_sizes(self) -> list[int]:
        """Characters of each policy as IAM counts them (inline first)."""
        return [
            aws_limits.rendered_length(iam_policy.render(doc), self.expression_lengths)
            for doc in self.policies.documents()
        ]


def function_access(config: DeploymentConfig) -> FunctionAccess:
    """The function's policies and environment for ``config``; :class:`LimitError` when over a limit."""
    lengths = expression_lengths(config)
    grants = base_statements(log_group_arn=LOG_GROUP_ARN, keys_secret_arn=KEYS_SECRET_ARN) + model_grants(
        config
    )
    policies = iam_policy.split(
        grants,
        expressions=lengths,
        managed_policies_max=config.quotas.managed_policies_per_role,
        field=PERMISSIONS_FIELD,
        role="function's execution",
    )
    environment = environment_of(config)
    size = aws_limits.check_environment(
        environment, lengths, field="admin_principals, overrides.allowed_role_arns"
    )
    return FunctionAccess(
        policies=policies, environment=environment, environment_bytes=size, expression_lengths=lengths
    )


def environment_of(config: DeploymentConfig) -> dict[str, str]:
    lam = config.lambda_
    env = function_environment(
        inventory=(settings.INVENTORY_FILE, INVENTORY_PATH),
        keys_secret_arn=KEYS_SECRET_ARN,
        stage=config.stage,
        inventory_max_age_seconds=str(lam.inventory_cache_seconds),
        log_prompts="true" if config.log_prompts else "false",
        service_name=config.prefix,
        log_level=lam.log_level,
        upstream_timeout_seconds=str(lam.timeout_seconds),
        stream_idle_timeout_seconds=str(lam.stream_idle_seconds),
        adapter_invoke_mode=config.function_url.invoke_mode.lower(),
    )
    if config.stage == "dev":
        env |= dev_environment(
            admin_principals=",".join(config.admin_principals),
            override_role_arns=",".join(override_roles(config)),
        )
    return env
