"""SageMaker and cross-account config: bad values fail with the field named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from modules import sagemaker_catalog as catalog
from modules.config import load_config
from modules.regions import all_regions
from tests.support import FULL_CONFIG, config_error, write_config

GOOD_HF: dict[str, Any] = {
    "kind": "huggingface",
    "name": "mistral",
    "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
    "instance_type": "ml.g5.2xlarge",
}


def _config(*endpoints: dict[str, Any], region: str = "us-east-1", **extra: Any) -> dict[str, Any]:
    return {"prefix": "llm", "region": region, "sagemaker": {"endpoints": list(endpoints)}, **extra}


def _hf(**changes: Any) -> dict[str, Any]:
    return {**GOOD_HF, **changes}


def test_full_example_loads() -> None:
    config = load_config(FULL_CONFIG)
    kinds = {type(ep).__name__ for ep in config.sagemaker.endpoints}
    assert kinds == {
        "HuggingFaceEndpoint",
        "JumpStartEndpoint",
        "CustomEndpoint",
        "CustomCodeEndpoint",
        "ExistingEndpoint",
    }
    assert config.cross_account_role is not None


def test_good_minimal_huggingface(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, _config(GOOD_HF)))
    spec = config.inventory().get("mistral")
    assert spec is not None and spec.model == "llm-mistral" and spec.api == "tgi-messages"


UNPUBLISHED = sorted(all_regions() - set(catalog.tgi_regions()))

BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "unknown kind",
        _config({**GOOD_HF, "kind": "ollama"}),
        ["sagemaker.endpoints[0]", "'huggingface'", "'existing_endpoint'"],
    ),
    (
        "missing kind",
        _config({k: v for k, v in GOOD_HF.items() if k != "kind"}),
        ["sagemaker.endpoints[0]", "kind"],
    ),
    (
        "instance type typo",
        _config(_hf(instance_type="ml.g5.2xlarg")),
        [
            "sagemaker.endpoints[0].huggingface.instance_type",
            "unknown SageMaker instance type 'ml.g5.2xlarg'",
            "did you mean 'ml.g5.2xlarge'",
        ],
    ),
    ("CPU instance", _config(_hf(instance_type="ml.m5.large")), ["instance_type", "'ml.m5.large'"]),
    ("unknown TGI version", _config(_hf(tgi_version="9.9.9")), ["tgi_version", "9.9.9"]),
    (
        "volume size on NVMe instance",
        _config(_hf(volume_size_gb=100)),
        ["volume_size_gb: ml.g5.2xlarge uses local NVMe instance storage"],
    ),
    (
        "network isolation on HF",
        _config(_hf(network_isolation=True)),
        ["network_isolation: the container downloads the model from the Hugging Face Hub"],
    ),
    (
        "token in environment",
        _config(_hf(environment={"HF_TOKEN": "hf_abc"})),
        ["must not set HF_TOKEN", "huggingface_token"],
    ),
    ("bad env name", _config(_hf(environment={"1BAD": "x"})), ["environment.1BAD"]),
    (
        "input above total",
        _config(_hf(max_input_tokens=4096, max_total_tokens=4096)),
        ["max_input_tokens (4096) must be below max_total_tokens (4096)"],
    ),
    (
        "generate without format",
        _config(_hf(codec="tgi-generate")),
        ["codec 'tgi-generate'", "set prompt_format"],
    ),
    (
        "unknown prompt format",
        _config(_hf(codec="tgi-generate", prompt_format="alpaca")),
        ["prompt_format", "'chatml'"],
    ),
    (
        "autoscaling bounds",
        _config(_hf(autoscaling={"min_instances": 3, "max_instances": 2})),
        ["min_instances (3) is above max_instances (2)"],
    ),
    (
        "count outside scaling",
        _config(_hf(instance_count=5, autoscaling={"max_instances": 2})),
        ["instance_count 5 is outside autoscaling's 1..2"],
    ),
    (
        "bad subnet",
        _config(_hf(vpc={"subnet_ids": ["subnet-xyz"], "security_group_ids": ["sg-0123456789abcdef0"]})),
        ["vpc.subnet_ids[0]"],
    ),
    ("bad kms key", _config(_hf(kms_key_arn="alias/aws/sagemaker")), ["is not a KMS key ARN"]),
    (
        "endpoint name over SageMaker's limit",
        {**_config(_hf(name="a-very-long-endpoint-name-for-the-mistral-model")), "prefix": "platform-team"},
        ["sagemaker.endpoints[0].name", "SageMaker allows 63", "at most 40 characters"],
    ),
    (
        "endpoint name charset",
        _config(_hf(name="Mistral_7B")),
        ["sagemaker.endpoints[0].huggingface.name", "String should match pattern"],
    ),
    (
        "duplicate names",
        _config(GOOD_HF, _hf(id="other")),
        ["sagemaker.endpoints[1].name: 'mistral' is already used by sagemaker.endpoints[0]"],
    ),
    (
        "duplicate public ids",
        _config(GOOD_HF, _hf(name="m2", id="mistral")),
        ["sagemaker.endpoints[1]: model id 'mistral' is already used by sagemaker.endpoints[0]"],
    ),
    (
        "malformed secret ARN",
        _config(
            GOOD_HF,
        )
        | {
            "sagemaker": {
                "huggingface_token": {"secret_arn": "arn:aws:secretsmanager:us-east-1:1234:secret:hf"},
                "endpoints": [GOOD_HF],
            }
        },
        ["sagemaker.huggingface_token.secret_arn", "is not a Secrets Manager secret ARN"],
    ),
    (
        "gated JumpStart without EULA",
        _config(
            {
                "kind": "jumpstart",
                "name": "llama",
                "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        ["meta-textgeneration-llama-3-1-8b-instruct is gated", "set accept_eula to true"],
    ),
    (
        "explicit gated JumpStart without EULA",
        _config(
            {
                "kind": "jumpstart",
                "name": "llama",
                "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",
                "model_data": "s3://bucket/llama/",
                "gated": True,
                "codec": "tgi-messages",
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        ["is gated", "accept_eula"],
    ),
    (
        "unknown JumpStart model",
        _config(
            {
                "kind": "jumpstart",
                "name": "x",
                "model_id": "meta-textgeneration-llama-9",
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        ["model_id", "meta-textgeneration-llama-9"],
    ),
    (
        "JumpStart version the curated entry does not record",
        _config(
            {
                "kind": "jumpstart",
                "name": "llama",
                "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                "version": "2.0.0",
                "accept_eula": True,
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        [
            "sagemaker.endpoints[0].jumpstart: version: JumpStart model "
            "'meta-textgeneration-llama-3-1-8b-instruct' has no curated version '2.0.0': its curated "
            "entry reproduces a 2024 JumpStart deployment (djl-lmi 0.29.0, inference-prepack v2.0.0) "
            "whose JumpStart version was not recorded; leave version out"
        ],
    ),
    (
        "JumpStart version not curated",
        _config(
            {
                "kind": "jumpstart",
                "name": "llama",
                "model_id": "meta-textgeneration-llama-2-7b-f",
                "version": "4.17.0",
                "accept_eula": True,
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        ["jumpstart: version: JumpStart model 'meta-textgeneration-llama-2-7b-f' has no curated version"],
    ),
    (
        # The curated table's default instance (where it records one) is only the wizard's default.
        "JumpStart without instance_type",
        _config(
            {
                "kind": "jumpstart",
                "name": "llama",
                "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                "accept_eula": True,
            }
        ),
        ["sagemaker.endpoints[0].jumpstart.instance_type: required field is missing"],
    ),
    (
        "JumpStart with both forms",
        _config(
            {
                "kind": "jumpstart",
                "name": "x",
                "model_id": "huggingface-llm-mistral-7b-instruct",
                "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1",
                "instance_type": "ml.g5.2xlarge",
            }
        ),
        ["give either model_id", "or image_uri + model_data"],
    ),
    (
        "custom model data not an archive or prefix",
        _config(
            {
                "kind": "custom",
                "name": "c",
                "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1",
                "model_data": "s3://bucket/model.bin",
                "codec": "tgi-messages",
                "instance_type": "ml.g5.xlarge",
            }
        ),
        ["must be a .tar.gz object or a prefix ending in '/'"],
    ),
    (
        "custom without codec",
        _config(
            {
                "kind": "custom",
                "name": "c",
                "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1",
                "model_data": "s3://bucket/m/",
                "instance_type": "ml.g5.xlarge",
            }
        ),
        ["set codec"],
    ),
    (
        "content handler codec without handler",
        _config(
            {
                "kind": "custom",
                "name": "c",
                "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1",
                "model_data": "s3://bucket/m/",
                "codec": "content-handler",
                "instance_type": "ml.g5.xlarge",
            }
        ),
        ["codec 'content-handler' needs content_handler"],
    ),
    (
        "image from another region",
        _config(
            {
                "kind": "custom",
                "name": "c",
                "image_uri": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/x:1",
                "model_data": "s3://bucket/m/",
                "codec": "tgi-messages",
                "instance_type": "ml.g5.xlarge",
            }
        ),
        ["sagemaker.endpoints[0].image_uri: the image is in eu-west-1", "(us-east-1)"],
    ),
    (
        "bad image uri",
        _config(
            {
                "kind": "custom",
                "name": "c",
                "image_uri": "docker.io/library/x:1",
                "model_data": "s3://bucket/m/",
                "codec": "tgi-messages",
                "instance_type": "ml.g5.xlarge",
            }
        ),
        ["image_uri", "String should match pattern"],
    ),
    (
        "existing endpoint external id without role",
        _config(
            {
                "kind": "existing_endpoint",
                "name": "e",
                "endpoint_name": "ep",
                "codec": "tgi-messages",
                "external_id": "abc",
            }
        ),
        ["external_id is only used together with role_arn"],
    ),
    (
        "existing endpoint malformed role",
        _config(
            {
                "kind": "existing_endpoint",
                "name": "e",
                "endpoint_name": "ep",
                "codec": "tgi-messages",
                "role_arn": "arn:aws:iam::123:role/x",
            }
        ),
        ["role_arn", "is not an IAM role ARN"],
    ),
    (
        "existing endpoint bad name",
        _config(
            {
                "kind": "existing_endpoint",
                "name": "e",
                "endpoint_name": "my_endpoint",
                "codec": "tgi-messages",
            }
        ),
        ["endpoint_name 'my_endpoint'"],
    ),
    (
        "cross-account grants nothing",
        _config(
            cross_account_role={"trusted_role_arns": ["arn:aws:iam::111122223333:role/llm-inference-api"]}
        ),
        ["cross_account_role: grant something"],
    ),
    (
        "cross-account bad model",
        _config(
            cross_account_role={
                "trusted_role_arns": ["arn:aws:iam::111122223333:role/x"],
                "bedrock_models": ["gpt-4"],
            }
        ),
        ["cross_account_role: bedrock_models[0]", "'gpt-4'"],
    ),
    (
        "cross-account bad trusted ARN",
        _config(cross_account_role={"trusted_role_arns": ["111122223333"], "sagemaker_endpoints": "*"}),
        ["cross_account_role.trusted_role_arns[0]", "is not an IAM role ARN"],
    ),
    (
        "bedrock external id without role",
        {
            "prefix": "llm",
            "region": "us-east-1",
            "bedrock": {"models": [{"model_id": "amazon.nova-lite-v1:0", "external_id": "xyz"}]},
        },
        ["bedrock.models[0]", "external_id is only used together with role_arn"],
    ),
]


@pytest.mark.parametrize(("case", "data", "expected"), BAD, ids=[c[0] for c in BAD])
def test_bad_sagemaker_config(tmp_path: Path, case: str, data: dict[str, Any], expected: list[str]) -> None:
    message = config_error(tmp_path, data)
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


def test_region_without_tgi_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every region botocore knows has the image today; drop one from the pinned table to stand for
    # a region that exists but where the container is not published.
    region = UNPUBLISHED[0] if UNPUBLISHED else "ap-southeast-7"
    if region in catalog.tgi_regions():
        monkeypatch.delitem(catalog.DLC_ACCOUNTS, region)
    message = config_error(tmp_path, _config(GOOD_HF, region=region))
    assert (
        f"sagemaker.endpoints[0]: the Hugging Face TGI container is not published in region '{region}'"
        in message
    )
    assert "it is published in: " in message and "us-east-1" in message


def test_custom_code_folder_is_checked_relative_to_the_config(tmp_path: Path) -> None:
    endpoint = {
        "kind": "custom_code", "name": "code", "code_dir": "src", "codec": "tgi-generate", "prompt_format": "chatml",
        "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker",
        "instance_type": "ml.g5.xlarge",
    }  # fmt: skip
    message = config_error(tmp_path, _config(endpoint))
    assert "sagemaker.endpoints[0].code_dir: folder 'src'" in message and "does not exist" in message
    (tmp_path / "src").mkdir()
    assert "has no inference.py" in config_error(tmp_path, _config(endpoint))
    (tmp_path / "src" / "inference.py").write_text("def model_fn(d): return d\n")
    config = load_config(write_config(tmp_path, _config(endpoint)))
    assert config.sagemaker.endpoints[0].kind == "custom_code"


def test_full_example_is_strictly_typed(tmp_path: Path) -> None:
    data = json.loads(FULL_CONFIG.read_text())
    bad = copy.deepcopy(data)
    bad["sagemaker"]["endpoints"][0]["instance_count"] = "2"
    (tmp_path / "custom-code").mkdir()
    (tmp_path / "custom-code" / "inference.py").write_text("")
    message = config_error(tmp_path, bad)
    assert "sagemaker.endpoints[0].huggingface.instance_count: Input should be a valid integer" in message


def test_curated_jumpstart_entries_behind_or_unconfirmed_are_noted(tmp_path: Path) -> None:
    def jumpstart(name: str, model_id: str) -> dict[str, Any]:
        return {
            "kind": "jumpstart",
            "name": name,
            "model_id": model_id,
            "accept_eula": True,
            "instance_type": "ml.g6e.2xlarge",
        }

    explicit = {
        "kind": "jumpstart",
        "name": "current",
        "image_uri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.36.0-lmi20.0.0-cu128",
        "model_data": "s3://bucket/mistral/",
        "codec": "tgi-messages",
        "instance_type": "ml.g6e.2xlarge",
    }
    endpoints = [
        jumpstart("llama31", "meta-textgeneration-llama-3-1-8b-instruct"),
        jumpstart("mistral-js", "huggingface-llm-mistral-7b-instruct"),
        explicit,
        jumpstart("falcon", "huggingface-llm-falcon-180b-bf16"),
        GOOD_HF,
    ]
    notes = load_config(write_config(tmp_path, _config(*endpoints))).jumpstart_notes()
    assert [note.split(":", 1)[0] for note in notes] == [
        "sagemaker.endpoints[1] ('mistral-js')",
        "sagemaker.endpoints[3] ('falcon')",
    ]
    assert "not JumpStart's current release: JumpStart resolves the id to version 3.28.0" in notes[0]
    assert "could not be confirmed on 2026-11-29" in notes[1]
