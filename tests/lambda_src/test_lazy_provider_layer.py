"""Bedrock and SageMaker requests never import LangChain or a provider SDK, nor chat requests the
Responses API's modules: a fresh interpreter imports the handler, serves them (including an
admin's custom spec), then a ``/v1/responses`` request, and only then a third-party model. The admin's identity is presigned, and verified by the STS fake, out here: the signing
helper imports httpx, which is one of the modules watched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from botocore.credentials import Credentials

from operator_tools.sigv4 import presign_identity
from tests.fakes.control_plane import FakeSts
from tests.fakes.function_url import REGION, URL_ID
from tests.support import REPO_ROOT

SESSION = "arn:aws:sts::111122223333:assumed-role/Admin/s"

SCRIPT = r"""
import json, os, sys, tempfile

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.asgi import call_app
from tests.fakes.function_url import adapter_headers
from tests.fakes.openai_compatible import FakeChatCompletions
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime

LAYER = ("langchain", "openai", "anthropic", "cohere", "mistralai", "httpx", "tiktoken")
ADMIN = "arn:aws:iam::111122223333:role/Admin"
# What a Bedrock model's answer does not need: loaded when a model of theirs is called.
OTHERS = {
    "lambda_src.adapters.sagemaker", "lambda_src.adapters.sagemaker_codecs", "lambda_src.adapters.third_party",
    "lambda_src.admin_identity", "lambda_src.api_keys", "lambda_src.azure_deployments",
    "lambda_src.token_arrays",
}


def loaded():
    return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0].startswith(LAYER)})


def responses_api_loaded():
    return sorted(m for m in sys.modules if m.startswith(("lambda_src.responses_api", "lambda_src.responses_types")))


SESSION = ADMIN.replace(":iam:", ":sts:").replace("role/", "assumed-role/") + "/s"


def chat(app, model, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    headers = {"content-type": "application/json", **adapter_headers(SESSION)}
    if "custom_model" in extra:  # the admin's identity, presigned by the test (outside this interpreter)
        headers["x-llm-api-admin-identity"] = os.environ["ADMIN_IDENTITY"]
    return call_app(app, "POST", "/v1/chat/completions", json.dumps(body).encode(), headers)[0]


with FakeBedrockRuntime() as bedrock, FakeSageMakerRuntime() as sagemaker, FakeChatCompletions("sk-1") as openai:
    tmp = tempfile.mkdtemp()
    inventory, keys = os.path.join(tmp, "inventory.json"), os.path.join(tmp, "keys.json")
    models = [
        {"id": "claude", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0"},
        {"id": "tgi", "provider": "sagemaker", "model": "tgi-endpoint", "api": "tgi-messages"},
        {"id": "gpt", "provider": "openai", "model": "gpt-4o"},
    ]
    json.dump({"version": 1, "models": models, "third_party_providers": ["openai"]}, open(inventory, "w"))
    json.dump({"OPENAI_API_KEY": "sk-1", "OPENAI_BASE_URL": openai.url + "/v1"}, open(keys, "w"))
    os.environ.update(
        INVENTORY_FILE=inventory, KEYS_FILE=keys, STAGE="dev", ADMIN_PRINCIPALS=ADMIN,
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.url, AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=sagemaker.url,
    )
    from lambda_src.app import app

    report = {"after_import": loaded()}
    statuses = [
        call_app(app, "GET", "/v1/models", headers=adapter_headers(SESSION))[0],
        chat(app, "claude"),
    ]
    report["others_after_bedrock"] = sorted(m for m in sys.modules if m in OTHERS)
    statuses += [
        chat(app, "tgi"),
        chat(app, "lab", custom_model={"provider": "sagemaker", "model": "tgi-endpoint"}),
        chat(app, "nope"),
    ]
    report["aws_statuses"] = statuses
    report["after_aws"] = loaded()
    report["responses_api_after_chats"] = responses_api_loaded()
    report["anyio_backend_after_chats"] = "anyio._backends._asyncio" in sys.modules
    report["boto3_after_chats"] = sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "s3transfer"})
    report["stream_status"] = chat(app, "claude", stream=True)
    report["anyio_backend_after_stream"] = "anyio._backends._asyncio" in sys.modules
    report["pydantic_plugins_looked_up"] = sys.modules["pydantic.plugin._loader"]._plugins is not None
    body = json.dumps({"model": "claude", "input": "hi"}).encode()
    headers = {"content-type": "application/json", **adapter_headers(SESSION)}
    report["responses_status"] = call_app(app, "POST", "/v1/responses", body, headers)[0]
    report["responses_api_after_responses"] = responses_api_loaded()
    report["third_party_status"] = chat(app, "gpt")
    report["after_third_party"] = loaded()
    print(json.dumps(report))
"""


def _run(sts_url: str, identity: str) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_", "KEYS_", "INVENTORY", "PYDANTIC_"))
    }
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
        POWERTOOLS_TRACE_DISABLED="1",
        POWERTOOLS_LOG_LEVEL="ERROR",
        AWS_ENDPOINT_URL_STS=sts_url,
        ADMIN_IDENTITY=identity,
    )

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )

    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def test_bedrock_and_sagemaker_paths_never_import_the_provider_layer() -> None:
    admin = Credentials("ASIALAZYADMIN", "lazy-admin-secret", "lazy-admin-token")
    with FakeSts() as sts:
        sts.identities[admin.access_key] = (admin.secret_key, SESSION)
        report = _run(sts.url, presign_identity(admin, REGION, f"{URL_ID}.lambda-url.{REGION}.on.aws"))

    assert report["after_import"] == []
    assert report["aws_statuses"] == [200, 200, 200, 200, 404]
    assert [c.operation for c in sts.calls] == ["GetCallerIdentity"]
    assert report["after_aws"] == []
    # Nor the SageMaker and third-party adapters, the keys or the admin identity, until needed.
    assert report["others_after_bedrock"] == []
    # Nor the Responses API's translation and schemas: they load with the first /v1/responses.
    assert report["responses_api_after_chats"] == []
    # Upstream calls run on asyncio's executor: anyio's event-loop backend (about 20 ms to import)
    # is not loaded by answers that are not streamed.
    assert report["anyio_backend_after_chats"] is False
    # Nor boto3 (and its s3transfer): the clients are botocore's, and Powertools' parameters
    # (which import boto3) load only for an inventory in SSM or a keys secret; these are files.
    assert report["boto3_after_chats"] == []
    # Nor by a streamed one: the disconnect is watched with asyncio's tasks, not an anyio group.
    assert report["stream_status"] == 200
    assert report["anyio_backend_after_stream"] is False
    # Nor were pydantic plugins looked for (a scan of every installed distribution's metadata).
    assert report["pydantic_plugins_looked_up"] is False
    assert report["responses_status"] == 200
    assert report["responses_api_after_responses"] == [
        "lambda_src.responses_api",
        "lambda_src.responses_types",
    ]
    # The check can see the layer: a third-party model does load it.
    assert report["third_party_status"] == 200
    assert {"langchain_core", "langchain_openai", "openai"} <= set(report["after_third_party"])
