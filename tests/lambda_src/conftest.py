from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from lambda_src import api_keys, inventory_loader
from lambda_src.aws_clients import get_clients
from lambda_src.settings import get_settings
from tests.fakes.anthropic_messages import FakeAnthropic
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.cohere_chat import FakeCohere
from tests.fakes.function_url import DEFAULT_CALLER_ARN, REGION, URL_ID, adapter_headers
from tests.fakes.openai_compatible import FakeAzureOpenAI, FakeChatCompletions
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import (
    ANTHROPIC_KEY,
    AZURE_DEPLOYMENT_KEYS,
    AZURE_V1_KEY,
    COHERE_KEY,
    COMPAT_KEY,
    MISTRAL_KEY,
    OPENAI_KEY,
    PARAMETER_NAME,
    THIRD_PARTY_PROVIDERS,
    Invoke,
    Providers,
    PutKeys,
    ReadLogs,
    WriteInventory,
)

# Powertools reads the service name when lambda_src.telemetry is imported, which test modules
# may do while they are collected, before any fixture runs.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "llm-inference")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LlmInference")


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
    inventory_loader.forget()
    api_keys.secrets_provider.cache_clear()
    api_keys._read_file.cache_clear()
    # Only if a test loaded it: importing it here would load LangChain into every test.
    langchain_chat = sys.modules.get("lambda_src.adapters.langchain_chat")
    if langchain_chat is not None:
        langchain_chat.chat_model_for.cache_clear()


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

    def write(models: list[dict[str, Any]], third_party_providers: Sequence[str] = ()) -> None:
        document = {"version": 1, "models": models, "third_party_providers": list(third_party_providers)}
        path.write_text(json.dumps(document))
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
def invoke() -> Iterator[Invoke]:
    """Send one request to the ASGI app as the Lambda Web Adapter forwards a Function URL
    request (its context headers, the caller's identity); returns ``{"statusCode", "headers",
    "body"}`` with case-insensitive headers."""
    from starlette.testclient import TestClient

    from lambda_src.app import app

    with TestClient(app, base_url=f"https://{URL_ID}.lambda-url.{REGION}.on.aws") as client:

        def call(
            method: str,
            path: str,
            body: Any = None,
            headers: dict[str, str] | None = None,
            *,
            caller_arn: str | None = DEFAULT_CALLER_ARN,
        ) -> dict[str, Any]:
            if isinstance(body, dict | list):
                body = json.dumps(body)
            content = body.encode() if isinstance(body, str) else body
            sent = {**({"content-type": "application/json"} if content is not None else {})}
            sent |= {k.lower(): v for k, v in (headers or {}).items()}
            sent |= adapter_headers(caller_arn)
            response = client.request(method, path, content=content, headers=sent)
            return {"statusCode": response.status_code, "headers": response.headers, "body": response.text}

        yield call


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


# --- third-party providers ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def _provider_servers() -> Iterator[Providers]:
    with (
        FakeChatCompletions(OPENAI_KEY) as openai,
        FakeChatCompletions(COMPAT_KEY, prefix="/openai/v1") as compat,
        FakeChatCompletions(MISTRAL_KEY) as mistral,
        FakeAzureOpenAI(AZURE_DEPLOYMENT_KEYS) as azure,
        FakeAnthropic(ANTHROPIC_KEY) as anthropic,
        FakeCohere(COHERE_KEY) as cohere,
        FakeChatCompletions(AZURE_V1_KEY, prefix="/openai/v1") as azure_v1,
    ):
        yield Providers(openai, compat, mistral, azure, anthropic, cohere, azure_v1)


@pytest.fixture
def providers(_provider_servers: Providers) -> Providers:
    """The provider fakes, emptied (keys in tests.lambda_src.support, URLs in ``keys()``)."""
    for fake in _provider_servers.all():
        fake.reset()
    return _provider_servers


@pytest.fixture
def third_party_deployment(
    write_inventory: WriteInventory, keys_file: PutKeys, providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every third-party provider enabled, with the fakes' models and keys (from a keys file)."""
    write_inventory(providers.models(), THIRD_PARTY_PROVIDERS)
    keys_file(providers.keys())
    # The openai_compatible fake is plain http on 127.0.0.1, as scripts/serve allows.
    monkeypatch.setenv("ALLOW_LOOPBACK_UPSTREAMS", "true")
    get_settings.cache_clear()


@pytest.fixture
def keys_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[PutKeys]:
    """A keys secret in moto's Secrets Manager named by KEYS_SECRET_ARN; ``put(value)`` replaces
    its value (a dict is stored as JSON, a str as it is; "" as an empty binary value, since
    Secrets Manager refuses an empty string). The function's cache is left alone."""
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="llm/api-keys", SecretString="{}")["ARN"]
        monkeypatch.setenv("KEYS_SECRET_ARN", arn)
        get_settings.cache_clear()

        def put(value: str | dict[str, Any]) -> str:
            text = value if isinstance(value, str) else json.dumps(value)
            if text:
                client.put_secret_value(SecretId=arn, SecretString=text)
            else:
                client.put_secret_value(SecretId=arn, SecretBinary=b" ")
            return arn

        yield put


@pytest.fixture
def keys_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> PutKeys:
    """Keys from a local file (KEYS_FILE, as ``scripts/serve --keys-file``): the same parsing as
    the secret without Secrets Manager, for tests about providers rather than the secret."""
    path = tmp_path / "api-keys.json"
    monkeypatch.setenv("KEYS_FILE", str(path))
    get_settings.cache_clear()

    def put(value: str | dict[str, Any]) -> str:
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        api_keys._read_file.cache_clear()
        return str(path)

    return put
