"""Shared test helpers for the synthesized stacks (imported as ``tests.support``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "default.json"
FULL_CONFIG = REPO_ROOT / "examples" / "configs" / "full.json"
PROVIDER_MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))


@dataclass(frozen=True)
class Synth:
    """One synthesized stack: its directory and its parsed cdk.tf.json."""

    stack_dir: Path
    doc: dict[str, Any]

    @property
    def json_text(self) -> str:
        return (self.stack_dir / "cdk.tf.json").read_text()

    def resources(self, rtype: str) -> dict[str, Any]:
        return self.doc.get("resource", {}).get(rtype, {})

    def data(self, dtype: str) -> dict[str, Any]:
        return self.doc.get("data", {}).get(dtype, {})

    def policy_statements(self) -> list[dict[str, Any]]:
        """Statements of the policy-document data sources (the roles' trust policies)."""
        return [s for doc in self.data("aws_iam_policy_document").values() for s in doc.get("statement", [])]

    def policy(self, rtype: str, name: str) -> dict[str, Any]:
        """The policy of an ``aws_iam_role_policy`` / ``aws_iam_policy``, in IAM's JSON form (the
        stacks write them as policy-document data sources)."""
        ref = self.resources(rtype)[name]["policy"]
        match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", ref)
        assert match, f"{rtype}.{name} has no policy document: {ref}"
        statements = self.data("aws_iam_policy_document")[match.group(1)]["statement"]
        return {"Version": "2012-10-17", "Statement": [_iam_json(st) for st in statements]}

    def iam_statements(self) -> list[dict[str, Any]]:
        """Every statement of every permissions policy in the stack (inline and managed)."""
        return [
            st
            for rtype in ("aws_iam_role_policy", "aws_iam_policy")
            for name in self.resources(rtype)
            for st in self.policy(rtype, name)["Statement"]
        ]

    def function_policies(self) -> list[dict[str, Any]]:
        """The function role's policies: the inline one, then the managed ones in order."""
        managed = self.resources("aws_iam_policy")
        numbered = sorted((int(n.removeprefix("lambda_")), n) for n in managed if n.startswith("lambda_"))
        return [self.policy("aws_iam_role_policy", "lambda")] + [
            self.policy("aws_iam_policy", n) for _, n in numbered
        ]

    def function_package(self) -> Path:
        return self.stack_dir / self.resources("aws_lambda_function")["this"]["filename"]

    def inventory_json(self) -> str:
        """The model inventory inside the function package."""
        import zipfile

        with zipfile.ZipFile(self.function_package()) as zf:
            return zf.read("inventory.json").decode()


def _iam_json(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Sid": statement["sid"],
        "Effect": statement["effect"],
        "Action": statement["actions"],
        "Resource": statement["resources"],
    }
    conditions: dict[str, dict[str, list[str]]] = {}
    for c in statement.get("condition", []):
        conditions.setdefault(c["test"], {})[c["variable"]] = c["values"]
    if conditions:
        out["Condition"] = conditions
    return out


# A config exercising every option of the foundation: public URL with CORS, admin principals,
# every Bedrock identifier form, explicit profile regions, tags.
VARIANT_CONFIG: dict[str, Any] = {
    "prefix": "variant-api",
    "region": "eu-west-1",
    "stage": "dev",
    "lambda": {
        "architecture": "x86_64",
        "runtime": "python3.13",
        "memory_mb": 512,
        "timeout_seconds": 30,
        "reserved_concurrency": 5,
        "log_retention_days": 30,
        "log_level": "WARNING",
        "inventory_cache_seconds": 60,
    },
    "function_url": {
        "auth_type": "NONE",
        "allow_unauthenticated": True,
        "cors": {"allow_origins": ["https://app.example.com"], "max_age_seconds": 600},
    },
    "admin_principals": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:user/alice"],
    "third_party": {
        "openai": {"models": ["gpt-4o-mini", {"id": "gpt-big", "model": "gpt-4.1", "max_tokens": 4096}]},
        "azure_openai": {},
        "openai_compatible": [
            {
                "name": "deepseek",
                "base_url": "https://api.deepseek.com/v1",
                "api_key_name": "DEEPSEEK_API_KEY",
                "headers": {"X-Team": "search"},
                "models": [{"id": "deepseek", "model": "deepseek-chat"}],
            }
        ],
    },
    "overrides": {"allowed_role_arns": ["arn:aws:iam::444455556666:role/experiments"]},
    "log_prompts": True,
    "tags": {"CostCenter": "ml-42"},
    "state": {
        "s3": {
            "bucket": "tf-state.example",
            "region": "eu-west-1",
            "locking": "dynamodb",
            "dynamodb_table": "tf-locks",
            "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        }
    },
    "bedrock": {
        "region": "eu-west-1",
        "models": [
            {"model_id": "mistral.mistral-large-2402-v1:0"},
            {"id": "claude-eu", "model_id": "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"},
            {
                "id": "claude-eu-narrow",
                "model_id": "eu.anthropic.claude-3-haiku-20240307-v1:0",
                "profile_regions": ["eu-west-1", "eu-central-1"],
            },
            {
                "id": "sonnet-global",
                "model_id": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "max_tokens": 8192,
            },
            {
                "id": "llama-fm-arn",
                "model_id": "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-70b-instruct-v1:0",
            },
            {
                "id": "tuned",
                "model_id": "arn:aws:bedrock:eu-west-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/abc123",
                "base_model_provider": "amazon",
            },
            {
                "id": "provisioned",
                "model_id": "arn:aws:bedrock:eu-west-1:111122223333:provisioned-model/x1y2z3",
                "base_model_provider": "anthropic",
            },
            {
                "id": "imported",
                "model_id": "arn:aws:bedrock:eu-west-1:111122223333:imported-model/q9w8e7",
                "base_model_provider": "meta",
            },
            {
                "id": "app-profile",
                "model_id": "arn:aws:bedrock:eu-west-1:111122223333:application-inference-profile/p0o9i8",
                "base_model_provider": "anthropic",
                "foundation_model_arns": [
                    "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
                ],
            },
            {"id": "cohere-embed", "model_id": "cohere.embed-multilingual-v3", "task": "embedding"},
            {"id": "command-native", "model_id": "cohere.command-text-v14", "api": "invoke_model"},
        ],
    },
}


_SCALE_PROVIDERS = (
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "qwen",
    "openai",
    "writer",
)


def scale_config(models: int, *, prefix: str = "scale") -> dict[str, Any]:
    """A dev deployment of ``models`` Bedrock models: per base model its id, its ``us.`` profile
    and, for half of them, its ``global.`` profile (Bedrock offers fewer than 200 base models, so
    a large deployment names the same models in several forms); ids about 30 characters long."""
    bases = [
        f"{_SCALE_PROVIDERS[i % len(_SCALE_PROVIDERS)]}.model-{i:04d}-instruct-v1:0"
        for i in range(-(-models * 2 // 5))
    ]
    model_ids = [*bases, *(f"us.{b}" for b in bases), *(f"global.{b}" for b in bases)][:models]
    return {
        "prefix": prefix,
        "region": "us-east-1",
        "stage": "dev",
        "bedrock": {"models": [{"id": f"model-{i:04d}", "model_id": m} for i, m in enumerate(model_ids)]},
    }


SCALE_CONFIG = scale_config(500)


def write_config(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "deploy.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def config_error(tmp_path: Path, data: Any) -> str:
    """Load a bad config; return the message after checking its shape (file on every line, no
    Python internals)."""
    from modules.config import ConfigError, load_config

    path = write_config(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    for line in message.splitlines():
        assert line.startswith(f"{path}: "), line
    assert "Traceback" not in message
    assert "pydantic" not in message.lower()
    return message


def _terraform_env(tmp_path: Path) -> dict[str, str]:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH: `terraform validate` not run")
    if not (PROVIDER_MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"no hashicorp/aws provider mirror at {PROVIDER_MIRROR}: `terraform validate` not run")
    tmp_path.mkdir(parents=True, exist_ok=True)
    rc = tmp_path / "terraformrc"
    rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n'
    )
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(rc),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_DATA_DIR": str(tmp_path / ".terraform"),
    }


def _init_copy(source: Path, dest: Path, env: dict[str, str], *, subdir: str = ".") -> Path:
    """Copy ``source`` to ``dest``, adapt it to the local provider mirror and run terraform init in
    its ``subdir``; returns that directory."""
    from tests.fakes.provider_mirror import adapt_for_mirror

    shutil.copytree(source, dest)
    adapt_for_mirror(dest, PROVIDER_MIRROR)
    work = dest / subdir
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    return work


def terraform_validate(source: Path, tmp_path: Path, *, subdir: str = ".") -> dict[str, object]:
    """Copy ``source`` to ``tmp_path`` and run terraform init + validate in its ``subdir`` against
    the local provider mirror (adapted to it where the mirror is older than the configuration
    needs: ``tests/fakes/provider_mirror.py``); skips the calling test where terraform or the
    mirror is missing."""
    env = _terraform_env(tmp_path)
    work = _init_copy(source, tmp_path / "stack", env, subdir=subdir)
    validate = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return json.loads(validate.stdout)


def terraform_console(
    source: Path, tmp_path: Path, expression: str, variables: dict[str, Any] | None = None
) -> Any:
    """Evaluate a Terraform expression in a copy of the module ``source`` (after init), with
    ``variables`` as its inputs; returns the value (decoded from JSON)."""
    env = _terraform_env(tmp_path)
    work = _init_copy(source, tmp_path / "console", env)
    (work / "inputs.auto.tfvars.json").write_text(json.dumps(variables or {}))
    result = subprocess.run(
        ["terraform", "console", "-no-color"],
        cwd=work, env=env, input=f"jsonencode({expression})\n", capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(json.loads(result.stdout.strip().splitlines()[-1]))
