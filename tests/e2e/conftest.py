"""``scripts/serve`` processes in front of the wire fakes, for the OpenAI SDK: one as an admin of a
dev deployment (the whole session), and one as a non-admin caller (started when a test needs it)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from botocore.credentials import Credentials

from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.control_plane import FakeSts
from tests.fakes.openai_compatible import FakeChatCompletions
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.support import REPO_ROOT

ADMIN_ROLE = "arn:aws:iam::111122223333:role/platform/PlatformAdmin"
ADMIN_CALLER = "arn:aws:sts::111122223333:assumed-role/PlatformAdmin/alice"
# Alice's own credentials, registered with the STS fake: her presigned identity verifies.
ADMIN_CREDENTIALS = Credentials("ASIAE2EALICE", "alice-e2e-secret", "alice-e2e-token")
NON_ADMIN_CALLER = "arn:aws:sts::111122223333:assumed-role/app-team/bob"
EXPERIMENTS_ROLE = "arn:aws:iam::444455556666:role/experiments"
OPENAI_KEY = "sk-e2e-openai-6b1d"
CONFIG = {
    "prefix": "e2e",
    "region": "us-east-1",
    "stage": "dev",
    "admin_principals": [ADMIN_ROLE],
    "overrides": {"allowed_role_arns": [EXPERIMENTS_ROLE]},
    "third_party": {"openai": {"models": [{"id": "gpt-mini", "model": "gpt-4o-mini"}]}},
    "bedrock": {
        "models": [
            {"id": "claude", "model_id": "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
            {"id": "throttled", "model_id": "amazon.nova-micro-v1:0"},
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
            # A vLLM container deployed elsewhere: OpenAI's chat schema at /invocations.
            {
                "kind": "existing_endpoint",
                "name": "qwen",
                "endpoint_name": "qwen-vllm",
                "codec": "openai-chat",
            },
            {
                "kind": "existing_endpoint",
                "name": "falcon",
                "endpoint_name": "falcon-endpoint",
                "codec": "tgi-generate",
                "prompt_format": "falcon",
            },
            # Text Embeddings Inference (the stack would deploy it as "e2e-bge").
            {
                "kind": "huggingface",
                "name": "bge",
                "engine": "tei",
                "task": "embedding",
                "hf_model_id": "BAAI/bge-m3",
                "instance_type": "ml.g5.xlarge",
            },
        ]
    },
}
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Fakes:
    bedrock: FakeBedrockRuntime
    sagemaker: FakeSageMakerRuntime
    openai: FakeChatCompletions
    sts: FakeSts
    env: dict[str, str]
    config: Path
    keys: Path

    def reset(self) -> None:
        self.bedrock.reset()
        self.sagemaker.reset()
        self.openai.reset()
        self.sts.calls.clear()


@dataclass(frozen=True)
class Served:
    base_url: str
    bedrock: FakeBedrockRuntime
    sagemaker: FakeSageMakerRuntime
    process: subprocess.Popen[str]
    openai: FakeChatCompletions
    sts: FakeSts


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


@pytest.fixture(scope="session")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fakes]:
    tmp = tmp_path_factory.mktemp("e2e")
    config, keys = tmp / "config.json", tmp / "api-keys.json"
    config.write_text(json.dumps(CONFIG))
    with (
        FakeBedrockRuntime() as bedrock,
        FakeSageMakerRuntime() as sagemaker,
        FakeChatCompletions(OPENAI_KEY) as openai,
        FakeSts() as sts,
    ):
        sts.trust[EXPERIMENTS_ROLE] = None
        sagemaker.containers.update({"qwen-vllm": "vllm", "e2e-bge": "tei"})
        sts.identities[ADMIN_CREDENTIALS.access_key] = (ADMIN_CREDENTIALS.secret_key, ADMIN_CALLER)
        keys.write_text(json.dumps({"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": f"{openai.url}/v1"}))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "POWERTOOLS_", "KEYS_")) and k != "INVENTORY_FILE"
        }
        env.update(
            AWS_ACCESS_KEY_ID="AKIDE2EFAKE",
            AWS_SECRET_ACCESS_KEY="fake-secret",
            AWS_REGION="us-east-1",
            AWS_MAX_ATTEMPTS="1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock.url,
            AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=sagemaker.url,
            AWS_ENDPOINT_URL_STS=sts.url,
        )
        yield Fakes(bedrock, sagemaker, openai, sts, env, config, keys)


@contextmanager
def _serve(fakes: Fakes, caller: str) -> Iterator[Served]:
    process = subprocess.Popen(
        [
            str(REPO_ROOT / "scripts" / "serve"),
            "--config",
            str(fakes.config),
            "--port",
            "0",
            "--keys-file",
            str(fakes.keys),
            "--caller-arn",
            caller,
        ],
        env=fakes.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
    try:
        base_url = _wait_for_url(process, lines)
        yield Served(base_url, fakes.bedrock, fakes.sagemaker, process, fakes.openai, fakes.sts)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def served(fakes: Fakes) -> Iterator[Served]:
    """The server, called as an admin of this dev deployment."""
    with _serve(fakes, ADMIN_CALLER) as served:
        yield served


@pytest.fixture(scope="session")
def served_non_admin(fakes: Fakes) -> Iterator[Served]:
    """The same deployment, called by a principal that is not an admin."""
    with _serve(fakes, NON_ADMIN_CALLER) as served:
        yield served


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
def server(served: Served, fakes: Fakes) -> Served:
    fakes.reset()
    return served


@pytest.fixture
def non_admin_server(served_non_admin: Served, fakes: Fakes) -> Served:
    fakes.reset()
    return served_non_admin


@pytest.fixture
def client(server: Served) -> openai.OpenAI:
    """The OpenAI SDK on the admin's server, without retries: each test sees exactly what the API
    answered."""
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=30)
