"""The inference API: Lambda function (with the model inventory in its package), Function URL, log
group, execution role with its policies, and the API-keys secret."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf import (
    AssetType,
    ITerraformDependable,
    TerraformAsset,
    TerraformOutput,
    TerraformResourceLifecycle,
    TerraformStack,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_url import LambdaFunctionUrl, LambdaFunctionUrlCors
from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from modules import function_url_access as url_access
from modules import iam_policy
from modules.iam import policy_document, service_role
from modules.lambda_contract import HANDLER
from modules.layer import Layer
from modules.packaging import Package


@dataclass(frozen=True)
class CorsProps:
    allow_origins: tuple[str, ...]
    allow_headers: tuple[str, ...]
    max_age_seconds: int


@dataclass(frozen=True)
class InferenceApiProps:
    function_name: str
    role_name: str
    policy_name: str
    log_group_name: str
    secret_name: str
    # The function package, the model inventory included (modules/packaging.py with_inventory).
    package: Package
    architecture: str
    runtime: str
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    log_retention_days: int
    # Lambda's name for it (APPLICATION_LOG_LEVELS): DEBUG, INFO, WARN or ERROR.
    application_log_level: str
    auth_type: str
    invoke_mode: str
    web_adapter_layer_arn: str
    cors: CorsProps | None
    # IAM principal ARNs or account ids granted the Function URL pair on an AWS_IAM URL.
    callers: tuple[str, ...]
    # The execution role's permissions, already split to fit IAM (modules/function_access.py).
    policies: iam_policy.PolicySet
    environment: dict[str, str] = field(default_factory=dict)
    # Days the API-keys secret stays recoverable after a destroy (0: deleted at once).
    keys_recovery_window_days: int = 30
    # LangChain integrations of the enabled third-party providers, if any.
    layer: Layer | None = None
    layer_name: str | None = None


class InferenceApi(Construct):
    """Everything the API needs in one account and region; providers belong to the stack."""

    def __init__(self, scope: Construct, id_: str, *, props: InferenceApiProps) -> None:
        super().__init__(scope, id_)
        self.log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=props.log_group_name,
            retention_in_days=props.log_retention_days,
        )
        self.log_group.override_logical_id("lambda")

        self.api_keys_secret = SecretsmanagerSecret(
            self,
            "api-keys",
            name=props.secret_name,
            description="Third-party provider API keys for the inference API, as one JSON object.",
            recovery_window_in_days=props.keys_recovery_window_days,
        )
        self.api_keys_secret.override_logical_id("api_keys")
        # Created as an empty object; operators fill it in, and later applies leave it alone.
        api_keys_version = SecretsmanagerSecretVersion(
            self,
            "api-keys-initial",
            secret_id=self.api_keys_secret.id,
            secret_string="{}",  # noqa: S106 -- an empty JSON object, not a credential
            lifecycle=TerraformResourceLifecycle(ignore_changes=["secret_string"]),
        )
        api_keys_version.override_logical_id("api_keys")

        self.role = service_role(
            self,
            logical_id="lambda",
            service="lambda.amazonaws.com",
            name=props.role_name,
            description="Execution role of the inference API function.",
        )
        # The permissions as split to fit IAM (modules/iam_policy.py): one inline policy, then
        # managed policies attached to the role.
        access = policy_document(self, "access", logical_id="lambda", grants=props.policies.inline)
        policy = IamRolePolicy(self, "policy", name=props.policy_name, role=self.role.id, policy=access.json)
        policy.override_logical_id("lambda")
        permissions: list[ITerraformDependable] = [policy]
        for number, statements in enumerate(props.policies.managed, start=1):
            document = policy_document(
                self, f"access-{number}", logical_id=f"lambda_{number}", grants=statements
            )
            managed = IamPolicy(
                self,
                f"managed-policy-{number}",
                name=f"{props.policy_name}-{number}",
                description=f"Execution permissions of the inference API function, part {number}.",
                policy=document.json,
            )
            managed.override_logical_id(f"lambda_{number}")
            attachment = IamRolePolicyAttachment(
                self, f"managed-policy-attachment-{number}", role=self.role.name, policy_arn=managed.arn
            )
            attachment.override_logical_id(f"lambda_{number}")
            permissions.append(attachment)

        asset = TerraformAsset(self, "package", path=str(props.package.path), type=AssetType.FILE)
        # The adapter layer first: its wrapper starts the app; the provider layer adds packages.
        layers = [props.web_adapter_layer_arn]
        if props.layer:
            layer_asset = TerraformAsset(
                self, "layer-package", path=str(props.layer.path), type=AssetType.FILE
            )
            self.layer = LambdaLayerVersion(
                self,
                "providers-layer",
                layer_name=props.layer_name or f"{props.function_name}-providers",
                description="LangChain integrations for: " + ", ".join(props.layer.providers),
                filename=layer_asset.path,
                source_code_hash=props.layer.source_code_hash,
                compatible_runtimes=[props.runtime],
                compatible_architectures=[props.architecture],
            )
            self.layer.override_logical_id("providers")
            layers.append(self.layer.arn)
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.function_name,
            description="OpenAI-compatible inference API over Bedrock and other providers.",
            role=self.role.arn,
            handler=HANDLER,
            runtime=props.runtime,
            architectures=[props.architecture],
            memory_size=props.memory_mb,
            timeout=props.timeout_seconds,
            reserved_concurrent_executions=props.reserved_concurrency,
            filename=asset.path,
            layers=layers,
            source_code_hash=props.package.source_code_hash,
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level=props.application_log_level,
            ),
            environment=LambdaFunctionEnvironment(variables=props.environment),
            # The role may do everything the code and inventory need before they go live.
            depends_on=[self.log_group, *permissions],
        )
        self.function.override_logical_id("this")

        cors = (
            LambdaFunctionUrlCors(
                allow_origins=list(props.cors.allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=list(props.cors.allow_headers),
                max_age=props.cors.max_age_seconds,
            )
            if props.cors
            else None
        )
        self.function_url = LambdaFunctionUrl(
            self,
            "url",
            function_name=self.function.function_name,
            authorization_type=props.auth_type,
            invoke_mode=props.invoke_mode,
            cors=cors,
        )
        self.function_url.override_logical_id("this")
        # The grants on the function: plain Terraform JSON shared with the exported module (the
        # bindings predate invoked_via_function_url).
        grants: dict[str, dict[str, object]] = {}
        function_name = "${aws_lambda_function.this.function_name}"
        if props.auth_type == "NONE":
            grants.update(url_access.public_permissions(function_name=function_name))
        if props.callers:
            callers = f"toset({json.dumps(sorted(props.callers))})"
            grants.update(url_access.caller_permissions(function_name=function_name, callers=callers))
        stack = TerraformStack.of(self)
        for name, block in grants.items():
            stack.add_override(f"resource.aws_lambda_permission.{name}", block)
        if grants:
            self.function_url.add_override("depends_on", [f"aws_lambda_permission.{name}" for name in grants])
        self.grants_callers = bool(grants)

        for name, value, description in (
            ("lambda_function_url", self.function_url.function_url, "URL of the inference API."),
            ("lambda_function_name", self.function.function_name, "Name of the Lambda function."),
            ("lambda_function_arn", self.function.arn, "ARN of the Lambda function."),
            ("lambda_role_arn", self.role.arn, "ARN of the function's execution role."),
            ("api_keys_secret_arn", self.api_keys_secret.arn, "ARN of the API-keys secret."),
        ):
            out = TerraformOutput(self, name, value=value, description=description)
            out.override_logical_id(name)
        caller_policy = url_access.caller_policy_output(
            function_arn="aws_lambda_function.this.arn",
            auth_type="aws_lambda_function_url.this.authorization_type",
        )
        out = TerraformOutput(self, "caller_policy_json", **caller_policy)
        out.override_logical_id("caller_policy_json")
