"""Synthesized SageMaker endpoints, their IAM, the Hugging Face token and the model-access stack
(examples/configs/full.json enables every kind)."""

from __future__ import annotations

import io
import json
import re
import tarfile
from typing import Any

import pytest

from lambda_src.inventory import Inventory
from modules import sagemaker_catalog as catalog
from modules.sagemaker_endpoint import SageMakerEndpointProps
from tests.support import FULL_CONFIG, Synth

ACCOUNT = "${data.aws_caller_identity.current.account_id}"
HOSTED = (
    "mistral-7b",
    "zephyr-generate",
    "qwen3-vllm",
    "llama-sglang",
    "mistral-lmi",
    "bge-m3",
    "llama-3-1-8b",
    "llama-2-7b-chat",
    "tuned-llama",
    "summarizer",
    "pipeline-code",
)
# Hub models: the token is in their environment, so the token's version renames them.
FROM_HUB = ("mistral-7b", "zephyr-generate", "qwen3-vllm", "mistral-lmi", "bge-m3")
HASHED = re.compile(r"^full-(?P<name>[a-z0-9-]+)-[0-9a-f]{8}$")
SALTED = re.compile(
    r'^full-(?P<name>[a-z0-9-]+)-\$\{substr\(sha256\("[0-9a-f]{8}-\$\{data\.aws_secretsmanager_secret_version'
    r'\.huggingface_token\.version_id\}"\), 0, 8\)\}$'
)


@pytest.fixture(scope="module")
def full(full_stacks: dict[str, Synth]) -> Synth:
    return full_stacks["full"]


@pytest.fixture(scope="module")
def access(full_stacks: dict[str, Synth]) -> Synth:
    return full_stacks["full-model-access"]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return json.loads(FULL_CONFIG.read_text())


def _endpoint_cfg(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(ep for ep in config["sagemaker"]["endpoints"] if ep["name"] == name)


def _logical(name: str) -> str:
    return name.replace("-", "_")


def _model(full: Synth, name: str) -> dict[str, Any]:
    return full.resources("aws_sagemaker_model")[_logical(name)]


def _statement(synth: Synth, policy: str, sid: str) -> dict[str, Any]:
    """A statement of the rendered inline policy ``policy``, with lower-case keys."""
    st = next(s for s in synth.policy("aws_iam_role_policy", policy)["Statement"] if s["Sid"] == sid)
    return {
        "sid": st["Sid"],
        "actions": st["Action"],
        "resources": st["Resource"],
        "condition": st.get("Condition"),
    }


def test_every_hosted_kind_gets_model_config_and_endpoint_and_existing_ones_none(full: Synth) -> None:
    for rtype in ("aws_sagemaker_model", "aws_sagemaker_endpoint_configuration", "aws_sagemaker_endpoint"):
        assert sorted(full.resources(rtype)) == sorted(_logical(n) for n in HOSTED), rtype
    names = {e["name"] for e in full.resources("aws_sagemaker_endpoint").values()}
    assert names == {f"full-{n}" for n in HOSTED}
    assert "llama-3-70b-prod" not in json.dumps(full.resources("aws_sagemaker_endpoint"))


def test_models_and_configs_are_versioned_and_replaced_before_destroy(full: Synth) -> None:
    for name in HOSTED:
        model = _model(full, name)
        cfg = full.resources("aws_sagemaker_endpoint_configuration")[_logical(name)]
        pattern = SALTED if name in FROM_HUB else HASHED
        for resource in (model, cfg):
            m = pattern.match(resource["name"])
            assert m and m["name"] == name, resource["name"]
            assert resource["lifecycle"] == {"create_before_destroy": True}
        assert (
            cfg["production_variants"][0]["model_name"] == f"${{aws_sagemaker_model.{_logical(name)}.name}}"
        )
        endpoint = full.resources("aws_sagemaker_endpoint")[_logical(name)]
        assert endpoint["endpoint_config_name"] == (
            f"${{aws_sagemaker_endpoint_configuration.{_logical(name)}.name}}"
        )
        assert model["execution_role_arn"] == "${aws_iam_role.sagemaker.arn}"
        assert model["depends_on"] == ["aws_iam_role_policy.sagemaker"]


def test_definition_hash_follows_the_definition_but_not_tags_or_scaling() -> None:
    base = SageMakerEndpointProps(
        endpoint_name="x-a", logical_name="a", execution_role_arn="r", image="i",
        instance_type="ml.g5.xlarge", instance_count=1,
        startup_health_check_timeout_seconds=600, model_download_timeout_seconds=600,
        environment={"A": "1"},
    )  # fmt: skip
    same = SageMakerEndpointProps(**{**base.__dict__, "tags": {"Team": "x"}})
    other_env = SageMakerEndpointProps(**{**base.__dict__, "environment": {"A": "2"}})
    other_type = SageMakerEndpointProps(**{**base.__dict__, "instance_type": "ml.g5.2xlarge"})
    assert base.definition_hash() == same.definition_hash()
    assert len({base.definition_hash(), other_env.definition_hash(), other_type.definition_hash()}) == 3


def test_huggingface_tgi_container(full: Synth, config: dict[str, Any]) -> None:
    mistral = _model(full, "mistral-7b")["primary_container"]
    names = catalog.tgi_env_names(catalog.TGI_DEFAULT_VERSION)
    assert mistral["image"] == catalog.tgi_image_uri("us-east-1")
    env = mistral["environment"]
    assert env["HF_MODEL_ID"] == "mistralai/Mistral-7B-Instruct-v0.3"
    assert env["SM_NUM_GPUS"] == str(catalog.instance_info("ml.g5.2xlarge").accelerators)
    assert env[names.max_input] == "8192"
    assert env[names.max_total] == "16384"
    assert names.messages_api and env[names.messages_api] == "true"
    assert {k for k, v in env.items() if v == "${local.huggingface_token}"} == set(names.token_names)
    zephyr = _model(full, "zephyr-generate")["primary_container"]["environment"]
    assert names.messages_api not in zephyr  # tgi-generate codec: no messages API
    assert zephyr["QUANTIZE"] == "bitsandbytes-nf4"
    assert zephyr["SM_NUM_GPUS"] == str(catalog.instance_info("ml.g6.2xlarge").accelerators)
    assert _model(full, "mistral-7b")["enable_network_isolation"] is False


def test_huggingface_token_is_read_from_its_secret_and_never_written_out(
    full: Synth, config: dict[str, Any]
) -> None:
    secret = full.data("aws_secretsmanager_secret_version")["huggingface_token"]
    assert secret["secret_id"] == config["sagemaker"]["huggingface_token"]["secret_arn"]
    local = full.doc["locals"]["huggingface_token"]
    assert (
        'jsondecode(data.aws_secretsmanager_secret_version.huggingface_token.secret_string)["HF_TOKEN"]'
        in local
    )
    assert local.startswith("${can(jsondecode(")
    fmt = full.doc["output"]["huggingface_token_format"]["value"]
    assert fmt.startswith("${nonsensitive(can(jsondecode(") and '"plain text"' in fmt
    # Only models of huggingface endpoints from the Hub carry the token (not one from S3).
    carriers = [n for n in HOSTED if "${local.huggingface_token}" in json.dumps(_model(full, n))]
    assert carriers == list(FROM_HUB)


def test_production_variants(full: Synth, config: dict[str, Any]) -> None:
    for name in HOSTED:
        cfg = _endpoint_cfg(config, name)
        variant = full.resources("aws_sagemaker_endpoint_configuration")[_logical(name)][
            "production_variants"
        ][0]
        assert variant["instance_type"] == cfg["instance_type"]
        assert variant["initial_instance_count"] == cfg.get("instance_count", 1)
        assert variant["variant_name"] == "AllTraffic"
        assert variant["container_startup_health_check_timeout_in_seconds"] == cfg.get(
            "startup_health_check_timeout_seconds", 900
        )
        assert variant["model_data_download_timeout_in_seconds"] == cfg.get(
            "model_download_timeout_seconds", 1200
        )
        assert variant.get("volume_size_in_gb") == cfg.get("volume_size_gb")
        resource = full.resources("aws_sagemaker_endpoint_configuration")[_logical(name)]
        assert resource.get("kms_key_arn") == cfg.get("kms_key_arn")
    assert _endpoint_cfg(config, "summarizer")["volume_size_gb"] == 64  # the one that sets it


def test_autoscaling(full: Synth) -> None:
    targets = full.resources("aws_appautoscaling_target")
    assert list(targets) == ["mistral_7b"]
    target = targets["mistral_7b"]
    assert target["resource_id"] == "endpoint/${aws_sagemaker_endpoint.mistral_7b.name}/variant/AllTraffic"
    assert target["scalable_dimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    policy = full.resources("aws_appautoscaling_policy")["mistral_7b"]
    tracking = policy["target_tracking_scaling_policy_configuration"]
    assert tracking["target_value"] == 40
    assert tracking["predefined_metric_specification"]["predefined_metric_type"] == (
        "SageMakerVariantInvocationsPerInstance"
    )


def test_jumpstart_curated_and_gated(full: Synth) -> None:
    spec = catalog.jumpstart_spec("meta-textgeneration-llama-3-1-8b-instruct")
    model = _model(full, "llama-3-1-8b")
    container = model["primary_container"]
    assert container["image"] == catalog.jumpstart_image_uri(spec, "us-east-1")
    source = container["model_data_source"]["s3_data_source"][0]
    assert source["s3_uri"] == spec.model_data_s3_uri_template.format(region="us-east-1")
    assert source["s3_data_type"] == ("S3Object" if spec.model_data_compressed else "S3Prefix")
    assert source["model_access_config"] == {"accept_eula": True}
    assert model["enable_network_isolation"] is True
    assert model["vpc_config"]["subnets"] == ["subnet-0a1b2c3d4e5f67890", "subnet-0f1e2d3c4b5a69788"]
    assert model["vpc_config"]["security_group_ids"] == ["sg-0123456789abcdef0"]
    for key, value in spec.environment.items():
        if key != "SM_NUM_GPUS":
            assert container["environment"][key] == value


def test_custom_model_data_forms(full: Synth) -> None:
    prefix = _model(full, "tuned-llama")["primary_container"]["model_data_source"]["s3_data_source"][0]
    assert prefix == {
        "s3_uri": "s3://example-model-weights/tuned-llama/v3/",
        "s3_data_type": "S3Prefix",
        "compression_type": "None",
    }
    archive = _model(full, "summarizer")["primary_container"]["model_data_source"]["s3_data_source"][0]
    assert archive["s3_data_type"] == "S3Object"
    assert archive["compression_type"] == "Gzip"


def test_custom_code_is_packaged_and_uploaded(full: Synth) -> None:
    obj = full.resources("aws_s3_object")["pipeline_code"]
    assert obj["bucket"] == "${aws_s3_bucket.model_artifacts.id}"
    archive = (full.stack_dir / obj["source"]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert "code/inference.py" in members
        assert {m.mtime for m in members.values()} == {0}
        code = tar.extractfile(members["code/inference.py"])
        assert code is not None and b"def model_fn" in code.read()
    container = _model(full, "pipeline-code")["primary_container"]
    source = container["model_data_source"]["s3_data_source"][0]
    # the model names the uploaded object itself, so it is created only after the upload
    assert source["s3_uri"] == "s3://${aws_s3_object.pipeline_code.bucket}/${aws_s3_object.pipeline_code.key}"
    assert container["environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    bucket = full.resources("aws_s3_bucket")["model_artifacts"]
    assert bucket["bucket_prefix"] == "full-models-"
    block = full.resources("aws_s3_bucket_public_access_block")["model_artifacts"]
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )


def test_lambda_invokes_exactly_the_configured_endpoints_and_assumes_exactly_the_roles(full: Synth) -> None:
    invoke = _statement(full, "lambda", "InvokeSageMakerEndpoints")
    assert invoke["actions"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    expected = {f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/full-{n}" for n in HOSTED}
    expected.add(f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/team-falcon-7b")
    assert set(invoke["resources"]) == expected
    assume = _statement(full, "lambda", "AssumeModelAccessRoles")
    assert assume["resources"] == ["arn:aws:iam::444455556666:role/full-model-access"]
    bedrock = _statement(full, "lambda", "InvokeBedrockModels")["resources"]
    # the cross-account Bedrock model is reached through the role, not granted here
    assert not any("claude-sonnet-4-6" in arn for arn in bedrock)
    everything = json.dumps(full.function_policies())
    assert "llama-3-70b-prod" not in everything


def test_sagemaker_execution_role_is_scoped(full: Synth) -> None:
    trust = full.data("aws_iam_policy_document")["sagemaker_assume_role"]["statement"][0]
    assert trust["principals"] == [{"identifiers": ["sagemaker.amazonaws.com"], "type": "Service"}]
    models = full.resources("aws_sagemaker_model").values()
    images = {m["primary_container"]["image"] for m in models}
    repos = {
        "arn:aws:ecr:{}:{}:repository/{}".format(
            i.split(".")[3], i.split(".")[0], i.split("/", 1)[1].split(":")[0]
        )
        for i in images
    }
    assert set(_statement(full, "sagemaker", "EcrPullImages")["resources"]) == repos
    objects = set(_statement(full, "sagemaker", "ReadModelData")["resources"])
    assert "arn:aws:s3:::example-model-weights/tuned-llama/v3/*" in objects
    assert "arn:aws:s3:::example-model-weights/summarizer/model.tar.gz" in objects
    assert not any(o.endswith(":::*") or o == "*" for o in objects)
    logs = _statement(full, "sagemaker", "WriteEndpointLogs")["resources"]
    assert len(logs) == len(HOSTED)
    assert all("/aws/sagemaker/Endpoints/full-" in arn for arn in logs)
    ecr_auth = _statement(full, "sagemaker", "EcrAuth")
    assert ecr_auth["actions"] == ["ecr:GetAuthorizationToken"]


def test_inventory_entries_for_endpoints(full: Synth) -> None:
    inventory = Inventory.from_json(full.inventory_json())
    mistral = inventory.get("mistral-7b")
    assert mistral is not None
    assert (mistral.provider, mistral.model, mistral.api) == ("sagemaker", "full-mistral-7b", "tgi-messages")
    llama2 = inventory.get("llama-2-7b-chat")
    assert llama2 is not None and llama2.api == "jumpstart-llama2-chat"
    assert (
        llama2.endpoint_kwargs is not None and llama2.endpoint_kwargs.custom_attributes == "accept_eula=true"
    )
    summarizer = inventory.get("summarizer")
    assert summarizer is not None and summarizer.content_handler is not None
    assert summarizer.content_handler.output_path == "$.generated_texts[0]"
    partner = inventory.get("partner-llama-70b")
    assert partner is not None
    assert (partner.model, partner.region, partner.role_arn, partner.external_id) == (
        "llama-3-70b-prod", "us-west-2", "arn:aws:iam::444455556666:role/full-model-access", "inference-api-full",
    )  # fmt: skip
    assert inventory.get("team-endpoint") is not None
    assert inventory.get("team-endpoint").prompt_format == "falcon"  # type: ignore[union-attr]


def test_model_access_stack(access: Synth) -> None:
    trust = access.data("aws_iam_policy_document")["model_access_trust"]["statement"][0]
    assert trust["principals"] == [
        {"identifiers": ["arn:aws:iam::111122223333:role/full-inference-api"], "type": "AWS"}
    ]
    assert trust["condition"] == [
        {"test": "StringEquals", "variable": "sts:ExternalId", "values": ["inference-api-full"]}
    ]
    statements = {s["Sid"]: s for s in access.policy("aws_iam_role_policy", "model_access")["Statement"]}
    assert statements["InvokeSageMakerEndpoints"]["Resource"] == [
        f"arn:aws:sagemaker:us-west-2:{ACCOUNT}:endpoint/llama-3-70b-prod"
    ]
    assert statements["InvokeBedrockModels"]["Resource"] == [
        f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-6",
        f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/us.meta.llama4-maverick-17b-instruct-v1:0",
    ]
    # the profiles' models, named, only through the account's profiles in that region
    through = statements["InvokeBedrockModelsThroughProfiles"]
    assert through["Resource"] == [
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6",
        "arn:aws:bedrock:*::foundation-model/meta.llama4-maverick-17b-instruct-v1:0",
    ]
    assert through["Condition"] == {
        "ArnLike": {
            "bedrock:InferenceProfileArn": [f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/*"]
        }
    }
    assert access.resources("aws_iam_role")["model_access"]["name"] == "full-model-access"
    assert access.doc["output"]["model_access_role_arn"]["value"] == "${aws_iam_role.model_access.arn}"
    assert access.doc["provider"]["aws"][0]["region"] == "us-west-2"
    assert "aws_lambda_function" not in access.doc.get("resource", {})


def test_model_access_all_endpoints_and_models(synth_config: Any, default_config: dict[str, Any]) -> None:
    cfg = {
        **default_config,
        "prefix": "wide",
        "cross_account_role": {
            "trusted_role_arns": ["arn:aws:iam::111122223333:role/wide-inference-api"],
            "sagemaker_endpoints": "*",
            "bedrock_models": "*",
        },
    }
    stacks_dir = synth_config(cfg).stack_dir.parent
    access = json.loads((stacks_dir / "wide-model-access" / "cdk.tf.json").read_text())
    policy = Synth(stacks_dir / "wide-model-access", access).policy("aws_iam_role_policy", "model_access")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["InvokeSageMakerEndpoints"]["Resource"] == [
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/*"
    ]
    bedrock = set(statements["InvokeBedrockModels"]["Resource"])
    assert "arn:aws:bedrock:*::foundation-model/*" in bedrock
    assert f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/*" in bedrock
    assert f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/*" in bedrock
    trust = access["data"]["aws_iam_policy_document"]["model_access_trust"]["statement"][0]
    assert "condition" not in trust  # no external id configured
