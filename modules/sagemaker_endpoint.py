"""One real-time SageMaker endpoint: model, endpoint configuration, endpoint, optional autoscaling.

Models and endpoint configurations are immutable in SageMaker, so their names end in a hash of
their definition and are replaced before they are destroyed: a change rolls the endpoint over to
a new configuration instead of failing on a name that already exists.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.sagemaker_endpoint import SagemakerEndpoint
from cdktf_cdktf_provider_aws.sagemaker_endpoint_configuration import (
    SagemakerEndpointConfiguration,
    SagemakerEndpointConfigurationProductionVariants,
)
from cdktf_cdktf_provider_aws.sagemaker_model import (
    SagemakerModel,
    SagemakerModelPrimaryContainer,
    SagemakerModelPrimaryContainerModelDataSource,
    SagemakerModelPrimaryContainerModelDataSourceS3DataSource,
    SagemakerModelPrimaryContainerModelDataSourceS3DataSourceModelAccessConfig,
    SagemakerModelVpcConfig,
)
from constructs import Construct

VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True)
class ModelData:
    s3_uri: str
    compressed: bool  # a .tar.gz object, else an uncompressed S3 prefix
    accept_eula: bool = False


@dataclass(frozen=True)
class AutoscalingProps:
    min_instances: int
    max_instances: int
    target_invocations_per_instance: int
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int


@dataclass(frozen=True)
class SageMakerEndpointProps:
    endpoint_name: str
    logical_name: str
    execution_role_arn: str
    image: str
    instance_type: str
    instance_count: int
    startup_health_check_timeout_seconds: int
    model_download_timeout_seconds: int
    environment: dict[str, str] = field(default_factory=dict)
    model_data: ModelData | None = None
    volume_size_gb: int | None = None
    kms_key_arn: str | None = None
    network_isolation: bool = False
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    autoscaling: AutoscalingProps | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # The host image the container needs (CUDA 13 images); None keeps SageMaker's default.
    inference_ami_version: str | None = None
    # A Terraform expression that must also rename the model when it changes (the version id of
    # the Hugging Face token secret: the token sits in the environment, which cannot change in
    # place).
    name_salt: str | None = None

    def definition_hash(self) -> str:
        """8 hex characters that change whenever the model or its configuration changes."""
        data = asdict(self)
        for mutable in ("autoscaling", "tags", "name_salt"):  # applied in place, no new configuration needed
            data.pop(mutable)
        if data["inference_ami_version"] is None:
            data.pop("inference_ami_version")  # endpoints from before the field keep their names
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]


class SageMakerEndpointConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        props: SageMakerEndpointProps,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        digest = props.definition_hash()
        if props.name_salt:
            digest = f'${{substr(sha256("{digest}-${{{props.name_salt}}}"), 0, 8)}}'
        versioned = f"{props.endpoint_name}-{digest}"
        replace_first = TerraformResourceLifecycle(create_before_destroy=True)
        data_source = None
        if props.model_data:
            data_source = SagemakerModelPrimaryContainerModelDataSource(
                s3_data_source=[
                    SagemakerModelPrimaryContainerModelDataSourceS3DataSource(
                        s3_uri=props.model_data.s3_uri,
                        s3_data_type="S3Object" if props.model_data.compressed else "S3Prefix",
                        compression_type="Gzip" if props.model_data.compressed else "None",
                        model_access_config=(
                            SagemakerModelPrimaryContainerModelDataSourceS3DataSourceModelAccessConfig(
                                accept_eula=True
                            )
                            if props.model_data.accept_eula
                            else None
                        ),
                    )
                ]
            )
        self.model = SagemakerModel(
            self,
            "model",
            name=versioned,
            execution_role_arn=props.execution_role_arn,
            primary_container=SagemakerModelPrimaryContainer(
                image=props.image,
                environment=props.environment or None,
                model_data_source=data_source,
            ),
            enable_network_isolation=props.network_isolation,
            vpc_config=(
                SagemakerModelVpcConfig(
                    subnets=list(props.subnet_ids), security_group_ids=list(props.security_group_ids)
                )
                if props.subnet_ids
                else None
            ),
            tags=props.tags or None,
            lifecycle=replace_first,
            depends_on=depends_on,
        )
        self.model.override_logical_id(props.logical_name)

        self.endpoint_configuration = SagemakerEndpointConfiguration(
            self,
            "config",
            name=versioned,
            kms_key_arn=props.kms_key_arn,
            production_variants=[
                SagemakerEndpointConfigurationProductionVariants(
                    variant_name=VARIANT_NAME,
                    model_name=self.model.name,
                    instance_type=props.instance_type,
                    initial_instance_count=props.instance_count,
                    container_startup_health_check_timeout_in_seconds=props.startup_health_check_timeout_seconds,
                    model_data_download_timeout_in_seconds=props.model_download_timeout_seconds,
                    volume_size_in_gb=props.volume_size_gb,
                    inference_ami_version=props.inference_ami_version,
                )
            ],
            tags=props.tags or None,
            lifecycle=replace_first,
        )
        self.endpoint_configuration.override_logical_id(props.logical_name)

        self.endpoint = SagemakerEndpoint(
            self,
            "endpoint",
            name=props.endpoint_name,
            endpoint_config_name=self.endpoint_configuration.name,
            tags=props.tags or None,
        )
        self.endpoint.override_logical_id(props.logical_name)

        if props.autoscaling:
            scaling = props.autoscaling
            target = AppautoscalingTarget(
                self,
                "scaling-target",
                service_namespace="sagemaker",
                resource_id=f"endpoint/{self.endpoint.name}/variant/{VARIANT_NAME}",
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                min_capacity=scaling.min_instances,
                max_capacity=scaling.max_instances,
            )
            target.override_logical_id(props.logical_name)
            policy = AppautoscalingPolicy(
                self,
                "scaling-policy",
                name=f"{props.endpoint_name}-invocations",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=(
                    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                        target_value=scaling.target_invocations_per_instance,
                        scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                        scale_out_cooldown=scaling.scale_out_cooldown_seconds,
                        predefined_metric_specification=(
                            AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                                predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                            )
                        ),
                    )
                ),
            )
            policy.override_logical_id(props.logical_name)
