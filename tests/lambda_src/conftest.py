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

from lambda_src import inventory_loader
from lambda_src.aws_clients import get_clients
from lambda_src.settings import get_settings
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.function_url import FakeLambdaContext, make_event
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import PARAMETER_NAME, Invoke, ReadLogs, WriteInventory


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
    for var in ("INVENTORY_FILE", "LOG_PROMPTS", "UPSTREAM_TIMEOUT_SECONDS"):
        monkeypatch.delenv(var, raising=False)
    # One attempt per upstream call unless a test asks for retries (they back off for seconds).
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # log_metrics warns on every invocation that publishes no metric (errors before any model call).
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    # Module-level caches outlive a test: drop them on both sides.
    _clear_caches()
    yield
    _clear_caches()


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_clients.cache_clear()
    inventory_loader.ssm_provider.cache_clear()
    parameters.clear_caches()
    inventory_loader._read_file.cache_clear()


@pytest.fixture(scope="session")
def _bedrock_server() -> Iterator[FakeBedrockRuntime]:
    with FakeBedrockRuntime() as fake:
        yield fake


@pytest.fixture(scope="session")
def _sagemaker_server() -> Iterator[FakeSageMakerRuntime]:
    with FakeSageMakerRuntime() as fake:
        yield fake


@pytest.fixture
def bedrock(_bedrock_server: FakeBedrockRuntime, monkeypatch: pytest.MonkeyPatch) -> FakeBedrockRuntime:
    """The fake bedrock-runtime, emptied, with boto3 pointed at it."""
    _bedrock_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", _bedrock_server.url)
    return _bedrock_server


@pytest.fixture
def sagemaker(
    _sagemaker_server: FakeSageMakerRuntime, monkeypatch: pytest.MonkeyPatch
) -> FakeSageMakerRuntime:
    """The fake sagemaker-runtime, emptied, with boto3 pointed at it."""
    _sagemaker_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", _sagemaker_server.url)
    return _sagemaker_server


@pytest.fixture
def write_inventory(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> WriteInventory:
    """Serve an inventory from a local file (INVENTORY_FILE), as scripts/serve does."""
    path = tmp_path / "inventory.json"

    def write(models: list[dict[str, Any]]) -> None:
        path.write_text(json.dumps({"version": 1, "models": models}))
        monkeypatch.setenv("INVENTORY_FILE", str(path))
        monkeypatch.delenv("INVENTORY_PARAMETER_NAME", raising=False)
        get_settings.cache_clear()

    return write


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
