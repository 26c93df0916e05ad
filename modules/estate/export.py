"""Write the standalone child modules under dist/terraform/.

    python -m modules.estate.export [--outdir DIR] [--config FILE] [--print-inventory]

Each module is a folder of *.tf.json (variables, main, outputs, versions) plus a README; none
configures a provider or a backend. The inference-api module bundles the function package built
for the config's architecture and runtime. ``--print-inventory`` prints the config's model
inventory JSON (the module's inventory_json) instead.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from modules.config import DEFAULT_CONFIG_PATH, ConfigError, load_config
from modules.estate import inference_api, model_access_role, sagemaker_endpoint
from modules.estate.tfjson import ModuleDoc
from modules.packaging import REPO_ROOT, PackagingError, build_package


def build_modules(*, architecture: str, runtime: str) -> list[ModuleDoc]:
    return [
        inference_api.build(architecture=architecture, runtime=runtime),
        sagemaker_endpoint.build(),
        model_access_role.build(),
    ]


def export(outdir: Path, *, architecture: str, runtime: str) -> list[Path]:
    """Write every module (replacing earlier exports atomically); returns their folders."""
    package = build_package(architecture=architecture, python_version=runtime.removeprefix("python"))
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for module in build_modules(architecture=architecture, runtime=runtime):
        staging = Path(tempfile.mkdtemp(prefix=f".{module.name}.tmp-", dir=outdir))
        try:
            for name, text in module.files().items():
                (staging / name).write_text(text)
            if module.name == "inference-api":
                shutil.copyfile(package.path, staging / inference_api.PACKAGE_FILE)
            target = outdir / module.name
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
            written.append(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--outdir", default=str(REPO_ROOT / "dist" / "terraform"))
    parser.add_argument(
        "--config", default=str(DEFAULT_CONFIG_PATH), help="config whose lambda settings pick the package"
    )
    parser.add_argument(
        "--print-inventory", action="store_true", help="print the config's inventory JSON and exit"
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"error: invalid deployment config\n{err}", file=sys.stderr)
        return 2
    if args.print_inventory:
        print(config.inventory().to_json())
        return 0
    try:
        folders = export(
            Path(args.outdir), architecture=config.lambda_.architecture, runtime=config.lambda_.runtime
        )
    except PackagingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for folder in folders:
        print(f"wrote module {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
