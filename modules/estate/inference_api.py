"""The inference API as a standalone child module (plain Terraform JSON, no provider or backend).

Its IAM statements, environment and settings come from the sources the cdktf stack uses
(``modules.lambda_contract``, ``modules.bedrock_iam``, ``modules.function_url_access``), filled
from the module's variables instead of a config.
"""

from __future__ import annotations

from typing import Any, get_args

from lambda_src import settings
from modules import bedrock_iam, web_adapter
from modules import function_url_access as url_access
from modules.aws_limits import ROLE_INLINE_POLICIES_MAX
from modules.config import KEYS_RECOVERY_WINDOW_DAYS, LogRetentionDays
from modules.estate.policy import hcl_string_map, policy_document
from modules.estate.tfjson import ModuleDoc, Output, Variable
from modules.grants import TerraformList
from modules.lambda_contract import (
    ADVANCED_TIER_MAX,
    APPLICATION_LOG_LEVELS,
    AWS_PROVIDER_VERSION_URL_GRANTS,
    CORS_HEADERS,
    HANDLER,
    INVENTORY_PATH,
    STANDARD_TIER_MAX,
    STREAM_IDLE_TIMEOUT_SECONDS,
    assume_model_roles_statement,
    assume_override_roles_statement,
    base_statements,
    dev_environment,
    function_environment,
    inventory_parameter_statement,
    sagemaker_statement,
)

PACKAGE_FILE = "function.zip"
LAYER_FILE = "providers-layer.zip"
_ARN_LIST = 'alltrue([for a in var.{name} : can(regex("^arn:aws[a-z-]*:{service}:", a))])'
_PROFILES = '[for a in var.bedrock_invoke_arns : a if strcontains(a, ":inference-profile/")]'
# As the stack grants (modules/bedrock_iam.py): through the account's profiles in the regions
# they are called in.
_PROFILE_PATTERNS = (
    "distinct([for a in "
    + _PROFILES
    + ' : format("%s:inference-profile/*", join(":", slice(split(":", a), 0, 5)))])'
)
_IAM_PRINCIPAL = "^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$"
_IAM_ROLE = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"
KEYS_SECRET = "${local.api_keys_secret_arn}"  # noqa: S105 -- an address


def function_policy() -> dict[str, Any]:
    """The execution role's policy document, from the statements the stack grants."""
    grants = [
        *base_statements(
            log_group_arn="${aws_cloudwatch_log_group.lambda.arn}",
            keys_secret_arn=KEYS_SECRET,
        ),
        inventory_parameter_statement("${one(aws_ssm_parameter.model_inventory[*].arn)}"),
        *bedrock_iam.invoke_statements(
            TerraformList("var.bedrock_invoke_arns"),
            TerraformList("var.bedrock_profile_foundation_model_arns"),
            TerraformList(_PROFILE_PATTERNS),
        ),
        sagemaker_statement(TerraformList("var.sagemaker_endpoint_arns")),
        assume_model_roles_statement(TerraformList("var.assume_role_arns")),
        assume_override_roles_statement(TerraformList('var.stage == "dev" ? var.override_role_arns : []')),
    ]
    return policy_document(grants, when={"ReadModelInventory": "var.inventory_json != null"})


def function_variables() -> str:
    """The function's environment as a Terraform expression of the module's variables."""
    common = function_environment(
        inventory=(settings.INVENTORY_FILE, INVENTORY_PATH),
        keys_secret_arn=KEYS_SECRET,
        stage="${var.stage}",
        inventory_max_age_seconds="${var.inventory_cache_seconds}",
        log_prompts='${var.log_prompts ? "true" : "false"}',
        service_name="${var.name}",
        log_level="${var.log_level}",
        upstream_timeout_seconds="${var.timeout}",
        stream_idle_timeout_seconds="${var.stream_idle_timeout}",
        adapter_invoke_mode="${lower(var.invoke_mode)}",
    )
    bundled = {settings.INVENTORY_FILE: common.pop(settings.INVENTORY_FILE)}
    parameter = {settings.INVENTORY_PARAMETER_NAME: "${one(aws_ssm_parameter.model_inventory[*].name)}"}
    dev = dev_environment(
        admin_principals='${join(",", var.admin_principals)}',
        override_role_arns='${join(",", var.override_role_arns)}',
    )
    return (
        f"${{merge({hcl_string_map(common)}, "
        f"var.inventory_json == null ? tomap({hcl_string_map(bundled)}) : tomap({hcl_string_map(parameter)}), "
        f'var.stage == "dev" ? tomap({hcl_string_map(dev)}) : tomap({{}}))}}'
    )


def build(
    *, architecture: str, runtime: str, inventory_models: int, layer_providers: tuple[str, ...] = ()
) -> ModuleDoc:
    retention = list(get_args(LogRetentionDays))
    bundled_layer = bool(layer_providers)
    variables = [
        Variable(
            "name",
            "string",
            "Name prefix: the function is <name>-inference-api, the secret <name>/api-keys, the "
            "inventory parameter (with inventory_json) /<name>/model-inventory.",
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
            "The model inventory (JSON: {\"version\": 1, \"models\": [...]}) as an SSM parameter the function "
            f"reads, for inventories composed in Terraform (at most {ADVANCED_TIER_MAX} bytes). null: the "
            f"inventory bundled in {PACKAGE_FILE} (by scripts/export-modules --config FILE; no network call to "
            "load it, and no size limit).",
            default=None,
            validations=(
                (
                    "var.inventory_json == null || can(jsondecode(var.inventory_json).models)",
                    "inventory_json must be a JSON object with a models list.",
                ),
                (
                    f"var.inventory_json == null ? true : length(var.inventory_json) <= {ADVANCED_TIER_MAX}",
                    f"inventory_json is over {ADVANCED_TIER_MAX} bytes, the SSM parameter limit; bundle the "
                    "inventory with scripts/export-modules --config FILE instead.",
                ),
            ),
        ),
        Variable(
            "bedrock_invoke_arns",
            "list(string)",
            "Bedrock ARNs the function may invoke directly: foundation models (in their region), "
            "inference profiles, and custom/provisioned/imported models and application profiles.",
            default=[],
            validations=((_ARN_LIST.format(name="bedrock_invoke_arns", service="bedrock"), "Every entry must be a Bedrock ARN."),),
        ),
        Variable(
            "bedrock_profile_foundation_model_arns",
            "list(string)",
            "Foundation-model ARNs the inference profiles in bedrock_invoke_arns route to, granted only "
            "through those profiles (condition bedrock:InferenceProfileArn); the region may be * "
            '("arn:aws:bedrock:*::foundation-model/<model>"), plus "arn:aws:bedrock:::foundation-model/<model>" '
            "for global profiles.",
            default=[],
            validations=(
                (
                    'alltrue([for a in var.bedrock_profile_foundation_model_arns : can(regex("^arn:aws[a-z-]*:bedrock:[a-z0-9*-]*::foundation-model/[^*]+$", a))])',
                    "Every entry must be a foundation-model ARN naming one model (a region of * is allowed).",
                ),
            ),
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
        Variable("admin_principals", "list(string)",
                 "IAM role or user ARNs allowed to send runtime overrides (custom models); dev stage only.",
                 default=[],
                 validations=((f'alltrue([for a in var.admin_principals : can(regex("{_IAM_PRINCIPAL}", a))])',
                               "Every admin principal must be an IAM role or user ARN."),)),
        Variable("override_role_arns", "list(string)",
                 "Roles an admin's custom model spec may assume (the function may assume exactly these); "
                 "dev stage only.",
                 default=[],
                 validations=((f'alltrue([for a in var.override_role_arns : can(regex("{_IAM_ROLE}", a))])',
                               "Every override role must be an IAM role ARN."),)),
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
        Variable("use_bundled_providers_layer", "bool",
                 f"Deploy the bundled {LAYER_FILE} (the LangChain integrations for "
                 f"{', '.join(layer_providers) or 'no provider: none is bundled'}) as a layer of the function.",
                 default=bundled_layer),
        Variable("providers_layer_path", "string",
                 "A third-party provider layer zip to deploy instead of the bundled one (scripts/export-modules "
                 "--config FILE builds it for the config's third_party providers); null for none.",
                 default=None),
        Variable("layer_arns", "list(string)", "Existing layer ARNs to add to the function.", default=[],
                 validations=(('alltrue([for a in var.layer_arns : can(regex("^arn:aws[a-z-]*:lambda:", a))])',
                               "Every entry must be a Lambda layer version ARN."),)),
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
        Variable("inventory_cache_seconds", "number",
                 "How long a warm function reuses the API-keys secret (and an inventory_json parameter) before "
                 "reading it again.", default=300,
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
        Variable("api_keys_recovery_window_days", "number",
                 "Days the created API-keys secret stays recoverable after a destroy: 0 (deleted at once, so the "
                 f"same name can be created again) or 7-30. null: {KEYS_RECOVERY_WINDOW_DAYS['dev']} in a dev stage, "
                 f"{KEYS_RECOVERY_WINDOW_DAYS['prod']} in prod.",
                 default=None,
                 validations=(("var.api_keys_recovery_window_days == null ? true : (var.api_keys_recovery_window_days == 0 || (var.api_keys_recovery_window_days >= 7 && var.api_keys_recovery_window_days <= 30))",
                               "api_keys_recovery_window_days must be 0 or 7-30."),)),
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
        "application_log_levels": dict(APPLICATION_LOG_LEVELS),
        "application_log_level": "${local.application_log_levels[var.log_level]}",
        "providers_layer_path": (
            "${var.providers_layer_path != null ? var.providers_layer_path : "
            f'(var.use_bundled_providers_layer ? "${{path.module}}/{LAYER_FILE}" : null)}}'
        ),
        "role_arn": "${var.create_role ? aws_iam_role.lambda[0].arn : var.role_arn}",
        "role_name": f"${{var.create_role ? aws_iam_role.lambda[0].name : {role_name_of_existing}}}",
        "api_keys_secret_arn": (
            "${var.create_api_keys_secret ? aws_secretsmanager_secret.api_keys[0].arn : var.api_keys_secret_arn}"
        ),
        "api_keys_recovery_window_days": (
            "${var.api_keys_recovery_window_days != null ? var.api_keys_recovery_window_days : "
            f'(var.stage == "dev" ? {KEYS_RECOVERY_WINDOW_DAYS["dev"]} : {KEYS_RECOVERY_WINDOW_DAYS["prod"]})}}'
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
            "lambda": function_policy(),
        }
    }
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
                "lifecycle": {
                    "precondition": [
                        {
                            "condition": f"${{length(data.aws_iam_policy_document.lambda.minified_json) <= {ROLE_INLINE_POLICIES_MAX}}}",
                            "error_message": f"The function's policy is over IAM's {ROLE_INLINE_POLICIES_MAX} characters for a role's inline policies: grant foundation models through bedrock_profile_foundation_model_arns (one ARN per model instead of one per region), or use the cdktf stack, which splits its permissions over managed policies.",
                        },
                        {
                            "condition": f"${{length(var.bedrock_profile_foundation_model_arns) == 0 || length({_PROFILES}) > 0}}",
                            "error_message": "bedrock_profile_foundation_model_arns are granted through inference profiles only: list the profiles in bedrock_invoke_arns.",
                        },
                    ]
                },
            }
        },
        "aws_secretsmanager_secret": {
            "api_keys": {
                "count": "${var.create_api_keys_secret ? 1 : 0}",
                "name": "${var.name}/api-keys",
                "description": "Third-party provider API keys for the inference API, as one JSON object.",
                "recovery_window_in_days": "${local.api_keys_recovery_window_days}",
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
                "count": "${var.inventory_json == null ? 0 : 1}",
                "name": "/${var.name}/model-inventory",
                "description": "Model inventory of the inference API (JSON).",
                "type": "String",
                "tier": f'${{length(var.inventory_json) > {STANDARD_TIER_MAX} ? "Advanced" : "Standard"}}',
                "value": "${var.inventory_json}",
                "tags": "${var.tags}",
            }
        },
        "aws_lambda_layer_version": {
            "providers": {
                "count": "${local.providers_layer_path == null ? 0 : 1}",
                "layer_name": "${var.name}-providers",
                "description": "LangChain integrations of the third-party providers.",
                "filename": "${local.providers_layer_path}",
                "source_code_hash": "${filebase64sha256(local.providers_layer_path)}",
                "compatible_runtimes": ["${var.runtime}"],
                "compatible_architectures": ["${var.architecture}"],
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
                "source_code_hash": "${filebase64sha256(local.package_path)}",
                # The adapter layer first: its wrapper starts the app; the provider layer adds packages.
                "layers": "${concat([local.web_adapter_layer_arn], aws_lambda_layer_version.providers[*].arn, var.layer_arns)}",
                "tracing_config": {"mode": "Active"},
                "logging_config": {
                    "log_format": "JSON",
                    "log_group": "${aws_cloudwatch_log_group.lambda.name}",
                    "application_log_level": "${local.application_log_level}",
                },
                "environment": {"variables": function_variables()},
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
                        {
                            "condition": '${var.stage == "dev" || length(var.override_role_arns) + length(var.admin_principals) == 0}',
                            "error_message": "admin_principals and override_role_arns apply in a dev stage only (runtime overrides are refused in prod).",
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
    }  # fmt: skip
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
            "one(aws_ssm_parameter.model_inventory[*].name)",
            "Name of the SSM parameter holding inventory_json (null with the bundled inventory).",
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

  name = "llm"
  # The bundled inventory (from the config the module was exported with) names these models;
  # grant exactly them.
  bedrock_invoke_arns = [
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
  ]
  bedrock_profile_foundation_model_arns = [
    "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
  ]
  # Callers in other accounts; each also attaches the caller_policy_json output to itself.
  callers = ["arn:aws:iam::111122223333:role/chat-app"]
}
"""
    notes = f"""
The function package is bundled as `{PACKAGE_FILE}` ({architecture}, {runtime}) with the model
inventory of the config it was exported with ({inventory_models} models) inside, so the function
loads it without a network call; `scripts/export-modules --config FILE` exports the modules for
another config, and `--print-inventory` prints that inventory. To compose the inventory in
Terraform instead, pass it as `inventory_json` (an SSM parameter, at most {ADVANCED_TIER_MAX} bytes).
The inventory follows the schema in the repository's `lambda_src/inventory.py`; each model there
needs a matching invoke ARN (or an assumable role) in the lists above, since nothing is granted by
default. {f"The LangChain integrations of {', '.join(layer_providers)} are bundled as `{LAYER_FILE}` and deployed as a layer." if bundled_layer else "No third-party provider layer is bundled; set providers_layer_path or layer_arns for third-party models."}
Use an existing role or secret with `create_role = false` / `create_api_keys_secret = false`.
"""
    return ModuleDoc(
        name="inference-api",
        summary="The OpenAI-compatible inference API: a Lambda function behind a Function URL (AWS_IAM "
        "auth by default), its log group, a least-privilege execution role, the API-keys secret (created "
        "as {} and never overwritten) and, optionally, the third-party provider layer and an inventory "
        "parameter.",
        variables=variables,
        outputs=outputs,
        resources=resources,
        data=data,
        locals=locals_,
        usage=usage,
        notes=notes,
        provider_version=AWS_PROVIDER_VERSION_URL_GRANTS,
    )
