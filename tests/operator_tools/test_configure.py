"""scripts/configure: through its flags, through scripted stdin, and the file it writes."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from lambda_src.adapters.third_party import PROVIDER_KEYS
from lambda_src.azure_deployments import FIELDS as AZURE_FIELDS
from lambda_src.azure_deployments import key_name
from modules.config import ConfigError, load_config
from operator_tools import configure
from operator_tools.config_draft import ConfigDraft
from tests.support import REPO_ROOT

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROVISIONED = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
HF_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hf-token-AbCdEf"
ADMIN = "arn:aws:iam::111122223333:role/Admin"
ROLE = "arn:aws:iam::444455556666:role/demo-model-access"
TESTER = "arn:aws:iam::111122223333:role/ModelTester"
# Every key the runtime reads for one Azure OpenAI model named Model1 (lambda_src/azure_deployments.py).
AZURE_KEYS = ["AZURE_OPENAI_MODELS", *(key_name(f, "Model1") for f in AZURE_FIELDS)]


def run(argv: list[str], answers: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = configure.main(argv, stdin=io.StringIO(answers), out=out)
    return code, out.getvalue()


def _note_example(out: str) -> dict[str, str]:
    """The example object of the closing note."""
    lines = out.splitlines()
    start = lines.index("  {")
    end = lines.index("  }", start)
    return json.loads("\n".join(lines[start : end + 1]))


def test_flags_write_a_config_that_loads(
    aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.json"
    code, out = run(
        [
            "--non-interactive",
            "--prefix",
            "demo",
            "--region",
            "us-east-1",
            "--stage",
            "dev",
            "--bedrock-region",
            "us-west-2",
            "--bedrock-model",
            HAIKU,
            "--bedrock-model",
            "haiku-35=us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "--bedrock-model",
            json.dumps(
                {
                    "id": "tuned",
                    "model_id": PROVISIONED.replace("us-east-1", "us-west-2"),
                    "base_model_provider": "amazon",
                }
            ),
            "--cross-account-role",
            ROLE,
            "--external-id",
            "demo-external",
            "--sagemaker-hf",
            "mistralai/Mistral-7B-Instruct-v0.3:ml.g5.2xlarge",
            "--sagemaker-jumpstart",
            "meta-textgeneration-llama-3-1-8b-instruct:ml.g5.4xlarge:llama",
            "--accept-eula",
            "--hf-token-secret-arn",
            HF_ARN,
            "--hf-token-json-key",
            "token",
            "--third-party",
            "openai:gpt-4o-mini,gpt-big=gpt-4.1",
            "--third-party",
            "azure-openai",  # the older spelling, still accepted
            "--third-party",
            "cohere:command-r-plus",
            "--third-party",
            "openai:ft:gpt-4o-mini:acme::abc123",  # added to openai's models; the name keeps its colons
            "--admin-principal",
            ADMIN,
            "--override-role",
            TESTER,
            "--output",
            str(path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    written = json.loads(path.read_text())
    role = {"role_arn": ROLE, "external_id": "demo-external"}
    assert written == {
        "prefix": "demo",
        "region": "us-east-1",
        "stage": "dev",
        "admin_principals": [ADMIN],
        "bedrock": {
            "region": "us-west-2",
            "models": [
                {"model_id": HAIKU, **role},
                {"id": "haiku-35", "model_id": "us.anthropic.claude-3-5-haiku-20241022-v1:0", **role},
                {
                    "id": "tuned",
                    "model_id": PROVISIONED.replace("us-east-1", "us-west-2"),
                    "base_model_provider": "amazon",
                    **role,
                },
            ],
        },
        "sagemaker": {
            "endpoints": [
                {
                    "kind": "huggingface",
                    "name": "mistral-7b-instruct-v0-3",
                    "engine": "vllm",
                    "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
                    "instance_type": "ml.g5.2xlarge",
                },
                {
                    "kind": "jumpstart",
                    "name": "llama",
                    "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                    "instance_type": "ml.g5.4xlarge",
                    "accept_eula": True,
                },
            ],
            "huggingface_token": {"secret_arn": HF_ARN, "json_key": "token"},
        },
        "third_party": {
            "openai": {
                "models": [
                    "gpt-4o-mini",
                    {"id": "gpt-big", "model": "gpt-4.1"},
                    "ft:gpt-4o-mini:acme::abc123",
                ]
            },
            "azure_openai": {},
            "cohere": {"models": ["command-r-plus"]},
        },
        "overrides": {"allowed_role_arns": [TESTER]},
    }
    # the wizard warns about models the pinned lifecycle table lists as retired
    assert f"warning: bedrock.models[0]: {HAIKU} reached end of life on 2026-09-10" in out
    assert "warning: bedrock.models[1]: anthropic.claude-3-5-haiku-20241022-v1:0 reached end of life" in out
    config = load_config(path)
    assert [m.public_id for m in config.bedrock.models] == [HAIKU, "haiku-35", "tuned"]
    assert config.third_party.enabled == ("openai", "azure_openai", "cohere")
    assert [(p, m.public_id, m.model) for p, m in config.third_party.models()] == [
        ("openai", "gpt-4o-mini", "gpt-4o-mini"),
        ("openai", "gpt-big", "gpt-4.1"),
        ("openai", "ft:gpt-4o-mini:acme::abc123", "ft:gpt-4o-mini:acme::abc123"),
        ("cohere", "command-r-plus", "command-r-plus"),
    ]
    assert config.overrides.allowed_role_arns == (TESTER,)
    # The note names the keys the runtime reads for each enabled provider, and no value.
    assert "the secret demo/api-keys" in out
    assert f"openai: {PROVIDER_KEYS['openai'].api_key}" in out
    assert f"cohere: {PROVIDER_KEYS['cohere'].api_key}" in out
    assert "AZURE_OPENAI_API_BASE__<Model>" in out
    assert all(f'"{key}": ' in out for key in AZURE_KEYS), out
    assert "AZURE_OPENAI_ENDPOINT" not in out
    assert "put-secret-value --region us-east-1 --secret-id demo/api-keys" in out
    assert "file://api-keys.json" in out
    keys = _note_example(out)
    assert list(keys) == ["OPENAI_API_KEY", *AZURE_KEYS, "COHERE_API_KEY"]
    # Placeholders only: the names, Azure's fixed API type and the endpoint's form, nothing to copy as a key.
    assert {k: v for k, v in keys.items() if v != "..."} == {
        "AZURE_OPENAI_MODELS": "Model1",
        "AZURE_OPENAI_API_TYPE__Model1": "azure",
        "AZURE_OPENAI_API_BASE__Model1": "https://<resource>.openai.azure.com/",
    }


@pytest.mark.parametrize(
    ("flags", "config"),
    [
        (["--prefix", "Bad_Prefix"], {"prefix": "Bad_Prefix"}),
        (["--prefix", "p" * 60], {"prefix": "p" * 60}),
        (["--region", "us-mars-1"], {"region": "us-mars-1"}),
        (["--stage", "staging"], {"stage": "staging"}),
        (["--admin-principal", "arn:aws:iam::1:role/x"], {"admin_principals": ["arn:aws:iam::1:role/x"]}),
        (["--third-party", "bogus:gpt-4o"], {"third_party": {"bogus": {"models": ["gpt-4o"]}}}),
        (["--third-party", "OpenAI:gpt-4o"], {"third_party": {"OpenAI": {"models": ["gpt-4o"]}}}),
        (["--third-party", "openai:gpt 4o"], {"third_party": {"openai": {"models": ["gpt 4o"]}}}),
        (
            ["--third-party", "mistral:large=mistral-large-latest,large=mistral-medium"],
            {
                "third_party": {
                    "mistral": {
                        "models": [
                            {"id": "large", "model": "mistral-large-latest"},
                            {"id": "large", "model": "mistral-medium"},
                        ]
                    }
                }
            },
        ),
        (["--third-party", "anthropic"], {"third_party": {"anthropic": {}}}),
        (["--third-party", "azure_openai:gpt-4o"], {"third_party": {"azure_openai": {"models": ["gpt-4o"]}}}),
        (["--override-role", TESTER], {"overrides": {"allowed_role_arns": [TESTER]}}),
        (
            ["--stage", "prod", "--override-role", TESTER],
            {"stage": "prod", "overrides": {"allowed_role_arns": [TESTER]}},
        ),
        (
            ["--bedrock-model", "eu.anthropic.claude-3-haiku-20240307-v1:0"],
            {"bedrock": {"models": [{"model_id": "eu.anthropic.claude-3-haiku-20240307-v1:0"}]}},
        ),
        (
            ["--sagemaker-hf", "mistralai/Mistral-7B-Instruct-v0.3:ml.g5.2xlarg:mistral"],
            {
                "sagemaker": {
                    "endpoints": [
                        {
                            "kind": "huggingface",
                            "name": "mistral",
                            "engine": "vllm",
                            "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
                            "instance_type": "ml.g5.2xlarg",
                        }
                    ]
                }
            },
        ),
        (
            ["--sagemaker-jumpstart", "meta-textgeneration-llama-3-1-8b-instruct:ml.g5.2xlarge:llama"],
            {
                "sagemaker": {
                    "endpoints": [
                        {
                            "kind": "jumpstart",
                            "name": "llama",
                            "model_id": "meta-textgeneration-llama-3-1-8b-instruct",
                            "instance_type": "ml.g5.2xlarge",
                        }
                    ]
                }
            },
        ),
    ],
)
def test_a_refused_flag_gives_the_synths_own_message(
    aws_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    config: dict[str, object],
) -> None:
    base = {"prefix": "demo", "region": "us-east-1"}
    argv = ["--non-interactive", *[f"--{k}={v}" for k, v in base.items() if f"--{k}" not in flags], *flags]
    code, _ = run([*argv, "--output", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert not (tmp_path / "out.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**base, **config}))
    with pytest.raises(ConfigError) as synth:
        load_config(bad)
    synth_lines = [line.removeprefix(f"{bad}: ") for line in str(synth.value).splitlines()]
    assert synth_lines and all(f"  {line}" in err.splitlines() for line in synth_lines), err


def test_flag_syntax_errors_name_the_expected_form(
    aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        [
            "--non-interactive",
            "--prefix",
            "demo",
            "--region",
            "us-east-1",
            "--sagemaker-hf",
            "mistralai/Mistral",
        ]
    )
    assert code == 2
    assert "expected MODEL_ID:INSTANCE_TYPE[:NAME]" in capsys.readouterr().err
    code, _ = run(["--non-interactive", "--region", "us-east-1"])
    assert code == 2
    assert "--prefix is required with --non-interactive" in capsys.readouterr().err
    base = ["--non-interactive", "--prefix", "demo", "--region", "us-east-1"]
    for spec in ("openai:", ":gpt-4o", "openai:,"):
        assert run([*base, "--third-party", spec])[0] == 2
        assert "expected PROVIDER[:MODEL[,MODEL...]]" in capsys.readouterr().err
    assert run([*base, "--third-party", "openai:=gpt-4o"])[0] == 2
    assert "expected MODEL or PUBLIC_ID=MODEL" in capsys.readouterr().err
    # A provider that needs models, named without them: the schema's message, and how to give them.
    assert run([*base, "--third-party", "anthropic"])[0] == 2
    err = capsys.readouterr().err
    assert "  third_party.anthropic.models: required field is missing" in err
    assert "--third-party anthropic:MODEL[,MODEL...]" in err
    assert run([*base, "--third-party", "azure_openai:gpt-4o"])[0] == 2
    assert "azure_openai takes no models" in capsys.readouterr().err


def test_an_existing_file_is_kept_without_force(
    aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.json"
    path.write_text("keep me")
    argv = ["--non-interactive", "--prefix", "demo", "--region", "us-east-1", "-o", str(path)]
    assert run(argv)[0] == 2
    assert "exists; choose another file, or pass --force" in capsys.readouterr().err
    assert path.read_text() == "keep me"
    assert run([*argv, "--force"])[0] == 0
    assert load_config(path).prefix == "demo"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]  # no temporary file left behind


def test_scripted_answers_refused_then_asked_again(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "wizard.json"
    answers = [
        "Bad_Prefix",  # refused: pattern
        "demo",
        "us-mars-1",  # refused: not a region
        "",  # region: default (AWS_DEFAULT_REGION)
        "",  # stage: prod
        "",  # bedrock region: the deployment's
        "eu.anthropic.claude-3-haiku-20240307-v1:0",  # parses, but refused once complete: wrong geography
        "claude-eu",
        HAIKU,
        "",  # public id: the model id
        PROVISIONED,
        "tuned",
        "Anthropic",  # refused: not a known family as written
        "anthropic",
        "",  # no more Bedrock models
        "",  # no cross-account role
        "mistralai/Mistral-7B-Instruct-v0.3",
        "ml.g5.2xlarg",  # refused, with a suggestion
        "",  # instance: ml.g5.2xlarge
        "mistral",
        "meta-textgeneration-llama-3-1-8b-instruct",
        "",  # refused: the curated entry records no default instance
        "ml.g5.2xlarge",
        "",
        "n",  # license not accepted: not added
        "",  # no more SageMaker models
        "not-an-arn",  # refused
        HF_ARN,
        "",  # JSON key: default
        "openai, bogus",  # refused as a whole
        "openai, azure-openai, cohere",
        "gpt 4o",  # refused: not a model name
        "",  # refused: at least one model
        "gpt-4o-mini, gpt-big=gpt-4.1",
        f"{HAIKU}=command-r",  # refused: a Bedrock model has that public id
        "command-r-plus",
        ADMIN,
        "",
        str(path),
        "y",
    ]
    code, out = run([], "\n".join(answers) + "\n")
    assert code == 0, out
    refused = [line.strip() for line in out.splitlines() if "refused:" in line]
    assert refused[0].startswith("refused: prefix: 'Bad_Prefix' is not a valid prefix")
    assert refused[1].startswith("refused: region:")
    assert "cannot be called from 'us-east-1'" in refused[2]
    assert refused[3].startswith("refused: base_model_provider:")
    assert "did you mean 'ml.g5.2xlarge'?" in refused[4]
    assert refused[5] == (
        "refused: instance_type: the curated table records no default instance for "
        "meta-textgeneration-llama-3-1-8b-instruct (no source gives JumpStart's default for that "
        "entry); name an instance type"
    )
    assert refused[6].startswith(
        "refused: sagemaker.huggingface_token.secret_arn: 'not-an-arn' is not a Secrets Manager"
    )
    assert refused[7] == (
        "refused: third_party.bogus: unknown field; "
        "allowed fields here: openai, azure_openai, cohere, ai21, anthropic, mistral, openai_compatible"
    )
    assert refused[8] == (
        "refused: third_party.openai.models[0].constrained-str: String should match pattern "
        """'^[\\w.:/@+-]+$' (got "gpt 4o")"""
    )
    assert refused[10] == (
        "refused: third_party.openai.models: Tuple should have at least 1 item after validation, not 0"
    )
    assert refused[11] == refused[10]  # the empty answer: a provider needs a model
    assert refused[12] == (
        f"refused: third_party.cohere.models[0]: model id {HAIKU!r} is already used by bedrock.models[0]"
    )
    assert len(refused) == 13
    # The list of curated models shows each recorded default instance, and says where there is none.
    assert (
        "meta-textgeneration-llama-3-1-8b-instruct (no default instance recorded, license to accept)" in out
    )
    assert "meta-textgeneration-llama-2-7b-f (ml.g5.2xlarge, license to accept)" in out
    assert "not added: a gated model needs its license accepted" in out
    assert json.loads(path.read_text()) == {
        "prefix": "demo",
        "region": "us-east-1",
        "stage": "prod",
        "admin_principals": [ADMIN],
        "bedrock": {
            "region": "us-east-1",
            "models": [
                {"model_id": HAIKU},
                {"id": "tuned", "model_id": PROVISIONED, "base_model_provider": "anthropic"},
            ],
        },
        "sagemaker": {
            "endpoints": [
                {
                    "kind": "huggingface",
                    "name": "mistral",
                    "engine": "vllm",
                    "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.3",
                    "instance_type": "ml.g5.2xlarge",
                }
            ],
            "huggingface_token": {"secret_arn": HF_ARN},
        },
        "third_party": {
            "openai": {"models": ["gpt-4o-mini", {"id": "gpt-big", "model": "gpt-4.1"}]},
            "azure_openai": {},
            "cohere": {"models": ["command-r-plus"]},
        },
    }
    config = load_config(path)
    assert [m.public_id for _, m in config.third_party.models()] == [
        "gpt-4o-mini",
        "gpt-big",
        "command-r-plus",
    ]
    assert "Override role" not in out  # prod: runtime overrides do not exist
    assert list(_note_example(out)) == ["OPENAI_API_KEY", *AZURE_KEYS, "COHERE_API_KEY"]


def test_flags_answer_their_questions_and_the_rest_are_asked(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    # Asked: stage, the Bedrock region and models (ends at once), SageMaker (none), providers, admins,
    # and for a dev stage the override roles.
    code, out = run(
        ["--prefix", "mixed", "--region", "eu-west-1", "-o", str(path), "--yes"], "dev\n\n\n\n\n\n\n"
    )
    assert code == 0, out
    assert "Prefix for every resource name" not in out
    assert json.loads(path.read_text()) == {"prefix": "mixed", "region": "eu-west-1", "stage": "dev"}


def test_dev_stage_asks_for_override_roles(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    # --third-party names a provider without models: in interactive mode its models are asked for.
    argv = ["--prefix", "dev", "--region", "us-east-1", "--stage", "dev", "--third-party", "anthropic"]
    answers = [
        "",  # Bedrock region
        "",  # no Bedrock models
        "",  # no SageMaker models
        "claude-sonnet-4-5, claude haiku",  # refused: one name is not a model name
        "claude-sonnet-4-5, haiku=claude-haiku-4-5",
        "",  # no admin principals
        "arn:aws:iam::1:role/x",  # refused: not a role ARN
        TESTER,
        "",
    ]
    code, out = run([*argv, "-o", str(path), "--yes"], "\n".join(answers) + "\n")
    assert code == 0, out
    assert "Third-party providers you will use" not in out  # the flag answered it
    refused = [line.strip() for line in out.splitlines() if "refused:" in line]
    assert refused[0].startswith("refused: third_party.anthropic.models[1].constrained-str:")
    assert refused[-1] == (
        "refused: overrides.allowed_role_arns[0]: 'arn:aws:iam::1:role/x' is not an IAM role ARN "
        "(arn:aws:iam::<12-digit account>:role/<name>)"
    )
    assert json.loads(path.read_text()) == {
        "prefix": "dev",
        "region": "us-east-1",
        "stage": "dev",
        "third_party": {
            "anthropic": {"models": ["claude-sonnet-4-5", {"id": "haiku", "model": "claude-haiku-4-5"}]}
        },
        "overrides": {"allowed_role_arns": [TESTER]},
    }
    assert load_config(path).overrides.allowed_role_arns == (TESTER,)
    assert list(_note_example(out)) == ["ANTHROPIC_API_KEY"]


def test_input_that_ends_early_writes_nothing(
    aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(["-o", str(tmp_path / "x.json")], "demo\n")
    assert code == 2
    assert "input ended before the question 'AWS region to deploy in' was answered" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_declining_the_final_confirmation_writes_nothing(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    code, out = run(["--prefix", "demo", "--region", "us-east-1", "-o", str(path)], "\n" * 6 + "n\n")
    assert code == 1
    assert '"prefix": "demo"' in out  # the config was shown before the question
    assert not path.exists()


def test_endpoint_names_fit_the_prefix_and_stay_unique() -> None:
    draft = ConfigDraft()
    draft.set_scalar("prefix", "a-rather-long-deployment-prefix-name")
    draft.set_scalar("region", "us-east-1")
    first = draft.endpoint_name("mistralai/Mistral-7B-Instruct-v0.3")
    assert len("a-rather-long-deployment-prefix-name") + 1 + len(first) + 9 <= 63
    draft.add_endpoint(draft.endpoint_entry("mistralai/Mistral-7B-Instruct-v0.3", "ml.g5.2xlarge"))
    second = draft.endpoint_name("mistralai/Mistral-7B-Instruct-v0.3")
    assert second != first and second.endswith("-2")
    assert draft.endpoint_name("meta-textgeneration-llama-3-1-8b-instruct") == "llama-3-1-8b-instruct"[
        : len(first)
    ].rstrip("-")


def test_the_script_entry_point(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "scripted.json"
    done = subprocess.run(
        [
            str(REPO_ROOT / "scripts" / "configure"),
            "--non-interactive",
            "--prefix",
            "ops",
            "--region",
            "us-east-1",
            "-o",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert load_config(path).prefix == "ops"
