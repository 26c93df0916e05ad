"""What the function expects from whatever deploys it (the cdktf stack or an exported module).

Kept free of cdktf imports so the module export stays fast.
"""

from __future__ import annotations

from lambda_src import settings
from modules import web_adapter
from modules.grants import Grant, Values

# The Lambda Web Adapter's wrapper (AWS_LAMBDA_EXEC_WRAPPER) runs this script, which serves the app.
HANDLER = "lambda_src/run.sh"
# The prebuilt cdktf bindings pin one provider version; the synthesized stacks and the exported
# modules admit every version whose arguments this project uses (validated against 5.100 and 6.x).
AWS_PROVIDER_VERSION = ">= 5.100.0, < 7.0.0"
# Granting callers on the function (a public URL, function_url.callers, the inference-api module)
# needs aws_lambda_permission.invoked_via_function_url, new in the AWS provider 6.28.0
# (hashicorp/terraform-provider-aws#44858, checked 2026-11-29).
AWS_PROVIDER_VERSION_URL_GRANTS = ">= 6.28.0, < 7.0.0"
# SSM String parameter size limits per tier (the exported module's optional inventory_json).
STANDARD_TIER_MAX = 4096
ADVANCED_TIER_MAX = 8192
# The model inventory ships inside the function package, so loading it costs no network call:
# the zip's root holds it, and Lambda unpacks the zip into LAMBDA_TASK_ROOT.
INVENTORY_FILE_NAME = "inventory.json"
TASK_ROOT = "/var/task"
INVENTORY_PATH = f"{TASK_ROOT}/{INVENTORY_FILE_NAME}"
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# Each model is called whole (Converse, InvokeModel, InvokeEndpoint) or streamed (ConverseStream,
# InvokeEndpointWithResponseStream): the streaming actions go with the same resources.
BEDROCK_INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SAGEMAKER_INVOKE = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
# botocore attempts per upstream call; the request's deadline bounds all of them together.
UPSTREAM_ATTEMPTS = 3
# A stream that sends nothing for this long ends with an error event (config default).
STREAM_IDLE_TIMEOUT_SECONDS = 30
METRICS_NAMESPACE = "LlmInferenceApi"
CORS_HEADERS = ("authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


# The application log level Lambda applies (advanced logging controls), as Lambda names the
# config's levels. Lambda drops JSON lines below it and sets AWS_LAMBDA_LOG_LEVEL, which
# Powertools' Logger obeys before POWERTOOLS_LOG_LEVEL. The system level stays Lambda's default
# (INFO), which keeps the REPORT lines (duration, memory, init time).
APPLICATION_LOG_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}


def function_environment(
    *,
    inventory: tuple[str, str],
    keys_secret_arn: str,
    stage: str,
    inventory_max_age_seconds: str,
    log_prompts: str,
    service_name: str,
    log_level: str,
    upstream_timeout_seconds: str,
    stream_idle_timeout_seconds: str,
    adapter_invoke_mode: str,
) -> dict[str, str]:
    """The function's environment; values are strings or Terraform expressions. ``inventory`` is
    (``INVENTORY_FILE``, path) for the bundled inventory or (``INVENTORY_PARAMETER_NAME``, name);
    ``adapter_invoke_mode`` is the Function URL's invoke mode in lower case, as the adapter reads it."""
    name, value = inventory
    if name not in (settings.INVENTORY_FILE, settings.INVENTORY_PARAMETER_NAME):
        raise ValueError(f"unknown inventory variable {name}")
    return {
        name: value,
        settings.KEYS_SECRET_ARN: keys_secret_arn,
        settings.STAGE: stage,
        settings.INVENTORY_MAX_AGE_SECONDS: inventory_max_age_seconds,
        settings.LOG_PROMPTS: log_prompts,
        "POWERTOOLS_SERVICE_NAME": service_name,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": log_level,
        "AWS_RETRY_MODE": "standard",
        settings.AWS_MAX_ATTEMPTS: str(UPSTREAM_ATTEMPTS),
        # One socket read upstream may take as long as the function; the request's deadline
        # bounds every call (with its retries) in total.
        settings.UPSTREAM_TIMEOUT_SECONDS: upstream_timeout_seconds,
        settings.STREAM_IDLE_TIMEOUT_SECONDS: stream_idle_timeout_seconds,
        **web_adapter.environment("RESPONSE_STREAM"),
        "AWS_LWA_INVOKE_MODE": adapter_invoke_mode,
    }


def dev_environment(*, admin_principals: str, override_role_arns: str) -> dict[str, str]:
    """Only a dev stage gets these: who may send runtime overrides and which roles they may name."""
    return {settings.ADMIN_PRINCIPALS: admin_principals, settings.OVERRIDE_ROLE_ARNS: override_role_arns}


KEYS_SECRET_READ = ("secretsmanager:GetSecretValue",)
ASSUME_ROLE = ("sts:AssumeRole",)


def base_statements(*, log_group_arn: str, keys_secret_arn: str) -> list[Grant]:
    """What the function needs for itself, whatever it serves."""
    return [
        Grant("WriteOwnLogs", LOG_ACTIONS, (f"{log_group_arn}:*",)),
        # X-Ray has no resource-level permissions: "*" is the only valid resource.
        Grant("XRay", XRAY_ACTIONS, ("*",)),
        Grant("ReadApiKeys", KEYS_SECRET_READ, (keys_secret_arn,)),
    ]


def inventory_parameter_statement(parameter_arn: str) -> Grant:
    """Only where the inventory is an SSM parameter (the exported module's inventory_json)."""
    return Grant("ReadModelInventory", ("ssm:GetParameter",), (parameter_arn,))


def sagemaker_statement(endpoint_arns: Values) -> Grant:
    return Grant("InvokeSageMakerEndpoints", SAGEMAKER_INVOKE, endpoint_arns)


def assume_model_roles_statement(role_arns: Values) -> Grant:
    """Roles in other accounts that host configured models."""
    return Grant("AssumeModelAccessRoles", ASSUME_ROLE, role_arns)


def assume_override_roles_statement(role_arns: Values) -> Grant:
    """Roles admins may name in runtime overrides (dev stage only)."""
    return Grant("AssumeOverrideRoles", ASSUME_ROLE, role_arns)
