"""The value-free descriptions of secrets, and the instance arithmetic behind the quota check."""

from __future__ import annotations

import pytest

from modules.config import load_config
from operator_tools.checks import instance_needs, role_uses, trust_principal
from operator_tools.secret_checks import describe_api_keys, describe_hf_token
from tests.support import FULL_CONFIG

TOKEN = "hf_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7"


@pytest.mark.parametrize(
    ("value", "status", "detail"),
    [
        ("{}", "PASS", "empty JSON object (no third-party keys yet)"),
        (
            '{"OPENAI_API_KEY": "sk-1", "COHERE_API_KEY": "c"}',
            "PASS",
            "2 key(s): OPENAI_API_KEY, COHERE_API_KEY",
        ),
        ("''", "FAIL", "holds '' (two quote characters), not a JSON object"),
        ("'{}'", "FAIL", "wrapped in literal single quotes"),
        ("  ", "FAIL", "holds an empty string"),
        ("OPENAI_API_KEY=sk-1", "FAIL", "is not valid JSON"),
        ('"{}"', "FAIL", "holds a JSON string, not an object"),
        ("[]", "FAIL", "holds a JSON array, not an object"),
        (
            '{"OPENAI_API_KEY": "", "AI21_API_KEY": 3}',
            "WARN",
            "not a non-empty string: OPENAI_API_KEY, AI21_API_KEY",
        ),
        ('{"sk-pasted value": "x"}', "PASS", "1 key(s): 1 other key(s)"),
        ('{"aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY": "x"}', "PASS", "1 key(s): 1 other key(s)"),
    ],
)
def test_describe_api_keys(value: str, status: str, detail: str) -> None:
    got_status, got_detail = describe_api_keys(value)
    assert got_status == status and detail in got_detail
    assert "sk-1" not in got_detail and "sk-pasted" not in got_detail


@pytest.mark.parametrize(
    ("value", "key", "status", "detail"),
    [
        (TOKEN, "HF_TOKEN", "PASS", "plain text, Hugging Face token format"),
        (f'{{"HF_TOKEN": "{TOKEN}"}}', "HF_TOKEN", "PASS", "JSON key HF_TOKEN, Hugging Face token format"),
        (
            f'{{"token": "{TOKEN}"}}',
            "HF_TOKEN",
            "FAIL",
            "JSON object without the key 'HF_TOKEN' (keys: token)",
        ),
        (f'{{"HF_TOKEN": ["{TOKEN}"]}}', "HF_TOKEN", "FAIL", "holds a JSON array, not a string"),
        (f'"{TOKEN}"', "HF_TOKEN", "FAIL", "holds a JSON string"),
        ("12345", "HF_TOKEN", "FAIL", "holds a JSON number"),
        (" \n", "HF_TOKEN", "FAIL", "plain text: the token is empty"),
        ('{"HF_TOKEN": ""}', "HF_TOKEN", "FAIL", "JSON key HF_TOKEN: the token is empty"),
        ("hf_abc def", "HF_TOKEN", "FAIL", "not shaped like a token"),
        (TOKEN + "\n", "HF_TOKEN", "WARN", "surrounding whitespace"),
        (
            "api_org_AbCdEfGhIjKlMnOpQrSt",
            "HF_TOKEN",
            "WARN",
            "does not look like a Hugging Face access token",
        ),
    ],
)
def test_describe_hf_token(value: str, key: str, status: str, detail: str) -> None:
    got_status, got_detail, hint = describe_hf_token(value, key)
    assert got_status == status and detail in got_detail
    assert (hint == "") == (status == "PASS")
    assert TOKEN not in got_detail + hint and "AbCdEf" not in got_detail + hint


def test_instance_needs_count_autoscaling_peaks_and_update_headroom() -> None:
    needs = {n.instance_type: n for n in instance_needs(load_config(FULL_CONFIG))}
    g5 = needs["ml.g5.2xlarge"]
    # mistral-7b scales to 3 (starts at 1); mistral-lmi and llama-3-1-8b run 1 each.
    assert (g5.peak, g5.update, g5.endpoints) == (
        5,
        8,
        (("mistral-7b", 3), ("mistral-lmi", 1), ("llama-3-1-8b", 1)),
    )
    assert sorted(needs) == [
        "ml.g5.12xlarge",
        "ml.g5.2xlarge",
        "ml.g5.4xlarge",
        "ml.g5.xlarge",
        "ml.g6.2xlarge",
        "ml.g6e.2xlarge",
        "ml.p3.2xlarge",
    ]


def test_role_uses_group_models_by_role_and_external_id() -> None:
    [use] = role_uses(load_config(FULL_CONFIG))
    assert (use.role_arn, use.external_id) == (
        "arn:aws:iam::444455556666:role/full-model-access",
        "inference-api-full",
    )
    assert use.users == ("partner-claude", "partner-llama-70b")


def test_trust_principal_names_the_role_behind_a_session() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com"
    assert trust_principal(session).startswith("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123 ")
    assert trust_principal("arn:aws:iam::111122223333:user/alice") == "arn:aws:iam::111122223333:user/alice"
