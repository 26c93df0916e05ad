"""scripts/preflight against moto (Secrets Manager) and loopback fakes (Service Quotas, Bedrock, STS)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modules.config import load_config
from operator_tools import checks, preflight
from operator_tools.checks import Aws
from tests.fakes.control_plane import availability, function_url_statement, sagemaker_quota
from tests.operator_tools.conftest import Fakes
from tests.support import REPO_ROOT

ROLE_OK = "arn:aws:iam::444455556666:role/pf-model-access"
ROLE_OTHER = "arn:aws:iam::777788889999:role/team-endpoints"
HAIKU = "anthropic.claude-opus-4-7"
HAIKU_35 = "anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "amazon.nova-lite-v1:0"
HF_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"


def config_dict(hf_arn: str) -> dict[str, Any]:
    return {
        "prefix": "pf",
        "region": "us-east-1",
        "bedrock": {
            "models": [
                {"id": "haiku", "model_id": HAIKU},
                {"id": "haiku-35", "model_id": f"us.{HAIKU_35}"},
                {"id": "nova-lite", "model_id": NOVA},
                {"id": "partner", "model_id": HAIKU, "role_arn": ROLE_OK, "external_id": "pf-external"},
            ]
        },
        "sagemaker": {
            "huggingface_token": {"secret_arn": hf_arn},
            "endpoints": [
                {
                    "kind": "huggingface",
                    "name": "mistral-7b",
                    "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
                    "instance_type": "ml.g5.2xlarge",
                    "autoscaling": {"min_instances": 1, "max_instances": 3},
                },
                {
                    "kind": "jumpstart",
                    "name": "llama-3-1-8b",
                    "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                    "accept_eula": True,
                    "instance_type": "ml.g5.2xlarge",
                },
                {
                    "kind": "huggingface",
                    "name": "zephyr",
                    "hf_model_id": "HuggingFaceH4/zephyr-7b-beta",
                    "instance_type": "ml.g6.2xlarge",
                },
                {
                    "kind": "existing_endpoint",
                    "name": "team-llama",
                    "endpoint_name": "llama-70b",
                    "role_arn": ROLE_OTHER,
                    "codec": "tgi-messages",
                },
            ],
        },
    }


def healthy(fakes: Fakes, tmp_path: Path) -> Path:
    """An account where every check passes; returns the config file."""
    fakes.quotas.applied["us-east-1"] = [
        sagemaker_quota("ml.g4dn.xlarge", 4),
        sagemaker_quota("ml.g5.xlarge", 2),
        sagemaker_quota("ml.p3.2xlarge", 1),
        sagemaker_quota("ml.g5.2xlarge", 8, code="L-G52XL000"),
    ]
    # Never raised: only the default is listed.
    fakes.quotas.defaults["us-east-1"] = [sagemaker_quota("ml.g6.2xlarge", 2)]
    fakes.bedrock.models["us-east-1"] = {
        HAIKU: availability(),
        # Served in us-east-1 only through the profile: region NOT_AVAILABLE must not fail it.
        HAIKU_35: availability(region=False),
        NOVA: availability(),
    }
    fakes.bedrock.profiles["us-east-1"] = {f"us.{HAIKU_35}"}
    fakes.sts.trust = {ROLE_OK: "pf-external", ROLE_OTHER: None}
    fakes.lambda_.policies["pf-inference-api"] = []  # deployed, AWS_IAM, no callers: no grants
    fakes.secrets.create_secret(Name="pf/api-keys", SecretString='{"OPENAI_API_KEY": "sk-not-shown"}')
    hf_arn = fakes.secrets.create_secret(Name="hf-token", SecretString=HF_TOKEN)["ARN"]
    path = tmp_path / "pf.json"
    path.write_text(json.dumps(config_dict(hf_arn)))
    return path


def run(path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = preflight.main(["--config", str(path), "--json", *extra], out=out)
    return code, json.loads(out.getvalue())


def by_target(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["check"], r["target"]): r for r in rows}


def test_every_check_passes_and_exits_0(fakes: Fakes, tmp_path: Path) -> None:
    code, rows = run(healthy(fakes, tmp_path))
    assert [(r["check"], r["status"]) for r in rows if r["status"] != "PASS"] == []
    assert code == 0
    got = by_target(rows)
    assert set(got) == {
        ("credentials", "arn:aws:iam::123456789012:user/operator"),
        ("sagemaker quota", "ml.g5.2xlarge"),
        ("sagemaker quota", "ml.g6.2xlarge"),
        ("bedrock model", "haiku"),
        ("bedrock model", "haiku-35"),
        ("bedrock model", "nova-lite"),
        ("bedrock model", "partner"),
        ("api-keys secret", "pf/api-keys"),
        (
            "hf-token secret",
            got[("hf-token secret", next(t for c, t in got if c == "hf-token secret"))]["target"],
        ),
        ("assume role", ROLE_OK),
        ("assume role", ROLE_OTHER),
        ("function url", "pf-inference-api"),
    }
    assert (
        "quota 8, config needs 4 (mistral-7b 3, llama-3-1-8b 1)"
        in got[("sagemaker quota", "ml.g5.2xlarge")]["detail"]
    )
    assert "OPENAI_API_KEY" in got[("api-keys secret", "pf/api-keys")]["detail"]


def test_acceptance_one_run_reports_each_failure_with_its_hint(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.quotas.applied["us-east-1"][-1] = sagemaker_quota("ml.g5.2xlarge", 2, code="L-G52XL000")
    fakes.bedrock.models["us-east-1"][NOVA] = availability(entitled=False)
    fakes.secrets.put_secret_value(SecretId="pf/api-keys", SecretString="''")
    fakes.sts.trust.pop(ROLE_OTHER)

    code, rows = run(path)

    assert code == 1
    got = by_target(rows)
    failed = {key for key, row in got.items() if row["status"] == "FAIL"}
    assert failed == {
        ("sagemaker quota", "ml.g5.2xlarge"),
        ("bedrock model", "nova-lite"),
        ("api-keys secret", "pf/api-keys"),
        ("assume role", ROLE_OTHER),
    }
    quota = got[("sagemaker quota", "ml.g5.2xlarge")]
    assert "quota 2, config needs 4" in quota["detail"]
    assert "raise the quota to at least 4" in quota["hint"]
    assert "--service-code sagemaker --quota-code L-G52XL000 --desired-value 4" in quota["hint"]
    model = got[("bedrock model", "nova-lite")]
    assert model["detail"] == "the account is not entitled to use it yet" and model["region"] == "us-east-1"
    assert "scripts/preflight --subscribe" in model["hint"]
    secret = got[("api-keys secret", "pf/api-keys")]
    assert "''" in secret["detail"]
    assert (
        "put-secret-value --region us-east-1 --secret-id pf/api-keys --secret-string '{}'" in secret["hint"]
    )
    role = got[("assume role", ROLE_OTHER)]
    assert f"not authorized to perform: sts:AssumeRole on resource: {ROLE_OTHER}" in role["detail"]
    assert "trust policy must let arn:aws:iam::123456789012:user/operator" in role["hint"]
    assert "pf-inference-api" in role["hint"]


def test_table_shows_status_and_a_fix_line_under_each_failure(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.models["us-east-1"][NOVA] = availability(entitled=False)
    out = io.StringIO()
    assert preflight.main(["--config", str(path)], out=out) == 1
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("CHECK"))
    assert lines[header].split() == ["CHECK", "TARGET", "REGION", "STATUS", "DETAIL"]
    row = next(i for i, line in enumerate(lines) if "nova-lite" in line)
    assert "FAIL" in lines[row].split()
    assert lines[row + 1].strip().startswith("fix: the first call to a third-party model subscribes")
    assert lines[-1] == "12 checks: 11 passed, 1 failed"


def test_models_behind_a_role_are_checked_with_the_assumed_credentials(fakes: Fakes, tmp_path: Path) -> None:
    code, _ = run(healthy(fakes, tmp_path))
    assert code == 0
    keys = {c.access_key_id for c in fakes.bedrock.calls_of("GetFoundationModelAvailability")}
    [assumed] = [k for k in keys if k.startswith("ASIAFAKE")]
    assert fakes.sts.issued[assumed] == ROLE_OK
    [assume] = [c for c in fakes.sts.calls_of("AssumeRole") if c.params["RoleArn"] == ROLE_OK]
    assert assume.params["ExternalId"] == "pf-external"


def test_an_unassumable_role_skips_its_models(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.sts.trust[ROLE_OK] = "another-external-id"
    code, rows = run(path)
    got = by_target(rows)
    assert code == 1
    assert got[("assume role", ROLE_OK)]["status"] == "FAIL"
    assert "with sts:ExternalId 'pf-external'" in got[("assume role", ROLE_OK)]["hint"]
    assert got[("bedrock model", "partner")]["status"] == "SKIP"
    assert "cannot be assumed" in got[("bedrock model", "partner")]["detail"]


def test_skip_leaves_out_a_kind_of_check(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.sts.trust.clear()
    code, rows = run(path, "--skip", "role", "--skip", "quota")
    assert code == 0
    assert {r["status"] for r in rows if r["check"] in ("assume role", "sagemaker quota")} == {"SKIP"}
    assert by_target(rows)[("bedrock model", "partner")]["detail"].startswith(
        "not checked: the role check was skipped"
    )
    assert fakes.sts.calls_of("AssumeRole") == [] and fakes.quotas.calls == []


def test_quota_pages_are_followed_and_defaults_fill_in(fakes: Fakes, tmp_path: Path) -> None:
    run(healthy(fakes, tmp_path))
    applied = fakes.quotas.calls_of("ListServiceQuotas")
    assert [c.params.get("NextToken") for c in applied] == [None, "2"]
    assert {c.region for c in applied} == {"us-east-1"}
    assert len(fakes.quotas.calls_of("ListAWSDefaultServiceQuotas")) == 1


def test_quota_enough_to_create_but_not_to_update_warns(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.quotas.applied["us-east-1"][-1] = sagemaker_quota("ml.g5.2xlarge", 5)
    code, rows = run(path)
    row = by_target(rows)[("sagemaker quota", "ml.g5.2xlarge")]
    assert code == 0
    assert row["status"] == "WARN"
    assert "up to 6" in row["detail"] and "--desired-value 6" in row["hint"]


def test_a_quota_that_service_quotas_does_not_list_warns(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.quotas.defaults["us-east-1"] = []
    code, rows = run(path)
    row = by_target(rows)[("sagemaker quota", "ml.g6.2xlarge")]
    assert (code, row["status"]) == (0, "WARN")
    assert "no quota named 'ml.g6.2xlarge for endpoint usage'" in row["detail"]


def test_access_denied_to_a_check_is_a_failed_check_with_a_hint(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.quotas.deny.add("ListServiceQuotas")
    fakes.bedrock.deny.add("GetFoundationModelAvailability")
    code, rows = run(path)
    got = by_target(rows)
    assert code == 1
    quota = got[("sagemaker quota", "ml.g5.2xlarge")]
    assert quota["status"] == "FAIL" and quota["detail"].startswith("cannot check: access denied")
    assert "allow servicequotas:ListServiceQuotas" in quota["hint"]
    model = got[("bedrock model", "haiku")]
    assert model["status"] == "FAIL" and "allow bedrock:GetFoundationModelAvailability" in model["hint"]


@pytest.mark.parametrize(
    ("state", "status", "detail", "hint"),
    [
        (availability(region=False), "FAIL", "not offered in us-east-1", "cross-region inference profile"),
        (
            availability(agreement="NOT_AVAILABLE"),
            "FAIL",
            "not subscribed: the model's Marketplace offer is not accepted",
            "scripts/preflight --subscribe",
        ),
        (availability(authorized=False), "FAIL", "not authorized", "SCP or IAM policy"),
        (availability(agreement="PENDING"), "WARN", "subscription is still being processed", "re-run"),
    ],
)
def test_bedrock_availability_states(
    fakes: Fakes, tmp_path: Path, state: dict[str, Any], status: str, detail: str, hint: str
) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.models["us-east-1"][HAIKU] = state
    _, rows = run(path)
    row = by_target(rows)[("bedrock model", "haiku")]
    assert row["status"] == status
    assert detail in row["detail"] and hint in row["hint"]


def test_subscription_hint_names_todays_prerequisites_never_the_retired_page(
    fakes: Fakes, tmp_path: Path
) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.models["us-east-1"][HAIKU] = availability(agreement="NOT_AVAILABLE", entitled=False)
    code, rows = run(path)
    assert code == 1
    row = by_target(rows)[("bedrock model", "haiku")]
    assert row["status"] == "FAIL"
    for needed in ("aws-marketplace:Subscribe", "payment method", "first-use form", "--subscribe"):
        assert needed in row["hint"]
    assert "Model access" not in row["hint"] and "console" not in row["hint"]
    assert fakes.bedrock.calls_of("CreateFoundationModelAgreement") == []


@pytest.mark.parametrize(("after", "status"), [("PENDING", "WARN"), ("AVAILABLE", "PASS")])
def test_subscribe_accepts_the_offer_with_the_operators_credentials(
    fakes: Fakes, tmp_path: Path, after: str, status: str
) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.models["us-east-1"][HAIKU] = availability(agreement="NOT_AVAILABLE", entitled=False)
    fakes.bedrock.agreement_after_accept = after
    code, rows = run(path, "--subscribe")
    row = by_target(rows)[("bedrock model", "haiku")]
    assert row["status"] == status
    assert row["detail"].startswith("subscription requested (offer accepted)")
    [accept] = fakes.bedrock.calls_of("CreateFoundationModelAgreement")
    assert accept.params == {"modelId": HAIKU, "offerToken": f"token-for-{HAIKU}"}
    assert not accept.access_key_id.startswith("ASIAFAKE")  # the operator, not an assumed role
    [offers] = fakes.bedrock.calls_of("ListFoundationModelAgreementOffers")
    assert offers.params["id"] == HAIKU
    # models already subscribed, and models behind another account's role, are left alone
    assert code == (0 if status != "FAIL" else 1)


def test_subscribe_without_marketplace_permission_fails_with_the_hint(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.models["us-east-1"][HAIKU] = availability(agreement="NOT_AVAILABLE")
    fakes.bedrock.deny.add("CreateFoundationModelAgreement")
    code, rows = run(path, "--subscribe")
    row = by_target(rows)[("bedrock model", "haiku")]
    assert code == 1 and row["status"] == "FAIL"
    assert row["detail"].startswith("cannot subscribe: cannot check: access denied")
    assert "aws-marketplace:Subscribe" in row["hint"]


def test_legacy_model_warns_with_its_end_of_life_and_a_retired_one_fails(
    fakes: Fakes, tmp_path: Path
) -> None:
    path = healthy(fakes, tmp_path)
    fakes.bedrock.lifecycle[HAIKU] = {"status": "LEGACY", "endOfLifeTime": "2027-04-08T00:00:00Z"}
    code, rows = run(path)
    row = by_target(rows)[("bedrock model", "haiku")]
    assert code == 0
    assert row["status"] == "WARN"
    assert "LEGACY (end of life 2027-04-08)" in row["detail"]
    assert "active model" in row["hint"]

    del fakes.bedrock.models["us-east-1"][NOVA]  # GetFoundationModel: not found
    code, rows = run(path)
    assert code == 1
    nova = by_target(rows)[("bedrock model", "nova-lite")]
    assert nova["status"] == "FAIL" and "retired or mistyped" in nova["detail"]
    assert "modelLifecycle.status=='ACTIVE'" in nova["hint"]


def test_unknown_model_and_missing_profile(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    del fakes.bedrock.models["us-east-1"][NOVA]
    fakes.bedrock.profiles["us-east-1"].clear()
    _, rows = run(path)
    got = by_target(rows)
    assert (
        got[("bedrock model", "nova-lite")]["detail"]
        == f"Bedrock does not know the model '{NOVA}' in us-east-1: retired or mistyped"
    )
    assert "list-foundation-models --region us-east-1" in got[("bedrock model", "nova-lite")]["hint"]
    assert "is not offered in us-east-1" in got[("bedrock model", "haiku-35")]["detail"]


def test_owned_model_arns_are_looked_up_by_kind(fakes: Fakes, tmp_path: Path) -> None:
    provisioned = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
    imported = "arn:aws:bedrock:us-east-1:123456789012:imported-model/def456"
    path = tmp_path / "owned.json"
    path.write_text(
        json.dumps(
            {
                "prefix": "pf",
                "region": "us-east-1",
                "bedrock": {
                    "models": [
                        {"id": "tuned", "model_id": provisioned, "base_model_provider": "amazon"},
                        {"id": "imported", "model_id": imported, "base_model_provider": "meta"},
                    ]
                },
            }
        )
    )
    fakes.bedrock.owned["us-east-1"] = {provisioned: {"status": "Creating"}, imported: {"modelArn": imported}}
    code, rows = run(path, "--skip", "api-keys")
    got = by_target(rows)
    assert code == 1
    assert got[("bedrock model", "tuned")]["detail"] == "provisioned-model is Creating, not InService"
    assert got[("bedrock model", "imported")]["status"] == "PASS"
    assert [c.params["id"] for c in fakes.bedrock.calls_of("GetProvisionedModelThroughput")] == [provisioned]


def test_secret_scheduled_for_deletion_gets_the_restore_hint(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.secrets.delete_secret(SecretId="pf/api-keys", RecoveryWindowInDays=7)
    _, rows = run(path)
    row = by_target(rows)[("api-keys secret", "pf/api-keys")]
    assert row["status"] == "FAIL" and "scheduled for deletion" in row["detail"]
    assert "restore-secret --region us-east-1 --secret-id pf/api-keys" in row["hint"]
    assert "import the secret and its current version" in row["hint"]


def test_api_keys_secret_not_created_yet_is_skipped(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.secrets.delete_secret(SecretId="pf/api-keys", ForceDeleteWithoutRecovery=True)
    code, rows = run(path)
    assert code == 0
    assert by_target(rows)[("api-keys secret", "pf/api-keys")]["status"] == "SKIP"


def test_missing_hf_token_secret_fails(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    data = json.loads(path.read_text())
    data["sagemaker"]["huggingface_token"]["secret_arn"] = (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-XxXxXx"
    )
    path.write_text(json.dumps(data))
    code, rows = run(path)
    [row] = [r for r in rows if r["check"] == "hf-token secret"]
    assert code == 1 and row["status"] == "FAIL"
    assert "does not exist" in row["detail"] and "create-secret" in row["hint"]


def test_no_secret_value_is_ever_printed(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    fakes.secrets.put_secret_value(SecretId="pf/api-keys", SecretString='\'{"OPENAI_API_KEY": "sk-leak"}\'')
    out = io.StringIO()
    preflight.main(["--config", str(path)], out=out)
    text = out.getvalue()
    assert "sk-leak" not in text and HF_TOKEN not in text
    assert "literal single quotes" in text


def test_no_credentials_is_one_failed_check(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, rows = run(REPO_ROOT / "examples" / "configs" / "full.json")
    assert code == 1
    [row] = rows
    assert (row["check"], row["status"]) == ("credentials", "FAIL")
    assert row["detail"].startswith("no AWS credentials found") and "AWS_PROFILE" in row["hint"]


def test_moto_sts_lets_any_role_be_assumed(aws_env: dict[str, str]) -> None:
    """Why the unassumable case needs FakeSts: moto's AssumeRole grants every role."""
    config = load_config(REPO_ROOT / "examples" / "configs" / "full.json")
    with mock_aws():
        aws = Aws(boto3.Session())
        rows = [checks.check_role(aws, config, use, None)[0] for use in checks.role_uses(config)]
    assert [(r.target, r.status) for r in rows] == [
        ("arn:aws:iam::444455556666:role/full-model-access", "PASS")
    ]
    assert "used by partner-claude, partner-llama-70b" in rows[0].detail


def test_bad_config_exits_2_through_the_script(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"prefix": "pf", "region": "us-east-1", "regoin": "x"}))
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "preflight"), "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert f"{path}: regoin: unknown field" in done.stderr
    assert "Traceback" not in done.stderr


# --- the function's Function URL grants ------------------------------------------------------------

CALLER = "111122223333"
URL = "lambda:InvokeFunctionUrl"
INVOKE = "lambda:InvokeFunction"


def _with_url(fakes: Fakes, tmp_path: Path, function_url: dict[str, Any]) -> Path:
    path = healthy(fakes, tmp_path)
    config = json.loads(path.read_text())
    config["function_url"] = function_url
    path.write_text(json.dumps(config))
    return path


def _url_row(path: Path) -> dict[str, Any]:
    return by_target(run(path)[1])[("function url", "pf-inference-api")]


PUBLIC = {"auth_type": "NONE", "allow_unauthenticated": True}


def test_a_public_url_with_both_grants_passes(fakes: Fakes, tmp_path: Path) -> None:
    path = _with_url(fakes, tmp_path, PUBLIC)
    fakes.lambda_.policies["pf-inference-api"] = [
        function_url_statement("*", URL),
        function_url_statement("*", INVOKE),
    ]
    row = _url_row(path)
    assert row["status"] == "PASS" and "the public hold both actions" in row["detail"]
    [call] = fakes.lambda_.calls_of("GetPolicy")
    assert call.params == {"FunctionName": "pf-inference-api"}


def test_a_url_grant_alone_is_reported_with_the_two_action_hint(fakes: Fakes, tmp_path: Path) -> None:
    path = _with_url(fakes, tmp_path, {"callers": [CALLER]})
    fakes.lambda_.policies["pf-inference-api"] = [function_url_statement(CALLER, URL)]
    row = _url_row(path)
    assert row["status"] == "FAIL"
    assert row["detail"] == f"missing one or both Function URL actions for {CALLER}"
    assert "both lambda:InvokeFunctionUrl and lambda:InvokeFunction" in row["hint"]
    assert "caller_policy_json" in row["hint"]


def test_an_unconditioned_direct_invoke_grant_fails(fakes: Fakes, tmp_path: Path) -> None:
    path = _with_url(fakes, tmp_path, PUBLIC)
    fakes.lambda_.policies["pf-inference-api"] = [
        function_url_statement("*", URL),
        function_url_statement("*", INVOKE, through_url=False),
    ]
    row = _url_row(path)
    assert row["status"] == "FAIL"
    assert "without the lambda:InvokedViaFunctionUrl condition to *" in row["detail"]
    assert "hand-built event" in row["detail"]


def test_before_the_first_apply_the_check_is_skipped(fakes: Fakes, tmp_path: Path) -> None:
    path = healthy(fakes, tmp_path)
    del fakes.lambda_.policies["pf-inference-api"]
    code, rows = run(path)
    row = by_target(rows)[("function url", "pf-inference-api")]
    assert row["status"] == "SKIP" and "not deployed yet" in row["detail"]
    assert code == 0


APP_ROLE = "arn:aws:iam::123456789012:role/app-team"
ADMIN = "arn:aws:iam::123456789012:role/platform/Admin"
PARTNER = "arn:aws:iam::444455556666:role/partner-app"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:pf-inference-api"


def _direct_config(fakes: Fakes, tmp_path: Path, callers: list[str]) -> Path:
    path = _with_url(fakes, tmp_path, {"callers": callers})
    config = json.loads(path.read_text())
    config |= {"stage": "dev", "admin_principals": [ADMIN]}
    path.write_text(json.dumps(config))
    fakes.lambda_.policies["pf-inference-api"] = [
        statement
        for caller in callers
        for statement in (function_url_statement(caller, URL), function_url_statement(caller, INVOKE))
    ]
    return path


def _direct_row(path: Path) -> dict[str, Any]:
    return by_target(run(path)[1])[("direct invoke", "pf-inference-api")]


def test_a_principal_allowed_to_invoke_directly_is_warned_about(fakes: Fakes, tmp_path: Path) -> None:
    # A broad developer policy: lambda:* on every function, with no condition.
    fakes.iam.policies[APP_ROLE] = [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]
    fakes.iam.policies[ADMIN] = [
        {
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
            "Resource": FUNCTION_ARN,
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
        }
    ]

    row = _direct_row(_direct_config(fakes, tmp_path, [APP_ROLE, PARTNER]))

    assert row["status"] == "WARN"
    assert f"directly, not only through its URL: {APP_ROLE}." in row["detail"]
    assert ADMIN not in row["detail"] and "any caller, admins included" in row["detail"]
    assert "lambda:InvokedViaFunctionUrl" in row["hint"]
    # Asked as a direct invoke: the function's ARN, and no InvokedViaFunctionUrl in the context.
    simulated = {c.params["PolicySourceArn"]: c.params for c in fakes.iam.calls_of("SimulatePrincipalPolicy")}
    assert set(simulated) == {APP_ROLE, ADMIN}  # the partner's account decides for the partner
    assert simulated[ADMIN]["ActionNames.member.1"] == "lambda:InvokeFunction"
    assert simulated[ADMIN]["ResourceArns.member.1"] == FUNCTION_ARN
    assert not any(key.startswith("ContextEntries") for key in simulated[ADMIN])


def test_principals_that_invoke_only_through_the_url_pass(fakes: Fakes, tmp_path: Path) -> None:
    path = _direct_config(fakes, tmp_path, [APP_ROLE, PARTNER])
    through_url = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    conditioned = {"Effect": "Allow", "Action": "lambda:Invoke*", "Resource": "*", "Condition": through_url}
    fakes.iam.policies[ADMIN] = []
    fakes.iam.policies[APP_ROLE] = [conditioned, {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]
    assert _direct_row(path)["status"] == "WARN"

    fakes.iam.policies[APP_ROLE] = [conditioned]
    row = _direct_row(path)

    assert row["status"] == "PASS"
    assert row["detail"].startswith("2 principal(s) of this account may invoke the function only through")
    assert f"in other accounts, not checked here: {PARTNER}" in row["detail"]


def test_a_principal_iam_does_not_know_is_named(fakes: Fakes, tmp_path: Path) -> None:
    fakes.iam.policies[ADMIN] = []

    row = _direct_row(_direct_config(fakes, tmp_path, [APP_ROLE]))

    assert row["status"] == "PASS" and f"not found in IAM (not created yet?): {APP_ROLE}" in row["detail"]
