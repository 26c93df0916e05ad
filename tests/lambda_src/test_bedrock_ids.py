from __future__ import annotations

from typing import Any

import pytest

from lambda_src.bedrock_ids import BedrockModelRef, ModelIdError, parse_model_ref

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("model_id", "provider"),
    [
        (HAIKU, "anthropic"),
        ("anthropic.claude-3-sonnet-20240229-v1:0:200k", "anthropic"),
        ("amazon.nova-pro-v1:0", "amazon"),
        ("amazon.titan-embed-text-v2:0", "amazon"),
        ("amazon.titan-embed-image-v1", "amazon"),
        ("meta.llama3-1-70b-instruct-v1:0", "meta"),
        ("mistral.mistral-large-2402-v1:0", "mistral"),
        ("cohere.command-r-plus-v1:0", "cohere"),
        ("cohere.embed-multilingual-v3", "cohere"),
        ("ai21.jamba-1-5-large-v1:0", "ai21"),
        ("deepseek.r1-v1:0", "deepseek"),
        ("openai.gpt-oss-120b-1:0", "openai"),
        ("qwen.qwen3-32b-v1:0", "qwen"),
        ("stability.sd3-5-large-v1:0", "stability"),
        ("writer.palmyra-x5-v1:0", "writer"),
        ("twelvelabs.marengo-embed-2-7-v1:0", "twelvelabs"),
    ],
)
def test_base_model_ids(model_id: str, provider: str) -> None:
    assert parse_model_ref(model_id) == BedrockModelRef(
        kind="foundation-model", raw=model_id, base_model_id=model_id, provider=provider
    )


@pytest.mark.parametrize(
    ("model_id", "geo", "base", "provider"),
    [
        (f"us.{HAIKU}", "us", HAIKU, "anthropic"),
        ("eu.amazon.nova-lite-v1:0", "eu", "amazon.nova-lite-v1:0", "amazon"),
        (
            "apac.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "apac",
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "anthropic",
        ),
        (
            "us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "us-gov",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic",
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic",
        ),
        (
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "jp",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic",
        ),
        (
            "au.anthropic.claude-haiku-4-5-20251001-v1:0",
            "au",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "anthropic",
        ),
        ("us.meta.llama3-2-90b-instruct-v1:0", "us", "meta.llama3-2-90b-instruct-v1:0", "meta"),
        ("us.deepseek.r1-v1:0", "us", "deepseek.r1-v1:0", "deepseek"),
    ],
)
def test_inference_profile_ids(model_id: str, geo: str, base: str, provider: str) -> None:
    ref = parse_model_ref(model_id)

    assert ref == BedrockModelRef(
        kind="inference-profile", raw=model_id, base_model_id=base, provider=provider, geo=geo
    )
    assert not ref.is_arn


def _arn(resource: str, *, account: str = ACCOUNT, region: str = "us-east-1", partition: str = "aws") -> str:
    return f"arn:{partition}:bedrock:{region}:{account}:{resource}"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            _arn(f"foundation-model/{HAIKU}", account=""),
            {"kind": "foundation-model", "base_model_id": HAIKU, "provider": "anthropic", "account": None},
        ),
        (
            _arn(f"foundation-model/{HAIKU}"),
            {"kind": "foundation-model", "base_model_id": HAIKU, "provider": "anthropic", "account": ACCOUNT},
        ),
        (
            _arn(f"inference-profile/eu.{HAIKU}", region="eu-west-1"),
            {"kind": "inference-profile", "base_model_id": HAIKU, "geo": "eu", "region": "eu-west-1"},
        ),
        (
            _arn(f"inference-profile/us-gov.{HAIKU}", region="us-gov-west-1", partition="aws-us-gov"),
            {
                "kind": "inference-profile",
                "geo": "us-gov",
                "partition": "aws-us-gov",
                "region": "us-gov-west-1",
            },
        ),
        (
            _arn("application-inference-profile/a1b2c3d4e5f6"),
            {"kind": "application-inference-profile", "base_model_id": None, "provider": None},
        ),
        (
            _arn("custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456"),
            {"kind": "custom-model", "base_model_id": None, "provider": None},
        ),
        (_arn("custom-model-deployment/a1b2c3d4e5f6"), {"kind": "custom-model-deployment"}),
        (_arn("provisioned-model/xyz789abc"), {"kind": "provisioned-model"}),
        (_arn("imported-model/abcd1234efgh"), {"kind": "imported-model"}),
        (
            _arn(f"foundation-model/{HAIKU}", account="", region="cn-north-1", partition="aws-cn"),
            {"kind": "foundation-model", "partition": "aws-cn", "region": "cn-north-1", "account": None},
        ),
    ],
)
def test_arns(arn: str, expected: dict[str, Any]) -> None:
    ref = parse_model_ref(arn)

    defaults = {"partition": "aws", "region": "us-east-1", "account": ACCOUNT, "geo": None}
    for field, value in {**defaults, **expected}.items():
        assert getattr(ref, field) == value, field
    assert ref.raw == arn
    assert ref.is_arn


@pytest.mark.parametrize(
    ("model_id", "message_part"),
    [
        pytest.param("", "non-empty", id="empty"),
        pytest.param(None, "non-empty", id="not-a-string"),
        pytest.param("claude", "is not a Bedrock model id", id="no-provider"),
        pytest.param("not a model id!", "is not a Bedrock model id", id="garbage"),
        pytest.param("Anthropic.Claude-3-Haiku", "is not a Bedrock model id", id="upper-case"),
        pytest.param("anthropic.", "is not a Bedrock model id", id="empty-name"),
        pytest.param("acme.super-model-v1:0", "unknown model provider 'acme'", id="unknown-provider"),
        pytest.param("us.acme.super-model-v1:0", "unknown model provider", id="profile-unknown-provider"),
        pytest.param("us.anthropic", "unknown model provider 'us'", id="profile-without-model"),
        pytest.param(f" {HAIKU}", "is not a Bedrock model id", id="leading-space"),
        pytest.param(f"{HAIKU}\n", "is not a Bedrock model id", id="trailing-newline"),
        pytest.param(f"us.{HAIKU}\n", "is not a Bedrock model id", id="profile-trailing-newline"),
        pytest.param(
            f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/my-endpoint",
            "is not a Bedrock model ARN",
            id="wrong-service",
        ),
        pytest.param(f"arn:aws:bedrock:us-east-1:{ACCOUNT}:", "is not a Bedrock model ARN", id="no-resource"),
        pytest.param(
            f"arn:aws:bedrock:useast1:{ACCOUNT}:provisioned-model/x",
            "is not a Bedrock model ARN",
            id="bad-region",
        ),
        pytest.param(
            "arn:aws:bedrock:us-east-1:12345:provisioned-model/x",
            "is not a Bedrock model ARN",
            id="short-account",
        ),
        pytest.param(
            f"arn:aws-foo:bedrock:us-east-1:{ACCOUNT}:provisioned-model/x",
            "is not a Bedrock model ARN",
            id="bad-partition",
        ),
        pytest.param(
            _arn("provisioned-model/x") + "\n", "is not a Bedrock model ARN", id="arn-trailing-newline"
        ),
        pytest.param(
            _arn("provisioned-model/x", account=""),
            "must contain the 12-digit account id",
            id="missing-account",
        ),
        pytest.param(
            _arn("application-inference-profile/x", account=""),
            "must contain the 12-digit account id",
            id="missing-account-app-profile",
        ),
        pytest.param(_arn("knowledge-base/KB12345678"), "cannot be invoked", id="knowledge-base"),
        pytest.param(_arn("guardrail/gr123"), "cannot be invoked", id="guardrail"),
        pytest.param(_arn("model-customization-job/abc"), "cannot be invoked", id="customization-job"),
        pytest.param(
            _arn(f"inference-profile/{HAIKU}"),
            "must name a geo-prefixed profile id",
            id="profile-arn-with-base-id",
        ),
        pytest.param(
            _arn(f"foundation-model/us.{HAIKU}", account=""),
            "must name a base model id",
            id="foundation-arn-with-profile-id",
        ),
        pytest.param(
            _arn("foundation-model/acme.model-v1", account=""),
            "unknown model provider",
            id="foundation-arn-unknown-provider",
        ),
    ],
)
def test_bad_inputs(model_id: Any, message_part: str) -> None:
    with pytest.raises(ModelIdError) as caught:
        parse_model_ref(model_id)

    assert message_part in str(caught.value)
    assert isinstance(caught.value, ValueError)
