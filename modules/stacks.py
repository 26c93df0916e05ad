"""Stacks: where providers are configured and constructs are composed from the config."""

from __future__ import annotations

import json
from pathlib import Path

from cdktf import LocalBackend, S3Backend, TerraformLocal, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import (
    DataAwsSecretsmanagerSecretVersion,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from lambda_src.bedrock_ids import parse_model_ref
from modules import bedrock_iam
from modules import sagemaker_catalog as catalog
from modules.config import DeploymentConfig, StateSettings
from modules.cross_account_config import ALL
from modules.function_access import (
    ACCOUNT,
    ACCOUNT_ID_LENGTH,
    endpoint_arn,
    expression_lengths,
    function_access,
)
from modules.grants import Grant
from modules.inference_api import CorsProps, InferenceApi, InferenceApiProps
from modules.lambda_contract import (
    APPLICATION_LOG_LEVELS,
    AWS_PROVIDER_VERSION,
    AWS_PROVIDER_VERSION_URL_GRANTS,
    sagemaker_statement,
)
from modules.layer import Layer
from modules.model_access_role import ModelAccessRole, ModelAccessRoleProps
from modules.model_artifacts import BUCKET_NAME, BUCKET_NAME_SUFFIX, ModelArtifacts, ModelArtifactsProps
from modules.packaging import Package, build_model_archive
from modules.regions import partition_of
from modules.sagemaker_access import (
    ExecutionRoleInputs,
    huggingface_token_expression,
    huggingface_token_format_expression,
)
from modules.sagemaker_config import (
    CustomCodeEndpoint,
    CustomEndpoint,
    HostedEndpoint,
    HuggingFaceEndpoint,
    JumpStartEndpoint,
)
from modules.sagemaker_endpoint import (
    AutoscalingProps,
    ModelData,
    SageMakerEndpointConstruct,
    SageMakerEndpointProps,
)
from modules.sagemaker_role import SageMakerExecutionRole, SageMakerRoleProps

HF_TOKEN_DATA = "data.aws_secretsmanager_secret_version.huggingface_token"  # noqa: S105 -- an address
# Defaults for TGI's token limits when the config gives none.
DEFAULT_MAX_INPUT_TOKENS = 4096
DEFAULT_MAX_TOTAL_TOKENS = 8192


def _base_stack(
    stack: TerraformStack, id_: str, *, region: str, tags: dict[str, str], state: StateSettings | None
) -> DataAwsCallerIdentity:
    stack.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION)
    if state is None:
        # State lives at the project root, outside cdktf.out (which every synth replaces), and
        # the path is relative so the JSON does not depend on where it was synthesized.
        LocalBackend(stack, path=f"../../../terraform.{id_}.tfstate")
    else:
        s3 = state.s3
        S3Backend(
            stack,
            bucket=s3.bucket,
            key=f"{s3.key_prefix.rstrip('/')}/{id_}.tfstate",
            region=s3.region,
            encrypt=True,
            kms_key_id=s3.kms_key_arn,
            dynamodb_table=s3.dynamodb_table,
        )
        if s3.locking == "s3":
            # S3-native locking (Terraform 1.10+); the bindings predate the argument.
            stack.add_override("terraform.backend.s3.use_lockfile", True)
    AwsProvider(stack, "aws", region=region, default_tags=[AwsProviderDefaultTags(tags=tags)])
    caller = DataAwsCallerIdentity(stack, "current")
    caller.override_logical_id("current")
    return caller


def _logical(name: str) -> str:
    return name.replace("-", "_")


class InferenceApiStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: DeploymentConfig,
        package: Package,
        config_dir: Path,
        layer: Layer | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.caller = _base_stack(
            self, id_, region=config.region, tags=config.default_tags, state=config.state
        )
        self.partition = partition_of(config.region)
        # Checked before anything is written (main.py runs the same check first).
        access = function_access(config)
        self._deploy_endpoints(config, config_dir)

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
                package=package,
                architecture=lam.architecture,
                runtime=lam.runtime,
                memory_mb=lam.memory_mb,
                timeout_seconds=lam.timeout_seconds,
                reserved_concurrency=lam.reserved_concurrency,
                log_retention_days=lam.log_retention_days,
                application_log_level=APPLICATION_LOG_LEVELS[lam.log_level],
                auth_type=config.function_url.auth_type,
                invoke_mode=config.function_url.invoke_mode,
                web_adapter_layer_arn=str(config.web_adapter_layer_arn()),
                cors=CorsProps(cors.allow_origins, cors.allow_headers, cors.max_age_seconds)
                if cors
                else None,
                callers=config.function_url.callers,
                policies=access.policies,
                environment=access.environment,
                keys_recovery_window_days=config.api_keys_recovery_window_days,
                layer=layer,
                layer_name=names["layer"].value,
            ),
        )
        if self.api.grants_callers:
            self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION_URL_GRANTS)

    def _deploy_endpoints(self, config: DeploymentConfig, config_dir: Path) -> list[HostedEndpoint]:
        hosted = config.hosted_endpoints
        if not hosted:
            return []
        token_env = self._huggingface_token(config, hosted)
        artifacts = None
        if any(isinstance(ep, CustomCodeEndpoint) for ep in hosted):
            artifacts = ModelArtifacts(
                self,
                "model-artifacts",
                props=ModelArtifactsProps(bucket_prefix=config.model_artifacts_bucket_prefix),
            )
        planned: list[tuple[HostedEndpoint, str, dict[str, str], ModelData | None, str | None]] = []
        for ep in hosted:
            image, env, data, iam_uri = self._container(config, ep, config_dir, artifacts, token_env)
            planned.append((ep, image, env, data, iam_uri))
        lengths = {
            **expression_lengths(config),
            BUCKET_NAME: len(config.model_artifacts_bucket_prefix) + BUCKET_NAME_SUFFIX,
        }
        role = SageMakerExecutionRole(
            self,
            "sagemaker-role",
            props=SageMakerRoleProps(
                role_name=config.names["sagemaker_role"].value,
                access=ExecutionRoleInputs(
                    partition=self.partition,
                    region=config.region,
                    account=ACCOUNT,
                    images=tuple(image for _, image, _, _, _ in planned),
                    model_data_uris=tuple(uri for _, _, _, _, uri in planned if uri),
                    endpoint_names=tuple(config.endpoint_name(ep) for ep in hosted),
                    uses_vpc=any(ep.vpc for ep in hosted),
                ),
                expression_lengths=lengths,
            ),
        )
        for ep, image, env, data, _ in planned:
            name = config.endpoint_name(ep)
            scaling = ep.autoscaling
            SageMakerEndpointConstruct(
                self,
                f"endpoint-{ep.name}",
                props=SageMakerEndpointProps(
                    endpoint_name=name,
                    logical_name=_logical(ep.name),
                    execution_role_arn=role.role.arn,
                    image=image,
                    instance_type=ep.instance_type,
                    instance_count=ep.instance_count,
                    startup_health_check_timeout_seconds=ep.startup_health_check_timeout_seconds,
                    model_download_timeout_seconds=ep.model_download_timeout_seconds,
                    environment=env,
                    model_data=data,
                    volume_size_gb=ep.volume_size_gb,
                    kms_key_arn=ep.kms_key_arn,
                    network_isolation=ep.network_isolation,
                    subnet_ids=ep.vpc.subnet_ids if ep.vpc else (),
                    security_group_ids=ep.vpc.security_group_ids if ep.vpc else (),
                    autoscaling=AutoscalingProps(**scaling.model_dump()) if scaling else None,
                    tags=dict(ep.tags),
                    name_salt=f"{HF_TOKEN_DATA}.version_id"
                    if token_env and isinstance(ep, HuggingFaceEndpoint)
                    else None,
                ),
                # SageMaker checks the role's access when it creates the model.
                depends_on=[role.policy],
            )
        TerraformOutput(
            self,
            "sagemaker_endpoint_names",
            value=[config.endpoint_name(ep) for ep in hosted],
            description="Names of the SageMaker endpoints this stack deploys.",
        ).override_logical_id("sagemaker_endpoint_names")
        TerraformOutput(
            self,
            "sagemaker_execution_role_arn",
            value=role.role.arn,
            description="ARN of the SageMaker endpoints' execution role.",
        ).override_logical_id("sagemaker_execution_role_arn")
        return hosted

    def _huggingface_token(self, config: DeploymentConfig, hosted: list[HostedEndpoint]) -> str | None:
        """A Terraform expression of the Hub token, read from its secret at plan time."""
        token = config.sagemaker.huggingface_token
        if token is None or not any(isinstance(ep, HuggingFaceEndpoint) for ep in hosted):
            return None
        secret = DataAwsSecretsmanagerSecretVersion(self, "hf-token", secret_id=token.secret_arn)
        secret.override_logical_id("huggingface_token")
        raw = f"{HF_TOKEN_DATA}.secret_string"
        key = json.dumps(token.json_key)
        local = TerraformLocal(self, "huggingface_token", f"${{{huggingface_token_expression(raw, key)}}}")
        local.override_logical_id("huggingface_token")
        TerraformOutput(
            self,
            "huggingface_token_format",
            # Only the format is revealed, never the token.
            value=f"${{{huggingface_token_format_expression(raw, key)}}}",
            description="How the Hugging Face token secret was read.",
        ).override_logical_id("huggingface_token_format")
        return "${local.huggingface_token}"

    def _container(
        self,
        config: DeploymentConfig,
        ep: HostedEndpoint,
        config_dir: Path,
        artifacts: ModelArtifacts | None,
        token_env: str | None,
    ) -> tuple[str, dict[str, str], ModelData | None, str | None]:
        """Image, environment, model data and the model data's s3:// URI for IAM."""
        region = config.region
        if isinstance(ep, HuggingFaceEndpoint):
            version = ep.tgi_version or catalog.TGI_DEFAULT_VERSION
            names = catalog.tgi_env_names(version)
            max_input = ep.max_input_tokens or DEFAULT_MAX_INPUT_TOKENS
            max_total = ep.max_total_tokens or max(DEFAULT_MAX_TOTAL_TOKENS, max_input + 1)
            env = {
                "HF_MODEL_ID": ep.hf_model_id,
                "SM_NUM_GPUS": str(catalog.instance_info(ep.instance_type).accelerators),
                names.max_input: str(max_input),
                names.max_total: str(max_total),
                # TGI refuses to start when a full prompt cannot fit in one prefill batch.
                "MAX_BATCH_PREFILL_TOKENS": str(max_input),
            }
            if names.messages_api and ep.effective_codec() == "tgi-messages":
                env[names.messages_api] = "true"
            env.update(ep.environment)
            if token_env:
                env.update(dict.fromkeys(names.token_names, token_env))
            return catalog.tgi_image_uri(region, version), env, None, None
        if isinstance(ep, JumpStartEndpoint):
            spec = ep.spec()
            if spec:
                data = ModelData(
                    s3_uri=spec.model_data_s3_uri_template.format(region=region),
                    compressed=spec.model_data_compressed,
                    accept_eula=spec.gated and ep.accept_eula,
                )
                env = {
                    **spec.environment,
                    "SM_NUM_GPUS": str(catalog.instance_info(ep.instance_type).accelerators),
                    **ep.environment,
                }
                return catalog.jumpstart_image_uri(spec, region), env, data, data.s3_uri
            assert ep.image_uri and ep.model_data
            data = ModelData(
                s3_uri=ep.model_data,
                compressed=ep.model_data.endswith(".tar.gz"),
                accept_eula=ep.gated and ep.accept_eula,
            )
            return ep.image_uri, dict(ep.environment), data, data.s3_uri
        if isinstance(ep, CustomEndpoint):
            data = ModelData(s3_uri=ep.model_data, compressed=ep.model_data.endswith(".tar.gz"))
            return ep.image_uri, dict(ep.environment), data, data.s3_uri
        assert isinstance(ep, CustomCodeEndpoint) and artifacts is not None
        archive = build_model_archive((config_dir / ep.code_dir).resolve(), name=ep.name)
        uploaded = artifacts.upload(ep.name, archive)
        env = {
            "SAGEMAKER_PROGRAM": ep.entry_point,
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": region,
            **ep.environment,
        }
        return ep.image_uri, env, ModelData(s3_uri=uploaded.model_uri, compressed=True), uploaded.iam_uri


class ModelAccessStack(TerraformStack):
    """Deployed in the model-hosting account: the role the inference API assumes there."""

    def __init__(self, scope: Construct, id_: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, id_)
        access = config.cross_account_role
        assert access is not None
        region = access.region or config.region
        partition = partition_of(region)
        _base_stack(self, id_, region=region, tags=config.default_tags, state=config.state)
        account = ACCOUNT

        grants: list[Grant] = []
        if access.sagemaker_endpoints == ALL:
            grants.append(sagemaker_statement((endpoint_arn(partition, region, account, "*"),)))
        elif access.sagemaker_endpoints:
            grants.append(
                sagemaker_statement(
                    tuple(endpoint_arn(partition, region, account, n) for n in access.sagemaker_endpoints)
                )
            )
        if access.bedrock_models == ALL:
            everything = (
                # any region: cross-region profiles route to foundation models elsewhere
                f"arn:{partition}:bedrock:*::foundation-model/*",
                *(
                    f"arn:{partition}:bedrock:{region}:{account}:{kind}/*"
                    for kind in (
                        "inference-profile",
                        "application-inference-profile",
                        "custom-model",
                        "custom-model-deployment",
                        "provisioned-model",
                        "imported-model",
                    )
                ),
            )
            grants += bedrock_iam.invoke_statements(everything, (), ())
        else:
            targets = []
            for model_id in access.bedrock_models:
                ref = parse_model_ref(model_id)
                targets.append(
                    bedrock_iam.InvokeTarget(ref=ref, region=ref.region or region, account=account)
                )
            grants += bedrock_iam.invoke_grants(targets)
        ModelAccessRole(
            self,
            "model-access",
            props=ModelAccessRoleProps(
                role_name=access.role_name or f"{config.prefix}-model-access",
                trusted_role_arns=access.trusted_role_arns,
                external_id=access.external_id,
                max_session_duration_seconds=access.max_session_duration_seconds,
                grants=tuple(grants),
                expression_lengths={ACCOUNT: ACCOUNT_ID_LENGTH},
                trust_policy_max=config.quotas.role_trust_policy_chars,
            ),
        )
