from __future__ import annotations

import pytest

from lambda_src.exceptions import ConfigurationError
from lambda_src.settings import (
    DEFAULT_INVENTORY_MAX_AGE_SECONDS,
    DEFAULT_UPSTREAM_TIMEOUT_SECONDS,
    Settings,
    get_settings,
)

BASE = {"INVENTORY_PARAMETER_NAME": "/app/inventory"}


def test_reads_every_variable() -> None:
    settings = Settings.from_env(
        {
            "INVENTORY_PARAMETER_NAME": "/app/inventory",
            "STAGE": "dev",
            "KEYS_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf",
            "INVENTORY_MAX_AGE_SECONDS": "60",
            "LOG_PROMPTS": "true",
            "INVENTORY_FILE": "/tmp/inventory.json",
            "UPSTREAM_TIMEOUT_SECONDS": "2.5",
        }
    )

    assert settings == Settings(
        inventory_parameter_name="/app/inventory",
        stage="dev",
        keys_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf",
        inventory_max_age_seconds=60,
        log_prompts=True,
        inventory_file="/tmp/inventory.json",
        upstream_timeout_seconds=2.5,
    )
    assert settings.is_dev


def test_defaults() -> None:
    settings = Settings.from_env(BASE)

    assert settings.keys_secret_arn is None
    assert settings.inventory_max_age_seconds == DEFAULT_INVENTORY_MAX_AGE_SECONDS == 300
    assert not settings.is_dev
    assert settings.log_prompts is False
    assert settings.inventory_file is None
    assert settings.upstream_timeout_seconds == DEFAULT_UPSTREAM_TIMEOUT_SECONDS == 60


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_parameter_name_is_a_configuration_error(value: str | None) -> None:
    env = {} if value is None else {"INVENTORY_PARAMETER_NAME": value}

    with pytest.raises(ConfigurationError, match="INVENTORY_PARAMETER_NAME") as caught:
        Settings.from_env(env)

    assert caught.value.status == 500


@pytest.mark.parametrize(
    ("stage", "is_dev"),
    [
        ("dev", True),
        (" dev ", True),
        (None, False),
        ("", False),
        ("prod", False),
        ("Dev", False),
        ("DEV", False),
        ("development", False),
        ("staging", False),
    ],
)
def test_only_an_explicit_dev_stage_is_dev(stage: str | None, is_dev: bool) -> None:
    env = dict(BASE) if stage is None else {**BASE, "STAGE": stage}

    assert Settings.from_env(env).is_dev is is_dev


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("1", 1), (" 600 ", 600), ("", 300), ("  ", 300)])
def test_max_age(raw: str, expected: int) -> None:
    assert Settings.from_env({**BASE, "INVENTORY_MAX_AGE_SECONDS": raw}).inventory_max_age_seconds == expected


@pytest.mark.parametrize("raw", ["-1", "1.5", "five", "300s", "s3cr3t-value"])
def test_bad_max_age_is_a_configuration_error_without_the_value(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="INVENTORY_MAX_AGE_SECONDS") as caught:
        Settings.from_env({**BASE, "INVENTORY_MAX_AGE_SECONDS": raw})

    assert raw.strip() not in caught.value.message


def test_empty_keys_secret_arn_means_none() -> None:
    assert Settings.from_env({**BASE, "KEYS_SECRET_ARN": ""}).keys_secret_arn is None


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({**BASE, "STAGE": "prod"})

    with pytest.raises(AttributeError):
        settings.stage = "dev"  # type: ignore[misc]
    assert settings.stage == "prod"


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_PARAMETER_NAME", "/first")
    assert get_settings().inventory_parameter_name == "/first"

    monkeypatch.setenv("INVENTORY_PARAMETER_NAME", "/second")

    assert get_settings().inventory_parameter_name == "/first"


def test_get_settings_does_not_cache_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_PARAMETER_NAME")
    with pytest.raises(ConfigurationError):
        get_settings()

    monkeypatch.setenv("INVENTORY_PARAMETER_NAME", "/fixed")

    assert get_settings().inventory_parameter_name == "/fixed"


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), (" TRUE ", True), ("false", False), ("", False)]
)
def test_log_prompts(raw: str, expected: bool) -> None:
    assert Settings.from_env({**BASE, "LOG_PROMPTS": raw}).log_prompts is expected


@pytest.mark.parametrize("raw", ["yes", "1", "on", "maybe"])
def test_log_prompts_is_true_or_false_only(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="LOG_PROMPTS"):
        Settings.from_env({**BASE, "LOG_PROMPTS": raw})


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "901", "soon"])
def test_bad_upstream_timeout_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="UPSTREAM_TIMEOUT_SECONDS"):
        Settings.from_env({**BASE, "UPSTREAM_TIMEOUT_SECONDS": raw})


def test_an_inventory_file_replaces_the_parameter() -> None:
    settings = Settings.from_env({"INVENTORY_FILE": "/tmp/inventory.json"})

    assert (settings.inventory_parameter_name, settings.inventory_file) == ("", "/tmp/inventory.json")


def test_override_settings_and_keys_file() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "ADMIN_PRINCIPALS": " arn:aws:iam::111122223333:role/Admin ,, arn:aws:iam::111122223333:user/bob",
            "OVERRIDE_ROLE_ARNS": "arn:aws:iam::444455556666:role/experiments",
            "KEYS_FILE": "/tmp/keys.json",
            "AWS_MAX_ATTEMPTS": "5",
        }
    )

    assert settings.admin_principals == (
        "arn:aws:iam::111122223333:role/Admin",
        "arn:aws:iam::111122223333:user/bob",
    )
    assert settings.override_role_arns == ("arn:aws:iam::444455556666:role/experiments",)
    assert (settings.keys_file, settings.max_attempts) == ("/tmp/keys.json", 5)
    defaults = Settings.from_env(BASE)
    assert (defaults.admin_principals, defaults.override_role_arns, defaults.max_attempts) == ((), (), 3)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADMIN_PRINCIPALS", "alice"),
        ("OVERRIDE_ROLE_ARNS", "arn:aws:iam::1234:role/short-account"),
        ("AWS_MAX_ATTEMPTS", "0"),
        ("AWS_MAX_ATTEMPTS", "many"),
    ],
)
def test_bad_override_settings_are_configuration_errors(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable) as caught:
        Settings.from_env({**BASE, variable: value})

    assert caught.value.message.startswith("the function is misconfigured")
