#!/usr/bin/env python3
"""Synthesize the inference API stack from a deployment config.

    python main.py [--config FILE] [--outdir DIR]

The config is validated before anything is written; the output directory is replaced only
when the whole synth succeeded, so a failed run never leaves partial Terraform behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from modules import bedrock_catalog
from modules.aws_limits import LimitError
from modules.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config
from modules.function_access import FunctionAccess, function_access
from modules.lambda_contract import INVENTORY_FILE_NAME
from modules.layer import Layer, build_layer, check_size
from modules.packaging import Package, PackagingError, build_package, with_inventory

CONFIG_ENV = "LLM_API_CONFIG"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        default=os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG_PATH),
        help=f"deployment config JSON (default: ${CONFIG_ENV} or config/default.json)",
    )
    parser.add_argument(
        "--outdir",
        default=os.environ.get("CDKTF_OUTDIR") or "cdktf.out",
        help="output directory (default: $CDKTF_OUTDIR or cdktf.out)",
    )
    return parser.parse_args(argv)


def _warn_public(config: DeploymentConfig) -> None:
    if config.function_url.auth_type == "NONE":
        bar = "!" * 78
        print(
            f"{bar}\nWARNING: function_url.auth_type is NONE: anyone who knows the URL can call the\n"
            "API and spend on your models. Use AWS_IAM unless something else guards the URL.\n"
            f"{bar}",
            file=sys.stderr,
        )


def synth(
    config: DeploymentConfig, package: Package, outdir: Path, config_dir: Path, layer: Layer | None = None
) -> Path:
    """Synthesize into ``outdir`` (replaced atomically); returns the stack's directory."""
    from cdktf import App  # imported late: ~12 s and ~1.3 GB, only once the config is good

    from modules.stacks import InferenceApiStack, ModelAccessStack

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path(__file__).parent / ".cache" / "jsii"))
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
    try:
        app = App(outdir=str(staging), stack_traces=False)
        InferenceApiStack(
            app, config.prefix, config=config, package=package, config_dir=config_dir, layer=layer
        )
        if config.cross_account_role:
            ModelAccessStack(app, f"{config.prefix}-model-access", config=config)
        app.synth()
        if outdir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old-", dir=outdir.parent))
            outdir.rename(retired / "out")
            staging.rename(outdir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outdir / "stacks" / config.prefix


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"error: invalid deployment config\n{err}", file=sys.stderr)
        return 2
    _warn_public(config)
    for note in config.lifecycle_notes():
        print(
            f"WARNING: {note} (pinned table of {bedrock_catalog.CHECKED}; scripts/preflight reads the "
            "live status)",
            file=sys.stderr,
        )
    for note in config.engine_notes() + config.jumpstart_notes():
        print(f"WARNING: {note}", file=sys.stderr)
    try:
        access = function_access(config)
    except LimitError as err:
        print(
            f"error: the config exceeds an AWS limit (nothing was written)\n{args.config}: {err}",
            file=sys.stderr,
        )
        return 2
    inventory_json = config.inventory().to_json()
    try:
        package = with_inventory(
            build_package(
                architecture=config.lambda_.architecture, python_version=config.lambda_.python_version
            ),
            inventory_json,
            name=INVENTORY_FILE_NAME,
        )
    except PackagingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"function package: {package.unzipped_bytes / 1e6:.1f} MB unzipped, "
        f"{package.zipped_bytes / 1e6:.1f} MB zipped ({config.lambda_.architecture}, "
        f"{config.lambda_.runtime}, "
        + (
            "with bytecode"
            if package.compiled
            else "WITHOUT bytecode: no python"
            f"{config.lambda_.python_version} found here, so every cold start compiles the code"
        )
        + f"), with the inventory of {len(config.inventory().models)} models "
        f"({len(inventory_json.encode()) / 1e3:.1f} kB)",
        file=sys.stderr,
    )
    _print_access(access)
    layer = None
    if config.third_party.enabled:
        try:
            layer = build_layer(
                config.third_party.enabled,
                architecture=config.lambda_.architecture,
                python_version=config.lambda_.python_version,
            )
            check_size(package, layer)
        except PackagingError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(
            f"provider layer ({', '.join(layer.providers)}): {layer.unzipped_bytes / 1e6:.1f} MB unzipped, "
            f"{layer.zipped_bytes / 1e6:.1f} MB zipped; function + layer "
            f"{(layer.unzipped_bytes + package.unzipped_bytes) / 1e6:.1f} MB of Lambda's 262.1 MB",
            file=sys.stderr,
        )
    try:
        stack_dir = synth(config, package, Path(args.outdir), Path(args.config).resolve().parent, layer)
    except LimitError as err:
        print(
            f"error: the config exceeds an AWS limit (nothing was written)\n{args.config}: {err}",
            file=sys.stderr,
        )
        return 2
    print(
        f"synthesized stack {config.prefix!r} ({len(config.bedrock.models)} Bedrock models, "
        f"{len(config.sagemaker.endpoints)} SageMaker endpoints, stage {config.stage}): "
        f"{stack_dir / 'cdk.tf.json'}",
        file=sys.stderr,
    )
    if config.cross_account_role:
        access_dir = stack_dir.parent / f"{config.prefix}-model-access"
        print(
            f"synthesized stack '{config.prefix}-model-access' (deploy it with the model-hosting "
            f"account's credentials): {access_dir / 'cdk.tf.json'}",
            file=sys.stderr,
        )
    if note := endpoint_cost_note(config):
        print(note, file=sys.stderr)
    return 0


def endpoint_cost_note(config: DeploymentConfig) -> str | None:
    """What the deployed endpoints bill for: instances per type, counting every endpoint, from
    the instances they start with up to their autoscaling maximum."""
    hosted = config.hosted_endpoints
    if not hosted:
        return None
    start: dict[str, int] = {}
    most: dict[str, int] = {}
    for ep in hosted:
        start[ep.instance_type] = start.get(ep.instance_type, 0) + ep.instance_count
        peak = ep.autoscaling.max_instances if ep.autoscaling else ep.instance_count
        most[ep.instance_type] = most.get(ep.instance_type, 0) + peak
    parts = []
    for instance_type in sorted(start):
        low, high = start[instance_type], most[instance_type]
        parts.append(f"{instance_type} x{low}" + (f" (up to x{high} with autoscaling)" if high > low else ""))
    endpoints = f"{len(hosted)} SageMaker endpoints bill" if len(hosted) > 1 else "1 SageMaker endpoint bills"
    return (
        f"note: {endpoints} per instance-hour while they exist: {', '.join(parts)}; check the "
        "endpoint-usage quotas of these instance types before deploying"
    )


def _print_access(access: FunctionAccess) -> None:
    sizes = access.policy_sizes
    managed = (
        f" and {len(sizes) - 1} managed {'policy' if len(sizes) == 2 else 'policies'}"
        if len(sizes) > 1
        else ""
    )
    print(
        f"function role: inline policy{managed} of {', '.join(f'{n:,}' for n in sizes)} characters "
        f"(IAM allows 10,240 inline, 6,144 per managed policy); environment {access.environment_bytes:,} "
        "of 4,096 bytes",
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
