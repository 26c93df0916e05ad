"""Assertions on the synthesized JSON of the inference API stack."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting

from lambda_src.inventory import Inventory
from tests.support import VARIANT_CONFIG, Synth

GUARDED_SERVICES = ("bedrock:", "sagemaker:", "secretsmanager:", "sts:assumerole")
ACCOUNT = "${data.aws_caller_identity.current.account_id}"


def _only(resources: dict[str, Any]) -> dict[str, Any]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def _statement(synth: Synth, sid: str) -> dict[str, Any]:
    matches = [s for s in synth.iam_statements() if s.get("Sid") == sid]
    assert len(matches) == 1, f"statement {sid} not found once"
    return matches[0]


# The one wildcard AWS documents as equivalent: a named foundation model in any region, invoked
# through an inference profile (the profile itself is granted by its exact ARN).
_PROFILE_MODEL = re.compile(r"^arn:aws[a-z-]*:bedrock:(\*|):{2}foundation-model/[a-z0-9-]+\.[a-z0-9._:-]+$")


@pytest.mark.parametrize("which", ["default", "variant"])
def test_no_wildcard_resource_on_guarded_actions(
    which: str, default_synth: Synth, variant_synth: Synth
) -> None:
    synth = default_synth if which == "default" else variant_synth
    statements = synth.iam_statements()
    assert statements
    for st in statements:
        guarded = [a for a in st["Action"] if a.lower().startswith(GUARDED_SERVICES)]
        assert "NotResource" not in st and "NotAction" not in st
        if not guarded:
            continue
        wild = [r for r in st["Resource"] if "*" in r]
        if st["Sid"].startswith("InvokeBedrockModelsThroughProfiles"):
            assert all(_PROFILE_MODEL.match(r) for r in st["Resource"]), st["Resource"]
            profiles = st["Condition"]["ArnLike"]["bedrock:InferenceProfileArn"]
            assert profiles and all(p.endswith(":inference-profile/*") and ":*:" not in p for p in profiles)
            assert list(st["Condition"]) == ["ArnLike"]
        else:
            assert not wild, f"{guarded} granted on {wild}"


def test_function_url_uses_aws_iam_and_is_not_public(default_synth: Synth) -> None:
    url = _only(default_synth.resources("aws_lambda_function_url"))
    assert url["authorization_type"] == "AWS_IAM"
    assert url["function_name"] == "${aws_lambda_function.this.function_name}"
    assert "cors" not in url
    assert default_synth.resources("aws_lambda_permission") == {}


def test_public_url_grants_both_actions_the_direct_invoke_only_through_the_url(variant_synth: Synth) -> None:
    url = _only(variant_synth.resources("aws_lambda_function_url"))
    assert url["authorization_type"] == "NONE"
    assert url["cors"]["allow_origins"] == ["https://app.example.com"]
    assert url["cors"]["max_age"] == 600
    perms = variant_synth.resources("aws_lambda_permission")
    assert sorted(perms) == ["public_function_invoke", "public_function_url"]
    function = "${aws_lambda_function.this.function_name}"
    assert perms["public_function_url"] == {
        "statement_id": "FunctionURLAllowPublicAccess",
        "action": "lambda:InvokeFunctionUrl",
        "function_name": function,
        "principal": "*",
        "function_url_auth_type": "NONE",
    }
    assert perms["public_function_invoke"] == {
        "statement_id": "FunctionURLAllowInvokeAction",
        "action": "lambda:InvokeFunction",
        "function_name": function,
        "principal": "*",
        "invoked_via_function_url": True,
    }
    # the grants exist before the URL, so the provider's own grant for a NONE URL finds the
    # statement ids taken and adds no untracked copy
    assert sorted(url["depends_on"]) == [
        "aws_lambda_permission.public_function_invoke",
        "aws_lambda_permission.public_function_url",
    ]
    aws = variant_synth.doc["terraform"]["required_providers"]["aws"]
    assert aws["version"] == ">= 6.28.0, < 7.0.0"


CALLERS = ["111122223333", "arn:aws:iam::444455556666:role/chat-app", "arn:aws:iam::777788889999:root"]


# Callers, and the function role allowed to subscribe to its third-party models, in one synth.
CALLERS_CONFIG = {
    "prefix": "callers",
    "region": "us-east-1",
    "function_url": {"callers": list(reversed(CALLERS)), "invoke_mode": "BUFFERED"},
    "bedrock": {
        "grant_marketplace_subscribe": True,
        "marketplace_product_ids": ["prod-abcdefghij12"],
        "models": [
            {"model_id": "amazon.nova-micro-v1:0"},
            {"id": "haiku", "model_id": "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
            {"id": "embed-v4", "model_id": "cohere.embed-v4:0", "task": "embedding"},
        ],
    },
}


def test_callers_each_get_both_actions_with_the_condition(synth_config: Any) -> None:
    synth = synth_config(CALLERS_CONFIG)
    perms = synth.resources("aws_lambda_permission")
    assert sorted(perms) == ["caller_function_invoke", "caller_function_url"]
    url_grant, invoke_grant = perms["caller_function_url"], perms["caller_function_invoke"]
    # sorted, so the order in the config does not churn the plan
    assert url_grant["for_each"] == "${toset(" + json.dumps(CALLERS) + ")}"
    assert invoke_grant["for_each"] == url_grant["for_each"]
    assert url_grant["principal"] == invoke_grant["principal"] == "${each.key}"
    assert url_grant["action"] == "lambda:InvokeFunctionUrl"
    assert url_grant["function_url_auth_type"] == "AWS_IAM"
    assert "invoked_via_function_url" not in url_grant
    assert invoke_grant["action"] == "lambda:InvokeFunction"
    assert invoke_grant["invoked_via_function_url"] is True
    assert url_grant["statement_id"] != invoke_grant["statement_id"]
    assert "each.key" in url_grant["statement_id"]
    url = _only(synth.resources("aws_lambda_function_url"))
    assert url["authorization_type"] == "AWS_IAM"
    assert sorted(url["depends_on"]) == [
        "aws_lambda_permission.caller_function_invoke",
        "aws_lambda_permission.caller_function_url",
    ]


def test_buffered_invoke_mode_reaches_the_url_and_the_adapter(synth_config: Any) -> None:
    synth = synth_config(CALLERS_CONFIG)
    assert _only(synth.resources("aws_lambda_function_url"))["invoke_mode"] == "BUFFERED"
    env = synth.resources("aws_lambda_function")["this"]["environment"]["variables"]
    assert env["AWS_LWA_INVOKE_MODE"] == "buffered"


def test_marketplace_opt_in_scopes_subscribe_to_the_configured_products(
    synth_config: Any, default_synth: Synth
) -> None:
    synth = synth_config(CALLERS_CONFIG)
    subscribe = _statement(synth, "SubscribeToConfiguredModels")
    assert subscribe["Action"] == ["aws-marketplace:Subscribe", "aws-marketplace:Unsubscribe"]
    # Marketplace has no resource-level permissions: the product-id condition is the scope
    assert subscribe["Resource"] == ["*"]
    assert subscribe["Condition"] == {
        "ForAnyValue:StringEquals": {
            # the extra id, then Haiku 4.5 and Cohere Embed v4 from the pinned table; Nova needs none
            "aws-marketplace:ProductId": ["prod-abcdefghij12", "prod-xdkflymybwmvi", "prod-ft3cj5gst3spo"],
        }
    }
    view = _statement(synth, "ViewMarketplaceSubscriptions")
    assert view["Action"] == ["aws-marketplace:ViewSubscriptions"]
    assert "Condition" not in view
    # off by default: operators subscribe once with scripts/preflight --subscribe
    assert "aws-marketplace" not in json.dumps(default_synth.iam_statements())


def test_caller_policy_output_grants_both_actions_on_this_function_only(default_synth: Synth) -> None:
    output = default_synth.doc["output"]["caller_policy_json"]
    assert output["description"]
    policy = json.loads(output["value"])
    arn = "${aws_lambda_function.this.arn}"
    by_action = {st["Action"]: st for st in policy["Statement"]}
    assert sorted(by_action) == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    assert all(st["Effect"] == "Allow" and st["Resource"] == arn for st in policy["Statement"])
    assert by_action["lambda:InvokeFunction"]["Condition"] == {
        "Bool": {"lambda:InvokedViaFunctionUrl": "true"}
    }
    assert by_action["lambda:InvokeFunctionUrl"]["Condition"] == {
        "StringEquals": {"lambda:FunctionUrlAuthType": "${aws_lambda_function_url.this.authorization_type}"}
    }


def test_keys_secret_starts_empty_and_later_applies_keep_its_value(default_synth: Synth) -> None:
    secret = default_synth.resources("aws_secretsmanager_secret")["api_keys"]
    assert secret["name"] == "llm/api-keys"
    # prod: a destroyed secret stays recoverable for 30 days
    assert secret["recovery_window_in_days"] == 30
    version = _only(default_synth.resources("aws_secretsmanager_secret_version"))
    assert json.loads(version["secret_string"]) == {}
    assert version["lifecycle"]["ignore_changes"] == ["secret_string"]
    assert version["secret_id"] == "${aws_secretsmanager_secret.api_keys.id}"


def test_lambda_function_settings(default_synth: Synth, default_config: dict[str, Any]) -> None:
    fn = default_synth.resources("aws_lambda_function")["this"]
    lam = default_config["lambda"]
    assert fn["runtime"] in ("python3.12", "python3.13")
    assert fn["architectures"] == [lam["architecture"]] == ["arm64"]
    # The Lambda Web Adapter's wrapper runs the startup script, which serves the ASGI app.
    assert fn["handler"] == "lambda_src/run.sh"
    assert fn["layers"] == ["arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:30"]
    assert fn["memory_size"] == lam["memory_mb"]
    assert fn["timeout"] == lam["timeout_seconds"]
    assert fn["reserved_concurrent_executions"] == lam["reserved_concurrency"]
    assert fn["tracing_config"] == {"mode": "Active"}
    assert fn["logging_config"]["log_group"] == "${aws_cloudwatch_log_group.lambda.name}"
    # Lambda drops application lines below INFO (and tells Powertools through AWS_LAMBDA_LOG_LEVEL).
    assert fn["logging_config"]["application_log_level"] == "INFO"
    assert "system_log_level" not in fn["logging_config"]  # Lambda's INFO default keeps REPORT lines
    env = fn["environment"]["variables"]
    # the inventory ships in the package: no parameter, no network call to load it
    assert env["INVENTORY_FILE"] == "/var/task/inventory.json"
    assert "INVENTORY_PARAMETER_NAME" not in env
    assert default_synth.resources("aws_ssm_parameter") == {}
    assert env["KEYS_SECRET_ARN"] == "${aws_secretsmanager_secret.api_keys.arn}"
    assert env["STAGE"] == "prod"
    assert env["LOG_PROMPTS"] == "false"
    assert env["AWS_RETRY_MODE"] == "standard" and env["AWS_MAX_ATTEMPTS"] == "3"
    # One socket read may last the whole function; the request's deadline bounds the total.
    assert env["UPSTREAM_TIMEOUT_SECONDS"] == str(lam["timeout_seconds"])
    assert env["STREAM_IDLE_TIMEOUT_SECONDS"] == "30"
    assert {k: env[k] for k in env if k.startswith(("AWS_LWA_", "AWS_LAMBDA_EXEC"))} == {
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
        "AWS_LWA_PORT": "8080",
        "AWS_LWA_READINESS_CHECK_PATH": "/health",
        "AWS_LWA_INVOKE_MODE": "response_stream",
    }
    url = _only(default_synth.resources("aws_lambda_function_url"))
    assert url["invoke_mode"] == "RESPONSE_STREAM"
    logs = default_synth.resources("aws_cloudwatch_log_group")["lambda"]
    assert logs["name"] == "/aws/lambda/llm-inference-api"
    assert logs["retention_in_days"] == lam["log_retention_days"]
    assert CdktfTesting.to_have_resource_with_properties(
        default_synth.json_text,
        "aws_lambda_function",
        {"function_name": "llm-inference-api", "tracing_config": {"mode": "Active"}},
    )


def test_variant_lambda_settings_follow_config(variant_synth: Synth) -> None:
    fn = variant_synth.resources("aws_lambda_function")["this"]
    assert fn["architectures"] == ["x86_64"]
    assert fn["runtime"] == "python3.13"
    assert (fn["memory_size"], fn["timeout"], fn["reserved_concurrent_executions"]) == (512, 30, 5)
    env = fn["environment"]["variables"]
    assert env["STAGE"] == "dev"
    assert env["LOG_PROMPTS"] == "true"
    # dev: a destroyed stack frees the secret's name at once, so it can be deployed again
    assert variant_synth.resources("aws_secretsmanager_secret")["api_keys"]["recovery_window_in_days"] == 0
    assert env["INVENTORY_MAX_AGE_SECONDS"] == "60"
    assert env["POWERTOOLS_LOG_LEVEL"] == "WARNING"
    assert fn["logging_config"]["application_log_level"] == "WARN"
    provider = variant_synth.doc["provider"]["aws"][0]
    assert provider["region"] == "eu-west-1"
    assert provider["default_tags"][0]["tags"] == {
        "Project": "variant-api",
        "Stage": "dev",
        "CostCenter": "ml-42",
    }


def test_execution_role_grants_only_what_the_function_needs(default_synth: Synth) -> None:
    role = default_synth.resources("aws_iam_role")["lambda"]
    assume = default_synth.data("aws_iam_policy_document")["lambda_assume_role"]["statement"]
    assert assume == [
        {
            "actions": ["sts:AssumeRole"],
            "effect": "Allow",
            "principals": [{"identifiers": ["lambda.amazonaws.com"], "type": "Service"}],
        }
    ]
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.lambda_assume_role.json}"
    policy = _only(default_synth.resources("aws_iam_role_policy"))
    assert policy["role"] == "${aws_iam_role.lambda.id}"
    # four models fit the inline policy: no managed policy to attach
    assert default_synth.resources("aws_iam_policy") == {}
    assert default_synth.resources("aws_iam_role_policy_attachment") == {}
    assert policy["policy"] == "${data.aws_iam_policy_document.lambda.json}"
    statements = default_synth.policy("aws_iam_role_policy", "lambda")["Statement"]
    assert [s["Sid"] for s in statements] == [
        "WriteOwnLogs",
        "XRay",
        "ReadApiKeys",
        "InvokeBedrockModels",
        "InvokeBedrockModelsThroughProfiles",
    ]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert _statement(default_synth, "WriteOwnLogs")["Resource"] == [
        "${aws_cloudwatch_log_group.lambda.arn}:*"
    ]
    assert _statement(default_synth, "ReadApiKeys") == {
        "Sid": "ReadApiKeys",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": ["${aws_secretsmanager_secret.api_keys.arn}"],
    }
    # No action outside the statements' services.
    services = {a.split(":")[0] for s in statements for a in s["Action"]}
    assert services == {"logs", "xray", "secretsmanager", "bedrock"}


def test_bedrock_invoke_covers_exactly_the_configured_models(default_synth: Synth) -> None:
    st = _statement(default_synth, "InvokeBedrockModels")
    # streamed or not, on the same resources
    assert st["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    fm = "arn:aws:bedrock:{}::foundation-model/{}"
    assert st["Resource"] == [
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.amazon.nova-lite-v1:0",
        fm.format("us-east-1", "amazon.nova-micro-v1:0"),
        fm.format("us-east-1", "amazon.titan-embed-text-v2:0"),
    ]
    # the profiles' models: named, any region, only through this account's profiles
    through = _statement(default_synth, "InvokeBedrockModelsThroughProfiles")
    assert through["Action"] == st["Action"]
    assert through["Resource"] == [
        fm.format("*", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        fm.format("*", "amazon.nova-lite-v1:0"),
    ]
    assert through["Condition"] == {
        "ArnLike": {
            "bedrock:InferenceProfileArn": [f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/*"]
        }
    }


def test_bedrock_invoke_for_every_identifier_form(variant_synth: Synth) -> None:
    resources = set(_statement(variant_synth, "InvokeBedrockModels")["Resource"])
    fm = "arn:aws:bedrock:{}::foundation-model/{}"
    sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    expected = {
        fm.format("eu-west-1", "mistral.mistral-large-2402-v1:0"),
        # cross-region profiles: the profile in the calling region
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/global.{sonnet45}",
        "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-70b-instruct-v1:0",
        "arn:aws:bedrock:eu-west-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/abc123",
        "arn:aws:bedrock:eu-west-1:111122223333:provisioned-model/x1y2z3",
        "arn:aws:bedrock:eu-west-1:111122223333:imported-model/q9w8e7",
        "arn:aws:bedrock:eu-west-1:111122223333:application-inference-profile/p0o9i8",
        # ... and the foundation model it was made from
        fm.format("eu-west-1", "anthropic.claude-3-haiku-20240307-v1:0"),
        fm.format("eu-west-1", "cohere.embed-multilingual-v3"),
        fm.format("eu-west-1", "cohere.command-text-v14"),
    }
    assert resources == expected
    # ... and the models they route to, named, only through the account's profiles there; a
    # global profile's region-less model ARN too
    through = _statement(variant_synth, "InvokeBedrockModelsThroughProfiles")
    assert set(through["Resource"]) == {
        fm.format("*", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
        fm.format("*", "anthropic.claude-3-haiku-20240307-v1:0"),
        fm.format("*", sonnet45),
        f"arn:aws:bedrock:::foundation-model/{sonnet45}",
    }
    assert through["Condition"] == {
        "ArnLike": {
            "bedrock:InferenceProfileArn": [f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/*"]
        }
    }


def test_package_holds_the_configured_models(default_synth: Synth, default_config: dict[str, Any]) -> None:
    inventory = Inventory.from_json(default_synth.inventory_json())
    configured = default_config["bedrock"]["models"]
    assert [m.id for m in inventory.models] == [m.get("id", m["model_id"]) for m in configured]
    assert [m.model for m in inventory.models] == [m["model_id"] for m in configured]
    assert {m.provider for m in inventory.models} == {"bedrock"}
    assert {m.region for m in inventory.models} == {"us-east-1"}
    embed = inventory.get("titan-embed-text-v2")
    assert embed is not None and embed.task == "embedding"
    assert embed.base_model_provider == "amazon"


def test_variant_inventory_keeps_arn_provider_and_region(variant_synth: Synth) -> None:
    inventory = Inventory.from_json(variant_synth.inventory_json())
    bedrock = [m for m in inventory.models if m.provider == "bedrock"]
    assert len(bedrock) == len(VARIANT_CONFIG["bedrock"]["models"])
    tuned = inventory.get("tuned")
    assert tuned is not None and tuned.base_model_provider == "amazon"
    llama = inventory.get("llama-fm-arn")
    assert llama is not None and llama.region == "us-west-2" and llama.base_model_provider == "meta"
    sonnet = inventory.get("sonnet-global")
    assert sonnet is not None and sonnet.limits.max_tokens == 8192
    native = inventory.get("cohere-embed")
    assert native is not None and native.api is None
    command = inventory.get("command-native")
    assert command is not None and command.api == "invoke_model"


def test_outputs(default_synth: Synth) -> None:
    outputs = default_synth.doc["output"]
    assert {k: v["value"] for k, v in outputs.items()} == {
        "lambda_function_url": "${aws_lambda_function_url.this.function_url}",
        "lambda_function_name": "${aws_lambda_function.this.function_name}",
        "lambda_function_arn": "${aws_lambda_function.this.arn}",
        "lambda_role_arn": "${aws_iam_role.lambda.arn}",
        "api_keys_secret_arn": "${aws_secretsmanager_secret.api_keys.arn}",
        "caller_policy_json": outputs["caller_policy_json"]["value"],
    }
    assert all(v.get("description") for v in outputs.values())


def test_required_provider_range_admits_mirror_and_bindings(default_synth: Synth) -> None:
    aws = default_synth.doc["terraform"]["required_providers"]["aws"]
    assert aws["source"] == "aws"
    # no grant on the function, so no attribute newer than the mirror's provider
    assert aws["version"] == ">= 5.100.0, < 7.0.0"


@pytest.mark.parametrize(("which", "platform_tag"), [("default", "aarch64"), ("variant", "x86_64")])
def test_package_is_built_for_the_function_platform(
    which: str, platform_tag: str, default_synth: Synth, variant_synth: Synth
) -> None:
    synth = default_synth if which == "default" else variant_synth
    fn = synth.resources("aws_lambda_function")["this"]
    package = synth.stack_dir / fn["filename"]
    raw = package.read_bytes()
    assert fn["source_code_hash"] == base64.b64encode(hashlib.sha256(raw).digest()).decode()
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assert "lambda_src/app.py" in names
        assert "lambda_src/inventory.py" in names
        # the model inventory, at the root Lambda unpacks to /var/task
        assert "inventory.json" in names
        assert any(n.startswith("aws_lambda_powertools/") for n in names)
        cores = [n for n in names if n.startswith("pydantic_core/_pydantic_core") and n.endswith(".so")]
        assert cores and all(platform_tag in n for n in cores), cores
        py = fn["runtime"].removeprefix("python").replace(".", "")
        assert all(f"cpython-{py}" in n for n in cores), cores
        # boto3 comes from the runtime; heavy libraries never enter the function package.
        assert not any(n.startswith(("boto3/", "botocore/", "langchain", "numpy/", "tests/")) for n in names)
        # Bytecode for the runtime's Python beside every module: the code directory is read-only.
        modules = [n for n in names if n.endswith(".py") and n.startswith("lambda_src/")]
        for module in modules:
            folder, _, name = module.rpartition("/")
            assert f"{folder}/__pycache__/{name[:-3]}.cpython-{py}.pyc" in names, module
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        run = zf.getinfo("lambda_src/run.sh")
        assert (run.external_attr >> 16) & 0o777 == 0o755


def test_state_file_is_relative_and_outside_the_replaced_output(default_synth: Synth) -> None:
    path = default_synth.doc["terraform"]["backend"]["local"]["path"]
    assert not path.startswith("/")
    state = (default_synth.stack_dir / path).resolve()
    outdir = default_synth.stack_dir.parent.parent
    assert state.name == "terraform.llm.tfstate"
    assert state.parent == outdir.parent


def test_remote_state_in_s3(variant_synth: Synth, full_stacks: dict[str, Synth]) -> None:
    backend = variant_synth.doc["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "tf-state.example",
            "key": "llm-inference-api/variant-api.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "dynamodb_table": "tf-locks",
            "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        }
    }
    for stack, synth in full_stacks.items():
        s3 = synth.doc["terraform"]["backend"]["s3"]
        assert s3["key"] == f"inference/full/{stack}.tfstate"
        assert s3["use_lockfile"] is True
        assert "dynamodb_table" not in s3
