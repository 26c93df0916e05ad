"""Every resource that reads what another writes waits for it: the edges of the synthesized JSON
(its ``depends_on`` lists and the references in its arguments) include these."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import Synth

_REFERENCE = re.compile(r"\b((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)")


def edges(synth: Synth) -> set[tuple[str, str]]:
    """(resource, what it waits for) for every resource of the stack."""
    out: set[tuple[str, str]] = set()
    for rtype, resources in synth.doc.get("resource", {}).items():
        for name, body in resources.items():
            me = f"{rtype}.{name}"
            refs = {
                r
                for expr in re.findall(r"\$\{[^}]*\}", json.dumps(_arguments(body)))
                for r in _REFERENCE.findall(expr)
            }
            out |= {(me, r) for r in refs | set(body.get("depends_on", [])) if r != me}
    return out


def _arguments(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("//", "depends_on", "lifecycle")}


@pytest.fixture(scope="module")
def full(full_stacks: dict[str, Synth]) -> Synth:
    return full_stacks["full"]


def test_custom_code_model_waits_for_its_archive(full: Synth) -> None:
    graph = edges(full)
    assert ("aws_sagemaker_model.pipeline_code", "aws_s3_object.pipeline_code") in graph


@pytest.mark.parametrize(
    "setting",
    [
        "aws_s3_bucket_versioning.model_artifacts",
        "aws_s3_bucket_server_side_encryption_configuration.model_artifacts",
        "aws_s3_bucket_public_access_block.model_artifacts",
        "aws_s3_bucket_ownership_controls.model_artifacts",
    ],
)
def test_archive_is_uploaded_after_the_bucket_settings(full: Synth, setting: str) -> None:
    assert ("aws_s3_object.pipeline_code", setting) in edges(full)


def test_lifecycle_rules_follow_versioning(full: Synth) -> None:
    assert (
        "aws_s3_bucket_lifecycle_configuration.model_artifacts",
        "aws_s3_bucket_versioning.model_artifacts",
    ) in edges(full)


def test_every_model_waits_for_its_role_permissions(full: Synth) -> None:
    graph = edges(full)
    for name in full.resources("aws_sagemaker_model"):
        assert (f"aws_sagemaker_model.{name}", "aws_iam_role_policy.sagemaker") in graph
        assert (f"aws_sagemaker_model.{name}", "aws_iam_role.sagemaker") in graph


def test_endpoint_chain_and_autoscaling_follow_the_endpoint(full: Synth) -> None:
    graph = edges(full)
    for name in full.resources("aws_sagemaker_endpoint"):
        assert (f"aws_sagemaker_endpoint.{name}", f"aws_sagemaker_endpoint_configuration.{name}") in graph
        assert (f"aws_sagemaker_endpoint_configuration.{name}", f"aws_sagemaker_model.{name}") in graph
    for name in full.resources("aws_appautoscaling_target"):
        assert (f"aws_appautoscaling_target.{name}", f"aws_sagemaker_endpoint.{name}") in graph
        assert (f"aws_appautoscaling_policy.{name}", f"aws_appautoscaling_target.{name}") in graph


@pytest.mark.parametrize("which", ["default", "full", "variant"])
def test_function_waits_for_its_log_group_and_every_permission(
    which: str, default_synth: Synth, variant_synth: Synth, full_stacks: dict[str, Synth]
) -> None:
    synth = {"default": default_synth, "variant": variant_synth, "full": full_stacks["full"]}[which]
    graph = edges(synth)
    waits = {to for frm, to in graph if frm == "aws_lambda_function.this"}
    assert {"aws_cloudwatch_log_group.lambda", "aws_iam_role_policy.lambda", "aws_iam_role.lambda"} <= waits
    assert {
        f"aws_iam_role_policy_attachment.{n}" for n in synth.resources("aws_iam_role_policy_attachment")
    } <= waits
    assert ("aws_secretsmanager_secret_version.api_keys", "aws_secretsmanager_secret.api_keys") in graph
    for name in synth.resources("aws_lambda_permission"):
        assert ("aws_lambda_function_url.this", f"aws_lambda_permission.{name}") in graph
    if synth.resources("aws_lambda_layer_version"):
        assert ("aws_lambda_function.this", "aws_lambda_layer_version.providers") in graph
