#!/usr/bin/env python3
"""Cold start and per-request overhead of the Lambda handler, against baselines in the same run.

    .venv/bin/python bench/handler.py [--cold-runs N] [--requests N]

Cold start: fresh processes, alternating, each in a Lambda-like environment (LAMBDA_TASK_ROOT,
a trace header, tracing on, the inventory read from SSM). Ours imports the handler and serves
the first chat request (SSM GetParameter, then Bedrock Converse, both on local fakes); the
baseline imports boto3 and the Powertools event handler. Target ratio: at most 1.3. A third-party
first request (keys from a file, LangChain's ChatOpenAI on an OpenAI-compatible fake) shows what
importing the provider layer adds; Bedrock requests never pay it.

Overhead: in one warm process, the same chat request through ``lambda_handler`` (Function URL
event in, response out) and as a direct boto3 ``converse`` call to the same fake, alternating.
Prints p50/p99 of both and the difference. Target: under 1 ms added at p50.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.fakes import OPENAI_KEY, PARAMETER_NAME  # noqa: E402

MODEL_ID = "us.anthropic.claude-3-haiku-20240307-v1:0"
CLAUDE = {"id": "claude", "provider": "bedrock", "model": MODEL_ID, "region": "us-east-1"}
GPT = {"id": "gpt", "provider": "openai", "model": "gpt-4o-mini"}
INVENTORY = json.dumps({"version": 1, "models": [CLAUDE, GPT], "third_party_providers": ["openai"]})
REQUEST = {
    "model": "claude",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Write one sentence about the sea."},
    ],
    "max_tokens": 100,
    "temperature": 0.2,
}

BASELINE = """
import time
t = time.perf_counter()
import boto3
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
print(time.perf_counter() - t)
"""

# What any boto3 handler pays to answer the same request: the client, then the call.
BASELINE_CALL = """
import time
t = time.perf_counter()
import boto3
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
client = boto3.client("bedrock-runtime")
client.converse(modelId="{model}", messages=[{{"role": "user", "content": [{{"text": "hi"}}]}}])
print(time.perf_counter() - t)
"""

OURS = """
import time
from tests.fakes.function_url import FakeLambdaContext, make_event
event = make_event("{method}", "{path}", {request})
t = time.perf_counter()
from lambda_src.app import lambda_handler
response = lambda_handler(event, FakeLambdaContext())
elapsed = time.perf_counter() - t
assert response["statusCode"] == 200, response["body"]
print(elapsed)
"""


def lambda_env(urls: dict[str, str], tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN"))}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        # What Lambda sets, and what the stack sets for the function.
        LAMBDA_TASK_ROOT=tmp,
        AWS_LAMBDA_FUNCTION_NAME="llm-inference-api",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        # Fake credentials: every call goes to the local fakes.
        AWS_ACCESS_KEY_ID="ASIABENCHFAKE",
        AWS_SECRET_ACCESS_KEY="fake",  # noqa: S106
        AWS_SESSION_TOKEN="fake",  # noqa: S106
        AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000",
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        INVENTORY_PARAMETER_NAME=PARAMETER_NAME,
        STAGE="prod",
        LOG_PROMPTS="false",
        POWERTOOLS_SERVICE_NAME="llm",
        POWERTOOLS_METRICS_NAMESPACE="LlmInferenceApi",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=urls["bedrock"],
        AWS_ENDPOINT_URL_SSM=urls["ssm"],
        KEYS_FILE=os.path.join(tmp, "api-keys.json"),
    )
    with open(env["KEYS_FILE"], "w") as f:
        json.dump({"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": urls["openai"] + "/v1"}, f)
    return env


def _run(code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_start(urls: dict[str, str], runs: int, tmp: str) -> None:
    env = lambda_env(urls, tmp)
    variants = {
        "baseline": BASELINE,
        "baseline_call": BASELINE_CALL.format(model=MODEL_ID),
        "chat": OURS.format(method="POST", path="/v1/chat/completions", request=repr(REQUEST)),
        "health": OURS.format(method="GET", path="/health", request=None),
        "third_party": OURS.format(
            method="POST", path="/v1/chat/completions", request=repr({**REQUEST, "model": "gpt"})
        ),
    }
    # Warm the OS file cache (and .pyc files) for each before measuring.
    for code in variants.values():
        _run(code, env)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, code in variants.items():
            times[name].append(_run(code, env))
    med = {name: statistics.median(values) for name, values in times.items()}
    base = med["baseline"]
    print(f"cold start (median of {runs} fresh processes each, interleaved):")
    print(f"  A  import boto3 + powertools event handler:            {base * 1000:7.1f} ms")
    print(f"  B  import handler + first chat request (SSM + Bedrock): {med['chat'] * 1000:7.1f} ms")
    print(f"  C  import handler + first GET /health:                  {med['health'] * 1000:7.1f} ms")
    print(f"  D  A + create a bedrock-runtime client + one converse:  {med['baseline_call'] * 1000:7.1f} ms")
    print(f"  E  import handler + first third-party (OpenAI) request: {med['third_party'] * 1000:7.1f} ms")
    print(f"  ratio B/A: {med['chat'] / base:.2f} (target <= 1.3)")
    print(f"  ratio C/A: {med['health'] / base:.2f}   ratio B/D: {med['chat'] / med['baseline_call']:.2f}")
    layer_ms = (med["third_party"] - med["chat"]) * 1000
    print(f"  provider layer import on the first third-party request: E - B = {layer_ms:.0f} ms")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _overhead_run(env: dict[str, str], requests: int) -> dict[str, list[float]]:
    code = OVERHEAD.format(request=repr(REQUEST), requests=requests, model=MODEL_ID)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def overhead(urls: dict[str, str], requests: int, tmp: str) -> None:
    traced_env = lambda_env(urls, tmp)
    env = dict(traced_env)
    # Outside Lambda (no task root, no trace header) Powertools turns tracing off.
    env.pop("LAMBDA_TASK_ROOT")
    env.pop("_X_AMZN_TRACE_ID")
    env["POWERTOOLS_TRACE_DISABLED"] = "1"
    plain = _overhead_run(env, requests)
    traced = _overhead_run(traced_env, requests)
    print(f"per-request overhead ({requests} requests each, alternating with direct calls, warm):")
    rows = [
        ("direct boto3 converse", plain["direct"]),
        ("through lambda_handler", plain["handler"]),
        ("through lambda_handler, X-Ray on", traced["handler"]),
    ]
    for label, values in rows:
        p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
        print(f"  {label:36} p50 {p50 * 1000:6.3f} ms   p99 {p99 * 1000:6.3f} ms")
    for label, run in (("tracing off", plain), ("X-Ray on", traced)):
        d50, h50 = _percentile(run["direct"], 0.5), _percentile(run["handler"], 0.5)
        d99, h99 = _percentile(run["direct"], 0.99), _percentile(run["handler"], 0.99)
        print(
            f"  added ({label}): p50 {(h50 - d50) * 1000:6.3f} ms (target < 1 ms), "
            f"p99 {(h99 - d99) * 1000:6.3f} ms; ratio p50 {h50 / d50:.2f}, p99 {h99 / d99:.2f}"
        )


OVERHEAD = """
import io, json, sys, time, contextlib
import boto3
from botocore.config import Config
from lambda_src.app import lambda_handler
from tests.fakes.function_url import FakeLambdaContext, make_event

request = {request}
event = make_event("POST", "/v1/chat/completions", request)
context = FakeLambdaContext()
config = Config(retries={{"mode": "standard"}})
client = boto3.client("bedrock-runtime", region_name="us-east-1", config=config)
converse = dict(
    modelId="{model}",
    system=[{{"text": request["messages"][0]["content"]}}],
    messages=[{{"role": "user", "content": [{{"text": request["messages"][1]["content"]}}]}}],
    inferenceConfig={{"maxTokens": 100, "temperature": 0.2}},
)
sink = io.StringIO()
def through_handler():
    # Log and metric lines go to stdout, as in Lambda; here they are captured, not printed.
    with contextlib.redirect_stdout(sink):
        assert lambda_handler(event, context)["statusCode"] == 200
    sink.seek(0); sink.truncate()
def direct():
    client.converse(**converse)["output"]
for _ in range(50):
    through_handler(); direct()
d, h = [], []
for _ in range({requests}):
    t = time.perf_counter(); direct(); d.append(time.perf_counter() - t)
    t = time.perf_counter(); through_handler(); h.append(time.perf_counter() - t)
print(json.dumps({{"direct": d, "handler": h}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    fakes = subprocess.Popen(
        [sys.executable, "-m", "bench.fakes", INVENTORY],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fakes.stdout is not None
        urls = json.loads(fakes.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            cold_start(urls, args.cold_runs, tmp)
            overhead(urls, args.requests, tmp)
    finally:
        if fakes.stdin:
            fakes.stdin.close()
        fakes.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
