"""Deployment-config validation: every bad field gets one precise line."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from modules.config import ConfigError, DeploymentConfig, load_config, resource_names
from tests.support import DEFAULT_CONFIG, VARIANT_CONFIG, config_error, write_config


def _write(tmp_path: Path, data: Any) -> Path:
    return write_config(tmp_path, data)


def _error(tmp_path: Path, data: Any) -> str:
    return config_error(tmp_path, data)


def _with(**changes: Any) -> dict[str, Any]:
    base = json.loads(DEFAULT_CONFIG.read_text())
    for dotted, value in changes.items():
        node = base
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return base


def test_default_config_is_bedrock_only_prod_and_iam_auth() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert config.stage == "prod"
    assert config.function_url.auth_type == "AWS_IAM"
    assert config.lambda_.architecture == "arm64"
    assert config.bedrock.models
    assert {m.provider for m in config.inventory().models} == {"bedrock"}


def test_missing_stage_is_not_dev(tmp_path: Path) -> None:
    data = _with()
    del data["stage"]
    assert load_config(_write(tmp_path, data)).stage == "prod"


def test_variant_config_is_valid(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, VARIANT_CONFIG))
    assert config.stage == "dev"
    assert config.admin_principals == (
        "arn:aws:iam::111122223333:role/Admin",
        "arn:aws:iam::111122223333:user/alice",
    )


BAD_CONFIGS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "unknown top-level key",
        _with(regoin="us-east-1"),
        ["regoin: unknown field", "allowed fields here:", "region"],
    ),
    (
        "unknown nested key",
        _with(lambda__memory=512),
        ["lambda.memory: unknown field", "memory_mb", "architecture"],
    ),
    (
        "wrong type",
        _with(lambda__memory_mb="1024"),
        ["lambda.memory_mb: Input should be a valid integer", '(got "1024")'],
    ),
    ("bool as int", _with(lambda__memory_mb=True), ["lambda.memory_mb: Input should be a valid integer"]),
    (
        "memory too small",
        _with(lambda__memory_mb=64),
        ["lambda.memory_mb", "greater than or equal to 128", "(got 64)"],
    ),
    ("bad architecture", _with(lambda__architecture="amd64"), ["lambda.architecture", "'arm64' or 'x86_64'"]),
    ("bad runtime", _with(lambda__runtime="python3.9"), ["lambda.runtime", "'python3.12' or 'python3.13'"]),
    ("bad retention", _with(lambda__log_retention_days=42), ["lambda.log_retention_days", "365"]),
    (
        "region does not exist",
        _with(region="us-east-7"),
        ["region: region 'us-east-7' does not exist", "us-east-1"],
    ),
    (
        "bedrock region does not exist",
        _with(bedrock__region="mars-north-1"),
        ["bedrock.region: region 'mars-north-1'"],
    ),
    ("stage", _with(stage="staging"), ["stage: Input should be 'dev' or 'prod'", '(got "staging")']),
    (
        "prefix too long",
        _with(prefix="a" * 60),
        ["prefix: ", "too long", "Lambda function name", "limit of 64", "at most 50 characters"],
    ),
    (
        "prefix charset",
        _with(prefix="My_Prefix"),
        ["prefix: 'My_Prefix' is not a valid prefix", "lower-case"],
    ),
    ("prefix trailing hyphen", _with(prefix="llm-"), ["prefix: 'llm-' is not a valid prefix"]),
    (
        "malformed admin ARN",
        _with(admin_principals=["arn:aws:iam::12345:role/Admin"]),
        ["admin_principals[0]: ", "is not an IAM role or user ARN"],
    ),
    (
        "malformed model ARN",
        _with(bedrock__models=[{"id": "x", "model_id": "arn:aws:bedrock:us-east-1:abc:custom-model/x"}]),
        ["bedrock.models[0]: ", "is not a Bedrock model ARN"],
    ),
    (
        "ARN of another service",
        _with(bedrock__models=[{"id": "x", "model_id": "arn:aws:s3:::bucket/key"}]),
        ["bedrock.models[0]: ", "is not a Bedrock model ARN"],
    ),
    (
        "non-invokable ARN type",
        _with(bedrock__models=[{"id": "x", "model_id": "arn:aws:bedrock:us-east-1:111122223333:agent/abc"}]),
        ["bedrock.models[0]: ", "resource type 'agent' cannot be invoked"],
    ),
    (
        "ARN without public id",
        _with(
            bedrock__models=[
                {
                    "model_id": "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc",
                    "base_model_provider": "meta",
                }
            ]
        ),
        ["bedrock.models[0]: ", "give the model a public 'id'"],
    ),
    (
        "ARN without base model provider",
        _with(
            bedrock__models=[
                {"id": "p", "model_id": "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc"}
            ]
        ),
        ["bedrock.models[0]: ", "set base_model_provider"],
    ),
    (
        "upper-case base model provider",
        _with(
            bedrock__models=[
                {
                    "id": "p",
                    "model_id": "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc",
                    "base_model_provider": "Meta",
                }
            ]
        ),
        ["bedrock.models[0].base_model_provider: ", "'meta'"],
    ),
    (
        "unknown model provider",
        _with(bedrock__models=[{"model_id": "acme.super-model-v1"}]),
        ["bedrock.models[0]: ", "unknown model provider 'acme'"],
    ),
    (
        "profile called from outside its geography",
        _with(bedrock__models=[{"model_id": "eu.anthropic.claude-3-haiku-20240307-v1:0"}]),
        ["bedrock.models[0]: inference profile 'eu.anthropic", "cannot be called from 'us-east-1'"],
    ),
    (
        "unknown geo without profile_regions",
        _with(bedrock__models=[{"model_id": "zz.anthropic.claude-3-haiku-20240307-v1:0"}]),
        ["bedrock.models[0]: no pinned region list for inference profile prefix 'zz'", "profile_regions"],
    ),
    (
        "application profile without foundation models",
        _with(
            bedrock__models=[
                {
                    "id": "a",
                    "model_id": "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc",
                    "base_model_provider": "anthropic",
                }
            ]
        ),
        ["bedrock.models[0]: ", "needs foundation_model_arns"],
    ),
    (
        "duplicate public ids",
        _with(
            bedrock__models=[
                {"model_id": "amazon.nova-pro-v1:0"},
                {"id": "amazon.nova-pro-v1:0", "model_id": "amazon.nova-lite-v1:0"},
            ]
        ),
        ["bedrock.models[1]: model id 'amazon.nova-pro-v1:0' is already used by bedrock.models[0]"],
    ),
    (
        "public URL without opt-in",
        _with(function_url={"auth_type": "NONE"}),
        ["function_url: ", "set allow_unauthenticated to true"],
    ),
    (
        "bad auth type",
        _with(function_url={"auth_type": "COGNITO"}),
        ["function_url.auth_type", "'AWS_IAM' or 'NONE'"],
    ),
    (
        "caller neither account nor principal",
        _with(function_url={"callers": ["arn:aws:iam::111122223333:group/devs"]}),
        ["function_url.callers[0]: ", "is not an AWS account id (12 digits) or an IAM principal ARN"],
    ),
    (
        "caller account id too short",
        _with(function_url={"callers": ["12345"]}),
        ["function_url.callers[0]: '12345' is not an AWS account id"],
    ),
    (
        "callers on a public URL",
        _with(function_url={"auth_type": "NONE", "allow_unauthenticated": True, "callers": ["111122223333"]}),
        ["function_url: ", "callers apply to an AWS_IAM URL only"],
    ),
    (
        "caller listed twice",
        _with(function_url={"callers": ["111122223333", "111122223333"]}),
        ["function_url: ", "each principal may be listed once"],
    ),
    (
        "too many callers",
        _with(function_url={"callers": [f"{i:012d}" for i in range(26)]}),
        ["function_url.callers: ", "at most 25"],
    ),
    (
        "marketplace grant for a model without a pinned product id",
        _with(
            bedrock__grant_marketplace_subscribe=True,
            bedrock__models=[{"id": "new-claude", "model_id": "anthropic.claude-next-v1:0"}],
        ),
        [
            "bedrock.grant_marketplace_subscribe: no AWS Marketplace product id is pinned for "
            "bedrock.models[0] (anthropic.claude-next-v1:0)",
            "bedrock.marketplace_product_ids",
            "scripts/preflight --subscribe",
        ],
    ),
    (
        "marketplace product ids without the grant",
        _with(bedrock__marketplace_product_ids=["prod-abcdefghij12"]),
        ["bedrock: ", "apply only with grant_marketplace_subscribe: true"],
    ),
    (
        "bad marketplace product id",
        _with(bedrock__grant_marketplace_subscribe=True, bedrock__marketplace_product_ids=["prod_x"]),
        ["bedrock.marketplace_product_ids[0]: String should match pattern"],
    ),
    (
        "invoke mode",
        _with(function_url={"invoke_mode": "STREAMING"}),
        ["function_url.invoke_mode", "'RESPONSE_STREAM' or 'BUFFERED'"],
    ),
    (
        "no adapter layer published in the region",
        _with(region="us-gov-west-1", bedrock={"models": []}),
        [
            "lambda.web_adapter_layer_arn: the Lambda Web Adapter layer is not published for arm64 in "
            "us-gov-west-1",
            "set lambda.web_adapter_layer_arn",
        ],
    ),
    (
        "no arm64 adapter layer in China",
        _with(region="cn-north-1", bedrock={"models": []}),
        ["not published for arm64 in cn-north-1"],
    ),
    (
        "adapter layer is not a layer ARN",
        _with(**{"lambda": {"web_adapter_layer_arn": "arn:aws:lambda:us-east-1:111122223333:function:x"}}),
        ["lambda.web_adapter_layer_arn: ", "is not a Lambda layer version ARN"],
    ),
    (
        "adapter layer in another region",
        _with(
            **{
                "lambda": {
                    "web_adapter_layer_arn": "arn:aws:lambda:eu-west-1:111122223333:layer:LambdaAdapter:3"
                }
            }
        ),
        [
            "lambda.web_adapter_layer_arn: the layer is in eu-west-1; a function takes layers of its own region"
        ],
    ),
    (
        "idle timeout not below the function timeout",
        _with(**{"lambda": {"timeout_seconds": 60, "stream_idle_timeout_seconds": 60}}),
        ["lambda.stream_idle_timeout_seconds (60) must be below lambda.timeout_seconds (60)"],
    ),
    (
        "bad CORS origin",
        _with(function_url={"cors": {"allow_origins": ["app.example.com"]}}),
        ["function_url.cors.allow_origins[0]: ", "is not an origin"],
    ),
    (
        "models not a list",
        _with(bedrock__models={"model_id": "x"}),
        ["bedrock.models: Input should be a valid"],
    ),
    ("missing prefix", {"region": "us-east-1"}, ["prefix: required field is missing"]),
    (
        "dynamodb locking without table",
        _with(state={"s3": {"bucket": "tf-state", "region": "us-east-1", "locking": "dynamodb"}}),
        ["state.s3: ", "needs dynamodb_table"],
    ),
    (
        "state bucket name",
        _with(state={"s3": {"bucket": "TF_State", "region": "us-east-1"}}),
        ["state.s3.bucket: String should match pattern"],
    ),
    ("unknown backend", _with(state={"gcs": {"bucket": "x"}}), ["state.gcs: unknown field", "s3"]),
]


@pytest.mark.parametrize(("case", "data", "expected"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_reported_precisely(
    tmp_path: Path, case: str, data: dict[str, Any], expected: list[str]
) -> None:
    message = _error(tmp_path, data)
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{ not json", "invalid JSON at line 1 column 3"),
        ('{"prefix": "x",}', "invalid JSON at line 1"),
        ("[]", "must be a JSON object, not list"),
        ("", "invalid JSON at line 1 column 1"),
    ],
)
def test_unparseable_config(tmp_path: Path, raw: str, expected: str) -> None:
    assert expected in _error(tmp_path, raw)


def test_non_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"prefix": "caf\xe9"}')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.json")


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    message = _error(tmp_path, _with(region="nowhere-1", lambda__memory_mb=1, stage="qa"))
    assert len(message.splitlines()) == 3


def test_longest_allowed_prefix_fits_every_name() -> None:
    longest = "p" * 50
    for name in resource_names(longest).values():
        assert len(name.value) <= name.limit
    data = copy.deepcopy(json.loads(DEFAULT_CONFIG.read_text()))
    data["prefix"] = longest
    assert DeploymentConfig.model_validate_json(json.dumps(data)).prefix == longest


def _compat(**fields: Any) -> dict[str, Any]:
    entry = {
        "name": "groq",
        "base_url": "https://api.groq.com/openai/v1",
        "api_key_name": "GROQ_API_KEY",
        "models": ["llama-3.3-70b-versatile"],
    }
    return entry | fields


THIRD_PARTY_BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "unknown provider",
        _with(third_party={"watsonx": {"models": ["granite"]}}),
        ["third_party.watsonx: unknown field", "openai"],
    ),
    (
        "empty model list",
        _with(third_party={"openai": {"models": []}}),
        ["third_party.openai.models", "at least 1"],
    ),
    (
        "model name with spaces",
        _with(third_party={"cohere": {"models": ["command r"]}}),
        ["third_party.cohere.models[0]"],
    ),
    (
        "duplicate third-party id",
        _with(
            third_party={
                "openai": {"models": ["gpt-4o"]},
                "mistral": {"models": [{"id": "gpt-4o", "model": "mistral-large"}]},
            }
        ),
        ["third_party.mistral.models[0]: model id 'gpt-4o' is already used by third_party.openai.models[0]"],
    ),
    (
        "ai21",
        _with(third_party={"ai21": {"models": ["jamba-large"]}}),
        [
            "third_party.ai21: AI21 shut down its Jamba API on 2026-08-09",
            "third_party.openai_compatible",
            "SageMaker endpoint (sagemaker.endpoints)",
        ],
    ),
    (
        "openai_compatible over http",
        _with(third_party={"openai_compatible": [_compat(base_url="http://vllm.internal:8000/v1")]}),
        [
            "third_party.openai_compatible[0].base_url: 'http://vllm.internal:8000/v1': it must start with https://"
        ],
    ),
    (
        "openai_compatible on loopback in a synth",
        _with(third_party={"openai_compatible": [_compat(base_url="http://127.0.0.1:8000/v1")]}),
        ["plain http is accepted only for a loopback host under scripts/serve and in tests"],
    ),
    (
        "openai_compatible URL with credentials",
        _with(
            third_party={"openai_compatible": [_compat(base_url="https://user:pw@api.groq.com/openai/v1")]}
        ),
        ["base_url", "no credentials, query or fragment"],
    ),
    (
        "openai_compatible credential header",
        _with(third_party={"openai_compatible": [_compat(headers={"X-Api-Key": "k"})]}),
        ["third_party.openai_compatible[0].headers", "'X-Api-Key' looks like a credential", "api_key_name"],
    ),
    (
        "openai_compatible client-owned header",
        _with(third_party={"openai_compatible": [_compat(headers={"Host": "evil.example"})]}),
        ["'Host' is set by the HTTP client"],
    ),
    (
        "openai_compatible key name",
        _with(third_party={"openai_compatible": [_compat(api_key_name="groq key")]}),
        ["third_party.openai_compatible[0].api_key_name"],
    ),
    (
        "openai_compatible repeated name",
        _with(third_party={"openai_compatible": [_compat(), _compat(models=["other"])]}),
        ["third_party.openai_compatible", "repeated: groq"],
    ),
    (
        "openai_compatible id clash",
        _with(
            third_party={"openai": {"models": ["llama-3.3-70b-versatile"]}, "openai_compatible": [_compat()]}
        ),
        ["third_party.openai_compatible[0].models[0]: model id 'llama-3.3-70b-versatile' is already used"],
    ),
    (
        "override roles in prod",
        _with(overrides={"allowed_role_arns": ["arn:aws:iam::444455556666:role/x"]}),
        [
            'overrides.allowed_role_arns: runtime overrides exist only when stage is "dev"',
            "with stage 'prod'",
        ],
    ),
    (
        "override role malformed",
        _with(stage="dev", overrides={"allowed_role_arns": ["role/x"]}),
        ["overrides.allowed_role_arns[0]", "is not an IAM role ARN"],
    ),
]


@pytest.mark.parametrize(("case", "data", "expected"), THIRD_PARTY_BAD, ids=[c[0] for c in THIRD_PARTY_BAD])
def test_bad_third_party_config(tmp_path: Path, case: str, data: dict[str, Any], expected: list[str]) -> None:
    message = _error(tmp_path, data)
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


def test_default_and_example_configs_name_only_models_active_today() -> None:
    from tests.support import FULL_CONFIG

    for path in (DEFAULT_CONFIG, FULL_CONFIG):
        config = load_config(path)
        assert config.lifecycle_notes() == [], path
        assert config.bedrock.models


def test_lifecycle_notes_name_legacy_and_retired_models(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            _with(
                bedrock__models=[
                    {"model_id": "amazon.nova-micro-v1:0"},
                    {"id": "old", "model_id": "us.anthropic.claude-3-5-haiku-20241022-v1:0"},
                    {"id": "legacy", "model_id": "global.anthropic.claude-sonnet-4-5-20250929-v1:0"},
                ]
            )
        )
    )
    notes = load_config(path).lifecycle_notes()
    assert notes == [
        "bedrock.models[1]: anthropic.claude-3-5-haiku-20241022-v1:0 reached end of life on 2026-06-19: "
        "Bedrock refuses calls to it",
        "bedrock.models[2]: anthropic.claude-sonnet-4-5-20250929-v1:0 is LEGACY on Bedrock: calls fail "
        "from 2027-04-08",
    ]


def test_an_adapter_layer_of_ones_own_serves_any_region(tmp_path: Path) -> None:
    path = tmp_path / "gov.json"
    arn = "arn:aws-us-gov:lambda:us-gov-west-1:111122223333:layer:LambdaAdapterLayerArm64:30"
    path.write_text(
        json.dumps(
            _with(
                region="us-gov-west-1", bedrock={"models": []}, **{"lambda": {"web_adapter_layer_arn": arn}}
            )
        )
    )
    assert load_config(path).web_adapter_layer_arn() == arn


def test_the_idle_timeout_default_shrinks_to_fit_a_short_function(tmp_path: Path) -> None:
    path = tmp_path / "short.json"
    path.write_text(json.dumps(_with(**{"lambda": {"timeout_seconds": 10}})))
    assert load_config(path).lambda_.stream_idle_seconds == 9


def test_openai_compatible_providers_enter_the_inventory(tmp_path: Path) -> None:
    data = _with(third_party={"openai_compatible": [_compat(headers={"X-Team": "search"})]})

    config = load_config(write_config(tmp_path, data))

    assert config.third_party.enabled == ("openai_compatible",)
    (spec,) = config.inventory().models[-1:]
    assert (spec.id, spec.provider, spec.model) == (
        "llama-3.3-70b-versatile",
        "openai_compatible",
        spec.model,
    )
    assert spec.connection is not None and spec.connection.headers == {"X-Team": "search"}
    assert config.inventory().third_party_providers == ("openai_compatible",)


def test_only_the_local_server_may_name_a_loopback_http_url(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, _with(third_party={"openai_compatible": [_compat(base_url="http://localhost:8000/v1")]})
    )

    with pytest.raises(ConfigError, match="plain http is accepted only for a loopback host"):
        load_config(path)
    assert (
        load_config(path, local_server=True).third_party.openai_compatible[0].base_url
        == "http://localhost:8000/v1"
    )


def test_a_retired_third_party_model_name_gets_a_note_naming_its_replacement(tmp_path: Path) -> None:
    data = _with(third_party={"cohere": {"models": ["command-a-03-2025", "command-r-plus"]}})

    notes = load_config(write_config(tmp_path, data)).lifecycle_notes()

    assert notes == [
        "third_party.cohere.models[1]: cohere model 'command-r-plus' was deprecated on 2025-09-15 "
        "(checked 2026-11-29): use 'command-a-03-2025'"
    ]


def test_no_example_names_a_retired_third_party_model() -> None:
    """The README's JSON examples and the example configs use current names only."""
    from modules.provider_models import RETIRED_NAMES
    from tests.support import REPO_ROOT

    retired = {name for names in RETIRED_NAMES.values() for name in names}
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", readme, flags=re.DOTALL)
    examples = [
        p.read_text() for p in (*REPO_ROOT.glob("examples/**/*.json"), *REPO_ROOT.glob("config/*.json"))
    ]
    assert len(blocks) > 10
    for text in (*blocks, *examples):
        named = set(re.findall(r'"([\w.:/@+-]+)"', text))
        assert not named & retired, named & retired
