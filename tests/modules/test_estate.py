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
from tests.support import DEFAULT_CONFIG, FULL_CONFIG, REPO_ROOT, terraform_validate

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
        "InvokeBedrockModels": "${var.bedrock_invoke_arns}",
        "InvokeSageMakerEndpoints": "${var.sagemaker_endpoint_arns}",
        "AssumeModelAccessRoles": "${var.assume_role_arns}",
    }
    for st in policy["statement"]:
        if st["resources"] == ["*"]:
            assert st["sid"] == "XRay"
    assert doc["variable"]["bedrock_invoke_arns"]["default"] == []
    fn = doc["resource"]["aws_lambda_function"]["this"]
    assert fn["handler"] == "lambda_src/run.sh"
    assert fn["layers"] == ["${local.web_adapter_layer_arn}"]
    env = fn["environment"]["variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_INVOKE_MODE"] == "${lower(var.invoke_mode)}"
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
    assert "lambda_src/app.py" in names
    assert any("aarch64" in n for n in names if n.startswith("pydantic_core/") and n.endswith(".so"))


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
