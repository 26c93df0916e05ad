"""The inference API as a standalone child module (plain Terraform JSON, no provider or backend)."""

from __future__ import annotations

from typing import Any, get_args

from modules import function_url_access as url_access
from modules import web_adapter
from modules.config import LogRetentionDays
from modules.estate.tfjson import ModuleDoc, Output, Variable
from modules.lambda_contract import (
    AWS_PROVIDER_VERSION_URL_GRANTS,
    BEDROCK_INVOKE,
    CORS_HEADERS,
    HANDLER,
    LOG_ACTIONS,
    METRICS_NAMESPACE,
    SAGEMAKER_INVOKE,
    STANDARD_TIER_MAX,
    STREAM_IDLE_TIMEOUT_SECONDS,
    UPSTREAM_ATTEMPTS,
    XRAY_ACTIONS,
)

PACKAGE_FILE = "function.zip"
_ARN_LIST = 'alltrue([for a in var.{name} : can(regex("^arn:aws[a-z-]*:{service}:", a))])'


def _grant(sid: str, actions: tuple[str, ...], var: str) -> dict[str, Any]:
    """A statement that exists only when the list variable is non-empty."""
    return {
        "for_each": f"${{length(var.{var}) > 0 ? [1] : []}}",
        "content": {"sid": sid, "effect": "Allow", "actions": list(actions), "resources": f"${{var.{var}}}"},
    }


def build(*, architecture: str, runtime: str) -> ModuleDoc:
    retention = list(get_args(LogRetentionDays))
    variables = [
        Variable(
            "name",
            "string",
            "Name prefix: the function is <name>-inference-api, the secret <name>/api-keys, the "
            "inventory parameter /<name>/model-inventory.",
            validations=(
                (
                    'can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name)) && length(var.name) <= 50',
                    "name must be lower-case letters, digits and single hyphens, starting with a letter, "
                    "at most 50 characters (the function name allows 64).",
                ),
            ),
        ),
        Variable(
            "inventory_json",
            "string",
            "The model inventory (JSON: {\"version\": 1, \"models\": [...]}), written to the SSM parameter "
            "the function reads. scripts/export-modules --inventory FILE prints one for a deployment config.",
            validations=(
                (
                    "can(jsondecode(var.inventory_json).models)",
                    "inventory_json must be a JSON object with a models list.",
                ),
                (
                    "length(var.inventory_json) <= 8192",
                    "inventory_json is over 8192 bytes, the SSM parameter limit.",
                ),
            ),
        ),
        Variable(
            "bedrock_invoke_arns",
            "list(string)",
            "Bedrock foundation-model, inference-profile and custom/provisioned/imported model ARNs the "
            "function may invoke (a profile needs its foundation model in every region it routes to).",
            default=[],
            validations=((_ARN_LIST.format(name="bedrock_invoke_arns", service="bedrock"), "Every entry must be a Bedrock ARN."),),
        ),
        Variable(
            "sagemaker_endpoint_arns",
            "list(string)",
            "SageMaker endpoint ARNs the function may invoke.",
            default=[],
            validations=(
                (_ARN_LIST.format(name="sagemaker_endpoint_arns", service="sagemaker"), "Every entry must be a SageMaker endpoint ARN."),
            ),
        ),
        Variable(
            "assume_role_arns",
            "list(string)",
            "Roles in other accounts the function may assume to reach models there.",
            default=[],
            validations=((_ARN_LIST.format(name="assume_role_arns", service="iam"), "Every entry must be an IAM role ARN."),),
        ),
        Variable("stage", "string", "dev or prod; only an explicit dev enables development behaviour.", default="prod",
                 validations=(('contains(["dev", "prod"], var.stage)', "stage must be dev or prod."),)),
        Variable("architecture", "string",
                 f"Function architecture. The bundled package is built for {architecture}; another value needs "
                 "package_path to a package built for it.", default=architecture,
                 validations=(('contains(["arm64", "x86_64"], var.architecture)', "architecture must be arm64 or x86_64."),)),
        Variable("runtime", "string",
                 f"Function runtime. The bundled package is built for {runtime}; another value needs package_path "
                 "to a package built for it.", default=runtime,
                 validations=(('contains(["python3.12", "python3.13"], var.runtime)', "runtime must be python3.12 or python3.13."),)),
        Variable("package_path", "string", f"Path of the function package; null uses the bundled {PACKAGE_FILE}.",
                 default=None),
        Variable("memory_size", "number", "Function memory in MB (128-10240).", default=1024,
                 validations=(("var.memory_size >= 128 && var.memory_size <= 10240", "memory_size must be 128-10240."),)),
        Variable("timeout", "number", "Function timeout in seconds (1-900); a streamed answer may run this long.",
                 default=300,
                 validations=(("var.timeout >= 1 && var.timeout <= 900", "timeout must be 1-900."),)),
        Variable("stream_idle_timeout", "number",
                 "A streamed answer whose model sends nothing for this many seconds ends with an error event.",
                 default=STREAM_IDLE_TIMEOUT_SECONDS,
                 validations=(("var.stream_idle_timeout >= 1 && var.stream_idle_timeout < var.timeout",
                               "stream_idle_timeout must be at least 1 and below timeout."),)),
        Variable("invoke_mode", "string",
                 "Function URL invoke mode: RESPONSE_STREAM sends tokens as they are generated, BUFFERED "
                 "answers once generation has finished.", default="RESPONSE_STREAM",
                 validations=(('contains(["RESPONSE_STREAM", "BUFFERED"], var.invoke_mode)',
                               "invoke_mode must be RESPONSE_STREAM or BUFFERED."),)),
        Variable("web_adapter_layer_arn", "string",
                 f"The AWS Lambda Web Adapter layer; null uses the pinned layer (version {web_adapter.LAYER_VERSION}, "
                 f"{web_adapter.CHECKED}) of the function's region and architecture. Required where it is not "
                 "published (AWS GovCloud, arm64 in China regions).",
                 default=None,
                 validations=(('var.web_adapter_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.web_adapter_layer_arn))',
                               "web_adapter_layer_arn must be a Lambda layer version ARN."),)),
        Variable("reserved_concurrency", "number", "Reserved concurrent executions (caps concurrency and spend).",
                 default=20, validations=(("var.reserved_concurrency >= 1", "reserved_concurrency must be at least 1."),)),
        Variable("log_retention_days", "number", "Retention of the function's log group.", default=365,
                 validations=((f"contains({retention}, var.log_retention_days)",
                               f"log_retention_days must be one of {', '.join(map(str, retention))}."),)),
        Variable("log_level", "string", "DEBUG, INFO, WARNING or ERROR.", default="INFO",
                 validations=(('contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)', "log_level must be DEBUG, INFO, WARNING or ERROR."),)),
        Variable("log_prompts", "bool", "Log prompts and completions (they may hold personal data).", default=False),
        Variable("inventory_cache_seconds", "number", "How long a warm function reuses the inventory.", default=300,
                 validations=(("var.inventory_cache_seconds >= 0", "inventory_cache_seconds must be >= 0."),)),
        Variable("authorization_type", "string", "Function URL auth: AWS_IAM, or NONE for a public URL.",
                 default="AWS_IAM",
                 validations=(('contains(["AWS_IAM", "NONE"], var.authorization_type)', "authorization_type must be AWS_IAM or NONE."),)),
        Variable("callers", "list(string)",
                 "IAM principal ARNs or account ids (often in other accounts) granted "
                 "lambda:InvokeFunctionUrl and lambda:InvokeFunction (through the URL only) on an AWS_IAM URL. "
                 "Each caller also needs the caller_policy_json output in its own identity policy.",
                 default=[],
                 validations=(
                     ('alltrue([for c in var.callers : can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+))$", c))])',
                      "Every caller must be a 12-digit account id or an IAM role, user or root ARN."),
                     (f"length(var.callers) <= {url_access.MAX_CALLERS}",
                      f"At most {url_access.MAX_CALLERS} callers fit the function's 20 KB resource-based policy."),
                     ('length(var.callers) == 0 || var.authorization_type == "AWS_IAM"',
                      "A NONE URL already admits everyone; callers apply to an AWS_IAM URL only."),
                 )),
        Variable("cors_allow_origins", "list(string)", "Origins allowed by CORS; empty disables CORS.", default=[]),
        Variable("create_role", "bool", "Create the execution role; false uses role_arn.", default=True),
        Variable("role_arn", "string", "An existing execution role (with create_role = false).", default=None),
        Variable("attach_policy_to_existing_role", "bool",
                 "With an existing role, attach this module's least-privilege policy to it.", default=True),
        Variable("create_api_keys_secret", "bool", "Create the API-keys secret; false uses api_keys_secret_arn.",
                 default=True),
        Variable("api_keys_secret_arn", "string", "An existing API-keys secret (with create_api_keys_secret = false).",
                 default=None),
        Variable("tags", "map(string)", "Tags for every resource.", default={}),
    ]  # fmt: skip

    role_name_of_existing = 'element(split("/", var.role_arn), length(split("/", var.role_arn)) - 1)'
    layer_table = {
        f"{region}/{arch}": arn
        for region in sorted({*web_adapter.COMMERCIAL_REGIONS, *web_adapter.CHINA_ACCOUNTS})
        for arch in web_adapter.LAYER_NAMES
        if (arn := web_adapter.layer_arn(region, arch))
    }
    locals_ = {
        "function_name": "${var.name}-inference-api",
        "region": '${element(split(":", aws_cloudwatch_log_group.lambda.arn), 3)}',
        "web_adapter_layers": layer_table,
        "web_adapter_layer_arn": (
            "${var.web_adapter_layer_arn != null ? var.web_adapter_layer_arn : "
            'lookup(local.web_adapter_layers, "${local.region}/${var.architecture}", null)}'
        ),
        "package_path": f'${{coalesce(var.package_path, "${{path.module}}/{PACKAGE_FILE}")}}',
        "role_arn": "${var.create_role ? aws_iam_role.lambda[0].arn : var.role_arn}",
        "role_name": f"${{var.create_role ? aws_iam_role.lambda[0].name : {role_name_of_existing}}}",
        "api_keys_secret_arn": (
            "${var.create_api_keys_secret ? aws_secretsmanager_secret.api_keys[0].arn : var.api_keys_secret_arn}"
        ),
    }
    data = {
        "aws_iam_policy_document": {
            "lambda_assume_role": {
                "statement": [
                    {
                        "effect": "Allow",
                        "actions": ["sts:AssumeRole"],
                        "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
                    }
                ]
            },
            "lambda": {
                "statement": [
                    {"sid": "WriteOwnLogs", "effect": "Allow", "actions": list(LOG_ACTIONS),
                     "resources": ["${aws_cloudwatch_log_group.lambda.arn}:*"]},
                    # X-Ray has no resource-level permissions.
                    {"sid": "XRay", "effect": "Allow", "actions": list(XRAY_ACTIONS), "resources": ["*"]},
                    {"sid": "ReadModelInventory", "effect": "Allow", "actions": ["ssm:GetParameter"],
                     "resources": ["${aws_ssm_parameter.model_inventory.arn}"]},
                    {"sid": "ReadApiKeys", "effect": "Allow", "actions": ["secretsmanager:GetSecretValue"],
                     "resources": ["${local.api_keys_secret_arn}"]},
                ],
                "dynamic": {
                    "statement": [
                        _grant("InvokeBedrockModels", BEDROCK_INVOKE, "bedrock_invoke_arns"),
                        _grant("InvokeSageMakerEndpoints", SAGEMAKER_INVOKE, "sagemaker_endpoint_arns"),
                        _grant("AssumeModelAccessRoles", ("sts:AssumeRole",), "assume_role_arns"),
                    ]
                },
            },
        }
    }  # fmt: skip
    function_name = "${aws_lambda_function.this.function_name}"
    resources: dict[str, Any] = {
        "aws_cloudwatch_log_group": {
            "lambda": {
                "name": "/aws/lambda/${local.function_name}",
                "retention_in_days": "${var.log_retention_days}",
                "tags": "${var.tags}",
            }
        },
        "aws_iam_role": {
            "lambda": {
                "count": "${var.create_role ? 1 : 0}",
                "name": "${local.function_name}",
                "description": "Execution role of the inference API function.",
                "assume_role_policy": "${data.aws_iam_policy_document.lambda_assume_role.json}",
                "tags": "${var.tags}",
            }
        },
        "aws_iam_role_policy": {
            "lambda": {
                "count": "${var.create_role || (var.attach_policy_to_existing_role && var.role_arn != null) ? 1 : 0}",
                "name": "${local.function_name}-access",
                "role": "${local.role_name}",
                "policy": "${data.aws_iam_policy_document.lambda.json}",
            }
        },
        "aws_secretsmanager_secret": {
            "api_keys": {
                "count": "${var.create_api_keys_secret ? 1 : 0}",
                "name": "${var.name}/api-keys",
                "description": "Third-party provider API keys for the inference API, as one JSON object.",
                "tags": "${var.tags}",
            }
        },
        "aws_secretsmanager_secret_version": {
            "api_keys": {
                "count": "${var.create_api_keys_secret ? 1 : 0}",
                "secret_id": "${aws_secretsmanager_secret.api_keys[0].id}",
                "secret_string": "{}",
                "lifecycle": {"ignore_changes": ["secret_string"]},
            }
        },
        "aws_ssm_parameter": {
            "model_inventory": {
                "name": "/${var.name}/model-inventory",
                "description": "Model inventory of the inference API (JSON).",
                "type": "String",
                "tier": f'${{length(var.inventory_json) > {STANDARD_TIER_MAX} ? "Advanced" : "Standard"}}',
                "value": "${var.inventory_json}",
                "tags": "${var.tags}",
            }
        },
        "aws_lambda_function": {
            "this": {
                "function_name": "${local.function_name}",
                "description": "OpenAI-compatible inference API over Bedrock and other providers.",
                "role": "${local.role_arn}",
                "handler": HANDLER,
                "runtime": "${var.runtime}",
                "architectures": ["${var.architecture}"],
                "memory_size": "${var.memory_size}",
                "timeout": "${var.timeout}",
                "reserved_concurrent_executions": "${var.reserved_concurrency}",
                "filename": "${local.package_path}",
                "layers": ["${local.web_adapter_layer_arn}"],
                "source_code_hash": "${filebase64sha256(local.package_path)}",
                "tracing_config": {"mode": "Active"},
                "logging_config": {
                    "log_format": "JSON",
                    "log_group": "${aws_cloudwatch_log_group.lambda.name}",
                },
                "environment": {
                    "variables": {
                        "INVENTORY_PARAMETER_NAME": "${aws_ssm_parameter.model_inventory.name}",
                        "KEYS_SECRET_ARN": "${local.api_keys_secret_arn}",
                        "STAGE": "${var.stage}",
                        "INVENTORY_MAX_AGE_SECONDS": "${var.inventory_cache_seconds}",
                        "LOG_PROMPTS": '${var.log_prompts ? "true" : "false"}',
                        "POWERTOOLS_SERVICE_NAME": "${var.name}",
                        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                        "POWERTOOLS_LOG_LEVEL": "${var.log_level}",
                        "AWS_RETRY_MODE": "standard",
                        "AWS_MAX_ATTEMPTS": str(UPSTREAM_ATTEMPTS),
                        "UPSTREAM_TIMEOUT_SECONDS": "${var.timeout}",
                        "STREAM_IDLE_TIMEOUT_SECONDS": "${var.stream_idle_timeout}",
                        **{
                            k: v
                            for k, v in web_adapter.environment("RESPONSE_STREAM").items()
                            if k != "AWS_LWA_INVOKE_MODE"
                        },
                        "AWS_LWA_INVOKE_MODE": "${lower(var.invoke_mode)}",
                    }
                },
                "tags": "${var.tags}",
                "depends_on": ["aws_cloudwatch_log_group.lambda", "aws_iam_role_policy.lambda"],
                "lifecycle": {
                    "precondition": [
                        {
                            "condition": "${var.create_role || var.role_arn != null}",
                            "error_message": "With create_role = false, set role_arn to the existing role.",
                        },
                        {
                            "condition": "${var.create_api_keys_secret || var.api_keys_secret_arn != null}",
                            "error_message": "With create_api_keys_secret = false, set api_keys_secret_arn.",
                        },
                        {
                            "condition": "${local.web_adapter_layer_arn != null}",
                            "error_message": "The Lambda Web Adapter layer is not published for this region and "
                            "architecture: set web_adapter_layer_arn.",
                        },
                    ]
                },
            }
        },
        "aws_lambda_function_url": {
            "this": {
                "function_name": "${aws_lambda_function.this.function_name}",
                "authorization_type": "${var.authorization_type}",
                "invoke_mode": "${var.invoke_mode}",
                "dynamic": {
                    "cors": [
                        {
                            "for_each": "${length(var.cors_allow_origins) > 0 ? [1] : []}",
                            "content": {
                                "allow_origins": "${var.cors_allow_origins}",
                                "allow_methods": ["GET", "POST"],
                                "allow_headers": list(CORS_HEADERS),
                                "max_age": 300,
                            },
                        }
                    ]
                },
            }
        },
        "aws_lambda_permission": {
            **{
                name: {"count": '${var.authorization_type == "NONE" ? 1 : 0}', **block}
                for name, block in url_access.public_permissions(function_name=function_name).items()
            },
            **url_access.caller_permissions(function_name=function_name, callers="toset(var.callers)"),
        },
    }
    # The grants exist before the URL, so the provider's own grant for a NONE URL adds no copy.
    resources["aws_lambda_function_url"]["this"]["depends_on"] = [
        f"aws_lambda_permission.{name}" for name in resources["aws_lambda_permission"]
    ]
    outputs = [
        Output(
            "lambda_function_url", "aws_lambda_function_url.this.function_url", "URL of the inference API."
        ),
        Output(
            "lambda_function_name", "aws_lambda_function.this.function_name", "Name of the Lambda function."
        ),
        Output("lambda_function_arn", "aws_lambda_function.this.arn", "ARN of the Lambda function."),
        Output("lambda_role_arn", "local.role_arn", "ARN of the function's execution role."),
        Output("api_keys_secret_arn", "local.api_keys_secret_arn", "ARN of the API-keys secret."),
        Output(
            "model_inventory_parameter_name",
            "aws_ssm_parameter.model_inventory.name",
            "Name of the SSM parameter holding the model inventory.",
        ),
        Output(
            "caller_policy_json",
            template=True,
            **url_access.caller_policy_output(
                function_arn="aws_lambda_function.this.arn",
                auth_type="aws_lambda_function_url.this.authorization_type",
            ),
        ),
    ]
    usage = """
module "inference_api" {
  source = "./modules/inference-api"

  name           = "llm"
  inventory_json = jsonencode({
    version = 1
    models = [
      { id = "nova-micro", provider = "bedrock", model = "amazon.nova-micro-v1:0", region = "us-east-1" },
    ]
  })
  bedrock_invoke_arns = ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"]
  # Callers in other accounts; each also attaches the caller_policy_json output to itself.
  callers = ["arn:aws:iam::111122223333:role/chat-app"]
}
"""
    notes = f"""
The function package is bundled as `{PACKAGE_FILE}` ({architecture}, {runtime}). The inventory
follows the schema in the repository's `lambda_src/inventory.py`; each model there needs a matching
invoke ARN (or an assumable role) in the lists above, since nothing is granted by default. Use an
existing role or secret with `create_role = false` / `create_api_keys_secret = false`.
"""
    return ModuleDoc(
        name="inference-api",
        summary="The OpenAI-compatible inference API: a Lambda function behind a Function URL (AWS_IAM "
        "auth by default), its log group, a least-privilege execution role, the API-keys secret (created "
        "as {} and never overwritten) and the model-inventory parameter.",
        variables=variables,
        outputs=outputs,
        resources=resources,
        data=data,
        locals=locals_,
        usage=usage,
        notes=notes,
        provider_version=AWS_PROVIDER_VERSION_URL_GRANTS,
    )
