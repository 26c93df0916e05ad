"""Clients are made once per (service, region, role); assumed-role credentials are reused until
they near expiry. moto plays STS (its AssumeRole returns distinct ASIA... keys per call)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from moto import mock_aws

from lambda_src.aws_clients import (
    MAX_CLIENTS,
    MAX_ROLE_SESSIONS,
    ROLE_SESSION_NAME,
    AwsClients,
    DataLoader,
    client_config,
    get_clients,
    new_session,
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


# --- botocore's data files ---------------------------------------------------------------------


def test_the_loader_reads_the_same_data_as_botocores() -> None:
    ours, theirs = DataLoader(), botocore.loaders.Loader()

    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        assert ours.load_data(name) == theirs.load_data(name), name
    for service, kind in (("bedrock-runtime", "service-2"), ("sagemaker-runtime", "endpoint-rule-set-1")):
        assert ours.load_service_model(service, kind) == theirs.load_service_model(service, kind)


def test_a_first_client_lists_only_its_own_services_directory(
    bedrock: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_root = botocore.loaders.Loader.BUILTIN_DATA_PATH
    listed: list[str] = []
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        listed.append(os.fspath(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)

    _converse(AwsClients().get("bedrock-runtime", "us-east-1"))

    assert listed  # the service's own directory, for its API versions
    assert data_root not in listed
    assert all(os.path.basename(path) == "bedrock-runtime" for path in listed), listed


def test_an_unknown_service_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(UnknownServiceError) as caught:
        new_session().create_client("bedrock-runtimes", region_name="us-east-1")

    assert "bedrock-runtimes" in str(caught.value)
    assert "bedrock-runtime, " in str(caught.value)


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../botocore", "bedrock-runtime/2023-09-30", "no-such-service"]
)
def test_a_name_that_is_no_services_directory_is_not_a_service(name: str) -> None:
    assert name not in DataLoader().list_available_services("service-2")


def test_the_data_path_setting_still_adds_search_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "made-up-service" / "2026-01-01"
    model.mkdir(parents=True)
    real = botocore.loaders.Loader().load_service_model("sts", "service-2")
    (model / "service-2.json").write_text(
        json.dumps({**real, "metadata": {**real["metadata"], "endpointPrefix": "made-up"}})
    )
    monkeypatch.setenv("AWS_DATA_PATH", f"{tmp_path}{os.pathsep}~/nowhere")

    session = new_session()

    loader = session.get_component("data_loader")
    assert loader.search_paths[:2] == [str(tmp_path), os.path.expanduser("~/nowhere")]
    assert loader.search_paths[2:] == botocore.loaders.Loader().search_paths  # botocore's own follow
    assert "made-up-service" in loader.list_available_services("service-2")
    assert session.get_service_model("made-up-service").metadata["endpointPrefix"] == "made-up"
