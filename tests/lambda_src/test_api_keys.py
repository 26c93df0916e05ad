"""The API-keys secret: one JSON object, read through the Powertools cache, never shown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.api_keys import NO_KEYS, load_keys, parse_keys
from lambda_src.exceptions import ConfigurationError
from lambda_src.settings import get_settings
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.lambda_src.support import Invoke, PutKeys, ReadLogs, WriteInventory, misconfigured

SENTINEL = "sk-never-show-3e9d"
SOURCE = "the API-keys secret 'arn:x'"


def test_an_object_of_strings_is_the_keys() -> None:
    keys = parse_keys(json.dumps({"OPENAI_API_KEY": " sk-1 ", "EMPTY": "  "}), SOURCE)

    assert keys.get("OPENAI_API_KEY") == "sk-1"
    assert keys.get("EMPTY") is None and keys.get("ABSENT") is None
    assert SENTINEL not in repr(parse_keys(json.dumps({"K": SENTINEL}), SOURCE))


def test_an_empty_object_is_no_keys() -> None:
    keys = parse_keys("{}", SOURCE)

    with pytest.raises(ConfigurationError, match="needs OPENAI_API_KEY in the API-keys secret 'arn:x'"):
        keys.require("OPENAI_API_KEY", "OpenAI model 'gpt'")


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("", "an empty string"),
        ("   \n", "an empty string"),
        (f'["{SENTINEL}"]', "a JSON array"),
        (f'"{SENTINEL}"', "a JSON string"),
        ("null", "JSON null"),
        ("42", "a JSON number"),
        ("true", "a JSON boolean"),
        (f"OPENAI_API_KEY={SENTINEL}", "text that is not valid JSON"),
        (f'{{"OPENAI_API_KEY": "{SENTINEL}"', "text that is not valid JSON"),
        (b"\xff\xfe" + SENTINEL.encode(), "binary data that is not UTF-8 text"),
    ],
)
def test_a_value_that_is_not_an_object_is_a_clear_configuration_error(raw: str | bytes, found: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_keys(raw, SOURCE)

    message = caught.value.message
    assert message == (
        f"{SOURCE} does not hold a JSON object (it holds {found}); set its value to {{}} or a JSON object of keys"
    )
    assert SENTINEL not in message


def test_values_must_be_strings_and_only_the_key_names_are_shown() -> None:
    raw = json.dumps(
        {"OPENAI_API_KEY": {"nested": SENTINEL}, "COHERE_API_KEY": 12, "OK": "x", f"{SENTINEL} x": 1}
    )

    with pytest.raises(ConfigurationError) as caught:
        parse_keys(raw, SOURCE)

    assert "COHERE_API_KEY, OPENAI_API_KEY" in caught.value.message
    assert SENTINEL not in caught.value.message


def test_binary_secrets_holding_json_are_read() -> None:
    assert parse_keys(b'{"A": "b"}', SOURCE).get("A") == "b"


# --- the secret, through Secrets Manager (moto) -------------------------------------------------


def test_no_secret_configured_is_no_keys() -> None:
    assert load_keys(get_settings()) is NO_KEYS


def test_the_secret_is_read_and_cached_for_max_age(keys_secret: PutKeys) -> None:
    keys_secret({"OPENAI_API_KEY": "first"})
    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "first"

    keys_secret({"OPENAI_API_KEY": "second"})

    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "first"


def test_the_secret_is_read_again_after_max_age(
    keys_secret: PutKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_MAX_AGE_SECONDS", "0")
    get_settings.cache_clear()
    keys_secret({"OPENAI_API_KEY": "first"})
    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "first"

    keys_secret({"OPENAI_API_KEY": "second"})

    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "second"


def test_a_secret_that_cannot_be_read_names_it(keys_secret: PutKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = keys_secret("{}").replace("llm/api-keys", "llm/other")
    monkeypatch.setenv("KEYS_SECRET_ARN", arn)
    get_settings.cache_clear()

    with pytest.raises(ConfigurationError) as caught:
        load_keys(get_settings())

    assert caught.value.message == f"the API-keys secret {arn!r} could not be read"
    assert caught.value.reason == "ResourceNotFoundException"


def test_a_keys_file_is_read_again_when_it_changes(keys_file: PutKeys) -> None:
    keys_file({"OPENAI_API_KEY": "first"})
    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "first"

    keys_file({"OPENAI_API_KEY": "second, longer"})

    assert load_keys(get_settings()).get("OPENAI_API_KEY") == "second, longer"


# --- through the handler ------------------------------------------------------------------------

MODELS: list[dict[str, Any]] = [
    {"id": "gpt-4o", "provider": "openai", "model": "gpt-4o"},
    {"id": "claude", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0"},
]


@pytest.mark.parametrize(
    "value", ["", f'["{SENTINEL}"]', f"OPENAI_API_KEY={SENTINEL}"], ids=["empty", "list", "not-json"]
)
def test_a_broken_secret_is_a_500_whose_log_names_the_secret_and_the_fix(
    invoke: Invoke,
    keys_secret: PutKeys,
    write_inventory: WriteInventory,
    bedrock: FakeBedrockRuntime,
    read_logs: ReadLogs,
    value: str,
) -> None:
    write_inventory(MODELS, ["openai"])
    arn = keys_secret(value)

    response = invoke(
        "POST", "/v1/chat/completions", {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    )

    logged = misconfigured(response, read_logs)
    assert arn in logged["message"] and "set its value to {} or a JSON object of keys" in logged["message"]
    assert SENTINEL not in response["body"] and SENTINEL not in json.dumps(read_logs())
    # Bedrock models do not need the secret and keep working.
    ok = invoke(
        "POST", "/v1/chat/completions", {"model": "claude", "messages": [{"role": "user", "content": "x"}]}
    )
    assert ok["statusCode"] == 200
