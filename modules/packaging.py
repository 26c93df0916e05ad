"""Build the function's deployment package: ``lambda_src/`` plus its pinned runtime wheels.

Wheels are chosen for the function's architecture and Python version (never the build
machine's), cached per (requirements, platform) under ``.cache/``, and zipped reproducibly
(sorted entries, fixed timestamps and modes) so an unchanged package keeps its hash and
Terraform sees no change.

The package carries bytecode compiled by an interpreter of the runtime's Python version: Lambda's
code directory is read-only, so a package without it compiles every module again on every cold
start. The ``.pyc`` files use unchecked-hash invalidation (they never look at the zip's fixed
timestamps). Without such an interpreter the package is built without bytecode, and says so.
"""

from __future__ import annotations

import base64
import glob
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO_ROOT / "lambda_src"
CACHE_DIR = REPO_ROOT / ".cache" / "lambda-package"
WHEELHOUSE = REPO_ROOT / ".cache" / "wheels"
PYTHON_VERSIONS = ("3.12", "3.13")
# Lambda's limits for a function's code (zip uploaded directly, and unzipped with layers).
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
_SKIP_DIRS = {"__pycache__", "tests", "test"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackagingError(Exception):
    """The function package cannot be built; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class Package:
    path: Path
    source_code_hash: str  # base64 SHA-256, as Lambda reports it
    zipped_bytes: int
    unzipped_bytes: int
    # Whether the package carries bytecode for the runtime's Python.
    compiled: bool = False


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:24]


# Executable files of the package (the handler script the adapter's wrapper runs).
_EXECUTABLE_SUFFIXES = (".sh",)
# Data files the code reads (the token vocabulary of lambda_src.token_arrays).
_DATA_SUFFIXES = (".tokens",)
LAMBDA_TASK_ROOT = "/var/task"


def _source_files(source_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in source_dir.rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".typed", ".json", *_DATA_SUFFIXES, *_EXECUTABLE_SUFFIXES)
        and not _SKIP_DIRS.intersection(p.relative_to(source_dir).parts)
    )


def runtime_python(python_version: str) -> str | None:
    """An interpreter of ``python_version`` (3.12, 3.13) on this machine, for bytecode."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    candidates = [shutil.which(f"python{python_version}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{python_version}.*/bin/python3")))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == python_version:
            return candidate
    return None


def compile_tree(root: Path, python: str) -> None:
    """Bytecode for every module under ``root``, next to it in ``__pycache__``."""
    result = subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         # Record the path the code has in Lambda, not the build folder's (tracebacks; reproducibility).
         "-s", str(root), "-p", LAMBDA_TASK_ROOT, str(root)],
        capture_output=True, text=True, check=False,
        # A fixed hash seed keeps the bytecode (frozenset constants) the same from build to build.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    if result.returncode != 0:
        # A module that does not compile for the runtime's Python would fail there too.
        raise PackagingError(
            f"compiling the function package failed:\n{result.stdout}{result.stderr}".strip()
        )


def _pip(args: list[str], what: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = "\n".join(
            line for line in result.stderr.splitlines() if "is ignored: it is neither" not in line
        )
        raise PackagingError(f"{what}:\n{detail.strip()}")


def _platform_args(architecture: str, python_version: str) -> list[str]:
    return [
        "--no-deps", "--only-binary=:all:", "--implementation", "cp",
        "--platform", _PLATFORMS[architecture], "--python-version", python_version,
    ]  # fmt: skip


def prefetch_wheels(requirements: Path = SOURCE_DIR / "requirements.txt") -> None:
    """Download the pinned wheels for every supported platform into the wheelhouse, so later
    synths build packages without a network (the bootstrap calls this once)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    for architecture in _PLATFORMS:
        for python_version in PYTHON_VERSIONS:
            _pip(
                ["download", *_platform_args(architecture, python_version), "-d", str(WHEELHOUSE),
                 "-r", str(requirements)],
                f"could not download the function's runtime wheels for {architecture} / Python "
                f"{python_version} from {requirements.name}",
            )  # fmt: skip


def _install_deps(requirements: Path, architecture: str, python_version: str, python: str | None) -> Path:
    req = requirements.read_bytes()
    suffix = "-pyc" if python else ""
    target = CACHE_DIR / f"deps-{architecture}-py{python_version}-{_digest(req)}{suffix}"
    if (target / ".complete").exists():
        return target
    tmp = Path(tempfile.mkdtemp(prefix="deps-", dir=CACHE_DIR))
    install = ["install", *_platform_args(architecture, python_version), "--no-compile", "--target", str(tmp)]
    try:
        try:
            # Offline first, from the wheelhouse the bootstrap filled.
            _pip([*install, "--no-index", "--find-links", str(WHEELHOUSE), "-r", str(requirements)], "")
        except PackagingError:
            _pip(
                [*install, "-r", str(requirements)],
                f"could not fetch the function's runtime wheels for {architecture} / Python "
                f"{python_version} from {requirements.name} (no network? run the bootstrap once "
                "while online: it stores them in .cache/wheels)",
            )
    except PackagingError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for junk in [*tmp.rglob("__pycache__"), *tmp.glob("bin")]:
        shutil.rmtree(junk, ignore_errors=True)
    if python:
        try:
            compile_tree(tmp, python)
        except PackagingError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    (tmp / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _write_zip(dest: Path, entries: list[tuple[str, Path]]) -> int:
    unzipped = 0
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for arcname, path in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_EPOCH)
            mode = 0o755 if arcname.endswith(_EXECUTABLE_SUFFIXES) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            zf.writestr(info, data, compresslevel=9)
    return unzipped


def build_package(
    *,
    architecture: str,
    python_version: str,
    source_dir: Path = SOURCE_DIR,
    requirements: Path | None = None,
) -> Package:
    """Build (or reuse) the zip for ``source_dir`` and its requirements."""
    if architecture not in _PLATFORMS:
        raise PackagingError(f"unsupported architecture {architecture!r}")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    requirements = requirements or source_dir / "requirements.txt"
    python = runtime_python(python_version)
    deps = _install_deps(requirements, architecture, python_version, python)

    sources = [
        (f"{source_dir.name}/{p.relative_to(source_dir).as_posix()}", p) for p in _source_files(source_dir)
    ]
    # The dependency folder's name already carries the hash of the pinned requirements.
    fingerprint = _digest(
        deps.name.encode(), *(name.encode() + b"\0" + p.read_bytes() for name, p in sources)
    )
    dest = CACHE_DIR / f"function-{architecture}-py{python_version}-{fingerprint}.zip"
    meta = dest.with_suffix(".json")
    if not (dest.exists() and meta.exists()):
        staging = Path(tempfile.mkdtemp(prefix="sources-", dir=CACHE_DIR))
        fd, tmp_name = tempfile.mkstemp(suffix=".zip", dir=CACHE_DIR)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            for name, path in sources:
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, staging / name)
            if python:
                compile_tree(staging, python)
            entries = [
                (p.relative_to(staging).as_posix(), p) for p in sorted(staging.rglob("*")) if p.is_file()
            ]
            entries += [
                (p.relative_to(deps).as_posix(), p)
                for p in sorted(deps.rglob("*"))
                if p.is_file() and p.name != ".complete"
            ]
            unzipped = _write_zip(tmp, entries)
            digest = base64.b64encode(hashlib.sha256(tmp.read_bytes()).digest()).decode()
            tmp.replace(dest)
            meta.write_text(json.dumps({"unzipped_bytes": unzipped, "source_code_hash": digest}))
        finally:
            tmp.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
    recorded = json.loads(meta.read_text())
    return _checked(
        dest, int(recorded["unzipped_bytes"]), str(recorded["source_code_hash"]), compiled=python is not None
    )


def with_inventory(package: Package, inventory_json: str, *, name: str = "inventory.json") -> Package:
    """The package with the model inventory added at the zip's root (reproducibly, cached by content)."""
    data = inventory_json.encode()
    fingerprint = _digest(package.source_code_hash.encode(), name.encode(), data)
    dest = CACHE_DIR / f"{package.path.stem}-inventory-{fingerprint}.zip"
    meta = dest.with_suffix(".json")
    if not (dest.exists() and meta.exists()):
        fd, tmp_name = tempfile.mkstemp(suffix=".zip", dir=CACHE_DIR)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            shutil.copyfile(package.path, tmp)
            with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
                if name in zf.namelist():
                    raise PackagingError(f"the function package already holds a file named {name}")
                info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
                info.external_attr = (0o100000 | 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data, compresslevel=9)
            digest = base64.b64encode(hashlib.sha256(tmp.read_bytes()).digest()).decode()
            tmp.replace(dest)
            meta.write_text(
                json.dumps({"unzipped_bytes": package.unzipped_bytes + len(data), "source_code_hash": digest})
            )
        finally:
            tmp.unlink(missing_ok=True)
    recorded = json.loads(meta.read_text())
    return _checked(
        dest, int(recorded["unzipped_bytes"]), str(recorded["source_code_hash"]), compiled=package.compiled
    )


def _checked(path: Path, unzipped: int, digest: str, *, compiled: bool) -> Package:
    zipped = path.stat().st_size
    if zipped > MAX_ZIPPED_BYTES or unzipped > MAX_UNZIPPED_BYTES:
        raise PackagingError(
            f"the function package is {zipped / 1e6:.1f} MB zipped / {unzipped / 1e6:.1f} MB "
            f"unzipped; Lambda allows {MAX_ZIPPED_BYTES // 2**20} MiB zipped and "
            f"{MAX_UNZIPPED_BYTES // 2**20} MiB unzipped"
        )
    return Package(
        path=path, source_code_hash=digest, zipped_bytes=zipped, unzipped_bytes=unzipped, compiled=compiled
    )


@dataclass(frozen=True)
class ModelArchive:
    path: Path
    sha256: str  # hex digest of the archive


def build_model_archive(code_dir: Path, *, name: str) -> ModelArchive:
    """Pack ``code_dir`` as ``code/...`` in a reproducible ``model.tar.gz`` (the layout SageMaker's
    inference toolkits load code from)."""
    files = [
        p
        for p in sorted(code_dir.rglob("*"))
        if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(code_dir).parts)
    ]
    if not files:
        raise PackagingError(f"{code_dir}: the inference code folder is empty")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    fingerprint = _digest(
        *(p.relative_to(code_dir).as_posix().encode() + b"\0" + p.read_bytes() for p in files)
    )
    dest = CACHE_DIR / f"model-{name}-{fingerprint}.tar.gz"
    if not dest.exists():
        fd, tmp_name = tempfile.mkstemp(suffix=".tar.gz", dir=CACHE_DIR)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                for p in files:
                    info = tarfile.TarInfo(f"code/{p.relative_to(code_dir).as_posix()}")
                    info.size = p.stat().st_size
                    info.mode = 0o644
                    info.mtime = 0
                    with open(p, "rb") as fh:
                        tar.addfile(info, fh)
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
    return ModelArchive(path=dest, sha256=hashlib.sha256(dest.read_bytes()).hexdigest())


if __name__ == "__main__":
    # `python -m modules.packaging prefetch`: used by scripts/_env.sh.
    if sys.argv[1:] != ["prefetch"]:
        sys.exit("usage: python -m modules.packaging prefetch")
    try:
        prefetch_wheels()
    except PackagingError as err:
        sys.exit(f"error: {err}")
