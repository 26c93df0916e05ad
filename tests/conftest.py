"""Session-wide fixtures: the synthesized stacks (one cdktf import per test session)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import DEFAULT_CONFIG, REPO_ROOT, VARIANT_CONFIG, Synth

os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(REPO_ROOT / ".cache" / "jsii"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")


@pytest.fixture(scope="session")
def synth_config(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Synth]:
    """Synthesize a config dict through the real CLI entry point (cached per config)."""
    import main

    cache: dict[str, Synth] = {}

    def run(config: dict[str, Any]) -> Synth:
        key = json.dumps(config, sort_keys=True)
        if key not in cache:
            work = tmp_path_factory.mktemp("synth")
            cfg = work / "config.json"
            cfg.write_text(key)
            outdir = work / "cdktf.out"
            assert main.main(["--config", str(cfg), "--outdir", str(outdir)]) == 0
            stack_dir = outdir / "stacks" / config["prefix"]
            cache[key] = Synth(stack_dir, json.loads((stack_dir / "cdk.tf.json").read_text()))
        return cache[key]

    return run


@pytest.fixture(scope="session")
def default_config() -> dict[str, Any]:
    return json.loads(DEFAULT_CONFIG.read_text())


@pytest.fixture(scope="session")
def default_synth(synth_config: Callable[[dict[str, Any]], Synth], default_config: dict[str, Any]) -> Synth:
    return synth_config(default_config)


@pytest.fixture(scope="session")
def variant_synth(synth_config: Callable[[dict[str, Any]], Synth]) -> Synth:
    return synth_config(VARIANT_CONFIG)
