"""Fixtures for the operator tools: an isolated AWS environment, moto, and the loopback fakes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.fakes.control_plane import FakeBedrock, FakeIamSimulator, FakeLambda, FakeServiceQuotas, FakeSts

ACCESS_KEY = "AKIAOPERATOR00000001"
SECRET_KEY = "operator-secret-key"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Credentials from the environment only: no profile, config file, IMDS or endpoint override leaks in."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@dataclass
class Fakes:
    quotas: FakeServiceQuotas
    bedrock: FakeBedrock
    sts: FakeSts
    secrets: Any  # a moto Secrets Manager client in the deployment region
    lambda_: FakeLambda
    iam: FakeIamSimulator


@pytest.fixture
def fakes(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """Service Quotas, Bedrock, Lambda's GetPolicy, IAM's simulator and STS on loopback; Secrets
    Manager in moto."""
    with (
        FakeServiceQuotas() as quotas,
        FakeBedrock() as bedrock,
        FakeSts() as sts,
        FakeLambda() as lam,
        FakeIamSimulator() as iam,
    ):
        monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", quotas.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", bedrock.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lam.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", iam.url)
        with mock_aws():
            secrets = boto3.client("secretsmanager", region_name="us-east-1")
            yield Fakes(quotas, bedrock, sts, secrets, lam, iam)
