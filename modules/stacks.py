"""Stacks: where providers are configured and constructs are composed from the config."""

from __future__ import annotations

from cdktf import LocalBackend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from lambda_src.bedrock_ids import parse_model_ref
from modules import bedrock_iam
from modules.config import DeploymentConfig
from modules.inference_api import CorsProps, InferenceApi, InferenceApiProps
from modules.packaging import Package

# The prebuilt bindings pin one provider version; the JSON admits every version whose
# arguments this project uses (checked with `terraform validate` against 5.100 and 6.x).
AWS_PROVIDER_VERSION = ">= 5.100.0, < 7.0.0"


class InferenceApiStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, config: DeploymentConfig, package: Package) -> None:
        super().__init__(scope, id_)
        self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION)
        # State lives at the project root, outside cdktf.out (which every synth replaces), and
        # the path is relative so the JSON does not depend on where it was synthesized.
        LocalBackend(self, path=f"../../../terraform.{id_}.tfstate")
        AwsProvider(
            self,
            "aws",
            region=config.region,
            default_tags=[
                AwsProviderDefaultTags(tags={"Project": config.prefix, "Stage": config.stage, **config.tags})
            ],
        )
        caller = DataAwsCallerIdentity(self, "current")
        caller.override_logical_id("current")

        bedrock_arns: list[str] = []
        for model in config.bedrock.models:
            for arn in bedrock_iam.invoke_resources(
                parse_model_ref(model.model_id),
                region=config.bedrock_region_of(model),
                account=caller.account_id,
                profile_regions_override=model.profile_regions,
                foundation_model_arns=model.foundation_model_arns,
            ):
                if arn not in bedrock_arns:
                    bedrock_arns.append(arn)

        names = config.names
        lam = config.lambda_
        cors = config.function_url.cors
        self.api = InferenceApi(
            self,
            "inference-api",
            props=InferenceApiProps(
                function_name=names["function"].value,
                role_name=names["role"].value,
                policy_name=names["policy"].value,
                log_group_name=names["log_group"].value,
                secret_name=names["secret"].value,
                inventory_parameter_name=names["inventory_parameter"].value,
                inventory_json=config.inventory().to_json(),
                package=package,
                architecture=lam.architecture,
                runtime=lam.runtime,
                memory_mb=lam.memory_mb,
                timeout_seconds=lam.timeout_seconds,
                reserved_concurrency=lam.reserved_concurrency,
                log_retention_days=lam.log_retention_days,
                auth_type=config.function_url.auth_type,
                cors=CorsProps(cors.allow_origins, cors.allow_headers, cors.max_age_seconds)
                if cors
                else None,
                invoke_grants=(((bedrock_iam.INVOKE_ACTIONS, tuple(bedrock_arns)),) if bedrock_arns else ()),
                environment={
                    "STAGE": config.stage,
                    "INVENTORY_MAX_AGE_SECONDS": str(lam.inventory_cache_seconds),
                    "LOG_PROMPTS": "true" if config.log_prompts else "false",
                    "POWERTOOLS_SERVICE_NAME": config.prefix,
                    "POWERTOOLS_METRICS_NAMESPACE": "LlmInferenceApi",
                    "POWERTOOLS_LOG_LEVEL": lam.log_level,
                },
            ),
        )
