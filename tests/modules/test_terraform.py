"""The synthesized JSON is valid Terraform and passes checkov.

Both need tools outside the Python venv (terraform + the local AWS provider mirror; checkov's
own venv). Where one is missing the test is skipped with the reason printed.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO_ROOT, Synth, terraform_validate

CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"


STACKS = ["default", "variant", "full", "full-model-access"]


@pytest.fixture
def stack(
    request: pytest.FixtureRequest, default_synth: Synth, variant_synth: Synth, full_stacks: dict[str, Synth]
) -> Synth:
    return {"default": default_synth, "variant": variant_synth, **full_stacks}[request.param]


@pytest.mark.parametrize("stack", STACKS, indirect=True)
def test_terraform_validate(stack: Synth, tmp_path: Path) -> None:
    synth = stack
    result = terraform_validate(synth.stack_dir, tmp_path)
    assert result["valid"] is True, json.dumps(result["diagnostics"], indent=1)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=1)


def _checkov_bin() -> str:
    candidate = os.environ.get("CHECKOV_BIN") or str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov")
    if not Path(candidate).exists():
        pytest.skip(f"checkov not found at {candidate} (scripts/test installs it): checkov not run")
    return candidate


def checkov_report(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """checkov's summary for a folder of Terraform JSON, and its failed checks."""
    result = subprocess.run(
        # versions.tf.json of a module holds only the terraform block, which checkov's JSON parser
        # counts as a parsing error; it has no resource to check.
        [_checkov_bin(), "-d", str(folder), "--config-file", str(CHECKOV_CONFIG),
         "--skip-path", "versions.tf.json", "-o", "json"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    return report["summary"], failed


@pytest.mark.parametrize("stack", ["default", "full", "full-model-access"], indirect=True)
def test_checkov_reports_no_failed_check(stack: Synth) -> None:
    summary, failed = checkov_report(stack.stack_dir)
    assert summary["failed"] == 0, failed
    assert summary["passed"] >= 20
    assert summary["parsing_errors"] == 0


def test_checkov_reports_no_failed_check_on_a_wizard_sagemaker_config(
    tmp_path: Path, synth_file: Callable[[Path], dict[str, Synth]]
) -> None:
    """What scripts/configure writes for Hugging Face and JumpStart endpoints passes as it is."""
    from operator_tools import configure

    path = tmp_path / "wizard.json"
    code = configure.main(
        ["--non-interactive", "--prefix", "wiz", "--region", "us-east-1",
         "--bedrock-model", "amazon.nova-micro-v1:0",
         "--sagemaker-hf", "mistralai/Mistral-7B-Instruct-v0.3:ml.g5.2xlarge",
         "--sagemaker-jumpstart", "meta-textgeneration-llama-3-1-8b-instruct:ml.g5.2xlarge", "--accept-eula",
         "--hf-token-secret-arn", "arn:aws:secretsmanager:us-east-1:111122223333:secret:hf-token-AbCdEf",
         "--output", str(path), "--yes"],
        stdin=io.StringIO(""), out=io.StringIO(),
    )  # fmt: skip
    assert code == 0
    stack = synth_file(path)["wiz"]
    assert len(stack.resources("aws_sagemaker_endpoint")) == 2
    summary, failed = checkov_report(stack.stack_dir)
    assert summary["failed"] == 0, failed
    assert summary["parsing_errors"] == 0


def test_every_skipped_check_is_justified() -> None:
    lines = CHECKOV_CONFIG.read_text().splitlines()
    start = lines.index("skip-check:")
    skips = [(i, m.group(1)) for i, line in enumerate(lines) if (m := re.match(r"\s+- (CKV\S+)", line))]
    assert skips
    for i, check in skips:
        assert i > start
        comment = lines[i - 1].strip()
        # the comment right above names the check and gives a reason of some substance
        block = []
        j = i - 1
        while lines[j].strip().startswith("#"):
            block.insert(0, lines[j].strip("# "))
            j -= 1
        text = " ".join(block)
        assert comment.startswith("#") and text.startswith(check), f"{check} has no justification"
        assert len(text.split()) >= 12, f"{check}: justification too thin: {text!r}"
