"""The local inventory source (INVENTORY_FILE) used by scripts/serve."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lambda_src.exceptions import ConfigurationError
from lambda_src.inventory_loader import load_inventory
from lambda_src.settings import Settings


def _settings(path: Path) -> Settings:
    return Settings(inventory_parameter_name="", inventory_file=str(path))


def _write(path: Path, ids: list[str]) -> None:
    models = [{"id": i, "provider": "bedrock", "model": "amazon.nova-lite-v1:0"} for i in ids]
    path.write_text(json.dumps({"version": 1, "models": models}))


def test_reads_the_file_and_rereads_it_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    _write(path, ["a"])
    assert [m.id for m in load_inventory(_settings(path)).models] == ["a"]

    _write(path, ["a", "b"])
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))

    assert [m.id for m in load_inventory(_settings(path)).models] == ["a", "b"]


@pytest.mark.parametrize("content", [None, b"\xff\xfe", b'{"models": [{"id": "x"}]}'])
def test_missing_or_invalid_file_is_a_configuration_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "inventory.json"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ConfigurationError, match="inventory file") as caught:
        load_inventory(_settings(path))

    assert caught.value.status == 500


def test_a_file_in_the_function_package_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Lambda mounts the package (LAMBDA_TASK_ROOT) read-only: its file cannot change, so it is not
    # checked again on every request. The same file elsewhere is (the test above).
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    path = tmp_path / "inventory.json"
    _write(path, ["a"])
    first = load_inventory(_settings(path))

    _write(path, ["a", "b"])
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))

    assert load_inventory(_settings(path)) is first
    assert [m.id for m in first.models] == ["a"]


def test_a_file_outside_the_package_is_checked_though_lambda_has_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path / "task"))
    path = tmp_path / "task-sibling" / "inventory.json"  # shares the root's prefix, not its directory
    path.parent.mkdir()
    _write(path, ["a"])
    assert [m.id for m in load_inventory(_settings(path)).models] == ["a"]

    _write(path, ["a", "b"])
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))

    assert [m.id for m in load_inventory(_settings(path)).models] == ["a", "b"]
