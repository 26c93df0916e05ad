"""Session-wide fixtures: the synthesized stacks (one cdktf import per test session)."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import DEFAULT_CONFIG, FULL_CONFIG, REPO_ROOT, VARIANT_CONFIG, Synth

os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(REPO_ROOT / ".cache" / "jsii"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collecting imports every test module (the synth's provider bindings among them: about 1.6
    million objects), and they live as long as the session. Frozen, they are out of the garbage
    collector's reach: otherwise each full collection walks them again, about a second on a
    2-vCPU machine, which can stall an upstream call past the short deadlines some tests set."""
    gc.freeze()


@pytest.fixture(scope="session")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], dict[str, Synth]]:
    """Synthesize a config file through the real CLI entry point; one Synth per stack (cached)."""
    import main

    cache: dict[Path, dict[str, Synth]] = {}

    def run(path: Path) -> dict[str, Synth]:
        if path not in cache:
            outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
            assert main.main(["--config", str(path), "--outdir", str(outdir)]) == 0
            cache[path] = {
                d.name: Synth(d, json.loads((d / "cdk.tf.json").read_text()))
                for d in sorted((outdir / "stacks").iterdir())
            }
        return cache[path]

    return run


@pytest.fixture(scope="session")
def synth_config(
    tmp_path_factory: pytest.TempPathFactory, synth_file: Callable[[Path], dict[str, Synth]]
) -> Callable[[dict[str, Any]], Synth]:
    """Synthesize a config dict; returns its main stack."""
    written: dict[str, Path] = {}

    def run(config: dict[str, Any]) -> Synth:
        key = json.dumps(config, sort_keys=True)
        if key not in written:
            written[key] = tmp_path_factory.mktemp("config") / "config.json"
            written[key].write_text(key)
        return synth_file(written[key])[config["prefix"]]

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


@pytest.fixture(scope="session")
def full_stacks(synth_file: Callable[[Path], dict[str, Synth]]) -> dict[str, Synth]:
    """examples/configs/full.json: every SageMaker kind and the model-access stack."""
    return synth_file(FULL_CONFIG)
