#!/usr/bin/env python3
"""The runtime's streaming latency, per-request overhead and cold start, each against a baseline
measured in the same run, on local fakes of Bedrock (and SSM).

    .venv/bin/python bench/runtime.py [--stream-runs N] [--requests N] [--cold-runs N]

1. Streaming: a Bedrock fake that streams 10 pieces 100 ms apart (on a fixed schedule, as a model
   emits: time the fake loses to this busy machine does not add up). Time to the first content
   piece and to the end of the answer, through ``scripts/serve`` (the app under uvicorn, the
   OpenAI wire format) and as a direct boto3 ``converse_stream`` call; alternating. Targets: at
   most 5 ms added at p50, first piece within 150 ms.
2. Per-request overhead of a non-streamed chat: in process (the ASGI app called directly) and
   over HTTP (``scripts/serve``), against a direct boto3 ``converse`` call; alternating. In
   process twice: as the function runs in Lambda (one request at a time, so the upstream call
   runs on the event loop's thread under a timer for the deadline), and as ``scripts/serve``
   runs it (the call in a worker thread). Targets: under 0.5 ms added at p50 in process (as in
   Lambda); over HTTP, p99 at most 2x p50. For reference, the time an empty call takes through
   the deadline.
3. Cold start: fresh processes of the runtime's Python (3.12, with boto3 as Lambda provides it).
   Ours imports the app from the function package as synthesized (bytecode included, read-only
   like Lambda's code directory) and answers one chat request (the inventory from the package, as
   the stack deploys it, then Converse); the baseline imports boto3 and makes one Converse call.
   Target ratio: at most 1.5. The same package without its bytecode shows what the bytecode
   saves; the same with the inventory in SSM is the exported module's function.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.fakes import PARAMETER_NAME, FakeSsm  # noqa: E402
from tests.fakes.bedrock_runtime import FakeBedrockRuntime  # noqa: E402

MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
CLAUDE = {"id": "claude", "provider": "bedrock", "model": MODEL_ID, "region": "us-east-1"}
INVENTORY = json.dumps({"version": 1, "models": [CLAUDE]})
# Ten words: the fake echoes them back one piece each ("echo:" plus nine).
PROMPT = "one two three four five six seven eight nine"
REQUEST = {"model": "claude", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 100}
CONVERSE = {"modelId": MODEL_ID, "messages": [{"role": "user", "content": [{"text": PROMPT}]}]}
RUNTIME_PYTHON = "3.12"
BOTO3 = "boto3==1.44.5"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(label: str, values: list[float]) -> str:
    return f"  {label:44} p50 {_pct(values, 0.5) * 1000:8.2f} ms   p99 {_pct(values, 0.99) * 1000:8.2f} ms"


# --- scripts/serve ---------------------------------------------------------------------------------


def start_serve(bedrock_url: str, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    config = tmp / "bench-config.json"
    config.write_text(
        json.dumps(
            {
                "prefix": "bench",
                "region": "us-east-1",
                "bedrock": {"models": [{"id": "claude", "model_id": MODEL_ID}]},
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDBENCH",
        AWS_SECRET_ACCESS_KEY="fake",  # noqa: S106
        AWS_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock_url,
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="1",
    )
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "serve.py"), "--config", str(config), "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "OpenAI base URL " in line:
            return process, line.split("OpenAI base URL ", 1)[1].split(")", 1)[0]
    raise SystemExit("scripts/serve did not start")


def streaming(bedrock: FakeBedrockRuntime, base_url: str, runs: int) -> None:
    import boto3
    import httpx
    from botocore.config import Config

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=bedrock.url,
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="fake",  # noqa: S106
        config=Config(retries={"total_max_attempts": 1}),
    )
    http = httpx.Client(timeout=30)

    def direct() -> tuple[float, float]:
        start = time.perf_counter()
        first = 0.0
        for event in client.converse_stream(**CONVERSE)["stream"]:
            if not first and event.get("contentBlockDelta", {}).get("delta", {}).get("text"):
                first = time.perf_counter() - start
        return first, time.perf_counter() - start

    def served() -> tuple[float, float]:
        start = time.perf_counter()
        first = 0.0
        with http.stream(
            "POST", f"{base_url}/chat/completions", json={**REQUEST, "stream": True}
        ) as response:
            for line in response.iter_lines():
                if (
                    not first
                    and line.startswith("data: {")
                    and '"content":"' in line
                    and '"content":""' not in line
                ):
                    first = time.perf_counter() - start
        return first, time.perf_counter() - start

    bedrock.stream.delay = 0.1
    direct(), served()  # warm both paths
    d_first, d_total, s_first, s_total = [], [], [], []
    for _ in range(runs):
        a, b = direct()
        d_first.append(a)
        d_total.append(b)
        a, b = served()
        s_first.append(a)
        s_total.append(b)
    bedrock.stream.delay = 0.0
    http.close()
    print(f"streaming: 10 pieces 100 ms apart, {runs} runs each, alternating")
    print(_row("first piece, direct boto3 converse_stream", d_first))
    print(_row("first piece, through scripts/serve", s_first))
    print(_row("whole answer, direct", d_total))
    print(_row("whole answer, through scripts/serve", s_total))
    added_first = (_pct(s_first, 0.5) - _pct(d_first, 0.5)) * 1000
    added_total = (_pct(s_total, 0.5) - _pct(d_total, 0.5)) * 1000
    print(
        f"  added at p50: first piece {added_first:.2f} ms, whole answer {added_total:.2f} ms "
        "(target <= 5 ms); "
        f"ratio first piece {_pct(s_first, 0.5) / _pct(d_first, 0.5):.3f}; "
        f"first piece through the API at p50 {_pct(s_first, 0.5) * 1000:.0f} ms (target <= 150 ms)"
    )


# --- per-request overhead -----------------------------------------------------------------------

IN_PROCESS = """
import asyncio, json, os, sys, time
import boto3
from botocore.config import Config
from lambda_src.app import app
from tests.fakes.asgi import _call
from tests.fakes.function_url import adapter_headers

body = json.dumps({request}).encode()
config = Config(retries={{"total_max_attempts": 1}})
client = boto3.client("bedrock-runtime", region_name="us-east-1", config=config)
converse = {converse}
headers = {{"content-type": "application/json", **adapter_headers()}}

async def through_app():
    status, _, _ = await _call(app, "POST", "/v1/chat/completions", body, headers)
    assert status == 200, status

def direct():
    client.converse(**converse)["output"]

async def main():
    from lambda_src import upstream
    if {on_loop_thread}:
        upstream.call_on_loop_thread()  # as lambda_src.server does in Lambda
        from lambda_src.server import line_buffered_stdout
        line_buffered_stdout()  # as lambda_src.server.serve does
    # One event loop and root task for the whole run, as under uvicorn (worker threads are reused).
    for _ in range(100):
        await through_app(); direct()
    d, a, h = [], [], []
    for _ in range({requests}):
        t = time.perf_counter(); direct(); d.append(time.perf_counter() - t)
        t = time.perf_counter(); await through_app(); a.append(time.perf_counter() - t)
        # The deadline's cost alone: an empty call through it.
        t = time.perf_counter(); await upstream.run_upstream(int); h.append(time.perf_counter() - t)
    with open({result!r}, "w") as f:
        json.dump({{"direct": d, "app": a, "hand_off": h}}, f)

asyncio.run(main())
"""


def overhead(bedrock_url: str, base_url: str, requests: int, tmp: Path) -> None:
    import boto3
    import httpx
    from botocore.config import Config

    inventory = tmp / "inventory.json"
    inventory.write_text(INVENTORY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        AWS_ACCESS_KEY_ID="AKIDBENCH",
        AWS_SECRET_ACCESS_KEY="fake",  # noqa: S106
        AWS_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=bedrock_url,
        INVENTORY_FILE=str(inventory),
        POWERTOOLS_SERVICE_NAME="bench",
    )
    print(f"per-request overhead, non-streamed chat ({requests} requests each, alternating, warm):")
    modes = (
        (True, "as in Lambda (one request at a time: the call on the loop's thread, under a timer)"),
        (False, "as under scripts/serve (the call in a worker thread)"),
    )
    for on_loop_thread, label in modes:
        result = tmp / "in-process.json"
        code = IN_PROCESS.format(
            request=repr(REQUEST),
            converse=repr(CONVERSE),
            requests=requests,
            result=str(result),
            on_loop_thread=on_loop_thread,
        )
        # In Lambda the inventory file is in the function package (LAMBDA_TASK_ROOT), read once.
        mode_env = {**env, "LAMBDA_TASK_ROOT": str(tmp)} if on_loop_thread else env
        # The app's log and metric lines go to a file, as Lambda's go to its log pipe: not to a
        # pipe read by this process, whose reading would compete with the Bedrock fake it runs.
        with open(tmp / "in-process.log", "w") as log:
            subprocess.run([sys.executable, "-c", code], env=mode_env, stdout=log, check=True, cwd=REPO_ROOT)
        run = json.loads(result.read_text())
        added = (_pct(run["app"], 0.5) - _pct(run["direct"], 0.5)) * 1000
        ratio = _pct(run["app"], 0.5) / _pct(run["direct"], 0.5)
        print(f"  in process, {label}:")
        print(_row("direct boto3 converse", run["direct"]))
        print(_row("through the app", run["app"]))
        print(_row("an empty call through the deadline", run["hand_off"]))
        target = " (target < 0.5 ms)" if on_loop_thread else ""
        print(f"  added at p50 in process: {added:.3f} ms{target}; ratio p50 {ratio:.3f}")

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=bedrock_url,
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="fake",  # noqa: S106
        config=Config(retries={"total_max_attempts": 1}),
    )
    http = httpx.Client(timeout=30)
    for _ in range(50):
        http.post(f"{base_url}/chat/completions", json=REQUEST)
    served, direct = [], []
    for _ in range(requests // 4):
        start = time.perf_counter()
        client.converse(**CONVERSE)
        direct.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert http.post(f"{base_url}/chat/completions", json=REQUEST).status_code == 200
        served.append(time.perf_counter() - start)
    http.close()
    print(_row("direct boto3 converse (HTTP round)", direct))
    print(_row("through scripts/serve over HTTP", served))
    print(f"  over HTTP: p99 / p50 = {_pct(served, 0.99) / _pct(served, 0.5):.2f} (target <= 2)")


# --- cold start ------------------------------------------------------------------------------------

BASELINE = """
import time
t = time.perf_counter()
import boto3
client = boto3.client("bedrock-runtime")
client.converse(**{converse})
print(time.perf_counter() - t)
"""

OURS = """
import sys, time
t = time.perf_counter()
sys.path.insert(0, {package!r})
from lambda_src.server import collect_after_first_request, hold_collector
hold_collector()  # as lambda_src.server does before importing the app
from lambda_src.app import app
app = collect_after_first_request(app)
sys.path.append({repo!r})
from tests.fakes.asgi import call_app
headers = {{"content-type": "application/json"}}
status, _, body = call_app(app, "POST", "/v1/chat/completions", {body!r}, headers)
elapsed = time.perf_counter() - t
assert status == 200, body
print(elapsed)
"""


def runtime_python(tmp: Path) -> str:
    """A venv of the runtime's Python with boto3, as the Lambda runtime provides it."""
    from modules.packaging import runtime_python as find

    python = find(RUNTIME_PYTHON)
    if python is None:
        raise SystemExit(f"no python{RUNTIME_PYTHON} on this machine: the cold-start benchmark needs one")
    venv = tmp / "runtime"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", BOTO3],
        check=True,
        capture_output=True,
    )
    return str(venv / "bin" / "python")


def unpack(package: Path, dest: Path, *, bytecode: bool) -> Path:
    with zipfile.ZipFile(package) as zf:
        zf.extractall(dest)
    if not bytecode:
        for cache in list(dest.rglob("__pycache__")):
            shutil.rmtree(cache)
    for path in dest.rglob("*"):  # read-only, like Lambda's code directory
        path.chmod(path.stat().st_mode & ~0o222)
    return dest


def cold_start(urls: dict[str, str], runs: int, tmp: Path) -> None:
    from modules.packaging import build_package

    machine = "x86_64" if os.uname().machine == "x86_64" else "arm64"
    package = build_package(architecture=machine, python_version=RUNTIME_PYTHON)
    if not package.compiled:
        raise SystemExit("the package has no bytecode: no python3.12 here")
    python = runtime_python(tmp)
    compiled = unpack(package.path, tmp / "pkg-bytecode", bytecode=True)
    plain = unpack(package.path, tmp / "pkg-source", bytecode=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    env.update(
        AWS_LAMBDA_FUNCTION_NAME="bench-inference-api",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="ASIABENCHFAKE",
        AWS_SECRET_ACCESS_KEY="fake",  # noqa: S106
        AWS_SESSION_TOKEN="fake",  # noqa: S106
        AWS_MAX_ATTEMPTS="3",
        AWS_RETRY_MODE="standard",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=urls["bedrock"],
        AWS_ENDPOINT_URL_SSM=urls["ssm"],
        INVENTORY_PARAMETER_NAME=PARAMETER_NAME,
        STAGE="prod",
        POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="LlmInferenceApi",
        PYTHONDONTWRITEBYTECODE="1",
    )
    body = json.dumps(REQUEST).encode()
    inventory_file = tmp / "inventory.json"
    inventory_file.write_text(INVENTORY)
    file_env = {k: v for k, v in env.items() if k != "INVENTORY_PARAMETER_NAME"}
    file_env["INVENTORY_FILE"] = str(inventory_file)
    variants = {
        "baseline": (BASELINE.format(converse=repr(CONVERSE)), env),
        "ours": (OURS.format(package=str(compiled), repo=str(REPO_ROOT), body=body), file_env),
        "no_bytecode": (OURS.format(package=str(plain), repo=str(REPO_ROOT), body=body), file_env),
        "ssm_inventory": (OURS.format(package=str(compiled), repo=str(REPO_ROOT), body=body), env),
    }

    def run(code: str, environ: dict[str, str]) -> float:
        out = subprocess.run(
            [python, "-c", code], env=environ, capture_output=True, text=True, check=True, cwd=tmp
        )
        return float(out.stdout.strip().splitlines()[-1])

    for code, environ in variants.values():  # the OS file cache, once each
        run(code, environ)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, (code, environ) in variants.items():
            times[name].append(run(code, environ))
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"cold start (Python {RUNTIME_PYTHON}, median of {runs} fresh processes each, interleaved):")
    rows = [
        ("A  import boto3 + one Converse call", "baseline"),
        ("B  import the app (package with bytecode, inventory) + first chat", "ours"),
        ("C  the same package without bytecode", "no_bytecode"),
        ("D  B with the inventory in SSM (the exported module)", "ssm_inventory"),
    ]
    for label, name in rows:
        print(f"  {label:68} {med[name] * 1000:7.1f} ms")
    print(
        f"  ratio B/A: {med['ours'] / med['baseline']:.2f} (target <= 1.5)   "
        f"C/B: {med['no_bytecode'] / med['ours']:.2f}   D/A: {med['ssm_inventory'] / med['baseline']:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stream-runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cold-runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name, FakeBedrockRuntime() as bedrock:
        tmp = Path(name)
        ssm = FakeSsm(INVENTORY).start()
        process, base_url = start_serve(bedrock.url, tmp)
        try:
            streaming(bedrock, base_url, args.stream_runs)
            overhead(bedrock.url, base_url, args.requests, tmp)
        finally:
            process.terminate()
            process.wait(timeout=10)
        cold_start({"bedrock": bedrock.url, "ssm": ssm.url}, args.cold_runs, tmp)
        ssm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
