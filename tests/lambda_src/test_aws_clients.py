"""Clients are made once per (service, region, role); assumed-role credentials are reused until
they near expiry. moto plays STS (its AssumeRole returns distinct ASIA... keys per call)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambda_src.aws_clients import (
    MAX_CLIENTS,
    MAX_ROLE_SESSIONS,
    ROLE_SESSION_NAME,
    AwsClients,
    client_config,
    get_clients,
)
from tests.fakes.bedrock_runtime import FakeBedrockRuntime

ROLE = "arn:aws:iam::210987654321:role/model-invoker"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture
def sts() -> Iterator[None]:
    with mock_aws():
        yield


def _converse(client: Any) -> None:
    client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])


def test_clients_are_cached_per_service_region_and_role(bedrock: FakeBedrockRuntime, sts: None) -> None:
    clients = AwsClients()

    first = clients.get("bedrock-runtime", "us-east-1")

    assert clients.get("bedrock-runtime", "us-east-1") is first
    assert clients.get("bedrock-runtime", "us-west-2") is not first
    assert clients.get("bedrock-runtime", "us-east-1", ROLE) is not first
    assert clients.get("bedrock-runtime", "us-east-1", ROLE) is clients.get(
        "bedrock-runtime", "us-east-1", ROLE
    )


def test_specs_naming_ever_new_regions_and_external_ids_cannot_grow_the_caches(
    bedrock: FakeBedrockRuntime, sts: None
) -> None:
    clients = AwsClients()
    kept = clients.get("bedrock-runtime", "us-east-1")

    for n in range(MAX_CLIENTS + 10):
        clients.get("bedrock-runtime", f"xx-made-{n % 10}{n // 10}", ROLE, f"external-{n}")
        clients.get("bedrock-runtime", "us-east-1")  # in use: stays cached

    assert len(clients._clients) == MAX_CLIENTS
    assert len(clients._sessions) == MAX_ROLE_SESSIONS
    assert clients.get("bedrock-runtime", "us-east-1") is kept


def test_get_clients_is_one_instance_per_container() -> None:
    assert get_clients(30.0) is get_clients(30.0)


def test_client_config_bounds_retries_and_time() -> None:
    config = client_config(12.5)

    assert config.retries == {"mode": "standard"}
    assert (config.read_timeout, config.connect_timeout) == (12.5, 10.0)


def test_assumed_role_credentials_sign_the_calls_and_are_reused(
    bedrock: FakeBedrockRuntime, sts: None
) -> None:
    clients = AwsClients()
    own_key = boto3.Session().get_credentials().access_key

    _converse(clients.get("bedrock-runtime", "us-east-1", ROLE, "ext-id-1"))
    _converse(clients.get("bedrock-runtime", "us-east-1", ROLE, "ext-id-1"))
    _converse(clients.get("bedrock-runtime", "us-east-1"))

    keys = [r.access_key_id for r in bedrock.requests]
    assert keys[0] == keys[1]
    assert keys[0] is not None and keys[0].startswith("ASIA")
    assert keys[0] != own_key
    assert keys[2] == own_key


def test_the_assumed_session_is_the_roles(bedrock: FakeBedrockRuntime, sts: None) -> None:
    clients = AwsClients()

    identity = clients.get("sts", "us-east-1", ROLE).get_caller_identity()

    assert identity["Account"] == "210987654321"
    assert identity["Arn"].endswith(f":assumed-role/model-invoker/{ROLE_SESSION_NAME}")


def test_credentials_are_refreshed_shortly_before_expiry(bedrock: FakeBedrockRuntime, sts: None) -> None:
    now = [datetime.now(UTC)]
    clients = AwsClients(clock=lambda: now[0])
    client = clients.get("bedrock-runtime", "us-east-1", ROLE)

    _converse(client)
    now[0] += timedelta(minutes=30)  # one-hour credentials: still well inside
    _converse(client)
    now[0] += timedelta(minutes=20)  # 10 minutes left: inside botocore's refresh window
    _converse(client)

    keys = [r.access_key_id for r in bedrock.requests]
    assert keys[0] == keys[1]
    assert keys[2] != keys[1]
    assert clients.get("bedrock-runtime", "us-east-1", ROLE) is client
