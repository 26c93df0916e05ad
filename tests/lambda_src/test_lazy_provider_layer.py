"""Bedrock and SageMaker requests never import LangChain or a provider SDK: a fresh interpreter
imports the handler, serves them (including a custom spec), and only then a third-party model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import REPO_ROOT

SCRIPT = r"""
import json, os, sys, tempfile

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.asgi import call_app
from tests.fakes.function_url import adapter_headers
from tests.fakes.openai_compatible import FakeChatCompletions
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime

LAYER = ("langchain", "openai", "anthropic", "cohere", "mistralai", "httpx", "tiktoken")
ADMIN = "arn:aws:iam::111122223333:role/Admin"


def loaded():
    return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0].startswith(LAYER)})


SESSION = ADMIN.replace(":iam:", ":sts:").replace("role/", "assumed-role/") + "/s"


def chat(app, model, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    headers = {"content-type": "application/json", **adapter_headers(SESSION)}
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
        chat(app, "tgi"),
        chat(app, "lab", custom_model={"provider": "sagemaker", "model": "tgi-endpoint"}),
        chat(app, "nope"),
    ]
    report["aws_statuses"] = statuses
    report["after_aws"] = loaded()
    report["third_party_status"] = chat(app, "gpt")
    report["after_third_party"] = loaded()
    print(json.dumps(report))
"""


def test_bedrock_and_sagemaker_paths_never_import_the_provider_layer() -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "KEYS_", "INVENTORY"))
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

    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["after_import"] == []
    assert report["aws_statuses"] == [200, 200, 200, 200, 404]
    assert report["after_aws"] == []
    # The check can see the layer: a third-party model does load it.
    assert report["third_party_status"] == 200
    assert {"langchain_core", "langchain_openai", "openai"} <= set(report["after_third_party"])
