"""One ``scripts/serve`` process per test session, in front of the wire fakes, for the OpenAI SDK."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.support import REPO_ROOT

CONFIG = {
    "prefix": "e2e",
    "region": "us-east-1",
    "stage": "dev",
    "bedrock": {
        "models": [
            {"id": "claude", "model_id": "us.anthropic.claude-3-haiku-20240307-v1:0"},
            {"id": "throttled", "model_id": "mistral.mistral-large-2402-v1:0"},
            {"id": "titan-embed", "model_id": "amazon.titan-embed-text-v2:0", "task": "embedding"},
        ]
    },
    "sagemaker": {
        "endpoints": [
            {
                "kind": "existing_endpoint",
                "name": "tgi",
                "endpoint_name": "tgi-endpoint",
                "codec": "tgi-messages",
            },
            {
                "kind": "existing_endpoint",
                "name": "falcon",
                "endpoint_name": "falcon-endpoint",
                "codec": "tgi-generate",
                "prompt_format": "falcon",
            },
        ]
    },
}
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Served:
    base_url: str
    bedrock: FakeBedrockRuntime
    sagemaker: FakeSageMakerRuntime
    process: subprocess.Popen[str]


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = tmp_path_factory.mktemp("e2e") / "config.json"
    config.write_text(json.dumps(CONFIG))
    with FakeBedrockRuntime() as bedrock, FakeSageMakerRuntime() as sagemaker:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "INVENTORY_FILE"
        }
        env.update(
            AWS_ACCESS_KEY_ID="AKIDE2EFAKE",
            AWS_SECRET_ACCESS_KEY="fake-secret",
            AWS_REGION="us-east-1",
            AWS_MAX_ATTEMPTS="1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.url,
            AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=sagemaker.url,
        )
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "serve"), "--config", str(config), "--port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
        try:
            base_url = _wait_for_url(process, lines)
            yield Served(base_url, bedrock, sagemaker, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_url(process: subprocess.Popen[str], lines: queue.Queue[str]) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            raise AssertionError("scripts/serve did not start:\n" + "".join(seen)) from None
        seen.append(line)
        if "OpenAI base URL " in line:
            return line.split("OpenAI base URL ", 1)[1].split(")", 1)[0]
        if process.poll() is not None:
            raise AssertionError("scripts/serve exited:\n" + "".join(seen))


@pytest.fixture
def server(served: Served) -> Served:
    served.bedrock.reset()
    served.sagemaker.reset()
    return served
