"""Exported child modules for existing estates, and the HCL example that calls them."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from modules.config import load_config
from modules.estate import export
from modules.estate.export import module_inputs
from tests.support import (
    DEFAULT_CONFIG,
    FULL_CONFIG,
    REPO_ROOT,
    VARIANT_CONFIG,
    Synth,
    terraform_console,
    terraform_validate,
    write_config,
)

MODULES = ("inference-api", "sagemaker-endpoint", "model-access-role")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("dist") / "terraform"
    assert export.main(["--outdir", str(outdir)]) == 0
    return outdir


def _load(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for f in sorted(folder.glob("*.tf.json")):
        for key, value in json.loads(f.read_text()).items():
            merged.setdefault(key, {}).update(value)
    return merged


def test_every_module_is_written(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == sorted(MODULES)
    for name in MODULES:
        files = {p.name for p in (exported / name).iterdir()}
        assert {
            "main.tf.json",
            "variables.tf.json",
            "outputs.tf.json",
            "versions.tf.json",
            "README.md",
        } <= files


@pytest.mark.parametrize("name", MODULES)
def test_no_provider_or_backend_and_a_version_range(exported: Path, name: str) -> None:
    doc = _load(exported / name)
    assert "provider" not in doc
    assert "backend" not in doc.get("terraform", {})
    assert "cloud" not in doc.get("terraform", {})
    aws = doc["terraform"]["required_providers"]["aws"]
    # the inference-api module grants callers with invoked_via_function_url (provider 6.28+)
    low = "6.28.0" if name == "inference-api" else "5.100.0"
    assert aws == {"source": "hashicorp/aws", "version": f">= {low}, < 7.0.0"}
    text = json.dumps(doc)
    assert '"provider":' not in text  # no resource pins a provider alias either


@pytest.mark.parametrize("name", MODULES)
def test_variables_are_typed_and_described_and_documented(exported: Path, name: str) -> None:
    doc = _load(exported / name)
    readme = (exported / name / "README.md").read_text()
    assert readme.count("```hcl") == 1
    assert re.search(rf'source\s+= "\./modules/{name}"', readme)
    for var, spec in doc["variable"].items():
        assert spec["type"], var
        assert len(spec["description"]) > 10, var
        assert f"| `{var}` |" in readme, var
    for out, spec in doc["output"].items():
        assert spec["description"], out
        assert f"| `{out}` |" in readme, out


def test_use_existing_inputs(exported: Path) -> None:
    api = _load(exported / "inference-api")
    assert {"create_role", "role_arn", "create_api_keys_secret", "api_keys_secret_arn"} <= set(
        api["variable"]
    )
    assert api["resource"]["aws_iam_role"]["lambda"]["count"] == "${var.create_role ? 1 : 0}"
    assert (
        api["resource"]["aws_secretsmanager_secret"]["api_keys"]["count"]
        == "${var.create_api_keys_secret ? 1 : 0}"
    )
    version = api["resource"]["aws_secretsmanager_secret_version"]["api_keys"]
    assert version["secret_string"] == "{}"
    assert version["lifecycle"] == {"ignore_changes": ["secret_string"]}
    endpoint = _load(exported / "sagemaker-endpoint")
    assert {"create_execution_role", "execution_role_arn"} <= set(endpoint["variable"])
    assert endpoint["variable"]["environment"]["sensitive"] is True


def test_inference_api_module_grants_only_listed_resources(exported: Path) -> None:
    doc = _load(exported / "inference-api")
    policy = doc["data"]["aws_iam_policy_document"]["lambda"]
    dynamic = policy["dynamic"]["statement"]
    assert {d["content"]["sid"]: d["content"]["resources"] for d in dynamic} == {
        "ReadModelInventory": ["${one(aws_ssm_parameter.model_inventory[*].arn)}"],
        "InvokeBedrockModels": "${var.bedrock_invoke_arns}",
        "InvokeBedrockModelsThroughProfiles": "${var.bedrock_profile_foundation_model_arns}",
        "InvokeSageMakerEndpoints": "${var.sagemaker_endpoint_arns}",
        "AssumeModelAccessRoles": "${var.assume_role_arns}",
        "AssumeOverrideRoles": '${var.stage == "dev" ? var.override_role_arns : []}',
    }
    # each exists only when it grants something
    conditions = {d["content"]["sid"]: d["for_each"] for d in dynamic}
    assert conditions["InvokeBedrockModels"] == "${length(var.bedrock_invoke_arns) > 0 ? [1] : []}"
    assert conditions["ReadModelInventory"] == "${var.inventory_json != null ? [1] : []}"
    through = next(
        d["content"] for d in dynamic if d["content"]["sid"] == "InvokeBedrockModelsThroughProfiles"
    )
    [condition] = through["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnLike", "bedrock:InferenceProfileArn")
    assert condition["values"].startswith("${distinct([for a in [for a in var.bedrock_invoke_arns : a if")
    for st in policy["statement"]:
        if st["resources"] == ["*"]:
            assert st["sid"] == "XRay"
    assert doc["variable"]["bedrock_invoke_arns"]["default"] == []
    fn = doc["resource"]["aws_lambda_function"]["this"]
    assert fn["handler"] == "lambda_src/run.sh"
    assert fn["layers"].startswith("${concat([local.web_adapter_layer_arn], ")
    env = fn["environment"]["variables"]  # one merge() expression of the shared environment
    assert '"AWS_LAMBDA_EXEC_WRAPPER" = "/opt/bootstrap"' in env
    assert '"AWS_LWA_INVOKE_MODE" = lower(var.invoke_mode)' in env
    layers = doc["locals"]["web_adapter_layers"]
    assert (
        layers["us-east-1/arm64"] == "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:30"
    )
    assert "cn-north-1/arm64" not in layers and "us-gov-west-1/x86_64" not in layers
    url = doc["resource"]["aws_lambda_function_url"]["this"]
    assert url["invoke_mode"] == "${var.invoke_mode}"
    assert fn["tracing_config"] == {"mode": "Active"}


def test_module_grants_callers_as_the_stack_does(exported: Path) -> None:
    from modules import function_url_access as url_access

    doc = _load(exported / "inference-api")
    perms = doc["resource"]["aws_lambda_permission"]
    function = "${aws_lambda_function.this.function_name}"
    public = url_access.public_permissions(function_name=function)
    callers = url_access.caller_permissions(function_name=function, callers="toset(var.callers)")
    for name, block in public.items():
        assert perms[name] == {"count": '${var.authorization_type == "NONE" ? 1 : 0}', **block}
    for name, block in callers.items():
        assert perms[name] == block
    assert perms["public_function_invoke"]["invoked_via_function_url"] is True
    assert perms["caller_function_invoke"]["invoked_via_function_url"] is True
    assert perms["caller_function_invoke"]["for_each"] == "${toset(var.callers)}"
    url = doc["resource"]["aws_lambda_function_url"]["this"]
    assert sorted(url["depends_on"]) == sorted(f"aws_lambda_permission.{n}" for n in perms)
    policy = json.loads(doc["output"]["caller_policy_json"]["value"])
    assert {st["Action"] for st in policy["Statement"]} == {
        "lambda:InvokeFunctionUrl",
        "lambda:InvokeFunction",
    }
    assert {st["Resource"] for st in policy["Statement"]} == {"${aws_lambda_function.this.arn}"}
    callers_var = doc["variable"]["callers"]
    assert callers_var["type"] == "list(string)" and callers_var["default"] == []


def test_bundled_package_matches_the_config(exported: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    doc = _load(exported / "inference-api")
    assert doc["variable"]["architecture"]["default"] == config.lambda_.architecture
    assert doc["variable"]["runtime"]["default"] == config.lambda_.runtime
    with zipfile.ZipFile(exported / "inference-api" / "function.zip") as zf:
        names = zf.namelist()
        # the config's inventory, read by the function from its package unless inventory_json is set
        assert zf.read("inventory.json").decode() == config.inventory().to_json()
    assert "lambda_src/app.py" in names
    assert any("aarch64" in n for n in names if n.startswith("pydantic_core/") and n.endswith(".so"))
    assert doc["variable"]["inventory_json"]["default"] is None
    assert (
        doc["resource"]["aws_ssm_parameter"]["model_inventory"]["count"]
        == "${var.inventory_json == null ? 0 : 1}"
    )
    env = doc["resource"]["aws_lambda_function"]["this"]["environment"]["variables"]
    assert 'var.inventory_json == null ? tomap({"INVENTORY_FILE" = "/var/task/inventory.json"})' in env
    # the default config enables no third-party provider: no layer bundled or deployed by default
    assert not (exported / "inference-api" / "providers-layer.zip").exists()
    assert doc["variable"]["use_bundled_providers_layer"]["default"] is False


def test_print_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    assert export.main(["--config", str(FULL_CONFIG), "--print-inventory"]) == 0
    assert capsys.readouterr().out.strip() == load_config(FULL_CONFIG).inventory().to_json()


def test_bad_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"prefix": "x1", "region": "nowhere-1"}')
    assert export.main(["--config", str(bad), "--outdir", str(tmp_path / "out")]) == 2
    assert "region 'nowhere-1' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", MODULES)
def test_each_module_validates(exported: Path, name: str, tmp_path: Path) -> None:
    result = terraform_validate(exported / name, tmp_path)
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=1)


def test_estate_example_validates(exported: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(REPO_ROOT / "examples" / "terraform-estate", root / "examples" / "terraform-estate")
    shutil.copytree(exported, root / "dist" / "terraform")
    result = terraform_validate(root, tmp_path / "tf", subdir="examples/terraform-estate")
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=1)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=1)


def test_inference_api_module_has_the_stack_inputs(exported: Path) -> None:
    doc = _load(exported / "inference-api")
    variables = doc["variable"]
    for name in (
        "admin_principals",
        "override_role_arns",
        "use_bundled_providers_layer",
        "providers_layer_path",
        "layer_arns",
        "api_keys_recovery_window_days",
        "bedrock_profile_foundation_model_arns",
    ):
        assert name in variables, name
    fn = doc["resource"]["aws_lambda_function"]["this"]
    # the adapter layer first (its wrapper starts the app), then the provider layer and the estate's
    assert fn["layers"] == (
        "${concat([local.web_adapter_layer_arn], aws_lambda_layer_version.providers[*].arn, var.layer_arns)}"
    )
    layer = doc["resource"]["aws_lambda_layer_version"]["providers"]
    assert layer["count"] == "${local.providers_layer_path == null ? 0 : 1}"
    env = fn["environment"]["variables"]
    assert 'var.stage == "dev" ? tomap({"ADMIN_PRINCIPALS" = join(",", var.admin_principals)' in env
    # admins and override roles are refused outside a dev stage
    assert any(
        "admin_principals and override_role_arns apply in a dev stage only" in p["error_message"]
        for p in fn["lifecycle"]["precondition"]
    )
    secret = doc["resource"]["aws_secretsmanager_secret"]["api_keys"]
    assert secret["recovery_window_in_days"] == "${local.api_keys_recovery_window_days}"
    assert doc["locals"]["api_keys_recovery_window_days"] == (
        "${var.api_keys_recovery_window_days != null ? var.api_keys_recovery_window_days : "
        '(var.stage == "dev" ? 0 : 30)}'
    )


def test_export_bundles_the_provider_layer_of_a_third_party_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, VARIANT_CONFIG)
    outdir = tmp_path / "dist"
    assert export.main(["--config", str(config), "--outdir", str(outdir)]) == 0
    module = outdir / "inference-api"
    with zipfile.ZipFile(module / "providers-layer.zip") as zf:
        assert any(n.startswith("python/langchain_openai/") for n in zf.namelist())
    doc = _load(module)
    assert doc["variable"]["use_bundled_providers_layer"]["default"] is True
    assert doc["variable"]["architecture"]["default"] == "x86_64"
    assert "openai, azure_openai, openai_compatible" in (module / "README.md").read_text()


def test_module_inputs_grant_what_the_stack_grants(
    variant_synth: Synth, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The module's inputs for a config come from the statements the stack renders."""
    config = write_config(tmp_path, VARIANT_CONFIG)
    assert export.main(["--config", str(config), "--print-inputs", "--account-id", "123456789012"]) == 0
    inputs = json.loads(capsys.readouterr().out)
    account = "${data.aws_caller_identity.current.account_id}"
    stack = {st["Sid"]: st for st in variant_synth.iam_statements()}
    by_input = {
        "bedrock_invoke_arns": "InvokeBedrockModels",
        "bedrock_profile_foundation_model_arns": "InvokeBedrockModelsThroughProfiles",
        "override_role_arns": "AssumeOverrideRoles",
    }
    for name, sid in by_input.items():
        assert inputs[name] == [r.replace(account, "123456789012") for r in stack[sid]["Resource"]], name
    assert inputs["stage"] == "dev"
    assert inputs["admin_principals"] == VARIANT_CONFIG["admin_principals"]
    assert inputs["api_keys_recovery_window_days"] == 0
    assert (inputs["timeout"], inputs["memory_size"], inputs["runtime"]) == (30, 512, "python3.13")
    assert "sagemaker_endpoint_arns" not in inputs  # the variant config has no endpoint


@pytest.mark.parametrize("which", ["variant", "full"])
def test_module_statements_are_the_stacks(
    which: str, exported: Path, variant_synth: Synth, full_stacks: dict[str, Synth]
) -> None:
    """Statement by statement, the exported modules grant the stack's actions under the stack's
    conditions (their resources come from inputs)."""
    synth = variant_synth if which == "variant" else full_stacks["full"]
    module = _load(exported / "inference-api")["data"]["aws_iam_policy_document"]["lambda"]
    blocks = module["statement"] + [d["content"] for d in module["dynamic"]["statement"]]
    by_sid = {b["sid"]: b for b in blocks}
    for st in synth.function_policies()[0]["Statement"]:
        block = by_sid[st["Sid"]]
        assert block["actions"] == st["Action"], st["Sid"]
        conditions = {(c["test"], c["variable"]) for c in block.get("condition", [])}
        assert conditions == {(t, v) for t, kv in st.get("Condition", {}).items() for v in kv}, st["Sid"]
    if which == "full":
        sagemaker = _load(exported / "sagemaker-endpoint")["data"]["aws_iam_policy_document"]["sagemaker"]
        blocks = sagemaker["statement"] + [d["content"] for d in sagemaker["dynamic"]["statement"]]
        # numbered statements (one per bucket of model data) share their shape
        module_sids = {re.sub(r"\d+$", "", b["sid"]): b for b in blocks}
        for st in synth.policy("aws_iam_role_policy", "sagemaker")["Statement"]:
            assert module_sids[re.sub(r"\d+$", "", st["Sid"])]["actions"] == st["Action"], st["Sid"]


def test_module_environment_is_the_stacks(exported: Path, variant_synth: Synth, tmp_path: Path) -> None:
    """Terraform evaluates the module's environment and log level for the variant config's inputs:
    they are the stack's, but for the names of the module's own resources."""
    config = load_config(write_config(tmp_path, VARIANT_CONFIG))
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:variant-api/api-keys-AbCdEf"
    inputs = {
        **module_inputs(config, "123456789012"),
        "create_api_keys_secret": False,
        "api_keys_secret_arn": secret,
    }
    function = _load(exported / "inference-api")["resource"]["aws_lambda_function"]["this"]
    env_expression = function["environment"]["variables"][2:-1]
    level_expression = function["logging_config"]["application_log_level"][2:-1]
    expression = f"{{env = {env_expression}, level = {level_expression}}}"
    values = terraform_console(exported / "inference-api", tmp_path / "tf", expression, inputs)
    stack = variant_synth.resources("aws_lambda_function")["this"]
    # (Terraform turns the numbers into strings where it sets the function's map of strings)
    env = {k: str(v) for k, v in values["env"].items()}
    assert env == {**stack["environment"]["variables"], "KEYS_SECRET_ARN": secret}
    # The variant's WARNING, as Lambda's logging controls name it.
    assert values["level"] == stack["logging_config"]["application_log_level"] == "WARN"


def test_module_grants_profile_models_through_the_stacks_profiles(
    exported: Path, variant_synth: Synth, tmp_path: Path
) -> None:
    """Terraform evaluates the module's condition on bedrock:InferenceProfileArn for the variant
    config's inputs: the stack's."""
    config = load_config(write_config(tmp_path, VARIANT_CONFIG))
    module = _load(exported / "inference-api")["data"]["aws_iam_policy_document"]["lambda"]
    through = next(
        d["content"] for d in module["dynamic"]["statement"] if d["content"]["sid"].endswith("Profiles")
    )
    values = terraform_console(
        exported / "inference-api",
        tmp_path / "tf",
        through["condition"][0]["values"][2:-1],
        module_inputs(config, "123456789012"),
    )
    stack = next(
        s for s in variant_synth.iam_statements() if s["Sid"] == "InvokeBedrockModelsThroughProfiles"
    )
    expected = stack["Condition"]["ArnLike"]["bedrock:InferenceProfileArn"]
    assert values == [
        v.replace("${data.aws_caller_identity.current.account_id}", "123456789012") for v in expected
    ]


def test_sagemaker_module_reads_the_token_from_a_secret(exported: Path) -> None:
    doc = _load(exported / "sagemaker-endpoint")
    assert doc["variable"]["huggingface_token_secret_arn"]["default"] is None
    data = doc["data"]["aws_secretsmanager_secret_version"]["huggingface_token"]
    assert data == {
        "count": "${var.huggingface_token_secret_arn == null ? 0 : 1}",
        "secret_id": "${var.huggingface_token_secret_arn}",
    }
    container = doc["resource"]["aws_sagemaker_model"]["this"]["primary_container"]
    assert container["environment"] == "${merge(var.environment, local.huggingface_token_environment)}"
    # the stack's expression for the token (plain text or a JSON key)
    assert (
        "can(jsondecode(one(data.aws_secretsmanager_secret_version.huggingface_token[*].secret_string)))"
        in (doc["locals"]["huggingface_token"])
    )
    # a rotated token renames the model, as in the stack
    assert "local.huggingface_token_version" in doc["locals"]["versioned_name"]
    # the token never comes through the plain environment
    validation = doc["variable"]["environment"]["validation"][0]
    assert "HF_TOKEN" in validation["condition"] and "HUGGING_FACE_HUB_TOKEN" in validation["condition"]


def test_readmes_name_only_real_flags(exported: Path) -> None:
    texts = [(exported / m / "README.md").read_text() for m in MODULES] + [
        (REPO_ROOT / "README.md").read_text()
    ]
    parser_flags = set(
        re.findall(r'"(--[a-z-]+)"', (REPO_ROOT / "modules" / "estate" / "export.py").read_text())
    )
    mentioned = {
        flag
        for text in texts
        for line in re.findall(r"export-modules[^\n`]*", text)
        for flag in re.findall(r"--[a-z][a-z-]+", line)
    }
    assert mentioned, "the READMEs show no export-modules flag"
    assert mentioned <= parser_flags, mentioned - parser_flags


@pytest.mark.parametrize("name", MODULES)
def test_checkov_reports_no_failed_check_on_a_module(exported: Path, name: str) -> None:
    from tests.modules.test_terraform import checkov_report

    summary, failed = checkov_report(exported / name)
    assert summary["failed"] == 0, failed
    assert summary["passed"] >= 20
    assert summary["parsing_errors"] == 0
