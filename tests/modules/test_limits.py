"""AWS limits checked at synth: 500 models fit, what cannot fit fails naming the field and the
limit, and nothing is written then."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import main
from modules import aws_limits, iam_policy
from modules.config import DeploymentConfig
from modules.function_access import function_access
from tests.support import SCALE_CONFIG, Synth, config_error, scale_config, write_config

ACCOUNT = "${data.aws_caller_identity.current.account_id}"


def _config(data: dict[str, Any]) -> DeploymentConfig:
    return DeploymentConfig.model_validate_json(json.dumps(data))


def _rendered(synth: Synth, document: dict[str, Any]) -> int:
    """The characters IAM counts for a policy (account ids are 12 digits, other references at
    their longest)."""
    text = json.dumps(document, separators=(",", ":"))
    return aws_limits.rendered_length(
        text,
        {
            ACCOUNT: 12,
            "${aws_cloudwatch_log_group.lambda.arn}": len("arn:aws:logs:us-east-1:123456789012:log-group:")
            + len(f"/aws/lambda/{SCALE_CONFIG['prefix']}-inference-api"),
            "${aws_secretsmanager_secret.api_keys.arn}": len(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
            )
            + len(f"{SCALE_CONFIG['prefix']}/api-keys-AbCdEf"),
        },
    )


@pytest.fixture(scope="module")
def scale_synth(synth_config: Callable[[dict[str, Any]], Synth]) -> Synth:
    return synth_config(SCALE_CONFIG)


def test_500_models_synthesize_within_iam_limits(scale_synth: Synth) -> None:
    models = SCALE_CONFIG["bedrock"]["models"]
    assert len(models) == 500
    assert {m["model_id"].split(".")[0] for m in models} >= {"us", "global"}
    policies = scale_synth.function_policies()
    assert len(policies) - 1 <= aws_limits.MANAGED_POLICIES_PER_ROLE
    sizes = [_rendered(scale_synth, p) for p in policies]
    assert sizes[0] <= aws_limits.ROLE_INLINE_POLICIES_MAX
    assert all(size <= aws_limits.MANAGED_POLICY_MAX for size in sizes[1:]), sizes
    # every policy is attached to the function's role, and the function waits for them
    attachments = scale_synth.resources("aws_iam_role_policy_attachment")
    assert len(attachments) == len(policies) - 1
    assert all(a["role"] == "${aws_iam_role.lambda.name}" for a in attachments.values())
    depends = scale_synth.resources("aws_lambda_function")["this"]["depends_on"]
    assert {f"aws_iam_role_policy_attachment.{n}" for n in attachments} <= set(depends)
    # the inventory holds all 500 models, in the package (no SSM parameter and its 8 KB)
    inventory = json.loads(scale_synth.inventory_json())
    assert len(inventory["models"]) == 500
    assert len(scale_synth.inventory_json()) > 8192


def test_500_models_are_all_granted_and_nothing_else(scale_synth: Synth) -> None:
    statements = [st for p in scale_synth.function_policies() for st in p["Statement"]]
    direct = {
        r
        for st in statements
        if st["Sid"].startswith("InvokeBedrockModels") and "Condition" not in st
        for r in st["Resource"]
    }
    through = {
        r
        for st in statements
        if st["Sid"].startswith("InvokeBedrockModelsThroughProfiles")
        for r in st["Resource"]
    }
    expected_direct, expected_through = set(), set()
    for model in SCALE_CONFIG["bedrock"]["models"]:
        geo, _, base = model["model_id"].partition(".")
        if geo in ("us", "global"):
            expected_direct.add(f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{model['model_id']}")
            expected_through.add(f"arn:aws:bedrock:*::foundation-model/{base}")
            if geo == "global":
                expected_through.add(f"arn:aws:bedrock:::foundation-model/{base}")
        else:
            expected_direct.add(f"arn:aws:bedrock:us-east-1::foundation-model/{model['model_id']}")
    assert direct == expected_direct
    assert through == expected_through
    # split statements keep the shape and the condition of the one they come from
    for st in statements:
        if st["Sid"].startswith("InvokeBedrockModelsThroughProfiles"):
            assert st["Condition"] == {
                "ArnLike": {
                    "bedrock:InferenceProfileArn": [
                        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/*"
                    ]
                }
            }
    assert len({st["Sid"] for st in statements}) == len(statements)


def test_more_models_than_iam_holds_fail_naming_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, scale_config(1500, prefix="toomany"))
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "marker").write_text("previous synth")
    assert main.main(["--config", str(cfg), "--outdir", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert f"{cfg}: bedrock.models" in err
    assert "10 managed policies" in err and "quotas.managed_policies_per_role" in err
    assert "Traceback" not in err
    assert [p.name for p in outdir.iterdir()] == ["marker"]


def test_a_raised_quota_holds_more() -> None:
    data = scale_config(700, prefix="raised")
    with pytest.raises(aws_limits.LimitError, match="managed policies"):
        function_access(_config(data))
    data["quotas"] = {"managed_policies_per_role": 20}
    access = function_access(_config(data))
    assert 10 < len(access.policies.managed) <= 20


def test_split_fills_each_policy_to_its_limit_and_keeps_every_resource() -> None:
    from modules.grants import Grant

    resources = tuple(
        f"arn:aws:bedrock:us-east-1::foundation-model/amazon.model-{i:04d}-v1:0" for i in range(900)
    )
    grants = [
        Grant("Base", ("xray:PutTraceSegments",), ("*",)),
        Grant("Many", ("bedrock:InvokeModel",), resources),
    ]
    result = iam_policy.split(grants, expressions={}, managed_policies_max=10, field="f", role="r")
    documents = result.documents()
    sizes = [len(iam_policy.render(d)) for d in documents]
    assert sizes[0] <= aws_limits.ROLE_INLINE_POLICIES_MAX and all(
        s <= aws_limits.MANAGED_POLICY_MAX for s in sizes[1:]
    )
    # full except the last: one more resource would not fit
    assert all(s > aws_limits.MANAGED_POLICY_MAX - 80 for s in sizes[1:-1])
    assert [
        r for d in documents for g in d for r in g.concrete_resources() if g.sid.startswith("Many")
    ] == list(resources)
    assert [g.sid for d in documents for g in d][:3] == ["Base", "Many", "Many2"]


def test_expressions_of_unknown_length_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no known length for the Terraform expression \$\{var.x\}"):
        aws_limits.rendered_length("arn:${var.x}", {})


def test_environment_over_4_kb_fails_naming_the_fields(tmp_path: Path) -> None:
    admins = [f"arn:aws:iam::111122223333:role/platform/administrators/admin-{i:03d}" for i in range(80)]
    data = {"prefix": "envy", "region": "us-east-1", "stage": "dev", "admin_principals": admins}
    with pytest.raises(aws_limits.LimitError) as info:
        function_access(_config(data))
    message = str(info.value)
    assert message.startswith("admin_principals, overrides.allowed_role_arns: ")
    assert "Lambda allows 4,096 in total" in message and "ADMIN_PRINCIPALS" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tags": {f"k{i}": "v" for i in range(40)}, "sagemaker": {"endpoints": [{
            "kind": "custom", "name": "tagged", "codec": "tgi-messages", "instance_type": "ml.g5.xlarge",
            "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1", "model_data": "s3://weights/m/",
            "tags": {f"e{i}": "v" for i in range(10)}}]}},
         "sagemaker.endpoints[0].tags: the endpoint's resources would carry 52 tags (the provider's default tags "
         "included); AWS allows 50 per resource"),
        ({"tags": {"aws:owner": "x"}}, "tags: 'aws:owner': tag keys starting with 'aws:' are reserved for AWS"),
        ({"prefix": "a-rather-long-prefix-for-a-bucket", "sagemaker": {"endpoints": [{
            "kind": "custom_code", "name": "c", "code_dir": "code", "image_uri":
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1", "instance_type": "ml.g5.xlarge",
            "codec": "tgi-generate", "prompt_format": "chatml"}]}},
         "prefix: the bucket name prefix of the custom_code model archives 'a-rather-long-prefix-for-a-bucket-models-' "
         "is 41 characters; AWS allows 37"),
        ({"api_keys": {"recovery_window_days": 3}},
         "api_keys.recovery_window_days: Secrets Manager takes 0 (delete at once) or 7 to 30 days, not 3"),
        ({"quotas": {"managed_policies_per_role": 25}},
         "quotas.managed_policies_per_role: Input should be less than or equal to 20"),
        ({"sagemaker": {"endpoints": [{
            "kind": "huggingface", "name": "enc", "hf_model_id": "org/model", "instance_type": "ml.g5.2xlarge",
            "kms_key_arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}},
         "kms_key_arn: ml.g5.2xlarge has local NVMe instance storage"),
    ],
    ids=["tags", "reserved tag", "bucket prefix", "recovery window", "quota", "kms on nvme"],
)  # fmt: skip
def test_config_limits_are_refused_precisely(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    data = {"prefix": "lim", "region": "us-east-1", **change}
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text("def model_fn(d): ...\n")
    assert expected in config_error(tmp_path, data)


def test_recovery_window_follows_the_stage() -> None:
    base = {"prefix": "rw", "region": "us-east-1"}
    assert _config({**base, "stage": "dev"}).api_keys_recovery_window_days == 0
    assert _config({**base, "stage": "prod"}).api_keys_recovery_window_days == 30
    assert _config({**base, "api_keys": {"recovery_window_days": 7}}).api_keys_recovery_window_days == 7


def test_trust_policy_over_its_quota_is_refused() -> None:
    from modules.model_access_role import ModelAccessRoleProps, trust_document

    arns = tuple(f"arn:aws:iam::111122223333:role/teams/inference/{'x' * 60}-{i:02d}" for i in range(20))
    props = ModelAccessRoleProps(
        role_name="r",
        trusted_role_arns=arns,
        external_id="e" * 40,
        max_session_duration_seconds=3600,
        grants=(),
    )
    text = trust_document(props)
    assert len(text) > aws_limits.TRUST_POLICY_MAX
    with pytest.raises(aws_limits.LimitError, match=r"quotas\.role_trust_policy_chars"):
        iam_policy.check_trust(
            text, expressions={}, limit=aws_limits.TRUST_POLICY_MAX, field="f", role="model-access"
        )
    assert iam_policy.check_trust(
        text, expressions={}, limit=aws_limits.TRUST_POLICY_MAX_ADJUSTED, field="f", role="r"
    )
