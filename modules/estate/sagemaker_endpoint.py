"""One SageMaker real-time endpoint as a standalone child module."""

from __future__ import annotations

import json
from typing import Any

from modules.estate.policy import policy_document
from modules.estate.tfjson import ModuleDoc, Output, Variable
from modules.sagemaker_access import (
    ecr_auth_statement,
    ecr_pull_statement,
    huggingface_token_expression,
    huggingface_token_format_expression,
    log_group_statement,
    log_stream_statement,
    metrics_statement,
    model_data_list_statement,
    model_data_read_statement,
    network_statements,
)
from modules.sagemaker_catalog import TGI_DEFAULT_VERSION, instance_types, tgi_env_names
from modules.sagemaker_config import TOKEN_ENV_NAMES

# Model and endpoint-configuration names: "<name>-<8 hex of their definition>", so a change creates
# new ones before the old are destroyed. The environment is sensitive (it may carry a token), so
# only the hash of it is released from sensitivity. The inference AMI joins only when set, so
# endpoints deployed before the variable existed keep their names.
_DEFINITION = (
    "jsonencode(concat([var.image, var.environment, var.model_data_url, var.model_data_compressed, "
    "var.accept_eula, var.instance_type, var.initial_instance_count, var.enable_network_isolation, "
    "var.vpc_subnet_ids, var.vpc_security_group_ids, var.volume_size_in_gb, var.kms_key_arn, "
    "var.container_startup_health_check_timeout_in_seconds, var.model_data_download_timeout_in_seconds, "
    "local.execution_role_arn, local.huggingface_token_version], compact([var.inference_ami_version])))"
)
RAW_TOKEN = "one(data.aws_secretsmanager_secret_version.huggingface_token[*].secret_string)"  # noqa: S105
_IMAGE_RE = r"^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)"


def build() -> ModuleDoc:
    families = sorted({t.split(".")[1] for t in instance_types()})
    variables = [
        Variable("name", "string", "Endpoint name (at most 54 characters: model and configuration names add 9).",
                 validations=(('can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.name)) && length(var.name) <= 54',
                               "name must be letters, digits and hyphens (no leading/trailing hyphen), at most 54 characters."),)),
        Variable("image", "string", "ECR image URI of the serving container, in the endpoint's region.",
                 validations=((f'can(regex("{_IMAGE_RE}", var.image))', "image must be an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)."),)),
        Variable("environment", "map(string)",
                 "Container environment (sensitive). The Hugging Face token comes from huggingface_token_secret_arn, "
                 f"never from here ({', '.join(sorted(TOKEN_ENV_NAMES))} are refused).",
                 default={}, sensitive=True,
                 validations=((f"alltrue([for k in nonsensitive(keys(var.environment)) : !contains({json.dumps(sorted(TOKEN_ENV_NAMES))}, k)])",
                               "environment must not set the Hugging Face token: give huggingface_token_secret_arn."),)),
        Variable("huggingface_token_secret_arn", "string",
                 "An existing Secrets Manager secret holding a Hugging Face token (gated models), as plain text or "
                 "a JSON object (see huggingface_token_json_key); read at plan time and put in the container "
                 "environment. null for none.", default=None,
                 validations=(('var.huggingface_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.huggingface_token_secret_arn))',
                               "huggingface_token_secret_arn must be a Secrets Manager secret ARN."),)),
        Variable("huggingface_token_json_key", "string", "The key of the token when the secret holds a JSON object.",
                 default="HF_TOKEN"),
        Variable("huggingface_token_environment_names", "list(string)",
                 "Environment variables that receive the token (the TGI container reads these).",
                 default=list(tgi_env_names(TGI_DEFAULT_VERSION).token_names)),
        Variable("model_data_url", "string", "S3 URI of the model data: a .tar.gz object or a prefix ending in /; null for none.",
                 default=None,
                 validations=(('var.model_data_url == null || can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9](/.*)?$", var.model_data_url))',
                               "model_data_url must be an s3:// URI."),)),
        Variable("model_data_compressed", "bool", "true for a .tar.gz object, false for an uncompressed prefix.",
                 default=True),
        Variable("accept_eula", "bool", "Accept the model's license (gated JumpStart models).", default=False),
        Variable("instance_type", "string", f"Accelerator instance type (families: {', '.join(families)}).",
                 validations=((f"contains({json.dumps(list(instance_types()))}, var.instance_type)",
                               f"instance_type must be an LLM accelerator type of the families {', '.join(families)}."),)),
        Variable("initial_instance_count", "number", "Instances at creation.", default=1,
                 validations=(("var.initial_instance_count >= 1", "initial_instance_count must be at least 1."),)),
        Variable("container_startup_health_check_timeout_in_seconds", "number", "Seconds SageMaker waits for the container to pass its health check (60-3600).", default=900,
                 validations=(("var.container_startup_health_check_timeout_in_seconds >= 60 && var.container_startup_health_check_timeout_in_seconds <= 3600", "Must be 60-3600."),)),
        Variable("model_data_download_timeout_in_seconds", "number", "Seconds SageMaker allows to download the model data (60-3600).", default=1200,
                 validations=(("var.model_data_download_timeout_in_seconds >= 60 && var.model_data_download_timeout_in_seconds <= 3600", "Must be 60-3600."),)),
        Variable("volume_size_in_gb", "number", "ML storage volume (only for types without local NVMe storage); null for the default.",
                 default=None),
        Variable("kms_key_arn", "string", "KMS key for the endpoint configuration's storage.", default=None),
        Variable("inference_ami_version", "string",
                 "Host image for the container; CUDA 13 engine images need al2-ami-sagemaker-inference-gpu-3-1 "
                 "(see the README's engine table); null for SageMaker's default.", default=None),
        Variable("enable_network_isolation", "bool", "No outbound network for the container.", default=False),
        Variable("vpc_subnet_ids", "list(string)", "Subnets for the model's network interfaces; empty for none.", default=[]),
        Variable("vpc_security_group_ids", "list(string)", "Security groups with vpc_subnet_ids.", default=[]),
        Variable("autoscaling", "object({min_instances = number, max_instances = number, target_invocations_per_instance = number})",
                 "Target tracking on invocations per instance; null for none.", default=None),
        Variable("create_execution_role", "bool", "Create an execution role scoped to this image, model data and log group.",
                 default=True),
        Variable("execution_role_arn", "string", "An existing execution role (with create_execution_role = false).",
                 default=None),
        Variable("tags", "map(string)", "Tags for every resource.", default={}),
    ]  # fmt: skip

    locals_ = {
        "execution_role_arn": (
            "${var.create_execution_role ? aws_iam_role.sagemaker[0].arn : var.execution_role_arn}"
        ),
        "versioned_name": f"${{var.name}}-${{nonsensitive(substr(sha256({_DEFINITION}), 0, 8))}}",
        "image_parts": f'${{regex("{_IMAGE_RE}", var.image)}}',
        "partition": '${startswith(local.image_parts[1], "cn-") ? "aws-cn" : startswith(local.image_parts[1], "us-gov-") ? "aws-us-gov" : "aws"}',
        "model_data_bucket": (
            '${var.model_data_url == null ? null : split("/", trimprefix(var.model_data_url, "s3://"))[0]}'
        ),
        "model_data_key": (
            '${var.model_data_url == null ? null : join("/", slice(split("/", trimprefix(var.model_data_url, "s3://")), '
            '1, length(split("/", trimprefix(var.model_data_url, "s3://")))))}'
        ),
        "huggingface_token_version": (
            "${var.huggingface_token_secret_arn == null ? \"\" : "
            "one(data.aws_secretsmanager_secret_version.huggingface_token[*].version_id)}"
        ),
        "huggingface_token_environment": (
            "${var.huggingface_token_secret_arn == null ? tomap({}) : "
            "{for name in var.huggingface_token_environment_names : name => local.huggingface_token}}"
        ),
        "huggingface_token": (
            "${var.huggingface_token_secret_arn == null ? null : "
            f"{huggingface_token_expression(RAW_TOKEN, 'var.huggingface_token_json_key')}}}"
        ),
        "log_group_arn": (
            "arn:${local.partition}:logs:${local.image_parts[1]}:${data.aws_caller_identity.current.account_id}"
            ":log-group:/aws/sagemaker/Endpoints/${var.name}"
        ),
    }  # fmt: skip
    account = "${data.aws_caller_identity.current.account_id}"
    grants = [
        ecr_auth_statement(),
        ecr_pull_statement(
            (
                "arn:${local.partition}:ecr:${local.image_parts[1]}:${local.image_parts[0]}:repository/${local.image_parts[2]}",
            )
        ),
        model_data_read_statement(
            (
                'arn:${local.partition}:s3:::${local.model_data_bucket}/${local.model_data_key}${var.model_data_compressed ? "" : "*"}',
            )
        ),
        model_data_list_statement(
            "ListModelData0",
            ("arn:${local.partition}:s3:::${local.model_data_bucket}",),
            ("${local.model_data_key}*",),
        ),
        log_group_statement(("${local.log_group_arn}",)),
        log_stream_statement(("${local.log_group_arn}:*",)),
        metrics_statement(),
        *network_statements(account),
    ]
    in_vpc = "length(var.vpc_subnet_ids) > 0"
    access = policy_document(
        grants,
        when={
            "ReadModelData": "var.model_data_url != null",
            "ListModelData0": "var.model_data_url != null && !var.model_data_compressed",
            "DescribeEndpointNetwork": in_vpc,
            "ManageEndpointNetworkInterfaces": in_vpc,
        },
    )
    data: dict[str, Any] = {
        "aws_caller_identity": {"current": {}},
        "aws_secretsmanager_secret_version": {
            "huggingface_token": {
                "count": "${var.huggingface_token_secret_arn == null ? 0 : 1}",
                "secret_id": "${var.huggingface_token_secret_arn}",
            }
        },
        "aws_iam_policy_document": {
            "sagemaker_assume_role": {
                "statement": [
                    {
                        "effect": "Allow",
                        "actions": ["sts:AssumeRole"],
                        "principals": [{"type": "Service", "identifiers": ["sagemaker.amazonaws.com"]}],
                        "condition": [
                            {
                                "test": "StringEquals",
                                "variable": "aws:SourceAccount",
                                "values": ["${data.aws_caller_identity.current.account_id}"],
                            }
                        ],
                    }
                ]
            },
            "sagemaker": access,
        },
    }
    replace_first = {"create_before_destroy": True}
    resources: dict[str, Any] = {
        "aws_iam_role": {
            "sagemaker": {
                "count": "${var.create_execution_role ? 1 : 0}",
                "name": "${var.name}-sagemaker",
                "description": "Execution role of the SageMaker endpoint ${var.name}.",
                "assume_role_policy": "${data.aws_iam_policy_document.sagemaker_assume_role.json}",
                "tags": "${var.tags}",
            }
        },
        "aws_iam_role_policy": {
            "sagemaker": {
                "count": "${var.create_execution_role ? 1 : 0}",
                "name": "${var.name}-sagemaker-access",
                "role": "${aws_iam_role.sagemaker[0].id}",
                "policy": "${data.aws_iam_policy_document.sagemaker.json}",
            }
        },
        "aws_sagemaker_model": {
            "this": {
                "name": "${local.versioned_name}",
                "execution_role_arn": "${local.execution_role_arn}",
                "enable_network_isolation": "${var.enable_network_isolation}",
                "primary_container": {
                    "image": "${var.image}",
                    "environment": "${merge(var.environment, local.huggingface_token_environment)}",
                    "dynamic": {
                        "model_data_source": [
                            {
                                "for_each": "${var.model_data_url == null ? [] : [1]}",
                                "content": {
                                    "s3_data_source": {
                                        "s3_uri": "${var.model_data_url}",
                                        "s3_data_type": '${var.model_data_compressed ? "S3Object" : "S3Prefix"}',
                                        "compression_type": '${var.model_data_compressed ? "Gzip" : "None"}',
                                        "dynamic": {
                                            "model_access_config": [
                                                {
                                                    "for_each": "${var.accept_eula ? [1] : []}",
                                                    "content": {"accept_eula": True},
                                                }
                                            ]
                                        },
                                    }
                                },
                            }
                        ]
                    },
                },
                "dynamic": {
                    "vpc_config": [
                        {
                            "for_each": "${length(var.vpc_subnet_ids) > 0 ? [1] : []}",
                            "content": {
                                "subnets": "${var.vpc_subnet_ids}",
                                "security_group_ids": "${var.vpc_security_group_ids}",
                            },
                        }
                    ]
                },
                "tags": "${var.tags}",
                "depends_on": ["aws_iam_role_policy.sagemaker"],
                "lifecycle": {
                    **replace_first,
                    "precondition": [
                        {
                            "condition": "${var.create_execution_role || var.execution_role_arn != null}",
                            "error_message": "With create_execution_role = false, set execution_role_arn.",
                        }
                    ],
                },
            }
        },
        "aws_sagemaker_endpoint_configuration": {
            "this": {
                "name": "${local.versioned_name}",
                "kms_key_arn": "${var.kms_key_arn}",
                "production_variants": {
                    "variant_name": "AllTraffic",
                    "model_name": "${aws_sagemaker_model.this.name}",
                    "instance_type": "${var.instance_type}",
                    "initial_instance_count": "${var.initial_instance_count}",
                    "container_startup_health_check_timeout_in_seconds": (
                        "${var.container_startup_health_check_timeout_in_seconds}"
                    ),
                    "model_data_download_timeout_in_seconds": "${var.model_data_download_timeout_in_seconds}",
                    "volume_size_in_gb": "${var.volume_size_in_gb}",
                    "inference_ami_version": "${var.inference_ami_version}",
                },
                "tags": "${var.tags}",
                "lifecycle": replace_first,
            }
        },
        "aws_sagemaker_endpoint": {
            "this": {
                "name": "${var.name}",
                "endpoint_config_name": "${aws_sagemaker_endpoint_configuration.this.name}",
                "tags": "${var.tags}",
            }
        },
        "aws_appautoscaling_target": {
            "this": {
                "count": "${var.autoscaling == null ? 0 : 1}",
                "service_namespace": "sagemaker",
                "resource_id": "endpoint/${aws_sagemaker_endpoint.this.name}/variant/AllTraffic",
                "scalable_dimension": "sagemaker:variant:DesiredInstanceCount",
                "min_capacity": "${var.autoscaling.min_instances}",
                "max_capacity": "${var.autoscaling.max_instances}",
            }
        },
        "aws_appautoscaling_policy": {
            "this": {
                "count": "${var.autoscaling == null ? 0 : 1}",
                "name": "${var.name}-invocations",
                "policy_type": "TargetTrackingScaling",
                "service_namespace": "${aws_appautoscaling_target.this[0].service_namespace}",
                "resource_id": "${aws_appautoscaling_target.this[0].resource_id}",
                "scalable_dimension": "${aws_appautoscaling_target.this[0].scalable_dimension}",
                "target_tracking_scaling_policy_configuration": {
                    "target_value": "${var.autoscaling.target_invocations_per_instance}",
                    "predefined_metric_specification": {
                        "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                    },
                },
            }
        },
    }
    outputs = [
        Output("endpoint_name", "aws_sagemaker_endpoint.this.name", "Name of the endpoint."),
        Output("huggingface_token_format",
               f"var.huggingface_token_secret_arn == null ? null : {huggingface_token_format_expression(RAW_TOKEN, 'var.huggingface_token_json_key')}",
               "How the Hugging Face token secret was read (plain text or a JSON key); never the token."),
        Output("endpoint_arn", "aws_sagemaker_endpoint.this.arn", "ARN of the endpoint (give it to the inference API)."),
        Output("model_name", "aws_sagemaker_model.this.name", "Name of the current SageMaker model."),
        Output("execution_role_arn", "local.execution_role_arn", "The endpoint's execution role."),
    ]  # fmt: skip
    usage = """
module "mistral" {
  source = "./modules/sagemaker-endpoint"

  name          = "llm-mistral-7b"
  image         = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04"
  instance_type = "ml.g5.2xlarge"
  environment = {
    HF_MODEL_ID = "mistralai/Mistral-7B-Instruct-v0.3"
    SM_NUM_GPUS = "1"
  }
}
"""
    notes = """
Endpoints bill per instance-hour while they exist, and most accounts must raise the
"<instance type> for endpoint usage" quota first. The image must be in the endpoint's region.
The Hugging Face token (huggingface_token_secret_arn) is read at plan time; it is stored in
Terraform state and visible in the model's description (DescribeModel returns the container
environment). Rotating the secret renames and replaces the model on the next apply.
"""
    return ModuleDoc(
        name="sagemaker-endpoint",
        summary="A SageMaker real-time endpoint: model, endpoint configuration (both versioned by a hash "
        "of their definition and replaced before destroy), endpoint, optional autoscaling, and an "
        "execution role scoped to its image, model data and log group.",
        variables=variables,
        outputs=outputs,
        resources=resources,
        data=data,
        locals=locals_,
        usage=usage,
        notes=notes,
    )
