"""The synthesized stacks apply with the real provider against moto's server on 127.0.0.1.

For the default config, examples/configs/full.json (both stacks) and a generated 500-model
config: init, apply, a second plan that shows no changes, destroy (nothing left behind), apply
again, and a last plan with no changes. In a prod stage the API-keys secret outlives the destroy,
scheduled for deletion, and the apply again follows the README's recovery steps, which keep the
keys. The exported inference-api module is applied beside the default stack, for the default
config's inputs, and must deploy the stack's permissions and environment.

One provider install per session (a plugin cache); the stacks run side by side. Where terraform
or the provider mirror is missing, the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from modules.config import load_config
from modules.estate import export
from tests.fakes import moto_aws
from tests.fakes.provider_mirror import adapt_for_mirror
from tests.support import DEFAULT_CONFIG, PROVIDER_MIRROR, SCALE_CONFIG, Synth

ACCOUNT = moto_aws.ACCOUNT_ID
# What the provider calls, all on the local server.
SERVICES = (
    "iam",
    "sts",
    "lambda",
    "logs",
    "secretsmanager",
    "s3",
    "sagemaker",
    "applicationautoscaling",
    "ssm",
)
HF_SECRET_NAME = "huggingface-token-AbCdEf"  # examples/configs/full.json's secret ARN names it
KEYS = {"OPENAI_API_KEY": "sk-kept-across-the-destroy"}


@dataclass
class Step:
    command: str
    returncode: int
    output: str


@dataclass
class Run:
    """What happened to one stack, step by step."""

    steps: dict[str, Step] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    keys_after_recovery: dict[str, str] | None = None
    deployed: dict[str, Any] = field(default_factory=dict)

    def ok(self, step: str) -> Step:
        assert step in self.steps, f"{step} did not run (steps: {list(self.steps)})"
        result = self.steps[step]
        assert result.returncode == 0, f"{result.command}:\n{result.output[-4000:]}"
        return result


class Terraform:
    """terraform against the local server, with one provider install for the session."""

    def __init__(self, root: Path, endpoint: str) -> None:
        terraform = shutil.which("terraform")
        if terraform is None:
            pytest.skip("terraform is not on PATH: the apply tests need it")
        if not (PROVIDER_MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            pytest.skip(f"no hashicorp/aws provider mirror at {PROVIDER_MIRROR}: the apply tests need it")
        self.endpoint = endpoint
        self.lock_file: Path | None = None
        (root / "plugins").mkdir(parents=True)
        rc = root / "terraformrc"
        rc.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n'
            f'plugin_cache_dir = "{root / "plugins"}"\n'
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env |= {
            "TF_CLI_CONFIG_FILE": str(rc),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        # Anything not sent to the server goes to a closed port on the loopback, never out: the
        # SDK's catch-all endpoint and a proxy nobody listens on (NO_PROXY exempts the server).
        self.env["AWS_ENDPOINT_URL"] = endpoint
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            self.env[proxy] = "http://127.0.0.1:9"

    def provider(self, region: str | None = None) -> dict[str, Any]:
        block: dict[str, Any] = {
            "access_key": "testing",
            "secret_key": "testing",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "s3_use_path_style": True,
            "endpoints": dict.fromkeys(SERVICES, self.endpoint),
        }
        return {"region": region, **block} if region else block

    def prepare_stack(self, synth: Synth, work: Path) -> Path:
        """A copy of a synthesized stack, its backend local and its provider on the server."""
        shutil.copytree(synth.stack_dir, work)
        (work / "moto_override.tf.json").write_text(
            json.dumps(
                {
                    "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
                    "provider": {"aws": self.provider()},
                }
            )
        )
        self.share_provider(work)
        return work

    def share_provider(self, work: Path) -> None:
        """Take the session's provider selection, so init links the cached install."""
        if self.lock_file is not None:
            shutil.copyfile(self.lock_file, work / ".terraform.lock.hcl")

    def run(self, run: Run, name: str, work: Path, *args: str) -> Step:
        result = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=work, env=self.env, capture_output=True, text=True, timeout=1200, check=False,
        )  # fmt: skip
        step = Step(
            f"terraform {' '.join(args)} (in {work.name})", result.returncode, result.stdout + result.stderr
        )
        run.steps[name] = step
        return step

    def aws(self, service: str, region: str = "us-east-1") -> Any:
        return aws_client(self.endpoint, service, region)


def aws_client(endpoint: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def leftovers(tf: Terraform, prefix: str, region: str, *, others: tuple[str, ...] = ()) -> list[str]:
    """What exists on the server under a stack's names (prefix- and prefix/), leaving out the
    names of ``others`` (stacks whose prefix starts with this one's)."""

    def ours(name: str) -> bool:
        if any(name == o or name.startswith((f"{o}-", f"{o}/")) for o in others):
            return False
        return name == prefix or name.startswith((f"{prefix}-", f"{prefix}/", f"/aws/lambda/{prefix}-"))

    found = []
    iam = tf.aws("iam")
    found += [f"role {r['RoleName']}" for r in iam.list_roles()["Roles"] if ours(r["RoleName"])]
    found += [
        f"policy {p['PolicyName']}"
        for p in iam.list_policies(Scope="Local")["Policies"]
        if ours(p["PolicyName"])
    ]
    lam = tf.aws("lambda", region)
    found += [
        f"function {f['FunctionName']}" for f in lam.list_functions()["Functions"] if ours(f["FunctionName"])
    ]
    found += [f"layer {x['LayerName']}" for x in lam.list_layers()["Layers"] if ours(x["LayerName"])]
    logs = tf.aws("logs", region)
    found += [
        f"log group {g['logGroupName']}"
        for g in logs.describe_log_groups()["logGroups"]
        if ours(g["logGroupName"])
    ]
    secrets = tf.aws("secretsmanager", region).list_secrets(IncludePlannedDeletion=True)["SecretList"]
    found += [
        f"secret {s['Name']}" + (" (scheduled for deletion)" if s.get("DeletedDate") else "")
        for s in secrets
        if ours(s["Name"])
    ]
    found += [f"bucket {b['Name']}" for b in tf.aws("s3").list_buckets()["Buckets"] if ours(b["Name"])]
    sm = tf.aws("sagemaker", region)
    found += [f"model {m['ModelName']}" for m in sm.list_models()["Models"] if ours(m["ModelName"])]
    found += [
        f"endpoint config {c['EndpointConfigName']}"
        for c in sm.list_endpoint_configs()["EndpointConfigs"]
        if ours(c["EndpointConfigName"])
    ]
    found += [
        f"endpoint {e['EndpointName']}" for e in sm.list_endpoints()["Endpoints"] if ours(e["EndpointName"])
    ]
    targets = tf.aws("application-autoscaling", region).describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )
    found += [
        f"scalable target {t['ResourceId']}"
        for t in targets["ScalableTargets"]
        if ours(t["ResourceId"].split("/")[1])
    ]
    found += [
        f"parameter {p['Name']}"
        for p in tf.aws("ssm", region).describe_parameters()["Parameters"]
        if p["Name"].startswith(f"/{prefix}/")
    ]
    return sorted(found)


def deployed(tf: Terraform, function: str, region: str) -> dict[str, Any]:
    """The function's environment and its role's permissions, as the server holds them."""
    config = tf.aws("lambda", region).get_function_configuration(FunctionName=function)
    iam = tf.aws("iam")
    role = config["Role"].rsplit("/", 1)[-1]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(
            iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"][
                "Document"
            ]
        )
    statements = [
        st for doc in documents for st in (json.loads(doc) if isinstance(doc, str) else doc)["Statement"]
    ]
    return {"environment": config["Environment"]["Variables"], "statements": statements}


def recover_keys_secret(tf: Terraform, run: Run, work: Path, name: str, region: str) -> None:
    """The README's recovery steps for a prod stage (Recovering the API-keys secret)."""
    sm = tf.aws("secretsmanager", region)
    sm.restore_secret(SecretId=name)
    arn = sm.describe_secret(SecretId=name)["ARN"]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    current = next(v["VersionId"] for v in versions if "AWSCURRENT" in v.get("VersionStages", []))
    tf.run(run, "import secret", work, "import", "aws_secretsmanager_secret.api_keys", arn)
    tf.run(
        run,
        "import version",
        work,
        "import",
        "aws_secretsmanager_secret_version.api_keys",
        f"{arn}|{current}",
    )


def cycle(
    tf: Terraform,
    synth: Synth,
    work: Path,
    *,
    prefix: str,
    region: str,
    prod: bool,
    others: tuple[str, ...] = (),
) -> Run:
    """init, apply, plan, destroy, (recover,) apply, plan; stops at the first failing step."""
    run = Run()
    tf.prepare_stack(synth, work)
    steps: list[tuple[str, tuple[str, ...]]] = [
        ("init", ("init", "-input=false")),
        ("apply", ("apply", "-auto-approve", "-input=false")),
        ("plan", ("plan", "-detailed-exitcode", "-input=false")),
    ]
    for name, args in steps:
        if tf.run(run, name, work, *args).returncode != 0:
            return run
    secret = f"{prefix}/api-keys"
    has_secret = bool(synth.resources("aws_secretsmanager_secret"))
    if has_secret:
        run.deployed = deployed(tf, f"{prefix}-inference-api", region)
        tf.aws("secretsmanager", region).put_secret_value(SecretId=secret, SecretString=json.dumps(KEYS))
    if tf.run(run, "destroy", work, "destroy", "-auto-approve", "-input=false").returncode != 0:
        return run
    run.leftovers = leftovers(tf, prefix, region, others=others)
    if has_secret and prod:
        recover_keys_secret(tf, run, work, secret, region)
    for name, args in (
        ("apply again", ("apply", "-auto-approve", "-input=false")),
        ("plan again", ("plan", "-detailed-exitcode", "-input=false")),
    ):
        if tf.run(run, name, work, *args).returncode != 0:
            return run
    if has_secret and prod:
        value = tf.aws("secretsmanager", region).get_secret_value(SecretId=secret)["SecretString"]
        run.keys_after_recovery = json.loads(value)
    return run


def module_beside(tf: Terraform, module: Path, work: Path, inputs: dict[str, Any], region: str) -> Run:
    """The exported inference-api module as a root module, applied for ``inputs``."""
    run = Run()
    shutil.copytree(module, work)
    adapt_for_mirror(work, PROVIDER_MIRROR)
    (work / "moto_provider.tf.json").write_text(json.dumps({"provider": {"aws": tf.provider(region)}}))
    (work / "inputs.auto.tfvars.json").write_text(json.dumps(inputs))
    tf.share_provider(work)
    for name, args in (
        ("init", ("init", "-input=false")),
        ("apply", ("apply", "-auto-approve", "-input=false")),
        ("plan", ("plan", "-detailed-exitcode", "-input=false")),
    ):
        if tf.run(run, name, work, *args).returncode != 0:
            return run
    run.deployed = deployed(tf, f"{inputs['name']}-inference-api", region)
    return run


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_aws.running() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def runs(
    moto_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
    default_synth: Synth,
    full_stacks: dict[str, Synth],
    synth_config: Callable[[dict[str, Any]], Synth],
) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("apply")
    tf = Terraform(root, moto_endpoint)
    scale = synth_config(SCALE_CONFIG)
    dist = root / "dist"
    assert export.main(["--outdir", str(dist)]) == 0
    inputs = {
        **export.module_inputs(load_config(DEFAULT_CONFIG), ACCOUNT),
        "name": "llmmod",
    }
    tf.aws("secretsmanager").create_secret(
        Name=HF_SECRET_NAME, SecretString=json.dumps({"HF_TOKEN": "hf_test"})
    )
    # One provider install for the session: the cache is filled once, every other init links it.
    warm = Run()
    (root / "warm").mkdir()
    (root / "warm" / "main.tf.json").write_text(
        json.dumps({"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}}})
    )
    assert tf.run(warm, "init", root / "warm", "init", "-input=false").returncode == 0, warm.steps[
        "init"
    ].output
    # Every other init takes this lock file: with its checksums Terraform links the cached install
    # instead of installing again into the shared cache (parallel installs there collide).
    tf.lock_file = root / "warm" / ".terraform.lock.hcl"

    with ThreadPoolExecutor(max_workers=5) as pool:
        default = pool.submit(
            cycle, tf, default_synth, root / "default", prefix="llm", region="us-east-1", prod=True
        )
        full = pool.submit(
            cycle, tf, full_stacks["full"], root / "full", prefix="full", region="us-east-1", prod=True,
            others=("full-model-access",),
        )  # fmt: skip
        access = pool.submit(
            cycle, tf, full_stacks["full-model-access"], root / "access", prefix="full-model-access",
            region="us-west-2", prod=True,
        )  # fmt: skip
        scaled = pool.submit(cycle, tf, scale, root / "scale", prefix="scale", region="us-east-1", prod=False)
        module = pool.submit(module_beside, tf, dist / "inference-api", root / "module", inputs, "us-east-1")
        return {
            "default": default.result(),
            "full": full.result(),
            "full-model-access": access.result(),
            "scale": scaled.result(),
            "module": module.result(),
        }


STACKS = ["default", "full", "full-model-access", "scale"]


@pytest.mark.parametrize("stack", STACKS)
def test_apply_and_a_second_plan_without_changes(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    run.ok("init")
    run.ok("apply")
    plan = run.ok("plan")  # -detailed-exitcode: 0 is "no changes", 2 would be changes
    assert "No changes." in plan.output


@pytest.mark.parametrize("stack", STACKS)
def test_destroy_leaves_nothing_behind(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    run.ok("destroy")
    expected = {
        # prod: the keys secret stays recoverable for 30 days; everything else is gone
        "default": ["secret llm/api-keys (scheduled for deletion)"],
        "full": ["secret full/api-keys (scheduled for deletion)"],
        "full-model-access": [],
        # dev: deleted at once
        "scale": [],
    }[stack]
    assert run.leftovers == expected


@pytest.mark.parametrize("stack", STACKS)
def test_apply_again_after_destroy(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    run.ok("apply again")
    assert "No changes." in run.ok("plan again").output


@pytest.mark.parametrize("stack", ["default", "full"])
def test_prod_recovery_steps_keep_the_restored_keys(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    run.ok("import secret")
    run.ok("import version")
    assert run.keys_after_recovery == KEYS


def test_500_models_deploy_with_their_permissions(runs: dict[str, Run]) -> None:
    run = runs["scale"]
    run.ok("apply")
    resources = {r for st in run.deployed["statements"] for r in _list(st["Resource"])}
    profile_models = [
        m["model_id"] for m in SCALE_CONFIG["bedrock"]["models"] if m["model_id"].startswith("global.")
    ]
    assert all(
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{m}" in resources for m in profile_models
    )
    assert len(resources) > 500


def test_exported_module_deploys_the_stacks_permissions_and_environment(runs: dict[str, Run]) -> None:
    module, stack = runs["module"], runs["default"]
    module.ok("apply")
    assert "No changes." in module.ok("plan").output
    stack.ok("apply")

    def normal(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True).replace("llmmod", "llm")
        return json.loads(re.sub(r"(secret:llm/api-keys-)[A-Za-z0-9]{6}", r"\1XXXXXX", text))

    assert normal(module.deployed["environment"]) == normal(stack.deployed["environment"])
    by_sid = {st["Sid"]: st for st in normal(stack.deployed["statements"])}
    assert {st["Sid"]: st for st in normal(module.deployed["statements"])} == by_sid


def test_the_server_enforces_iam_limits(moto_endpoint: str) -> None:
    """The apply tests would catch a policy over IAM's limits: the server refuses it as IAM does."""
    iam = aws_client(moto_endpoint, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="limits-probe", AssumeRolePolicyDocument=json.dumps(trust))
    resources = [f"arn:aws:bedrock:us-east-1::foundation-model/amazon.model-{i:04d}-v1:0" for i in range(200)]
    big = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": resources}],
    }
    with pytest.raises(ClientError, match="LimitExceeded"):
        iam.put_role_policy(RoleName="limits-probe", PolicyName="big", PolicyDocument=json.dumps(big))
    with pytest.raises(ClientError, match="LimitExceeded"):
        iam.create_policy(PolicyName="limits-probe-big", PolicyDocument=json.dumps(big))
    iam.delete_role(RoleName="limits-probe")


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
