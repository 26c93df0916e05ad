"""Write the standalone child modules under dist/terraform/.

    python -m modules.estate.export [--outdir DIR] [--config FILE]
                                    [--print-inventory | --print-inputs --account-id ID]

Each module is a folder of *.tf.json (variables, main, outputs, versions) plus a README; none
configures a provider or a backend. The inference-api module bundles the function package built
for the config's architecture and runtime, with the config's model inventory inside, and the
config's third-party provider layer if it enables any. ``--print-inventory`` prints the config's
model inventory JSON instead; ``--print-inputs`` prints the inference-api module's inputs for the
config (the grants the cdktf stack would give, for the account given), as a JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from modules import bedrock_iam
from modules.aws_limits import LimitError
from modules.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config
from modules.estate import inference_api, model_access_role, sagemaker_endpoint
from modules.estate.tfjson import ModuleDoc
from modules.function_access import function_access, model_grants, override_roles
from modules.lambda_contract import INVENTORY_FILE_NAME
from modules.packaging import REPO_ROOT, PackagingError, build_package, with_inventory

# Statement -> the inference-api module input that fills it.
_GRANT_INPUTS = {
    bedrock_iam.DIRECT_SID: "bedrock_invoke_arns",
    bedrock_iam.THROUGH_PROFILES_SID: "bedrock_profile_foundation_model_arns",
    "InvokeSageMakerEndpoints": "sagemaker_endpoint_arns",
    "AssumeModelAccessRoles": "assume_role_arns",
}


class ModuleInputError(ValueError):
    """The config uses something the exported module has no input for."""


def build_modules(config: DeploymentConfig) -> list[ModuleDoc]:
    return [
        inference_api.build(
            architecture=config.lambda_.architecture,
            runtime=config.lambda_.runtime,
            inventory_models=len(config.inventory().models),
            layer_providers=config.third_party.enabled,
        ),
        sagemaker_endpoint.build(),
        model_access_role.build(),
    ]


def module_inputs(config: DeploymentConfig, account_id: str) -> dict[str, Any]:
    """The inference-api module's inputs that make it grant and run what the stack would."""
    inputs: dict[str, Any] = {"name": config.prefix}
    for grant in model_grants(config, account=account_id):
        if grant.sid in _GRANT_INPUTS:
            inputs[_GRANT_INPUTS[grant.sid]] = list(grant.concrete_resources())
        elif grant.sid != "AssumeOverrideRoles":  # override_role_arns, below
            raise ModuleInputError(
                f"the inference-api module has no input for the stack's statement {grant.sid} "
                "(bedrock.grant_marketplace_subscribe): subscribe once with scripts/preflight --subscribe instead"
            )
    lam = config.lambda_
    cors = config.function_url.cors
    inputs |= {
        "stage": config.stage,
        "admin_principals": list(config.admin_principals) if config.stage == "dev" else [],
        "override_role_arns": list(override_roles(config)),
        "architecture": lam.architecture,
        "runtime": lam.runtime,
        "memory_size": lam.memory_mb,
        "timeout": lam.timeout_seconds,
        "stream_idle_timeout": lam.stream_idle_seconds,
        "invoke_mode": config.function_url.invoke_mode,
        "web_adapter_layer_arn": lam.web_adapter_layer_arn,
        "reserved_concurrency": lam.reserved_concurrency,
        "log_retention_days": lam.log_retention_days,
        "log_level": lam.log_level,
        "log_prompts": config.log_prompts,
        "inventory_cache_seconds": lam.inventory_cache_seconds,
        "authorization_type": config.function_url.auth_type,
        "callers": list(config.function_url.callers),
        "cors_allow_origins": list(cors.allow_origins) if cors else [],
        "api_keys_recovery_window_days": config.api_keys_recovery_window_days,
        "tags": config.tags,
    }
    return inputs


def export(outdir: Path, *, config: DeploymentConfig) -> list[Path]:
    """Write every module (replacing earlier exports atomically); returns their folders."""
    function_access(config)  # the same AWS limits as the stack, before anything is written
    package = with_inventory(
        build_package(architecture=config.lambda_.architecture, python_version=config.lambda_.python_version),
        config.inventory().to_json(),
        name=INVENTORY_FILE_NAME,
    )
    layer = None
    if config.third_party.enabled:
        from modules.layer import build_layer, check_size

        layer = build_layer(
            config.third_party.enabled,
            architecture=config.lambda_.architecture,
            python_version=config.lambda_.python_version,
        )
        check_size(package, layer)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for module in build_modules(config):
        staging = Path(tempfile.mkdtemp(prefix=f".{module.name}.tmp-", dir=outdir))
        try:
            for name, text in module.files().items():
                (staging / name).write_text(text)
            if module.name == "inference-api":
                shutil.copyfile(package.path, staging / inference_api.PACKAGE_FILE)
                if layer:
                    shutil.copyfile(layer.path, staging / inference_api.LAYER_FILE)
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
        "--config",
        default=str(DEFAULT_CONFIG_PATH),
        help="config whose lambda settings pick the package and whose inventory it bundles",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--print-inventory", action="store_true", help="print the config's inventory JSON and exit"
    )
    what.add_argument(
        "--print-inputs",
        action="store_true",
        help="print the inference-api module's inputs for the config (JSON) and exit; needs --account-id",
    )
    parser.add_argument("--account-id", help="12-digit account of the deployment (for --print-inputs)")
    args = parser.parse_args(argv)
    if args.print_inputs and not (
        args.account_id and args.account_id.isdigit() and len(args.account_id) == 12
    ):
        parser.error("--print-inputs needs --account-id with the deployment's 12-digit account id")
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"error: invalid deployment config\n{err}", file=sys.stderr)
        return 2
    if args.print_inventory:
        print(config.inventory().to_json())
        return 0
    try:
        if args.print_inputs:
            function_access(config)
            print(json.dumps(module_inputs(config, args.account_id), indent=2))
            return 0
        folders = export(Path(args.outdir), config=config)
    except LimitError as err:
        print(
            f"error: the config exceeds an AWS limit (nothing was written)\n{args.config}: {err}",
            file=sys.stderr,
        )
        return 2
    except ModuleInputError as err:
        print(f"error: {args.config}: {err}", file=sys.stderr)
        return 2
    except PackagingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for folder in folders:
        print(f"wrote module {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
