#!/usr/bin/env python3
"""Synth cost of the inference API stack against an empty stack with the same AWS provider.

    .venv/bin/python bench/synth.py [--runs N] [--config FILE]

Both are run as fresh processes (as `scripts/synth` and `cdktf synth` run them), alternating,
after one warm-up each; wall time and peak memory of the whole process tree (python + the jsii
node runtime) are sampled from /proc. Prints medians and the ratio ours / baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

BASELINE = """
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
app = App(outdir={outdir!r}, stack_traces=False)
stack = TerraformStack(app, "empty")
AwsProvider(stack, "aws", region="us-east-1")
app.synth()
"""


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kib(pid)
        stack += _children(pid)
    return total


def measure(argv: list[str]) -> tuple[float, float]:
    """Run ``argv``; return (wall seconds, peak tree RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv} failed ({proc.returncode}):\n{err}")
    return wall, peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--config", default=str(REPO_ROOT / "config" / "default.json"))
    args = parser.parse_args()
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(REPO_ROOT / ".cache" / "jsii"))
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")

    with tempfile.TemporaryDirectory() as tmp:
        ours = [sys.executable, "main.py", "--config", args.config, "--outdir", f"{tmp}/ours"]
        base = [sys.executable, "-c", BASELINE.format(outdir=f"{tmp}/base")]
        measure(base)  # warm-up: jsii cache, package cache, page cache
        measure(ours)
        samples: dict[str, list[tuple[float, float]]] = {"baseline": [], "ours": []}
        for _ in range(args.runs):
            samples["baseline"].append(measure(base))
            samples["ours"].append(measure(ours))

    med = {
        k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v))
        for k, v in samples.items()
    }
    print(f"runs per variant: {args.runs} (after one warm-up each)")
    print(f"{'':10} {'wall s':>8} {'peak MiB':>9}")
    for name, (wall, mem) in med.items():
        print(f"{name:10} {wall:8.2f} {mem:9.0f}")
    print(
        f"ratio ours/baseline: wall {med['ours'][0] / med['baseline'][0]:.3f}, "
        f"peak memory {med['ours'][1] / med['baseline'][1]:.3f}  (target <= 1.15)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
