"""The third-party provider layer: LangChain integrations for the enabled providers only.

Built at synth for the function's architecture and Python version from wheels pinned in
``layer/constraints.txt`` (the full closure, resolved once for all providers together), stripped
of tests, caches, type stubs and of what the function package already ships, zipped
reproducibly under ``python/``, and checked against Lambda's size limits.

    python -m modules.layer lock    # re-resolve layer/constraints.txt after changing a pin
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modules import packaging
from modules.packaging import PackagingError

LAYER_DIR = packaging.REPO_ROOT / "layer"
CONSTRAINTS = LAYER_DIR / "constraints.txt"
# Provider -> the integration packages it needs (versions come from the constraints file).
PROVIDER_PACKAGES: dict[str, tuple[str, ...]] = {
    "openai": ("langchain-core", "langchain-openai"),
    "azure_openai": ("langchain-core", "langchain-openai"),
    "openai_compatible": ("langchain-core", "langchain-openai"),
    "anthropic": ("langchain-core", "langchain-anthropic"),
    "cohere": ("langchain-core", "langchain-cohere"),
    "mistral": ("langchain-core", "langchain-mistralai"),
}
_STRIP_DIRS = {"__pycache__", "tests", "test", "bin"}
_STRIP_SUFFIXES = (".pyc",)
_STUB_PACKAGE = re.compile(r"^types_[\w-]+|^[\w-]+-stubs$")


@dataclass(frozen=True)
class Layer:
    path: Path
    source_code_hash: str
    zipped_bytes: int
    unzipped_bytes: int
    providers: tuple[str, ...]
    largest: tuple[tuple[str, int], ...]  # (top-level package, unzipped bytes), largest first


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _function_packages() -> set[str]:
    """Distributions the function package already ships (left out of the layer)."""
    names = set()
    for line in (packaging.SOURCE_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_normalize(re.split(r"[=<>!~ ]", line, maxsplit=1)[0]))
    return names


def requirements_for(providers: Iterable[str]) -> list[str]:
    unknown = sorted(set(providers) - set(PROVIDER_PACKAGES))
    if unknown:
        raise PackagingError(f"no layer packages for provider(s) {', '.join(unknown)}")
    return sorted({pkg for p in providers for pkg in PROVIDER_PACKAGES[p]})


def _top_level_sizes(root: Path) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for path in root.rglob("*"):
        if path.is_file():
            top = path.relative_to(root).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))


def _strip(root: Path, drop: set[str]) -> None:
    for info in list(root.glob("*.dist-info")):
        meta = (info / "METADATA").read_text(errors="replace")
        name = next((ln.split(":", 1)[1].strip() for ln in meta.splitlines() if ln.startswith("Name:")), "")
        if _normalize(name) not in drop and not _STUB_PACKAGE.match(info.name):
            continue
        # Remove the distribution's files as its RECORD lists them, then the record itself.
        for row in (info / "RECORD").read_text().splitlines():
            rel = row.split(",", 1)[0]
            target = (root / rel).resolve()
            if target.is_file() and target.is_relative_to(root.resolve()):
                target.unlink()
        shutil.rmtree(info, ignore_errors=True)
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and (path.name in _STRIP_DIRS or not any(path.iterdir())):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in _STRIP_SUFFIXES:
            path.unlink()


def build_layer(providers: Iterable[str], *, architecture: str, python_version: str) -> Layer:
    providers = tuple(sorted(set(providers)))
    reqs = requirements_for(providers)
    constraints = CONSTRAINTS.read_bytes()
    key = packaging._digest(
        architecture.encode(), python_version.encode(), constraints, *(r.encode() for r in reqs)
    )
    cache = packaging.CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    dest = cache / f"layer-{architecture}-py{python_version}-{key}.zip"
    sizes_file = dest.with_suffix(".sizes.json")
    if not dest.exists() or not sizes_file.exists():
        work = Path(tempfile.mkdtemp(prefix="layer-", dir=cache))
        try:
            target = work / "python"
            install = ["install", *packaging._platform_args(architecture, python_version), "--no-compile",
                       "--target", str(target), "-c", str(CONSTRAINTS), *reqs]  # fmt: skip
            # Dependencies are resolved (no --no-deps), but only within the pinned constraints.
            install.remove("--no-deps")
            try:
                packaging._pip([*install, "--no-index", "--find-links", str(packaging.WHEELHOUSE)], "")
            except PackagingError:
                packaging.WHEELHOUSE.mkdir(parents=True, exist_ok=True)
                download = ["download", *packaging._platform_args(architecture, python_version),
                            "-c", str(CONSTRAINTS), "-d", str(packaging.WHEELHOUSE), *reqs]  # fmt: skip
                download.remove("--no-deps")
                packaging._pip(
                    download,
                    f"could not download the layer's wheels for {', '.join(providers)} "
                    f"({architecture}, Python {python_version})",
                )
                packaging._pip([*install, "--no-index", "--find-links", str(packaging.WHEELHOUSE)],
                               "could not install the layer's wheels")  # fmt: skip
            _strip(target, _function_packages())
            sizes = _top_level_sizes(target)
            entries = [(p.relative_to(work).as_posix(), p) for p in sorted(target.rglob("*")) if p.is_file()]
            tmp_zip = work / "layer.zip"
            packaging._write_zip(tmp_zip, entries)
            tmp_zip.replace(dest)
            sizes_file.write_text(json.dumps(sizes))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    sizes = [(name, int(size)) for name, size in json.loads(sizes_file.read_text())]
    digest = hashlib.sha256(dest.read_bytes()).digest()
    return Layer(
        path=dest,
        source_code_hash=base64.b64encode(digest).decode(),
        zipped_bytes=dest.stat().st_size,
        unzipped_bytes=sum(size for _, size in sizes),
        providers=providers,
        largest=tuple(sizes[:8]),
    )


def check_size(function: packaging.Package, layer: Layer) -> None:
    """Lambda's limits: 250 MiB unzipped for function + layers, 50 MiB for a zip uploaded directly."""
    total = function.unzipped_bytes + layer.unzipped_bytes
    problems = []
    if total > packaging.MAX_UNZIPPED_BYTES:
        problems.append(
            f"function ({function.unzipped_bytes / 1e6:.1f} MB) + layer "
            f"({layer.unzipped_bytes / 1e6:.1f} MB) unzipped is {total / 1e6:.1f} MB; "
            f"Lambda allows {packaging.MAX_UNZIPPED_BYTES // 2**20} MiB"
        )
    if layer.zipped_bytes > packaging.MAX_ZIPPED_BYTES:
        problems.append(
            f"the layer zip is {layer.zipped_bytes / 1e6:.1f} MB; a directly uploaded layer may be "
            f"{packaging.MAX_ZIPPED_BYTES // 2**20} MiB"
        )
    if problems:
        largest = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in layer.largest[:5])
        raise PackagingError(
            "; ".join(problems)
            + f". Largest packages in the layer: {largest}. Enable fewer third-party providers "
            "(third_party in the config)."
        )


def lock(architecture: str = "arm64", python_version: str = "3.12") -> str:
    """Resolve every provider's packages together and return the pinned closure."""
    reqs = requirements_for(PROVIDER_PACKAGES)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        install = ["install", "--dry-run", "--ignore-installed", "--report", str(report),
                   *packaging._platform_args(architecture, python_version),
                   "--target", str(Path(tmp) / "t"), *reqs]  # fmt: skip
        install.remove("--no-deps")
        packaging._pip(install, "could not resolve the layer's packages")
        resolved = json.loads(report.read_text())["install"]
    pins = sorted(f"{item['metadata']['name']}=={item['metadata']['version']}" for item in resolved)
    header = (
        "# Full closure of the third-party provider layer, resolved for every provider together\n"
        "# (python -m modules.layer lock). Installs use it as constraints, so a layer with fewer\n"
        "# providers gets the same versions.\n"
    )
    return header + "\n".join(pins) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["lock"]:
        sys.exit("usage: python -m modules.layer lock")
    try:
        CONSTRAINTS.write_text(lock())
    except PackagingError as err:
        sys.exit(f"error: {err}")
    print(f"wrote {CONSTRAINTS}", file=sys.stderr)
