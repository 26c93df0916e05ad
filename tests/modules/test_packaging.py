"""The function package and model archives: reproducible, platform-specific, buildable offline."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from lambda_src.token_arrays import VOCABULARY_FILE
from modules import packaging


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setattr(packaging, "CACHE_DIR", cache)
    return cache


def test_package_builds_offline_from_the_wheelhouse(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not any(packaging.WHEELHOUSE.glob("pydantic_core-*manylinux2014_x86_64*.whl")):
        pytest.skip("the wheelhouse is empty: the bootstrap (scripts/test) fills it")
    # Any network use would hit a dead loopback port and fail the build.
    for var in ("PIP_INDEX_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    first = packaging.build_package(architecture="x86_64", python_version="3.13")
    with zipfile.ZipFile(first.path) as zf:
        cores = [
            n for n in zf.namelist() if n.startswith("pydantic_core/_pydantic_core") and n.endswith(".so")
        ]
    assert cores and all("cpython-313-x86_64" in n for n in cores)
    with zipfile.ZipFile(first.path) as zf:  # the data token-array embeddings are decoded with
        assert zf.read("lambda_src/data/cl100k_base.tokens") == VOCABULARY_FILE.read_bytes()
    # Rebuilding from scratch gives a byte-identical archive.
    first_bytes = first.path.read_bytes()
    for child in isolated_cache.iterdir():
        if child.is_file():
            child.unlink()
    second = packaging.build_package(architecture="x86_64", python_version="3.13")
    assert second.path.read_bytes() == first_bytes
    assert second.source_code_hash == first.source_code_hash


def test_unsupported_architecture(isolated_cache: Path) -> None:
    with pytest.raises(packaging.PackagingError, match="unsupported architecture 'sparc'"):
        packaging.build_package(architecture="sparc", python_version="3.12")


def test_model_archive_is_reproducible_and_rooted_in_code(isolated_cache: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "inference.py").write_text("def model_fn(d):\n    return d\n")
    (src / "lib" / "util.py").write_text("X = 1\n")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    first = packaging.build_model_archive(src, name="m")
    with tarfile.open(first.path) as tar:
        assert sorted(tar.getnames()) == ["code/inference.py", "code/lib/util.py"]
        assert {m.mtime for m in tar.getmembers()} == {0}
    first.path.unlink()
    assert packaging.build_model_archive(src, name="m").sha256 == first.sha256
    (src / "inference.py").write_text("def model_fn(d):\n    return None\n")
    assert packaging.build_model_archive(src, name="m").sha256 != first.sha256


def test_empty_code_folder(isolated_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(packaging.PackagingError, match="the inference code folder is empty"):
        packaging.build_model_archive(tmp_path / "empty", name="m")
