from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from lambda_src.settings import get_settings
from tests.fakes.function_url import FakeLambdaContext, make_event
from tests.lambda_src.support import PARAMETER_NAME, Invoke, ReadLogs


@pytest.fixture(autouse=True)
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment the function gets from its deployment, with fake credentials."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "POWERTOOLS_DEV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "llm-inference")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "LlmInference")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("INVENTORY_PARAMETER_NAME", PARAMETER_NAME)
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("KEYS_SECRET_ARN", raising=False)
    monkeypatch.delenv("INVENTORY_MAX_AGE_SECONDS", raising=False)
    # log_metrics warns on every invocation that publishes no metric; no route publishes one yet.
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    # Module-level caches outlive a test: drop them on both sides.
    get_settings.cache_clear()
    parameters.clear_caches()
    yield
    get_settings.cache_clear()
    parameters.clear_caches()


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


@pytest.fixture
def put_inventory(ssm: Any) -> Callable[[str | dict[str, Any]], None]:
    def put(value: str | dict[str, Any]) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        ssm.put_parameter(Name=PARAMETER_NAME, Value=text, Type="String", Overwrite=True)

    return put


@pytest.fixture
def invoke() -> Invoke:
    """Call ``lambda_handler`` like Lambda does; returns the Function URL response dict."""
    from lambda_src.app import lambda_handler

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        return lambda_handler(make_event(method, path, body, **kwargs), FakeLambdaContext())

    return call


class _Collect(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def read_logs() -> Iterator[ReadLogs]:
    """Returns a function giving the log lines emitted so far, formatted as in CloudWatch (JSON)."""
    from lambda_src.app import logger

    target = logging.getLogger(logger.name)
    formatter = target.handlers[0].formatter if target.handlers else None
    collector = _Collect(formatter)
    target.addHandler(collector)
    try:
        yield lambda: [json.loads(line) for line in collector.lines]
    finally:
        target.removeHandler(collector)
