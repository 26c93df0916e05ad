"""Check an AWS account against a deployment config before deploying it: ./scripts/preflight.

With the caller's credentials: the SageMaker endpoint-usage quota of each instance type the config
deploys, each Bedrock model or profile in its region (offered, its lifecycle status, its Marketplace
subscription; ``--subscribe`` completes a missing one), the shape of the API-keys and Hugging Face
token secrets (never their values), and that each cross-account role can be assumed.

Exit status: 0 when nothing failed (warnings and skips allowed), 1 when a check failed, 2 for a bad
config or bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

import boto3
from botocore.exceptions import BotoCoreError

from modules.config import DEFAULT_CONFIG_PATH, ConfigError, DeploymentConfig, load_config
from operator_tools import bedrock_checks, checks, secret_checks, url_checks
from operator_tools.checks import Aws, Check

CONFIG_ENV = "LLM_API_CONFIG"
# --skip names -> the check kinds they leave out.
SKIPPABLE = {
    "quota": checks.QUOTA,
    "bedrock": checks.BEDROCK,
    "api-keys": checks.API_KEYS,
    "hf-token": checks.HF_TOKEN,
    "role": checks.ROLE,
    "function-url": url_checks.FUNCTION_URL,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/preflight",
        description="Check quotas, model access, secrets and cross-account roles for a deployment config, "
        "with your AWS credentials. Exits 1 if a check fails.",
    )
    p.add_argument(
        "--config",
        default=os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG_PATH),
        help=f"deployment config JSON (default: ${CONFIG_ENV} or config/default.json)",
    )
    p.add_argument("--json", action="store_true", help="print the checks as a JSON list")
    p.add_argument("--profile", help="AWS profile to check with (default: the usual credential chain)")
    p.add_argument(
        "--subscribe",
        action="store_true",
        help="complete the one-time AWS Marketplace subscription of each third-party Bedrock model that "
        "lacks it, with your credentials (needs aws-marketplace:Subscribe, Unsubscribe, ViewSubscriptions)",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=sorted(SKIPPABLE),
        help="leave out one kind of check (repeatable)",
    )
    return p


def _skipped(kind: str, target: str, region: str | None, name: str) -> Check:
    return Check(kind, target, "SKIP", f"skipped (--skip {name})", "", region)


def run_checks(
    config: DeploymentConfig, aws: Aws, skip: frozenset[str] = frozenset(), *, subscribe: bool = False
) -> list[Check]:
    """Every check for ``config``, in table order: credentials, quotas, models, secrets, roles."""
    skipped = {SKIPPABLE[name]: name for name in skip}
    credentials, caller = checks.check_credentials(aws, config.region)
    if caller is None:
        return [replace(credentials, detail=f"{credentials.detail}; no other check can run without them")]
    rows = [credentials]

    role_rows: list[Check] = []
    assumed: dict[tuple[str, str | None], Aws | None] = {}
    for use in checks.role_uses(config):
        if checks.ROLE in skipped:
            role_rows.append(_skipped(checks.ROLE, use.role_arn, config.region, skipped[checks.ROLE]))
            assumed[(use.role_arn, use.external_id)] = None
            continue
        row, session = checks.check_role(aws, config, use, caller)
        role_rows.append(row)
        assumed[(use.role_arn, use.external_id)] = session

    if checks.QUOTA in skipped:
        rows += [
            _skipped(checks.QUOTA, need.instance_type, config.region, skipped[checks.QUOTA])
            for need in checks.instance_needs(config)
        ]
    else:
        rows += checks.check_quotas(aws, config)

    for model in config.bedrock.models:
        region = config.bedrock_region_of(model)
        if checks.BEDROCK in skipped:
            rows.append(_skipped(checks.BEDROCK, model.public_id, region, skipped[checks.BEDROCK]))
        elif model.role_arn is None:
            rows.append(bedrock_checks.check_bedrock_model(aws, config, model, subscribe=subscribe))
        elif (through := assumed.get((model.role_arn, model.external_id))) is not None:
            # another account's model: its operators subscribe it, not this run
            rows.append(bedrock_checks.check_bedrock_model(through, config, model))
        else:
            why = "the role check was skipped" if checks.ROLE in skipped else "the role cannot be assumed"
            rows.append(
                Check(
                    checks.BEDROCK,
                    model.public_id,
                    "SKIP",
                    f"not checked: {why} ({model.role_arn})",
                    "",
                    region,
                )
            )

    name = config.names["secret"].value
    if checks.API_KEYS in skipped:
        rows.append(_skipped(checks.API_KEYS, name, config.region, skipped[checks.API_KEYS]))
    else:
        rows.append(secret_checks.check_api_keys_secret(aws, config))
    token = config.sagemaker.huggingface_token
    if token is not None and checks.HF_TOKEN in skipped:
        rows.append(_skipped(checks.HF_TOKEN, token.secret_arn, None, skipped[checks.HF_TOKEN]))
    elif (hf_row := secret_checks.check_hf_token_secret(aws, config)) is not None:
        rows.append(hf_row)
    if url_checks.FUNCTION_URL in skipped:
        name = config.names["function"].value
        rows.append(_skipped(url_checks.FUNCTION_URL, name, config.region, skipped[url_checks.FUNCTION_URL]))
    else:
        rows.append(url_checks.check_function_url(aws, config))
        if (direct := url_checks.check_direct_invoke(aws, config)) is not None:
            rows.append(direct)
    return rows + role_rows


def summary(rows: Sequence[Check]) -> str:
    counts = Counter(row.status for row in rows)
    parts = [f"{counts['PASS']} passed", f"{counts['FAIL']} failed"]
    parts += [f"{counts['WARN']} warning(s)"] if counts["WARN"] else []
    parts += [f"{counts['SKIP']} skipped"] if counts["SKIP"] else []
    return f"{len(rows)} checks: " + ", ".join(parts)


def render_table(rows: Sequence[Check]) -> str:
    """Aligned columns, with each row's fix-it hint on the line below it."""
    header = ("CHECK", "TARGET", "REGION", "STATUS", "DETAIL")
    cells = [(r.check, r.target, r.region or "-", r.status, r.detail) for r in rows]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(4)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values[:4], widths, strict=True)) + "  " + values[4]

    out = [line(header)]
    for row, cell in zip(rows, cells, strict=True):
        out.append(line(cell))
        if row.hint and row.status in ("FAIL", "WARN"):
            out.append(" " * (widths[0] + 2) + f"fix: {row.hint}")
    return "\n".join(out)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"error: invalid deployment config\n{err}", file=sys.stderr)
        return 2
    try:
        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()
    except BotoCoreError as err:  # an unknown profile
        print(f"error: {err}", file=sys.stderr)
        return 2
    rows = run_checks(config, Aws(session), frozenset(args.skip), subscribe=args.subscribe)
    if args.json:
        out.write(json.dumps([row.as_dict() for row in rows], indent=2) + "\n")
    else:
        out.write(f"preflight: {args.config} (prefix {config.prefix}, region {config.region})\n\n")
        out.write(render_table(rows) + "\n\n" + summary(rows) + "\n")
    return 1 if any(row.status == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
